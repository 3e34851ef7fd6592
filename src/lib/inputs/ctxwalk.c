/* ctxwalk: openat/fstatat walk of a build context.
 *
 * This mirrors the CLI's tar walk (go-archive's Tarballer over
 * filepath.WalkDir): entries in pre-order with siblings sorted by name, each
 * path matched with the state its parent directory got, excluded
 * directories skipped whole unless an exception pattern starts inside them
 * (then only the directory entry itself is left out), sockets dropped.
 * Directories are held open only along the current path, so the number of
 * open descriptors is the depth of the tree. */
#include "ctxwalk.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 512

struct walker {
	const struct ignore *ig;
	struct ctx_list *out;
	struct strbuf path; /* current relative path */
	size_t npat;
	unsigned char *states; /* npat bytes per depth */
	struct cc_error **err;
	const char *root;
	const atomic_int *cancel;
};

struct names {
	char *buf; /* NUL-separated names */
	size_t len, cap;
	size_t *off;
	size_t n, ocap;
};

int ctx_path_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	int cx, cy;

	while (*x && *x == *y)
		x++, y++;
	cx = *x == '/' ? 1 : *x ? *x + 1 : 0;
	cy = *y == '/' ? 1 : *y ? *y + 1 : 0;
	return cx - cy;
}

static int name_cmp(const void *a, const void *b, void *base)
{
	const char *s = base;

	return strcmp(s + *(const size_t *)a, s + *(const size_t *)b);
}

static int walk_error(struct walker *w, const char *what)
{
	int e = errno;

	return cc_error_set(w->err, "%s/%s: %s: %s", w->root, w->path.len ? w->path.buf : ".", what, strerror(e));
}

/* Read and sort the names of directory dfd (which is left open). */
static int read_names(struct walker *w, int dfd, struct names *nm)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return walk_error(w, "opendir");
	}
	errno = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		VEC_PUSH(nm->off, nm->n, nm->ocap, nm->len);
		xgrow(&nm->buf, &nm->cap, nm->len + l + 1, 1);
		memcpy(nm->buf + nm->len, de->d_name, l + 1);
		nm->len += l + 1;
	}
	if (errno) {
		closedir(d);
		return walk_error(w, "readdir");
	}
	closedir(d);
	if (nm->n > 1)
		qsort_r(nm->off, nm->n, sizeof(*nm->off), name_cmp, nm->buf);
	return 0;
}

static void emit(struct walker *w, const struct stat *st, const char *link)
{
	ctx_list_add(w->out, w->path.buf, w->path.len, st, link);
}

void ctx_list_add(struct ctx_list *l, const char *path, size_t len, const struct stat *st, const char *link)
{
	struct ctx_entry e;

	e.path = arena_strndup(&l->arena, path, len);
	e.link = link ? arena_strndup(&l->arena, link, strlen(link)) : NULL;
	e.mode = st->st_mode;
	e.nlink = st->st_nlink > UINT32_MAX ? UINT32_MAX : (uint32_t)st->st_nlink;
	e.size = (uint64_t)st->st_size;
	e.ino = st->st_ino;
	e.dev = st->st_dev;
	e.rdev = st->st_rdev;
	e.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	e.ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	VEC_PUSH(l->v, l->n, l->cap, e);
}

static int walk_dir(struct walker *w, int dfd, int depth);

static int read_link(struct walker *w, int dfd, const char *name, const struct stat *st, char **out)
{
	size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
	ssize_t n;

	for (;;) {
		*out = xrealloc(*out, cap);
		n = readlinkat(dfd, name, *out, cap);
		if (n < 0)
			return walk_error(w, "readlink");
		if ((size_t)n < cap)
			break;
		cap *= 2;
	}
	(*out)[n] = '\0';
	return 0;
}

/* One directory entry, stat'ed already (*st, or stat_errno when that
 * failed); 0 to go on, -1 on error. */
static int walk_entry(struct walker *w, int dfd, const char *name, const struct stat *stp, int stat_errno, int depth)
{
	const unsigned char *parent = depth ? w->states + (size_t)(depth - 1) * w->npat : NULL;
	unsigned char *state = w->states + (size_t)depth * w->npat;
	cleanup_free char *link = NULL;
	struct stat st = *stp;
	int excluded = 0, fd;

	if (stat_errno) {
		errno = stat_errno;
		return errno == ENOENT ? 0 : walk_error(w, "stat");
	}
	if (w->npat)
		excluded = ignore_match_walk(w->ig, w->path.buf, parent, state);
	if (excluded && (!S_ISDIR(st.st_mode) || ignore_dir_prunable(w->ig, w->path.buf)))
		return 0;
	if (S_ISSOCK(st.st_mode))
		return 0;
	if (S_ISLNK(st.st_mode) && read_link(w, dfd, name, &st, &link) < 0)
		return -1;
	if (!excluded)
		emit(w, &st, link);
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (depth + 1 >= MAX_DEPTH) {
		errno = ELOOP;
		return walk_error(w, "directory tree too deep");
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return walk_error(w, "open");
	return walk_dir(w, fd, depth + 1);
}

/* fstatat of names [from, to) of a directory: the stat-bound half of a
 * walk, which a large directory splits with a second thread. */
struct stat_job {
	int dfd;
	const struct names *nm;
	size_t from, to;
	struct stat *st;
	int *err;
};

static void *stat_range(void *arg)
{
	struct stat_job *j = arg;
	size_t i;

	for (i = j->from; i < j->to; i++)
		j->err[i] = fstatat(j->dfd, j->nm->buf + j->nm->off[i], &j->st[i], AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
	return NULL;
}

/* A directory with at least this many entries is stat'ed by two threads
 * (a thread costs some 30 us; 1,000 stats some 2 ms). */
#define STAT_SPLIT_MIN 256

static void stat_all(int dfd, const struct names *nm, struct stat *st, int *err)
{
	struct stat_job a = { dfd, nm, 0, nm->n, st, err }, b = a;
	pthread_t t;
	int split = nm->n >= STAT_SPLIT_MIN;

	if (split) {
		a.to = b.from = nm->n / 2;
		split = pthread_create(&t, NULL, stat_range, &b) == 0;
		if (!split)
			a.to = nm->n;
	}
	stat_range(&a);
	if (split)
		pthread_join(t, NULL);
}

/* Walk the children of dfd (closed on return). */
static int walk_dir(struct walker *w, int dfd, int depth)
{
	struct names nm = { 0 };
	struct stat *st = NULL;
	int *serr = NULL;
	size_t i, base = w->path.len;
	int rc;

	rc = read_names(w, dfd, &nm);
	if (rc == 0 && nm.n) {
		st = xmalloc(nm.n * sizeof(*st));
		serr = xmalloc(nm.n * sizeof(*serr));
		stat_all(dfd, &nm, st, serr);
	}
	for (i = 0; rc == 0 && i < nm.n; i++) {
		const char *name = nm.buf + nm.off[i];

		if (cancel_pending(w->cancel)) {
			rc = cc_error_set(w->err, "%s: interrupted", w->root);
			break;
		}

		w->path.len = base;
		if (base)
			strbuf_addch(&w->path, '/');
		strbuf_addstr(&w->path, name);
		rc = walk_entry(w, dfd, name, &st[i], serr[i], depth);
	}
	w->path.len = base;
	if (w->path.buf)
		w->path.buf[base] = '\0';
	free(st);
	free(serr);
	free(nm.buf);
	free(nm.off);
	close(dfd);
	return rc;
}

int ctxwalk(const char *dir, const struct ignore *ig, const atomic_int *cancel, struct ctx_list *out,
	    struct cc_error **err)
{
	struct walker w = { ig, out, STRBUF_INIT, ig ? ignore_count(ig) : 0, NULL, err, dir, cancel };
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return cc_error_set(err, "%s: %s", dir, strerror(errno));
	w.states = xcalloc(MAX_DEPTH, w.npat ? w.npat : 1);
	strbuf_addstr(&w.path, "");
	rc = walk_dir(&w, fd, 0);
	free(w.states);
	strbuf_release(&w.path);
	return rc;
}

void ctx_list_release(struct ctx_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
	arena_release(&l->arena);
}

const struct ctx_entry *ctx_list_find(const struct ctx_list *l, const char *path)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ctx_path_cmp(l->v[mid].path, path);

		if (!c)
			return &l->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
