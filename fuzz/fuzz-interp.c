/* fuzz-interp: compose ${VAR} interpolation of one string.  A few
 * variables are set (one empty) so every form has both outcomes. */
#include "error.h"
#include "harness.h"
#include "interp.h"
#include "lists.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *lookup(void *data, const char *name)
{
	if (!strcmp(name, "A"))
		return "alpha";
	if (!strcmp(name, "EMPTY"))
		return "";
	if (!strcmp(name, "DOLLAR"))
		return "$x${y}";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strlist unset = { 0 };
	struct interp_env env = { lookup, NULL, &unset };
	struct cc_error *err = NULL;
	char *s = xstrndup((const char *)data, size), *out = NULL;

	if (interp_string(s, &env, &out, &err) < 0)
		cc_error_free(err);
	else if (!interp_has_vars(s) && strcmp(s, out))
		abort(); /* no '$': the string must come back unchanged */
	free(out);
	free(s);
	strlist_release(&unset);
	return 0;
}
