/* sync-single: where a single-file sync reads and writes (sync-single.h). */
#include "sync-single.h"
#include "error.h"
#include "manifest-sync.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* path as *dir ("." or "/" when it has none) and *name; caller frees. */
static void split(const char *path, const char *none, char **dir, char **name)
{
	const char *slash = strrchr(path, '/');

	*dir = !slash ? xstrdup(none) : slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	*name = xstrdup(slash ? slash + 1 : path);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The destination of from (a file, as written) for spec's to:. */
static void destination(const struct sync_spec *spec, const char *from, const char *to, struct sync_single *out)
{
	size_t n = strlen(spec->to);
	int into = n && spec->to[n - 1] == '/';

	if (spec->direction == SYNC_OUT)
		split(from, ".", &out->dst_dir, &out->dst_name);
	else if (spec->target == SYNC_TO_VOLUME && (into || !*spec->subdir))
		out->dst_dir = xstrdup(spec->subdir), out->dst_name = xstrdup(base_name(from));
	else if (spec->target == SYNC_TO_VOLUME)
		split(spec->subdir, "", &out->dst_dir, &out->dst_name);
	else if (into)
		out->dst_dir = xstrdup(spec->target == SYNC_TO_SERVICE ? spec->path : to),
		out->dst_name = xstrdup(base_name(from));
	else
		split(spec->target == SYNC_TO_SERVICE ? spec->path : to, ".", &out->dst_dir, &out->dst_name);
}

/* A positioned error about spec; always -1. */
static int refuse(const struct sync_spec *spec, const char *what, struct cc_error **err)
{
	char where[4096];

	ypos_format(&spec->pos, where, sizeof(where));
	return cc_error_set(err, "%s: syncs.%s: from: is a single file, and %s", where, spec->name, what);
}

int sync_single_resolve(const struct sync_spec *spec, const char *base, struct sync_single *out, struct cc_error **err)
{
	cleanup_free char *from = sync_spec_path(spec->from, base), *to = sync_spec_path(spec->to, base);
	cleanup_free char *src = NULL, *real = NULL;
	size_t n = strlen(spec->to);
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (spec->direction == SYNC_OUT && spec->target == SYNC_TO_HOST) {
		if (stat(from, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		src = n && spec->to[n - 1] == '/' ? path_join(to, base_name(from)) : xstrdup(to);
	} else {
		src = xstrdup(from);
	}
	if (stat(src, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (spec->direction == SYNC_BOTH)
		return refuse(spec, "direction: both is not supported for one (use in or out)", err);
	if (spec->exclude.n)
		return refuse(spec, "exclude: has nothing to exclude from it", err);
	if (!(real = realpath(src, NULL)))
		return cc_error_set(err, "%s: %s", src, strerror(errno));
	split(real, "/", &out->src_dir, &out->src_name);
	destination(spec, from, to, out);
	if (!*out->dst_name || !strcmp(out->dst_name, ".") || !strcmp(out->dst_name, "..")) {
		sync_single_release(out);
		return refuse(spec, "to: names no file for it", err);
	}
	return 1;
}

void sync_single_release(struct sync_single *s)
{
	free(s->src_dir);
	free(s->src_name);
	free(s->dst_dir);
	free(s->dst_name);
	memset(s, 0, sizeof(*s));
}
