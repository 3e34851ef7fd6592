/* fuzz-goregex: Go regexp syntax translated to POSIX (retention keep_tags
 * /REGEXP/ and .dockerignore patterns).  The first line is the regexp,
 * the rest the subject.  The subject is copied with a NUL after it:
 * ASan's regexec interceptor reads up to a NUL even under REG_STARTEND,
 * which glibc itself does not. */
#include "error.h"
#include "goregex.h"
#include "harness.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t relen = nl ? (size_t)(nl - (const char *)data) : size;
	char *re = xstrndup((const char *)data, relen);
	size_t sublen = nl ? size - relen - 1 : 0;
	char *subject = xmalloc(sublen + 1);
	struct cc_error *err = NULL;
	struct goregex *rx;

	memcpy(subject, nl ? nl + 1 : "", sublen);
	subject[sublen] = '\0';
	rx = goregex_compile(re, &err);

	if (!rx)
		cc_error_free(err);
	else {
		goregex_match(rx, subject, sublen);
		goregex_match(rx, re, strlen(re));
		(void)goregex_posix(rx);
		goregex_free(rx);
	}
	free(subject);
	free(re);
	return 0;
}
