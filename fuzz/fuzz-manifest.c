/* fuzz-manifest: ccbuild.yaml loaded and every profile resolved as
 * `lint` does (compose files, images, Dockerfiles, the step graph).
 * Part 0 is ccbuild.yaml; further parts are named files (harness.h):
 * compose files, Dockerfiles, .env, ... where the manifest names them. */
#include "error.h"
#include "harness.h"
#include "manifest.h"
#include "project.h"
#include "step-graph.h"
#include "util.h"
#include "warnings.h"

#include <stdlib.h>

static void resolve_profiles(const struct manifest *m)
{
	size_t i, j;

	for (i = 0; i < m->nprofiles; i++) {
		struct project *p = NULL;
		struct cc_error *err = NULL;
		struct cc_warnings warnings;

		if (manifest_profile(m, m->profiles[i].name) != &m->profiles[i])
			abort(); /* profile names are unique */
		cc_warnings_init(&warnings);
		if (project_load(m, m->profiles[i].name, &p, &warnings, &err) < 0) {
			cc_error_free(err);
			cc_warnings_release(&warnings);
			continue;
		}
		for (j = 0; j < p->nimages; j++) {
			for (size_t k = 0; k < p->images[j].bases.n; k++)
				if (project_base_image(p, &p->images[j], p->images[j].bases.v[k]) == (long)j)
					abort(); /* an image is never its own base */
			(void)project_image(p, p->images[j].spec.key);
		}
		(void)project_needs_git_dirty(p);
		project_free(p);
		cc_warnings_release(&warnings);
	}
	for (i = 0; i < m->nimages; i++)
		(void)manifest_image(m, m->images[i].key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[10];
	size_t n = fuzz_split(data, size, parts, 10);
	char *dir = fuzz_tmpdir(), *path = fuzz_write(dir, "ccbuild.yaml", parts[0].data, parts[0].len);
	struct manifest *m = NULL;
	struct cc_error *err = NULL;

	fuzz_write_named(dir, parts, n);
	if (manifest_load(path, &m, &err) < 0)
		cc_error_free(err);
	else {
		resolve_profiles(m);
		manifest_free(m);
	}
	fuzz_tmpdir_remove(dir);
	free(path);
	free(dir);
	return 0;
}
