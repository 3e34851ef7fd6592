/* fuzz-tagtmpl: tag templates ({git.*}, {hash:N}, semver expansion).
 * Every tag produced must be a valid tag.  A leading '!' (dropped)
 * means no git repository, so {git.*} is an error. */
#include "error.h"
#include "gitinfo.h"
#include "harness.h"
#include "lists.h"
#include "tagtmpl.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sha[] = "0123456789abcdef0123456789abcdef01234567", shortsha[] = "0123456";
	char branch[] = "feature/Fuzz_1.2", describe[] = "v1.2.3-4-g0123456-dirty";
	struct gitinfo git = { sha, shortsha, branch, describe, NULL, 1, 1 };
	const char *hash = "f00dfacef00dfacef00dfacef00dfacef00dfacef00dfacef00dfacef00dface";
	struct strlist out = { 0 };
	struct cc_error *err = NULL;
	int nogit = size && data[0] == '!';
	char *t = xstrndup((const char *)data + nogit, size - (size_t)nogit);
	size_t i;

	if (tagtmpl_expand(t, nogit ? NULL : &git, hash, &out, &err) < 0)
		cc_error_free(err);
	for (i = 0; i < out.n; i++)
		if (!tagtmpl_valid(out.v[i])) {
			fprintf(stderr, "invalid tag \"%s\" from template \"%s\"\n", out.v[i], t);
			abort();
		}
	strlist_release(&out);
	free(t);
	return 0;
}
