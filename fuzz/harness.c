/* harness: input splitting and per-input temporary files for the fuzzers. */
#include "harness.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max)
{
	const char *p = (const char *)data, *end = p + size, *sep;
	size_t n = 0, seplen = strlen(FUZZ_SEP);

	while (n + 1 < max && (sep = memmem(p, (size_t)(end - p), FUZZ_SEP, seplen))) {
		parts[n].data = p;
		parts[n++].len = (size_t)(sep - p) + 1; /* the part keeps its last newline */
		p = sep + seplen;
	}
	parts[n].data = p;
	parts[n++].len = (size_t)(end - p);
	return n;
}

char *fuzz_part_str(const struct fuzz_part *p)
{
	char *s = xmalloc(p->len + 1);

	memcpy(s, p->data, p->len);
	s[p->len] = '\0';
	return s;
}

char *fuzz_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/ccfuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (!mkdtemp(dir)) {
		perror(dir);
		abort();
	}
	return dir;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (remove(path) < 0 && errno != ENOENT)
		perror(path);
	return 0;
}

void fuzz_tmpdir_remove(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_parents(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return 0;
}

static int write_file(char *path, const void *data, size_t len)
{
	FILE *f;

	if (make_parents(path) < 0 || !(f = fopen(path, "wb")))
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

char *fuzz_write(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);

	if (write_file(path, data, len) < 0) {
		perror(path);
		abort();
	}
	return path;
}

static int plain_name(const char *s, size_t len)
{
	size_t i;

	if (!len || len > 100 || s[0] == '/' || s[len - 1] == '/' || memmem(s, len, "..", 2) || memmem(s, len, "//", 2))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-/", s[i]))
			return 0;
	return 1;
}

size_t fuzz_write_named(const char *dir, const struct fuzz_part *parts, size_t n)
{
	size_t i, written = 0;

	for (i = 1; i < n; i++) {
		const char *nl = memchr(parts[i].data, '\n', parts[i].len);
		size_t namelen = nl ? (size_t)(nl - parts[i].data) : parts[i].len;
		char *path;

		if (!plain_name(parts[i].data, namelen))
			continue;
		/* a name under one written as a file, or a directory's: not written */
		path = xasprintf("%s/%.*s", dir, (int)namelen, parts[i].data);
		if (write_file(path, nl ? nl + 1 : "", nl ? parts[i].len - namelen - 1 : 0) == 0)
			written++;
		free(path);
	}
	return written;
}
