/* buildkit-filesync: fsutil's DiffCopy sender over a ccbuild context walk.
 *
 * Messages (fsutil/types, proto3; zero values are omitted):
 *   Packet { 1 type (STAT 0, REQ 1, DATA 2, FIN 3, ERR 4), 2 Stat stat,
 *            3 uint32 ID, 4 bytes data }
 *   Stat   { 1 path, 2 mode (Go os.FileMode bits), 3 uid, 4 gid, 5 size,
 *            6 modTime (ns), 7 linkname, 8 devmajor, 9 devminor,
 *            10 xattrs (not sent) }
 * The empty STAT that ends the listing is a Packet with no fields: a
 * zero-length message.  A regular file's id is the index of its STAT
 * among all STAT packets (fsutil counts directories and links too); a hard
 * link to a file sent earlier goes as a regular file with linkname = that
 * path and size 0, and the daemon links it instead of asking for it. */
#include "buildkit-filesync.h"

#include "arena.h"
#include "buildkit-filesync-filter.h"
#include "buildkit-stream.h"
#include "ctxwalk.h"
#include "error.h"
#include "pbwire.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

enum { PACKET_STAT = 0, PACKET_REQ = 1, PACKET_DATA = 2, PACKET_FIN = 3, PACKET_ERR = 4 };
enum { CHUNK = 32 * 1024 };
/* gRPC status codes the method returns. */
enum { ST_CANCELLED = 1, ST_UNKNOWN = 2, ST_INVALID = 3, ST_NOT_FOUND = 5, ST_INTERNAL = 13 };

/* Go's os.FileMode type and special bits. */
#define GO_DIR (1u << 31)
#define GO_SYMLINK (1u << 27)
#define GO_DEVICE (1u << 26)
#define GO_PIPE (1u << 25)
#define GO_SETUID (1u << 23)
#define GO_SETGID (1u << 22)
#define GO_CHARDEV (1u << 21)
#define GO_STICKY (1u << 20)

struct fs_dir {
	char *name, *root;
	const struct ctx_list *walk; /* borrowed, or &own */
	struct ctx_list own;
	int follow; /* open files following symlinks (bk_filesync_add_files) */
};

struct bk_filesync {
	struct fs_dir *v;
	size_t n, cap;
	atomic_uint_least64_t bytes, files, stats;
};

/* A hard-linked inode seen in this call, and the first path sent for it. */
struct inode_seen {
	uint64_t dev, ino;
	const char *path;
};

/* One DiffCopy call. */
struct fs_call {
	struct bk_filesync *fs;
	const struct fs_dir *dir;
	struct bk_stream *s;
	struct fsfilter filter;
	int64_t *ids; /* STAT index -> entry index; -1 not requestable or already sent */
	size_t nids, capids;
	const char **open; /* the directories sent that enclose the next path */
	size_t nopen, capopen;
	struct inode_seen *inodes; /* open addressing, capinodes a power of 2 */
	size_t ninodes, capinodes;
	struct arena arena;
	struct pbbuf out, stat;
};

struct bk_filesync *bk_filesync_new(void)
{
	struct bk_filesync *fs = xcalloc(1, sizeof(*fs));

	atomic_init(&fs->bytes, 0);
	atomic_init(&fs->files, 0);
	atomic_init(&fs->stats, 0);
	return fs;
}

static struct fs_dir *dir_slot(struct bk_filesync *fs, const char *name, const char *root)
{
	struct fs_dir *d = NULL;
	size_t i;

	for (i = 0; i < fs->n && !d; i++)
		if (!strcmp(fs->v[i].name, name))
			d = &fs->v[i];
	if (d) {
		free(d->name);
		free(d->root);
		ctx_list_release(&d->own);
	} else {
		xgrow(&fs->v, &fs->cap, fs->n + 1, sizeof(*fs->v));
		d = &fs->v[fs->n++];
	}
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	d->root = xstrdup(root);
	return d;
}

void bk_filesync_add_walk(struct bk_filesync *fs, const char *name, const char *root, const struct ctx_list *walk)
{
	struct fs_dir *d = dir_slot(fs, name, root);

	d->walk = walk;
}

static void entry_of_stat(struct ctx_list *l, const char *path, const struct stat *st)
{
	struct ctx_entry *e;

	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->path = arena_strndup(&l->arena, path, strlen(path));
	e->mode = st->st_mode;
	e->nlink = 1; /* each served alone: never a hard link to another */
	e->size = (uint64_t)st->st_size;
	e->ino = st->st_ino;
	e->dev = st->st_dev;
	e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	e->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

static int by_walk_order(const void *a, const void *b)
{
	return ctx_path_cmp(((const struct ctx_entry *)a)->path, ((const struct ctx_entry *)b)->path);
}

/* Stat dir/name into l: 0 (also when it does not exist), or -1. */
static int add_file(struct ctx_list *l, const char *dir, const char *name, struct cc_error **err)
{
	cleanup_free char *p = path_join(dir, name);
	struct stat st;

	if (strchr(name, '/') || !*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return cc_error_set(err, "%s: not a file name", name);
	if (stat(p, &st) < 0)
		return errno == ENOENT ? 0 : cc_error_set(err, "%s: %s", p, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, "%s: not a regular file", p);
	if (access(p, R_OK) < 0)
		return cc_error_set(err, "%s: %s", p, strerror(errno));
	if (!ctx_list_find(l, name)) {
		entry_of_stat(l, name, &st);
		qsort(l->v, l->n, sizeof(*l->v), by_walk_order);
	}
	return 0;
}

int bk_filesync_add_files(struct bk_filesync *fs, const char *name, const char *dir, const char *const *names, size_t n,
			  struct cc_error **err)
{
	struct ctx_list l = CTX_LIST_INIT;
	struct fs_dir *d;
	size_t i;

	for (i = 0; i < n; i++)
		if (add_file(&l, dir, names[i], err) < 0) {
			ctx_list_release(&l);
			return -1;
		}
	d = dir_slot(fs, name, dir);
	d->own = l;
	d->walk = &d->own;
	d->follow = 1;
	return 0;
}

struct bk_filesync_stats bk_filesync_stats(const struct bk_filesync *fs)
{
	struct bk_filesync_stats st;

	st.bytes = atomic_load(&fs->bytes);
	st.files = atomic_load(&fs->files);
	st.stats = atomic_load(&fs->stats);
	return st;
}

void bk_filesync_free(struct bk_filesync *fs)
{
	size_t i;

	if (!fs)
		return;
	for (i = 0; i < fs->n; i++) {
		free(fs->v[i].name);
		free(fs->v[i].root);
		ctx_list_release(&fs->v[i].own);
	}
	free(fs->v);
	free(fs);
}

/* ---- sending ---- */

static uint32_t go_mode(uint32_t m)
{
	uint32_t g = m & 0777;

	if (m & S_ISUID)
		g |= GO_SETUID;
	if (m & S_ISGID)
		g |= GO_SETGID;
	if (m & S_ISVTX)
		g |= GO_STICKY;
	if (S_ISDIR(m))
		g |= GO_DIR;
	else if (S_ISLNK(m))
		g |= GO_SYMLINK;
	else if (S_ISFIFO(m))
		g |= GO_PIPE;
	else if (S_ISBLK(m))
		g |= GO_DEVICE;
	else if (S_ISCHR(m))
		g |= GO_DEVICE | GO_CHARDEV;
	return g;
}

static int send_packet(struct fs_call *c, int type, const struct pbbuf *stat, uint32_t id, const void *data, size_t len,
		       struct cc_error **err)
{
	c->out.len = 0;
	if (type)
		pbw_varint(&c->out, 1, (uint64_t)type);
	if (stat)
		pbw_message(&c->out, 2, stat);
	if (id)
		pbw_varint(&c->out, 3, id);
	if (len)
		pbw_bytes(&c->out, 4, data, len);
	return bk_stream_send(c->s, c->out.data ? (const void *)c->out.data : "", c->out.len, err);
}

/* Send ERR carrying err's message; returns status. */
static int fail(struct fs_call *c, int status, struct cc_error **err)
{
	const char *msg = err && *err ? (*err)->msg : "failed";

	send_packet(c, PACKET_ERR, NULL, 0, msg, strlen(msg), NULL);
	return status;
}

/* The first path sent for a hard-linked inode, recording `path` when new. */
static const char *inode_first(struct fs_call *c, uint64_t dev, uint64_t ino, const char *path)
{
	size_t mask, i;

	if (2 * (c->ninodes + 1) > c->capinodes) {
		struct inode_seen *old = c->inodes;
		size_t oldcap = c->capinodes, j;

		c->capinodes = oldcap ? 2 * oldcap : 64;
		c->inodes = xcalloc(c->capinodes, sizeof(*c->inodes));
		c->ninodes = 0;
		for (j = 0; j < oldcap; j++)
			if (old[j].path)
				inode_first(c, old[j].dev, old[j].ino, old[j].path);
		free(old);
	}
	mask = c->capinodes - 1;
	for (i = (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) & mask; c->inodes[i].path; i = (i + 1) & mask)
		if (c->inodes[i].dev == dev && c->inodes[i].ino == ino)
			return c->inodes[i].path;
	c->inodes[i] = (struct inode_seen){ dev, ino, path };
	c->ninodes++;
	return NULL;
}

/* One STAT; `index` is the entry (for a regular file's REQ) or -1. */
static int send_stat(struct fs_call *c, const struct ctx_entry *e, int64_t index, struct cc_error **err)
{
	const char *link = e->link;
	uint64_t size = S_ISDIR(e->mode) ? 0 : e->size;

	if (S_ISREG(e->mode) && e->nlink > 1 && (link = inode_first(c, e->dev, e->ino, e->path)) != NULL)
		size = 0;
	c->stat.len = 0;
	pbw_string(&c->stat, 1, e->path);
	pbw_varint(&c->stat, 2, go_mode(e->mode));
	if (size)
		pbw_varint(&c->stat, 5, size);
	if (e->mtime_ns)
		pbw_varint(&c->stat, 6, (uint64_t)e->mtime_ns);
	pbw_string(&c->stat, 7, link);
	if ((S_ISBLK(e->mode) || S_ISCHR(e->mode)) && e->rdev) {
		pbw_varint(&c->stat, 8, major((dev_t)e->rdev));
		pbw_varint(&c->stat, 9, minor((dev_t)e->rdev));
	}
	if (c->nids > UINT32_MAX)
		return cc_error_set(err, "more than 2^32 entries");
	xgrow(&c->ids, &c->capids, c->nids + 1, sizeof(*c->ids));
	c->ids[c->nids++] = S_ISREG(e->mode) ? index : -1;
	if (S_ISDIR(e->mode))
		VEC_PUSH(c->open, c->nopen, c->capopen, e->path);
	atomic_fetch_add(&c->fs->stats, 1);
	return send_packet(c, PACKET_STAT, &c->stat, 0, NULL, 0, err);
}

static int is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/';
}

/* Send the parent directories of `path` not sent yet (ccbuild's walk
 * leaves out an excluded directory that a '!' rule re-enters), stat'ed
 * from disk, as fsutil's receiver wants every parent first. */
static int send_parents(struct fs_call *c, const char *path, struct cc_error **err)
{
	const char *slash;

	while (c->nopen && !is_under(path, c->open[c->nopen - 1]))
		c->nopen--;
	slash = path + (c->nopen ? strlen(c->open[c->nopen - 1]) + 1 : 0);
	while ((slash = strchr(slash, '/')) != NULL) {
		char *dir = arena_strndup(&c->arena, path, (size_t)(slash - path));
		cleanup_free char *abs = path_join(c->dir->root, dir);
		struct ctx_list one = CTX_LIST_INIT;
		struct stat st;
		int rc;

		if (lstat(abs, &st) < 0)
			return cc_error_set(err, "%s: %s", abs, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return cc_error_set(err, "%s: not a directory", abs);
		entry_of_stat(&one, dir, &st);
		one.v[0].path = dir;
		rc = send_stat(c, &one.v[0], -1, err);
		ctx_list_release(&one);
		if (rc < 0)
			return -1;
		slash++;
	}
	return 0;
}

static int send_listing(struct fs_call *c, struct cc_error **err)
{
	const struct ctx_list *l = c->dir->walk;
	size_t i;

	fsfilter_start(&c->filter);
	for (i = 0; i < l->n; i++) {
		const struct ctx_entry *e = &l->v[i];

		if (i && ctx_path_cmp(l->v[i - 1].path, e->path) >= 0)
			return cc_error_set(err, "%s: walk out of order", e->path);
		if (!fsfilter_pass(&c->filter, e->path, S_ISDIR(e->mode)))
			continue;
		if (send_parents(c, e->path, err) < 0 || send_stat(c, e, (int64_t)i, err) < 0)
			return -1;
	}
	return send_packet(c, PACKET_STAT, NULL, 0, NULL, 0, err);
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* DATA for file entry e as id, then the empty DATA. */
static int send_file(struct fs_call *c, uint32_t id, const struct ctx_entry *e, struct cc_error **err)
{
	cleanup_free char *abs = path_join(c->dir->root, e->path);
	cleanup_free char *buf = xmalloc(CHUNK);
	cleanup_close int fd = open(abs, O_RDONLY | O_CLOEXEC | (c->dir->follow ? 0 : O_NOFOLLOW));
	uint64_t sent = 0;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return cc_error_set(err, "%s: %s", abs, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size || ns_of(&st.st_mtim) != e->mtime_ns)
		return cc_error_set(err, "%s: changed since the context was hashed", abs);
	while ((n = read(fd, buf, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cc_error_set(err, "%s: %s", abs, strerror(errno));
		if (sent + (uint64_t)n > e->size)
			break;
		if (send_packet(c, PACKET_DATA, NULL, id, buf, (size_t)n, err) < 0)
			return -1;
		sent += (uint64_t)n;
		atomic_fetch_add(&c->fs->bytes, (uint64_t)n);
	}
	if (sent != e->size)
		return cc_error_set(err, "%s: changed while being sent", abs);
	atomic_fetch_add(&c->fs->files, 1);
	return send_packet(c, PACKET_DATA, NULL, id, NULL, 0, err);
}

/* Decode one packet: its type, ID and data; -1 when malformed. */
static int decode_packet(const uint8_t *msg, size_t len, uint64_t *type, uint64_t *id, struct pbfield *data)
{
	struct pbreader r = pbreader_of(msg, len);
	struct pbfield f;
	int rc;

	*type = *id = 0;
	memset(data, 0, sizeof(*data));
	while ((rc = pb_next(&r, &f)) > 0) {
		int want = f.num == 2 || f.num == 4 ? PB_LEN : PB_VARINT;

		if (f.num <= 4 && f.wire != want)
			return -1;
		if (f.num == 1)
			*type = f.varint;
		else if (f.num == 3)
			*id = f.varint;
		else if (f.num == 4)
			*data = f;
	}
	return rc < 0 || *id > UINT32_MAX ? -1 : 0;
}

/* One packet from the daemon: 1 to go on, 0 after the FIN handshake, or a
 * negative status. */
static int handle_packet(struct fs_call *c, const uint8_t *msg, size_t len, struct cc_error **err)
{
	uint64_t type, id;
	struct pbfield data;
	int64_t index;

	if (decode_packet(msg, len, &type, &id, &data) < 0)
		return cc_error_set(err, "malformed packet from the daemon"), -ST_INVALID;
	switch (type) {
	case PACKET_REQ:
		if (id >= c->nids || c->ids[id] < 0)
			return cc_error_set(err, "invalid file id %llu", (unsigned long long)id), -ST_INVALID;
		index = c->ids[id];
		c->ids[id] = -1;
		if (send_file(c, (uint32_t)id, &c->dir->walk->v[index], err) < 0)
			return -ST_INTERNAL;
		return 1;
	case PACKET_FIN: return send_packet(c, PACKET_FIN, NULL, 0, NULL, 0, err) < 0 ? -ST_CANCELLED : 0;
	case PACKET_ERR:
		cc_error_set(err, "error from the daemon: %.*s", (int)(data.len > 4096 ? 4096 : data.len),
			     data.len ? (const char *)data.data : "");
		return -ST_UNKNOWN;
	default: /* STAT and DATA are the daemon's to receive; fsutil ignores them */ return 1;
	}
}

static int serve(struct fs_call *c, struct cc_error **err)
{
	uint8_t *msg;
	size_t len;
	int rc;

	if (send_listing(c, err) < 0)
		return fail(c, ST_INTERNAL, err);
	for (;;) {
		rc = bk_stream_recv(c->s, &msg, &len, err);
		if (rc < 0)
			return ST_CANCELLED;
		if (rc == 0) {
			cc_error_set(err, "the daemon closed the stream before FIN");
			return fail(c, ST_INTERNAL, err);
		}
		rc = handle_packet(c, msg, len, err);
		free(msg);
		if (rc == 0)
			return 0;
		if (rc == -ST_UNKNOWN || rc == -ST_CANCELLED)
			return -rc;
		if (rc < 0)
			return fail(c, -rc, err);
	}
}

static const struct fs_dir *dir_find(const struct bk_filesync *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].name, name))
			return &fs->v[i];
	return NULL;
}

int bk_filesync_diffcopy(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	struct fs_call c;
	const char *name = bk_stream_meta(s, "dir-name", 0);
	int rc;

	memset(&c, 0, sizeof(c));
	c.fs = ctx;
	c.s = s;
	c.dir = dir_find(c.fs, name ? name : "");
	if (!c.dir)
		return cc_error_set(err, "no access allowed to dir \"%s\"", name ? name : ""), ST_NOT_FOUND;
	if (fsfilter_init(&c.filter, s, c.dir->walk, err) < 0)
		rc = fail(&c, ST_INVALID, err);
	else
		rc = serve(&c, err);
	fsfilter_release(&c.filter);
	free(c.ids);
	free(c.open);
	free(c.inodes);
	arena_release(&c.arena);
	pbbuf_release(&c.out);
	pbbuf_release(&c.stat);
	return rc;
}
