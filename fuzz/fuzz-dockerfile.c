/* fuzz-dockerfile: Dockerfile scanning (stages, FROM with ARG expansion,
 * COPY --from, RUN --mount from=) and retargeting of references.  Part 0
 * is the Dockerfile, part 1 build args (KEY=VALUE lines), part 2 the
 * target stage. */
#include "dockerfile.h"
#include "error.h"
#include "harness.h"
#include "imageref.h"
#include "lists.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void args_parse(char *text, struct kvlist *args)
{
	char *save = NULL, *line, *eq;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		eq = strchr(line, '=');
		if (eq)
			*eq = '\0';
		kvlist_set(args, line, eq ? eq + 1 : "");
	}
}

/* Retarget every reference to a local name, as a multi-platform build does. */
static void retarget(const char *text, const struct dockerfile *df, const struct strlist *refs)
{
	struct kvlist map = { 0 };
	struct cc_error *err = NULL;
	char *out = NULL;
	size_t i;

	for (i = 0; i < refs->n; i++) {
		char *key = imageref_normalized(refs->v[i]), *val = xasprintf("local/fuzz:%zu", i);

		if (key) /* an invalid reference is scanned as an error, not mapped */
			kvlist_set(&map, key, val);
		free(key);
		free(val);
	}
	if (dockerfile_retarget("Dockerfile", text, df, &map, &out, &err) < 0)
		cc_error_free(err);
	free(out);
	kvlist_release(&map);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[3];
	size_t n = fuzz_split(data, size, parts, 3);
	char *text = fuzz_part_str(&parts[0]), *argtext = n > 1 ? fuzz_part_str(&parts[1]) : NULL;
	char *target = n > 2 ? fuzz_part_str(&parts[2]) : NULL;
	struct kvlist args = { 0 };
	struct strlist refs = { 0 }, prefs = { 0 };
	struct dockerfile *df = NULL;
	struct cc_error *err = NULL;

	if (argtext)
		args_parse(argtext, &args);
	if (dockerfile_parse("Dockerfile", text, argtext ? &args : NULL, &df, &err) < 0) {
		cc_error_free(err);
	} else {
		dockerfile_external_refs(df, target, &refs);
		dockerfile_platform_refs(df, target, &prefs);
		if (target)
			(void)dockerfile_has_stage(df, target);
		retarget(text, df, &refs);
		dockerfile_free(df);
	}
	strlist_release(&refs);
	strlist_release(&prefs);
	kvlist_release(&args);
	free(text);
	free(argtext);
	free(target);
	return 0;
}
