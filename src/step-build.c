/* step-build: the build:IMAGE step kind. */
#include "project.h"
#include "step.h"
#include "util.h"

static void build_describe(const struct step *s, struct strbuf *out)
{
	const struct image *img = s->data;
	size_t i;

	strbuf_addf(out, "%s from %s", img->ref, img->dockerfile);
	if (img->target)
		strbuf_addf(out, " target=%s", img->target);
	for (i = 0; i < img->platforms.n; i++)
		strbuf_addf(out, "%s%s", i ? "," : " platforms=", img->platforms.v[i]);
}

const struct step_kind step_kind_build = {
	.name = "build",
	.describe = build_describe,
};
