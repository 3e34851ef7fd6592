/* fuzz-envfile: .env / env_file parsing (python-dotenv's grammar) with
 * variable expansion from earlier keys and an outside lookup. */
#include "envfile.h"
#include "error.h"
#include "harness.h"
#include "warnings.h"
#include "lists.h"

#include <string.h>

static const char *lookup(void *data, const char *name)
{
	return !strcmp(name, "HOME") ? "/home/fuzz" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envfile ef = { 0 };
	struct cc_warnings warnings;
	struct cc_error *err = NULL;
	size_t i;

	cc_warnings_init(&warnings);

	if (envfile_parse("fuzz.env", (const char *)data, size, lookup, NULL, &ef, &warnings, &err) < 0) {
		cc_error_free(err); /* a NUL byte: an error at its line */
		err = NULL;
	}
	envfile_release(&ef);
	ef = (struct envfile){ 0 };
	if (envfile_parse_raw("fuzz.env", (const char *)data, size, &ef, &err) < 0)
		cc_error_free(err);
	for (i = 0; i < ef.n; i++)
		if (envfile_get(&ef, ef.v[i].key) != &ef.v[i])
			__builtin_trap(); /* keys are unique: each finds itself */
	envfile_set(&ef, "FUZZ_EXTRA", "1");
	envfile_release(&ef);
	cc_warnings_release(&warnings);
	return 0;
}
