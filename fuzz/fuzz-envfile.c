/* fuzz-envfile: .env / env_file parsing (python-dotenv's grammar) with
 * variable expansion from earlier keys and an outside lookup. */
#include "envfile.h"
#include "harness.h"
#include "lists.h"

#include <string.h>

static const char *lookup(void *data, const char *name)
{
	return !strcmp(name, "HOME") ? "/home/fuzz" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envfile ef = { 0 };
	struct strlist warnings = { 0 };
	size_t i;

	envfile_parse("fuzz.env", (const char *)data, size, lookup, NULL, &ef, &warnings);
	for (i = 0; i < ef.n; i++)
		if (envfile_get(&ef, ef.v[i].key) != &ef.v[i])
			__builtin_trap(); /* keys are unique: each finds itself */
	envfile_set(&ef, "FUZZ_EXTRA", "1");
	envfile_release(&ef);
	strlist_release(&warnings);
	return 0;
}
