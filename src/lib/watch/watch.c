/* watch: the inotify watcher (watch.h).  One kernel watch per directory
 * that some tree wants (a directory two trees share has one watch); a
 * tree excluding a path (its ignore rules) hides it from every tree, as a
 * build context's .dockerignore hides it from compose's watch. */
#include "watch.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WATCH_MASK                                                                                                     \
	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR |   \
	 IN_DONT_FOLLOW | IN_EXCL_UNLINK)

struct watch_tree {
	char *root;		 /* a directory */
	char *file;		 /* non-NULL: only this name in root */
	const struct ignore *ig; /* borrowed, or NULL */
};

struct watch_dir {
	int wd;
	char *path; /* absolute */
};

struct watch {
	int fd;
	long quiet_ms;
	struct watch_tree *trees;
	size_t ntrees, ctrees;
	struct watch_dir *dirs; /* sorted by wd */
	size_t ndirs, cdirs;
};

static long watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

struct watch *watch_new(int debounce_ms, struct cc_error **err)
{
	struct watch *w;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0) {
		cc_error_set(err, "inotify: %s", strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->quiet_ms = debounce_ms > 0 ? debounce_ms : WATCH_DEBOUNCE_MS;
	return w;
}

size_t watch_tree_count(const struct watch *w)
{
	return w->ntrees;
}

size_t watch_dir_count(const struct watch *w)
{
	return w->ndirs;
}

/* Does tree t exclude rel (its path below t's root)? */
static int tree_excludes(const struct watch_tree *t, const char *rel)
{
	return t->ig && *rel && ignore_match(t->ig, rel);
}

int watch_wants(const struct watch *w, const char *path)
{
	int in = 0;

	for (size_t i = 0; i < w->ntrees; i++) {
		const struct watch_tree *t = &w->trees[i];
		const char *rel = watch_path_below(t->root, path);

		if (!rel || (t->file && strcmp(rel, t->file)))
			continue;
		if (tree_excludes(t, rel))
			return 0;
		in = 1;
	}
	return in;
}

/* Should directory path get a watch (and be descended into)? */
static int dir_wanted(const struct watch *w, const char *path)
{
	int in = 0;

	for (size_t i = 0; i < w->ntrees; i++) {
		const struct watch_tree *t = &w->trees[i];
		const char *rel = watch_path_below(t->root, path);

		if (!rel || (t->file && *rel))
			continue;
		if (tree_excludes(t, rel) && ignore_dir_prunable(t->ig, rel))
			return 0;
		in = 1;
	}
	return in;
}

static long dir_find(const struct watch *w, int wd)
{
	size_t lo = 0, hi = w->ndirs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->dirs[mid].wd == wd)
			return (long)mid;
		if (w->dirs[mid].wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

static void dir_record(struct watch *w, int wd, const char *path)
{
	long at = dir_find(w, wd);
	size_t pos;

	if (at >= 0) {
		free(w->dirs[at].path);
		w->dirs[at].path = xstrdup(path);
		return;
	}
	pos = (size_t)(-at - 1);
	xgrow(&w->dirs, &w->cdirs, w->ndirs + 1, sizeof(*w->dirs));
	memmove(w->dirs + pos + 1, w->dirs + pos, (w->ndirs - pos) * sizeof(*w->dirs));
	w->dirs[pos].wd = wd;
	w->dirs[pos].path = xstrdup(path);
	w->ndirs++;
}

static void dir_forget(struct watch *w, size_t i)
{
	free(w->dirs[i].path);
	memmove(w->dirs + i, w->dirs + i + 1, (w->ndirs - i - 1) * sizeof(*w->dirs));
	w->ndirs--;
}

/* A directory moved away: its watches (and those below) name stale paths. */
static void dir_moved_away(struct watch *w, const char *path)
{
	for (size_t i = w->ndirs; i-- > 0;)
		if (watch_path_below(path, w->dirs[i].path)) {
			inotify_rm_watch(w->fd, w->dirs[i].wd);
			dir_forget(w, i);
		}
}

static int is_dir_entry(const char *path, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Watch dir and (unless only) the wanted directories below it; with
 * report, every wanted path found goes into it (a directory that just
 * appeared: what was written before its watch existed). */
static int dir_add(struct watch *w, const char *dir, int only, struct strlist *report, struct cc_error **err)
{
	int wd = inotify_add_watch(w->fd, dir, WATCH_MASK);
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (wd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0; /* gone again, or replaced: its parent reports it */
		if (errno == ENOSPC)
			return cc_error_set(err,
					    "watching %s: the inotify watch limit is reached"
					    " (sysctl fs.inotify.max_user_watches)",
					    dir);
		return cc_error_set(err, "watching %s: %s", dir, strerror(errno));
	}
	dir_record(w, wd, dir);
	if (only || !(d = opendir(dir)))
		return 0;
	while (rc == 0 && (de = readdir(d))) {
		cleanup_free char *path = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = path_join(dir, de->d_name);
		if (report && watch_wants(w, path))
			watch_paths_add(report, path);
		if (is_dir_entry(path, de) && dir_wanted(w, path))
			rc = dir_add(w, path, 0, report, err);
	}
	closedir(d);
	return rc;
}

static int tree_walk(struct watch *w, const struct watch_tree *t, struct cc_error **err)
{
	return dir_add(w, t->root, t->file != NULL, NULL, err);
}

int watch_add_tree(struct watch *w, const char *root, const struct ignore *ig, struct cc_error **err)
{
	struct watch_tree *t;
	struct stat st;
	cleanup_free char *clean = path_clean(root);

	if (root[0] != '/')
		return cc_error_set(err, "watch: %s: not an absolute path", root);
	if (stat(clean, &st) < 0)
		return cc_error_set(err, "watch: %s: %s", clean, strerror(errno));
	xgrow(&w->trees, &w->ctrees, w->ntrees + 1, sizeof(*w->trees));
	t = &w->trees[w->ntrees++];
	memset(t, 0, sizeof(*t));
	t->ig = ig;
	if (S_ISDIR(st.st_mode)) {
		t->root = xstrdup(clean);
	} else {
		t->root = path_dirname(clean);
		t->file = xstrdup(clean + strlen(t->root) + (strcmp(t->root, "/") ? 1 : 0));
	}
	if (tree_walk(w, t, err) < 0)
		return cc_error_wrap(err, "watch: %s", clean);
	return 0;
}

/* One inotify event into out; -1 when re-adding watches failed. */
static int event_take(struct watch *w, const struct inotify_event *ev, struct watch_batch *out, struct cc_error **err)
{
	long at;
	cleanup_free char *path = NULL;

	if (ev->mask & IN_Q_OVERFLOW) {
		out->overflow = 1;
		return 0;
	}
	if ((at = dir_find(w, ev->wd)) < 0)
		return 0;
	if (ev->mask & IN_IGNORED) {
		dir_forget(w, (size_t)at);
		return 0;
	}
	if (!ev->len || !ev->name[0])
		return 0;
	path = path_join(w->dirs[at].path, ev->name);
	if ((ev->mask & IN_ISDIR) && (ev->mask & IN_MOVED_FROM))
		dir_moved_away(w, path);
	if (watch_wants(w, path))
		watch_paths_add(&out->paths, path);
	if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && dir_wanted(w, path))
		return dir_add(w, path, 0, &out->paths, err);
	return 0;
}

/* Read what the kernel has queued; how many events were wanted, or -1. */
static int events_read(struct watch *w, struct watch_batch *out, struct cc_error **err)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	size_t before = out->paths.n;
	int overflow = out->overflow;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (event_take(w, ev, out, err) < 0)
				return -1;
			p += sizeof(*ev) + ev->len;
		}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return cc_error_set(err, "inotify: %s", strerror(errno));
	if (out->overflow && !overflow)
		for (size_t i = 0; i < w->ntrees; i++)
			if (tree_walk(w, &w->trees[i], err) < 0)
				return -1;
	return (int)(out->paths.n - before) + (out->overflow != overflow);
}

/* Poll the inotify fd for up to ms (< 0: 200 ms at a time, for ever,
 * but never past the cancel flag): 1 readable, 0 timeout, -1 cancelled. */
static int wait_readable(struct watch *w, long ms, const atomic_int *cancel, struct cc_error **err)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	long step = ms < 0 || ms > 200 ? 200 : ms;
	int rc;

	if (cancel_pending(cancel))
		return cc_error_set(err, "interrupted");
	rc = poll(&p, 1, (int)step);
	if (cancel_pending(cancel))
		return cc_error_set(err, "interrupted");
	if (rc < 0 && errno != EINTR)
		return cc_error_set(err, "poll: %s", strerror(errno));
	return rc > 0 ? 1 : 0;
}

int watch_next(struct watch *w, long timeout_ms, const atomic_int *cancel, struct watch_batch *out,
	       struct cc_error **err)
{
	long start = watch_now_ms(), first = -1, last = -1;

	watch_batch_release(out);
	for (;;) {
		long now = watch_now_ms(), left;
		int rc;

		if (first >= 0)
			left = watch_debounce_left(first, last, now, w->quiet_ms, WATCH_MAX_WAIT_MS);
		else
			left = timeout_ms < 0 ? -1 : start + timeout_ms - now;
		if (first >= 0 && left == 0)
			return 1;
		if (first < 0 && timeout_ms >= 0 && left <= 0)
			return 0;
		if ((rc = wait_readable(w, left, cancel, err)) < 0)
			return -1;
		if (rc == 0)
			continue;
		if ((rc = events_read(w, out, err)) < 0)
			return -1;
		if (rc > 0) {
			last = watch_now_ms();
			if (first < 0)
				first = last;
		}
	}
}

void watch_batch_release(struct watch_batch *b)
{
	strlist_release(&b->paths);
	b->overflow = 0;
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	close(w->fd);
	for (size_t i = 0; i < w->ntrees; i++) {
		free(w->trees[i].root);
		free(w->trees[i].file);
	}
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	free(w->trees);
	free(w->dirs);
	free(w);
}
