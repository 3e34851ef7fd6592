/* fuzz-ignore: .dockerignore rules.  Part 0 is the ignore file; each line
 * of part 1 is a path to match (both matchers and the prune check). */
#include "error.h"
#include "harness.h"
#include "ignore.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void match_paths(const struct ignore *ig, const struct fuzz_part *paths)
{
	size_t n = ignore_count(ig);
	unsigned char *state = xcalloc(n + 1, 1), *parent = xcalloc(n + 1, 1);
	char *text = fuzz_part_str(paths), *save = NULL, *line;
	int first = 1;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *clean = path_clean(line);

		/* the matchers' contract: relative, clean, inside the context */
		if (*clean != '/' && strcmp(clean, ".") && strcmp(clean, "..") && !str_has_prefix(clean, "../")) {
			ignore_match(ig, clean);
			ignore_match_walk(ig, clean, first ? NULL : parent, state);
			memcpy(parent, state, n);
			ignore_dir_prunable(ig, clean);
			first = 0;
		}
		free(clean);
	}
	free(text);
	free(state);
	free(parent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[2];
	size_t n = fuzz_split(data, size, parts, 2), i;
	struct ignore *ig = ignore_new();
	struct cc_error *err = NULL;
	int exception;
	static const char paths[] = "a\na/b\nsrc/main.c\nnode_modules/x/y.js\n.git\nDockerfile\n";
	const struct fuzz_part fixed = { paths, sizeof(paths) - 1 };

	if (ignore_parse(ig, parts[0].data, parts[0].len, ".dockerignore", &err) < 0)
		cc_error_free(err);
	for (i = 0; i < ignore_count(ig); i++)
		(void)ignore_pattern(ig, i, &exception);
	match_paths(ig, n > 1 ? &parts[1] : &fixed);
	ignore_free(ig);
	return 0;
}
