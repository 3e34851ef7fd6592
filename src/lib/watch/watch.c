/* watch: the inotify watcher (watch.h).  One kernel watch per directory
 * that some tree wants (a directory two trees share has one watch); a
 * path is reported when some tree holding it does not exclude it.  Every
 * reported path also goes into a journal numbered by sequence, which
 * watch_changes_since reads (the fsmonitor service, watch-serve.c). */
#include "watch.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WATCH_MASK                                                                                                     \
	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR |   \
	 IN_DONT_FOLLOW | IN_EXCL_UNLINK)

struct watch_tree {
	char *root;		 /* a directory */
	char *base;		 /* where ig's patterns are relative to (root by default) */
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
	struct strlist journal;	  /* paths reported, journal.v[i] has sequence base + i */
	uint64_t base;		  /* sequence of journal.v[0]; older ones are forgotten */
	char id[17];		  /* this watcher's random id (hex) */
	struct watch_batch *into; /* the batch watch_next fills, while it runs */
	struct watch_batch held;  /* what watch_drain read outside watch_next */
	pthread_mutex_t mu;	  /* the inotify reads, the journal, into and held (watch_lock) */
};

#define WATCH_JOURNAL_MAX (1u << 20)

static long watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void watch_random_id(char out[17])
{
	unsigned char r[8] = { 0 };
	ssize_t n = getrandom(r, sizeof(r), GRND_NONBLOCK);
	uint64_t fallback = (uint64_t)getpid() << 32 ^ (uint64_t)watch_now_ms();

	if (n != (ssize_t)sizeof(r))
		memcpy(r, &fallback, sizeof(r));
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
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
	pthread_mutex_init(&w->mu, NULL);
	watch_random_id(w->id);
	return w;
}

size_t watch_tree_count(const struct watch *w)
{
	return w->ntrees;
}

size_t watch_dir_count(struct watch *w)
{
	size_t n;

	pthread_mutex_lock(&w->mu);
	n = w->ndirs;
	pthread_mutex_unlock(&w->mu);
	return n;
}

/* path relative to t's ignore base, when t's rules exclude it; else NULL. */
static const char *tree_excludes(const struct watch_tree *t, const char *path)
{
	const char *rel = t->ig ? watch_path_below(t->base, path) : NULL;

	return rel && *rel && ignore_match(t->ig, rel) ? rel : NULL;
}

int watch_wants(const struct watch *w, const char *path)
{
	for (size_t i = 0; i < w->ntrees; i++) {
		const struct watch_tree *t = &w->trees[i];
		const char *rel = watch_path_below(t->root, path);

		if (rel && (!t->file || !strcmp(rel, t->file)) && !tree_excludes(t, path))
			return 1;
	}
	return 0;
}

/* Should directory path get a watch (and be descended into)? */
static int dir_wanted(const struct watch *w, const char *path)
{
	for (size_t i = 0; i < w->ntrees; i++) {
		const struct watch_tree *t = &w->trees[i];
		const char *rel = watch_path_below(t->root, path), *ex;

		if (!rel || (t->file && *rel))
			continue;
		if (!(ex = tree_excludes(t, path)) || !ignore_dir_prunable(t->ig, ex))
			return 1;
	}
	return 0;
}

/* A reported path: into the batch and the journal. */
static void report(struct watch *w, struct strlist *batch, const char *path)
{
	watch_paths_add(batch, path);
	if (w->journal.n >= WATCH_JOURNAL_MAX) {
		w->base += w->journal.n;
		strlist_release(&w->journal);
	}
	strlist_push(&w->journal, path);
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
static int dir_add(struct watch *w, const char *dir, int only, struct strlist *batch, struct cc_error **err)
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
		if (batch && watch_wants(w, path))
			report(w, batch, path);
		if (is_dir_entry(path, de) && dir_wanted(w, path))
			rc = dir_add(w, path, 0, batch, err);
	}
	closedir(d);
	return rc;
}

static int tree_walk(struct watch *w, const struct watch_tree *t, struct cc_error **err)
{
	return dir_add(w, t->root, t->file != NULL, NULL, err);
}

int watch_add_tree(struct watch *w, const char *root, const struct ignore *ig, const char *base, struct cc_error **err)
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
	t->base = base ? path_clean(base) : xstrdup(t->root);
	if (tree_walk(w, t, err) < 0)
		return cc_error_wrap(err, "watch: %s", clean);
	return 0;
}

int watch_add_file(struct watch *w, const char *path, struct cc_error **err)
{
	struct watch_tree *t;
	cleanup_free char *clean = path_clean(path);
	struct stat st;

	if (path[0] != '/' || !strcmp(clean, "/"))
		return cc_error_set(err, "watch: %s: not an absolute file path", path);
	xgrow(&w->trees, &w->ctrees, w->ntrees + 1, sizeof(*w->trees));
	t = &w->trees[w->ntrees];
	memset(t, 0, sizeof(*t));
	t->root = path_dirname(clean);
	t->file = xstrdup(clean + strlen(t->root) + (strcmp(t->root, "/") ? 1 : 0));
	t->base = xstrdup(t->root);
	const char *why = stat(t->root, &st) < 0 ? strerror(errno) : !S_ISDIR(st.st_mode) ? "not a directory" : NULL;

	if (why) {
		cc_error_set(err, "watch: %s: %s", t->root, why);
		free(t->root);
		free(t->file);
		free(t->base);
		return -1;
	}
	w->ntrees++;
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
		w->base += w->journal.n + 1; /* every older token is unanswerable */
		strlist_release(&w->journal);
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
		report(w, &out->paths, path);
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

/* The batch being filled, with the events queued now read into it. */
static int batch_step(struct watch *w, struct watch_batch *out, long *first, long *last, struct cc_error **err)
{
	size_t n = out->paths.n;
	int overflow = out->overflow, rc;

	pthread_mutex_lock(&w->mu);
	rc = events_read(w, out, err);
	pthread_mutex_unlock(&w->mu);
	if (rc < 0)
		return -1;
	if (out->paths.n != n || out->overflow != overflow) {
		*last = watch_now_ms();
		if (*first < 0)
			*first = *last;
	}
	return 0;
}

int watch_next(struct watch *w, long timeout_ms, const atomic_int *cancel, struct watch_batch *out,
	       struct cc_error **err)
{
	long start = watch_now_ms(), first = -1, last = -1;
	int rc = 0;

	watch_batch_release(out);
	pthread_mutex_lock(&w->mu);
	*out = w->held; /* what watch_drain read between two calls */
	memset(&w->held, 0, sizeof(w->held));
	w->into = out;
	pthread_mutex_unlock(&w->mu);
	if (out->paths.n || out->overflow)
		first = last = start;
	for (;;) {
		long now = watch_now_ms(), left;

		if (first >= 0)
			left = watch_debounce_left(first, last, now, w->quiet_ms, WATCH_MAX_WAIT_MS);
		else
			left = timeout_ms < 0 ? -1 : start + timeout_ms - now;
		if (first >= 0 && left == 0) {
			rc = 1;
			break;
		}
		if (first < 0 && timeout_ms >= 0 && left <= 0)
			break;
		if ((rc = wait_readable(w, left, cancel, err)) < 0)
			break;
		/* even on a timeout: watch_drain may have read events into out */
		if ((rc = batch_step(w, out, &first, &last, err)) < 0)
			break;
	}
	pthread_mutex_lock(&w->mu);
	w->into = NULL;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int watch_drain(struct watch *w, struct cc_error **err)
{
	return events_read(w, w->into ? w->into : &w->held, err) < 0 ? -1 : 0;
}

void watch_lock(struct watch *w)
{
	pthread_mutex_lock(&w->mu);
}

void watch_unlock(struct watch *w)
{
	pthread_mutex_unlock(&w->mu);
}

void watch_token(const struct watch *w, char out[WATCH_TOKEN_MAX])
{
	snprintf(out, WATCH_TOKEN_MAX, "%s-%llu", w->id, (unsigned long long)(w->base + w->journal.n));
}

int watch_changes_since(const struct watch *w, const char *token, const char *root, struct strlist *out)
{
	const char *dash = token ? strchr(token, '-') : NULL;
	unsigned long long seq;
	char *end;

	if (!dash || (size_t)(dash - token) != strlen(w->id) || strncmp(token, w->id, strlen(w->id)))
		return 0;
	errno = 0;
	seq = strtoull(dash + 1, &end, 10);
	if (errno || *end || dash[1] == '\0' || seq < w->base || seq > w->base + w->journal.n)
		return 0;
	for (size_t i = (size_t)(seq - w->base); i < w->journal.n; i++)
		if (watch_path_below(root, w->journal.v[i]))
			watch_paths_add(out, w->journal.v[i]);
	return 1;
}

const struct ignore *watch_tree_rules(const struct watch *w, const char *root, int *found)
{
	*found = 0;
	for (size_t i = 0; i < w->ntrees; i++)
		if (!w->trees[i].file && !strcmp(w->trees[i].root, root) && !strcmp(w->trees[i].base, root)) {
			*found = 1;
			return w->trees[i].ig;
		}
	return NULL;
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
		free(w->trees[i].base);
		free(w->trees[i].file);
	}
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	free(w->trees);
	free(w->dirs);
	strlist_release(&w->journal);
	watch_batch_release(&w->held);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
