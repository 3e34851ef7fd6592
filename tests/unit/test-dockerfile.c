#include "dockerfile.h"
#include "error.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>

static struct strlist refs(const char *text, const char *target, const struct kvlist *args)
{
	struct strlist out = { 0 };
	struct dockerfile *df = NULL;
	struct cc_error *err = NULL;

	if (dockerfile_parse("Dockerfile", text, args, &df, &err) < 0) {
		printf("# %s\n", err->msg);
		cc_error_free(err);
		return out;
	}
	dockerfile_external_refs(df, target, &out);
	dockerfile_free(df);
	return out;
}

static char *joined(struct strlist *l)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < l->n; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", l->v[i]);
	strlist_release(l);
	return strbuf_detach(&sb);
}

#define CHECK(text, target, args, want, name)                                                                          \
	do {                                                                                                           \
		struct strlist l = refs(text, target, args);                                                           \
		char *got = joined(&l);                                                                                \
		is_str(got, want, name);                                                                               \
		free(got);                                                                                             \
	} while (0)

/* dockerfile_retarget of text with shop-base -> shop-base:latest-linux-arm64 */
static char *retarget(const char *text, const struct kvlist *args)
{
	struct kvlist map = { 0 };
	struct dockerfile *df = NULL;
	struct cc_error *err = NULL;
	char *out;

	if (dockerfile_parse("Dockerfile", text, args, &df, &err) < 0) {
		printf("# %s\n", err->msg);
		cc_error_free(err);
		return xstrdup("(parse error)");
	}
	kvlist_set(&map, "docker.io/library/shop-base:latest", "shop-base:latest-linux-arm64");
	if (dockerfile_retarget("Dockerfile", text, df, &map, &out, &err) < 0) {
		out = xasprintf("(error) %s", err->msg);
		cc_error_free(err);
	}
	kvlist_release(&map);
	dockerfile_free(df);
	return out ? out : xstrdup("(unchanged)");
}

#define RETARGET(text, args, want, name)                                                                               \
	do {                                                                                                           \
		char *got = retarget(text, args);                                                                      \
		is_str(got, want, name);                                                                               \
		free(got);                                                                                             \
	} while (0)

int main(void)
{
	struct kvlist args = { 0 };
	struct cc_error *err = NULL;
	struct dockerfile *df = NULL;

	CHECK("FROM python:3.12-slim AS base\nFROM base AS deps\nRUN x\nFROM deps\n", NULL, NULL, "python:3.12-slim",
	      "stages are not external bases");
	CHECK("ARG PY=3.11\nFROM python:${PY}-slim\n", NULL, NULL, "python:3.11-slim", "global ARG default expanded");
	kvlist_set(&args, "PY", "3.12");
	CHECK("ARG PY=3.11\nFROM python:${PY}-slim\n", NULL, &args, "python:3.12-slim", "build arg overrides default");
	kvlist_release(&args);
	CHECK("ARG BASE\nFROM ${BASE:-demo-base:latest}\n", NULL, NULL, "demo-base:latest", "${VAR:-default} form");
	CHECK("FROM --platform=$BUILDPLATFORM node:20 AS build\nFROM nginx:1.25 AS prod\nCOPY --from=build /a /b\n"
	      "FROM build AS dev\n",
	      "prod", NULL, "nginx:1.25,node:20", "target reaches COPY --from stage's base");
	CHECK("FROM node:20 AS build\nFROM nginx:1.25 AS prod\nFROM build AS dev\n", "dev", NULL, "node:20",
	      "target prunes unrelated stages");
	CHECK("FROM scratch\nCOPY --from=shop-tools:1 /t /t\n", NULL, NULL, "shop-tools:1", "COPY --from an image");
	CHECK("# escape=`\nFROM a `\n  AS b\nfrom b\n", NULL, NULL, "a", "escape directive and lowercase from");
	CHECK("FROM \\\n  # comment inside\n  busybox\nRUN --mount=type=cache,from=cachesrc,target=/c x\n", NULL, NULL,
	      "busybox,cachesrc", "continuation with a comment; RUN --mount from=");
	ok(dockerfile_parse("Dockerfile", "RUN x\n", NULL, &df, &err) < 0, "no FROM is an error");
	cc_error_free(err);
	err = NULL;
	ok(dockerfile_parse("Dockerfile", "FROM\n", NULL, &df, &err) < 0 && strstr(err->msg, "Dockerfile:1"),
	   "bad FROM names file and line");
	cc_error_free(err);
	err = NULL;
	RETARGET("FROM shop-base AS b\nRUN x\n", NULL, "FROM shop-base:latest-linux-arm64 AS b\nRUN x\n",
		 "retarget: FROM a manifest image");
	RETARGET("ARG BASE=shop-base:latest\nFROM --platform=$TARGETPLATFORM ${BASE}\n", NULL,
		 "ARG BASE=shop-base:latest\nFROM --platform=$TARGETPLATFORM shop-base:latest-linux-arm64\n",
		 "retarget: the ARG-built word becomes the platform's reference");
	RETARGET("FROM busybox\nCOPY --from=shop-base:latest /a /b\nRUN --mount=type=bind,from=shop-base,target=/m x\n",
		 NULL,
		 "FROM busybox\nCOPY --from=shop-base:latest-linux-arm64 /a /b\n"
		 "RUN --mount=type=bind,from=shop-base:latest-linux-arm64,target=/m x\n",
		 "retarget: COPY --from and RUN --mount from=");
	RETARGET("FROM shop-base AS shop-base-x\nFROM \\\n  shop-base\nCOPY --from=shop-base-x /a /a\n", NULL,
		 "FROM shop-base:latest-linux-arm64 AS shop-base-x\nFROM \\\n  shop-base:latest-linux-arm64\n"
		 "COPY --from=shop-base-x /a /a\n",
		 "retarget: continuation lines keep their numbers; stage names untouched");
	RETARGET("FROM busybox\nFROM shop-base-old\n", NULL, "(unchanged)", "retarget: other images unchanged");
	RETARGET("FROM --foo=shop-base shop-base\r\nRUN x", NULL,
		 "FROM --foo=shop-base shop-base:latest-linux-arm64\r\nRUN x",
		 "retarget: whole words only, CRLF, no final newline");
	RETARGET("FROM busybox\nRUN --mount=from=shop-base,target=/a --mount=from=shop-base,target=/b x", NULL,
		 "FROM busybox\nRUN --mount=from=shop-base:latest-linux-arm64,target=/a"
		 " --mount=from=shop-base:latest-linux-arm64,target=/b x",
		 "retarget: two references on one line");
	RETARGET("FROM --platform=$BUILDPLATFORM shop-base AS tools\nFROM --platform=${TARGETPLATFORM} shop-base\n",
		 NULL,
		 "FROM --platform=$BUILDPLATFORM shop-base AS tools\n"
		 "FROM --platform=${TARGETPLATFORM} shop-base:latest-linux-arm64\n",
		 "retarget: a $BUILDPLATFORM stage keeps the native base, $TARGETPLATFORM is retargeted");
	RETARGET("FROM shop-base\\\n  AS b\n", NULL, "FROM shop-base:latest-linux-arm64\\\n  AS b\n",
		 "retarget: a word right before the escape character");
	RETARGET("# escape=`\nFROM busybox\nCOPY --from=shop-base` \n  /a /a\n", NULL,
		 "# escape=`\nFROM busybox\nCOPY --from=shop-base:latest-linux-arm64` \n  /a /a\n",
		 "retarget: escape=` file");
	RETARGET("FROM \\\n# based on shop-base\n  shop-base\n", NULL,
		 "FROM \\\n# based on shop-base\n  shop-base:latest-linux-arm64\n",
		 "retarget: a comment inside a continuation is left alone");
	RETARGET("FROM --platform=linux/amd64 shop-base\n", NULL, "(unchanged)",
		 "retarget: a fixed --platform stage is left alone");
	{
		struct strlist l = { 0 };
		char *got;

		ok(dockerfile_parse("Dockerfile",
				    "FROM --platform=$BUILDPLATFORM tools AS b\nFROM app-base\nCOPY --from=b /x /x\n"
				    "COPY --from=assets:1 /y /y\n",
				    NULL, &df, &err) == 0,
		   "parse for platform refs");
		dockerfile_platform_refs(df, NULL, &l);
		got = joined(&l);
		is_str(got, "app-base,assets:1", "platform refs leave out the $BUILDPLATFORM stage's base");
		free(got);
		dockerfile_free(df);
		df = NULL;
	}
	ok(dockerfile_parse("Dockerfile", "FROM alpine\nFROM Redis\n", NULL, &df, &err) < 0 &&
		   !strcmp(err->msg,
			   "Dockerfile:2: 'Redis' is not a valid image reference: repository name must be lowercase"),
	   "a FROM that is not a valid reference is an error at its line");
	cc_error_free(err);
	err = NULL;
	ok(dockerfile_parse("Dockerfile", "ARG B=shop/Web\nFROM ${B}\n", NULL, &df, &err) < 0 &&
		   strstr(err->msg, "Dockerfile:2: 'shop/Web' is not a valid image reference"),
	   "the reference is checked after ARG expansion");
	cc_error_free(err);
	err = NULL;
	ok(dockerfile_parse("Dockerfile", "FROM scratch\nCOPY --from=Tools:1 /a /a\n", NULL, &df, &err) < 0 &&
		   strstr(err->msg, "Dockerfile:2: 'Tools:1'"),
	   "COPY --from an invalid reference is an error");
	cc_error_free(err);
	err = NULL;
	CHECK("FROM busybox AS Builder\nFROM Builder\nCOPY --from=BUILDER /a /a\nCOPY --from=${X} /b /b\n", NULL, NULL,
	      "busybox,${X}", "stage names are not references (any case); a COPY --from=$X is the builder's to expand");
	CHECK("FROM busybox\nRUN --mount=type=cache,id=xfrom=y,target=/c x\n", NULL, NULL, "busybox",
	      "RUN --mount: only the from= option names an image");
	ok(dockerfile_parse("Dockerfile", "FROM --platform=linux/amd64 --platform=linux/arm64 busybox\n", NULL, &df,
			    &err) < 0 &&
		   strstr(err->msg, "Dockerfile:1: FROM: duplicate flag specified: --platform"),
	   "a second --platform is an error, as for the builder (the first value was leaked)");
	cc_error_free(err);
	err = NULL;
	RETARGET("FROM docker.io/library/shop-base\nCOPY --from=index.docker.io/library/shop-base:latest /a /a\n"
		 "FROM shop-base:1\nFROM shop/shop-base\n",
		 NULL,
		 "FROM shop-base:latest-linux-arm64\nCOPY --from=shop-base:latest-linux-arm64 /a /a\n"
		 "FROM shop-base:1\nFROM shop/shop-base\n",
		 "retarget: every spelling of the reference, no other tag or repository");
	return done_testing();
}
