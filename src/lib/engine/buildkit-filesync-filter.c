/* buildkit-filesync-filter: fsutil's include/exclude/followpaths rules.
 *
 * Exclude patterns are .dockerignore rules (ignore.h, the same
 * patternmatcher semantics fsutil uses); an excluded directory is skipped
 * whole unless a '!' rule starts inside it, and is then itself sent.
 * An include pattern matches with Go's filepath.Match (fnmatch(3) with
 * FNM_PATHNAME) against as many leading components of it as the path
 * has: a directory on the way to a pattern is a partial match and is
 * entered; a directory matched whole is sent with everything below it.
 * Followpaths become include patterns after resolving the symlinks on
 * their way (a link and its target are both included). */
#include "buildkit-filesync-filter.h"

#include "buildkit-stream.h"
#include "ctxwalk.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_FOLLOW_DEPTH = 40, MAX_INCLUDES = 4096 };

static int include_add(struct fsfilter *f, const char *pattern, struct cc_error **err)
{
	size_t i;

	for (i = 0; i < f->ninclude; i++)
		if (!strcmp(f->include[i], pattern))
			return 1; /* already there: followlinks' "resolved" */
	if (f->ninclude >= MAX_INCLUDES)
		return cc_error_set(err, "followpaths: more than %d paths", MAX_INCLUDES);
	VEC_PUSH(f->include, f->ninclude, f->capinclude, xstrdup(pattern));
	return 0;
}

static int has_wildcard(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

/* The targets of the symlinks named `cur` (its last component may be a
 * wildcard), each as "/"-rooted clean path, appended to *out. */
static void link_targets(const struct ctx_list *walk, const char *cur, char ***out, size_t *n, size_t *cap)
{
	const char *slash = strrchr(cur, '/');
	size_t dirlen = slash ? (size_t)(slash - cur) : 0, i;
	const char *base = slash ? slash + 1 : cur;

	for (i = 0; i < walk->n; i++) {
		const struct ctx_entry *e = &walk->v[i];
		const char *eslash = strrchr(e->path, '/');
		size_t elen = eslash ? (size_t)(eslash - e->path) : 0;

		if (!S_ISLNK(e->mode) || !e->link || elen != dirlen || strncmp(e->path, cur, dirlen))
			continue;
		if (has_wildcard(base) ? fnmatch(base, eslash ? eslash + 1 : e->path, FNM_PATHNAME) != 0
				       : strcmp(e->path, cur) != 0)
			continue;
		if (e->link[0] == '/') {
			VEC_PUSH(*out, *n, *cap, path_clean(e->link));
		} else {
			cleanup_free char *abs = xasprintf("/%.*s/%s", (int)dirlen, cur, e->link);

			VEC_PUSH(*out, *n, *cap, path_clean(abs));
		}
	}
}

/* fsutil's symlinkResolver.append for followpath `p`. */
static int follow(struct fsfilter *f, const struct ctx_list *walk, const char *p, int depth, struct cc_error **err)
{
	cleanup_free char *clean = path_clean(p[0] == '/' ? p + 1 : p);
	struct strbuf cur = STRBUF_INIT;
	const char *rest = clean;
	int rc = 0;

	if (depth > MAX_FOLLOW_DEPTH)
		return cc_error_set(err, "followpaths: %s: too many levels of symbolic links", p);
	if (!strcmp(clean, ".") || !strcmp(clean, "..") || !strncmp(clean, "../", 3))
		return include_add(f, clean, err) < 0 ? -1 : 0;
	while (rc == 0 && rest) {
		const char *slash = strchr(rest, '/');
		char **targets = NULL;
		size_t nt = 0, capt = 0, i;

		if (cur.len)
			strbuf_addch(&cur, '/');
		strbuf_add(&cur, rest, slash ? (size_t)(slash - rest) : strlen(rest));
		rest = slash ? slash + 1 : NULL;
		link_targets(walk, cur.buf, &targets, &nt, &capt);
		if (nt) {
			rc = include_add(f, cur.buf, err);
			for (i = 0; i < nt; i++) {
				cleanup_free char *next =
					rest ? xasprintf("%s/%s", targets[i], rest) : xstrdup(targets[i]);

				if (rc == 0 && follow(f, walk, next, depth + 1, err) < 0)
					rc = -1;
				free(targets[i]);
			}
			free(targets);
			break;
		}
		if (!rest)
			rc = include_add(f, cur.buf, err);
	}
	strbuf_release(&cur);
	return rc < 0 ? -1 : 0;
}

static int read_includes(struct fsfilter *f, struct bk_stream *s, const struct ctx_list *walk, struct cc_error **err)
{
	const char *v;
	size_t i;

	for (i = 0; (v = bk_stream_meta(s, "include-patterns", i)) != NULL; i++) {
		cleanup_free char *clean = path_clean(v);

		f->has_include = 1;
		if (include_add(f, clean, err) < 0)
			return -1;
	}
	for (i = 0; (v = bk_stream_meta(s, "followpaths", i)) != NULL; i++) {
		f->has_include = 1;
		if (follow(f, walk, v, 0, err) < 0)
			return -1;
	}
	return 0;
}

int fsfilter_init(struct fsfilter *f, struct bk_stream *s, const struct ctx_list *walk, struct cc_error **err)
{
	const char *v;
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; (v = bk_stream_meta(s, "exclude-patterns", i)) != NULL; i++) {
		if (!f->exclude)
			f->exclude = ignore_new();
		if (ignore_add(f->exclude, v, "exclude-patterns", (int)i + 1, err) < 0)
			return -1;
	}
	return read_includes(f, s, walk, err);
}

void fsfilter_start(struct fsfilter *f)
{
	f->skip = f->included = NULL;
}

static int is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/';
}

static size_t count_slashes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* fsutil's matchPrefix: *partial when the pattern has more components
 * than the path and only its leading ones were compared. */
static int include_match(const char *pattern, const char *path, int *partial)
{
	size_t want = count_slashes(path), i;
	const char *p = pattern;
	int m;

	*partial = 0;
	if (count_slashes(pattern) <= want)
		return fnmatch(pattern, path, FNM_PATHNAME) == 0;
	for (i = 0; i <= want; i++)
		p = strchr(p, '/') + 1;
	{
		cleanup_free char *head = xstrndup(pattern, (size_t)(p - 1 - pattern));

		m = fnmatch(head, path, FNM_PATHNAME) == 0;
	}
	*partial = 1;
	return m;
}

static int include_pass(struct fsfilter *f, const char *path, int is_dir)
{
	int matched = 0, partial = 1, part;
	size_t i;

	if (f->included && is_below(path, f->included))
		return 1;
	for (i = 0; i < f->ninclude && partial; i++)
		if (include_match(f->include[i], path, &part)) {
			matched = 1;
			partial = part;
		}
	if (matched && !partial && is_dir)
		f->included = path;
	return matched;
}

int fsfilter_pass(struct fsfilter *f, const char *path, int is_dir)
{
	if (f->skip && is_below(path, f->skip))
		return 0;
	f->skip = NULL;
	if (f->has_include && !include_pass(f, path, is_dir)) {
		if (is_dir)
			f->skip = path;
		return 0;
	}
	if (f->exclude && ignore_match(f->exclude, path)) {
		if (is_dir && ignore_dir_prunable(f->exclude, path))
			f->skip = path;
		return is_dir && !f->skip;
	}
	return 1;
}

void fsfilter_release(struct fsfilter *f)
{
	size_t i;

	for (i = 0; i < f->ninclude; i++)
		free(f->include[i]);
	free(f->include);
	ignore_free(f->exclude);
	memset(f, 0, sizeof(*f));
}
