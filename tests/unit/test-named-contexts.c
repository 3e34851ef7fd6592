/* The Dockerfile rewrite of named contexts (project_contexts_dockerfile,
 * dockerfile_rename): what the service's build is sent. */
#include "dockerfile.h"
#include "error.h"
#include "project-contexts.h"
#include "project.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* text rewritten for an image with directory context assets (tag
 * ccbuild-ctx/p-web-assets:0123456789abcdef) and image context img
 * (busybox:1.36); "(none)" when nothing changed, "(error) MSG". */
static char *rewrite(const char *text, const struct kvlist *args)
{
	struct image img;
	struct kvlist tags = { 0 };
	struct cc_error *err = NULL;
	char *out = NULL;

	memset(&img, 0, sizeof(img));
	if (args)
		kvlist_copy(&img.spec.args, args);
	kvlist_set(&img.context_dirs, "assets", "/nowhere/assets");
	kvlist_set(&img.context_refs, "img", "busybox:1.36");
	kvlist_set(&tags, "assets", "ccbuild-ctx/p-web-assets:0123456789abcdef");
	if (project_contexts_dockerfile(&img, "Dockerfile", text, &tags, &out, &err) < 0) {
		out = xasprintf("(error) %s", err->msg);
		cc_error_free(err);
	} else if (!out)
		out = xstrdup("(none)");
	kvlist_release(&img.spec.args);
	kvlist_release(&img.context_dirs);
	kvlist_release(&img.context_refs);
	kvlist_release(&tags);
	return out;
}

#define T "ccbuild-ctx/p-web-assets:0123456789abcdef"
#define REWRITE(text, args, want, name)                                                                                \
	do {                                                                                                           \
		char *got = rewrite(text, args);                                                                       \
		is_str(got, want, name);                                                                               \
		free(got);                                                                                             \
	} while (0)

int main(void)
{
	struct kvlist args = { 0 };

	REWRITE("FROM busybox\nCOPY --from=assets / /a/\n", NULL, "FROM busybox\nCOPY --from=" T " / /a/\n",
		"COPY --from=NAME points at the context image");
	REWRITE("FROM assets\nRUN true\n", NULL, "FROM " T "\nRUN true\n", "FROM NAME");
	REWRITE("FROM --platform=$BUILDPLATFORM assets AS x\nFROM busybox\nCOPY --from=x / /\n", NULL,
		"FROM --platform=$BUILDPLATFORM " T " AS x\nFROM busybox\nCOPY --from=x / /\n",
		"FROM --platform=.. NAME AS x: also a reference that is not per platform");
	REWRITE("FROM busybox\nRUN --mount=type=bind,from=assets,target=/m cat /m/a\n", NULL,
		"FROM busybox\nRUN --mount=type=bind,from=" T ",target=/m cat /m/a\n", "RUN --mount=...from=NAME...");
	REWRITE("FROM busybox AS assets\nRUN touch /s\nFROM busybox\nCOPY --from=assets /s /s\n", NULL, "(none)",
		"a stage defined earlier with the context's name wins");
	REWRITE("FROM busybox\nCOPY --from=img /bin/sh /sh\nFROM img\n", NULL,
		"FROM busybox\nCOPY --from=busybox:1.36 /bin/sh /sh\nFROM busybox:1.36\n",
		"an image context (docker-image://, service:) is its reference");
	REWRITE("# comment naming assets\nFROM busybox\n\nCOPY \\\n  --from=assets \\\n  /a /b\nRUN echo assets\n",
		NULL, "# comment naming assets\nFROM busybox\n\nCOPY \\\n  --from=" T " \\\n  /a /b\nRUN echo assets\n",
		"line numbers unchanged across a continuation; comments and other words left alone");
	REWRITE("FROM busybox\nCOPY --from=assets:latest /a /a\nCOPY --from=docker.io/library/assets /b /b\n", NULL,
		"FROM busybox\nCOPY --from=" T " /a /a\nCOPY --from=" T " /b /b\n",
		"the name matches in every spelling of the same reference");
	REWRITE("FROM busybox\nCOPY --from=assetsx /a /a\nCOPY --from=other/assets /a /a\n", NULL, "(none)",
		"other names are left alone");
	kvlist_set(&args, "SRC", "assets");
	REWRITE("ARG SRC=busybox\nFROM ${SRC}\n", &args, "ARG SRC=busybox\nFROM " T "\n",
		"FROM ${ARG} that expands to the name");
	kvlist_release(&args);
	REWRITE("FROM busybox\n", NULL, "(none)", "no reference: nothing to send rewritten");
	return done_testing();
}
