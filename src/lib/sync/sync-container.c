/* sync-container: volumes and containers as sync destinations
 * (sync-container.h).
 *
 * What lands atomically.  PUT /containers/{id}/archive extracts in place:
 * the engine removes an existing path, then writes the new file while
 * reading the stream, so a sync killed mid-stream would leave a torn file
 * at its final name.  So each changed file goes first under
 * ROOT/.ccbuild-sync/N (SYNC_STAGE_NAME) and only then, near the end of
 * the same stream, its final name becomes a hard link to it (the engine
 * unlinks the old name and links the new one: a reader sees the old
 * file, for a moment no file, then the new file, never a torn one).  The
 * last entry replaces the staging directory by an empty file of that
 * name, which the engine does by removing the directory with whatever a
 * killed sync left in it: no `rm` or `mv` is needed in the image.
 * Symlinks are written as links.  Owners and modes are the source's. */
#include "sync-container.h"
#include "engine-archive.h"
#include "engine-container.h"
#include "error.h"
#include "subspan.h"
#include "sync-plan.h"
#include "sync-record.h"
#include "sync-tree.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 16)
/* Up to this many written files are read back one GET each, more in one
 * GET of the whole destination. */
#define VERIFY_EACH_MAX 16
/* Paths per rm command line. */
#define RM_BATCH 256

int sync_container_open_volume(struct engine *e, const char *volume, const char *subdir, const char *image,
			       const char *target, const char *helper_name, const atomic_int *cancel,
			       struct sync_container *c, struct cc_error **err)
{
	cleanup_free char *bind = xasprintf("%s:%s", volume, target);
	json_t *body = json_pack("{s:s, s:[s], s:[s], s:{s:s}, s:{s:[s], s:s}}", "Image", image, "Entrypoint",
				 "/ccbuild-never-started", "Cmd", "-", "Labels", "dev.ccbuild.sync.helper", helper_name,
				 "HostConfig", "Binds", bind, "NetworkMode", "none");
	int rc;

	memset(c, 0, sizeof(*c));
	c->e = e;
	c->cancel = cancel;
	c->root = *subdir ? path_join(target, subdir) : xstrdup(target);
	c->base = xstrdup(target);
	c->image = xstrdup(image);
	c->volume = xstrdup(volume);
	c->helper_name = xstrdup(helper_name);
	c->what = xasprintf("volume %s", volume);
	/* A helper left by a killed sync goes first: the name is the sync's. */
	if (engine_container_remove(e, helper_name, 1, 1, err) < 0)
		rc = -1;
	else
		rc = engine_container_create(e, helper_name, body, &c->id, err);
	json_decref(body);
	if (rc < 0)
		return cc_error_wrap(err, "creating a helper container from image %s for volume %s", image, volume);
	return 0;
}

void sync_container_open_service(struct engine *e, const char *id, const char *service, const char *path,
				 const atomic_int *cancel, struct sync_container *c)
{
	memset(c, 0, sizeof(*c));
	c->e = e;
	c->cancel = cancel;
	c->id = xstrdup(id);
	c->root = xstrdup(path);
	c->base = xstrdup("/");
	c->what = xasprintf("service %s", service);
}

void sync_container_close(struct sync_container *c)
{
	/* v=1: the anonymous volumes the image's VOLUMEs made go too. */
	if (c->helper_name && c->id)
		engine_container_remove(c->e, c->id, 1, 1, NULL);
	free(c->id);
	free(c->root);
	free(c->base);
	free(c->image);
	free(c->volume);
	free(c->helper_name);
	free(c->what);
	memset(c, 0, sizeof(*c));
}

/* The name of a tar entry of GET ?path=P below P itself ("p/a/b" -> "a/b";
 * NULL for P's own entry); caller frees. */
static char *entry_rel(const char *name)
{
	const char *slash = strchr(name, '/');
	char *rel;
	size_t n;

	if (!slash || !slash[1])
		return NULL;
	rel = xstrdup(slash + 1);
	n = strlen(rel);
	while (n && rel[n - 1] == '/')
		rel[--n] = '\0';
	return n ? rel : (free(rel), NULL);
}

/* The name of a tar entry of GET ?path=FILE (the path's basename, a
 * directory's with a '/' after it) without that '/'; caller frees. */
static char *entry_top(const char *name)
{
	size_t n = strlen(name);

	while (n > 1 && name[n - 1] == '/')
		n--;
	return xstrndup(name, n);
}

/* SHA-256 of the data of the current entry of a. */
static int entry_hash(struct archive *a, unsigned char sha[32], unsigned long long *size, struct cc_error **err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char buf[CHUNK];
	la_ssize_t n;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		die_oom();
	*size = 0;
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)n);
		*size += (unsigned long long)n;
	}
	EVP_DigestFinal_ex(md, sha, NULL);
	EVP_MD_CTX_free(md);
	return n < 0 ? cc_error_set(err, "reading the archive: %s", archive_error_string(a)) : 0;
}

static int by_path(const void *a, const void *b)
{
	return ctx_path_cmp(((const struct sync_file *)a)->path, ((const struct sync_file *)b)->path);
}

/* Every entry of the tar on fd into out (strip: entry_rel of each name);
 * hard links as their targets. */
static int scan_tar(int fd, int strip, struct sync_record *out, struct cc_error **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct strlist links = { 0 }; /* pairs: path, target */
	int r, rc = 0;

	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK)
		rc = cc_error_set(err, "reading the archive: %s", archive_error_string(a));
	while (rc == 0 && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		cleanup_free char *rel =
			strip ? entry_rel(archive_entry_pathname(ae)) : entry_top(archive_entry_pathname(ae));
		const char *hard = archive_entry_hardlink(ae);
		struct sync_file *f;
		unsigned long long size = 0;

		if (!rel)
			continue;
		if (hard) {
			cleanup_free char *to = strip ? entry_rel(hard) : xstrdup(hard);

			strlist_push(&links, rel);
			strlist_push(&links, to ? to : "");
			continue;
		}
		f = sync_record_add(out, rel, archive_entry_symlink(ae));
		f->mode = archive_entry_mode(ae);
		f->mtime_ns = (int64_t)archive_entry_mtime(ae) * 1000000000 + archive_entry_mtime_nsec(ae);
		if (S_ISREG(f->mode) && entry_hash(a, f->sha, &size, err) < 0)
			rc = cc_error_wrap(err, "%s", rel);
		f->size = size;
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = cc_error_set(err, "reading the archive: %s", archive_error_string(a));
	archive_read_free(a);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_path);
	for (size_t k = 0; rc == 0 && k + 1 < links.n; k += 2) {
		const struct sync_file *t = sync_record_find(out, links.v[k + 1]);
		struct sync_file copy = t ? *t : (struct sync_file){ .mode = S_IFREG };
		struct sync_file *f = sync_record_add(out, links.v[k], t ? t->link : NULL);

		copy.path = f->path, copy.link = f->link;
		*f = copy;
	}
	if (links.n)
		qsort(out->v, out->n, sizeof(*out->v), by_path);
	strlist_release(&links);
	return rc;
}

/* GET path of c's container into out (strip: names below path, else as
 * the tar has them: a file's basename); *absent set when the engine says
 * there is no such path (404). */
static int get_listing(struct sync_container *c, const char *path, int strip, struct sync_record *out, int *absent,
		       struct cc_error **err)
{
	struct engine_archive_job *job;
	struct cc_error *mine = NULL, *terr = NULL;
	int64_t t0 = subspan_now();
	int fd, rc;

	*absent = 0;
	if (engine_archive_start(c->e, c->id, path, 0, c->cancel, &job, &fd, err) < 0)
		return -1;
	rc = scan_tar(fd, strip, out, &mine);
	close(fd);
	rc = engine_archive_finish(job, rc, mine, &terr);
	subspan_add(c->spans, "engine.archive.get", t0, 0,
		    rc < 0 && !(terr && str_has_prefix(terr->msg, "engine: 404")), rc < 0 && terr ? terr->msg : NULL,
		    NULL);
	if (rc < 0 && terr && str_has_prefix(terr->msg, "engine: 404")) {
		cc_error_free(terr);
		sync_record_release(out);
		*absent = 1;
		return 0;
	}
	if (rc < 0 && err)
		*err = terr;
	else
		cc_error_free(terr);
	return rc;
}

int sync_container_list(struct sync_container *c, struct sync_record *out, struct cc_error **err)
{
	int absent;

	cleanup_free char *one = c->only ? path_join(c->root, c->only) : NULL;

	memset(out, 0, sizeof(*out));
	/* GET of a file: a tar of that file named by its basename, c->only. */
	if (get_listing(c, one ? one : c->root, !one, out, &absent, err) < 0)
		return cc_error_wrap(err, "reading %s:%s", c->what, one ? one : c->root);
	c->root_exists = !absent;
	return 0;
}

/* Where a PUT goes (*base) and what its entry names start with (*prefix,
 * "" or "DIR/"): root itself once it exists, else the existing ancestor
 * (the engine makes the directories between). */
static void put_target(const struct sync_container *c, const char **base, char **prefix)
{
	const char *rel = c->root + strlen(c->base);

	while (*rel == '/')
		rel++;
	*base = c->root_exists || !*rel ? c->root : c->base;
	*prefix = c->root_exists || !*rel ? xstrdup("") : xasprintf("%s/", rel);
}

struct tar_out {
	struct archive *a;
	const char *prefix;
	int srcfd;
	unsigned long long bytes;
};

/* One header: name below the prefix, type and mode, owner, and a link
 * (symlink or hard link, may be NULL) or a size. */
static int put_header(struct tar_out *t, const char *name, mode_t mode, const struct stat *st, const char *symlink,
		      const char *hardlink, int64_t size, struct cc_error **err)
{
	struct archive_entry *ae = archive_entry_new();
	cleanup_free char *full = xasprintf("%s%s", t->prefix, name);
	cleanup_free char *hard = hardlink ? xasprintf("%s%s", t->prefix, hardlink) : NULL;
	int rc = 0;

	archive_entry_set_pathname(ae, full);
	archive_entry_set_mode(ae, mode);
	archive_entry_set_uid(ae, st ? st->st_uid : 0);
	archive_entry_set_gid(ae, st ? st->st_gid : 0);
	if (st)
		archive_entry_set_mtime(ae, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	else
		archive_entry_set_mtime(ae, time(NULL), 0);
	if (symlink)
		archive_entry_set_symlink(ae, symlink);
	if (hard)
		archive_entry_set_hardlink(ae, hard);
	archive_entry_set_size(ae, size);
	if (archive_write_header(t->a, ae) != ARCHIVE_OK)
		rc = cc_error_set(err, "%s: archive: %s", name, archive_error_string(t->a));
	archive_entry_free(ae);
	return rc;
}

/* The content of file action act (source entry s) as entry name. */
static int put_file(struct tar_out *t, const char *name, const struct sync_action *act, const struct ctx_entry *s,
		    const char *srcpath, const unsigned char digest[32], struct cc_error **err)
{
	cleanup_close int fd = openat(t->srcfd, srcpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	EVP_MD_CTX *md;
	unsigned char sha[32];
	uint64_t left;
	char buf[CHUNK];
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return cc_error_set(err, "%s: cannot read the source file: %s", s->path, strerror(errno));
	if (!act->data && (uint64_t)st.st_size != s->size)
		return cc_error_set(err, "%s changed in the source while it was copied; run the sync again", s->path);
	if (put_header(t, name, S_IFREG | (s->mode & 07777), &st, NULL, NULL,
		       act->data ? (int64_t)act->len : (int64_t)s->size, err) < 0)
		return -1;
	if (act->data) {
		t->bytes += act->len;
		return archive_write_data(t->a, act->data, act->len) == (la_ssize_t)act->len
			       ? 0
			       : cc_error_set(err, "%s: archive: %s", s->path, archive_error_string(t->a));
	}
	if (!(md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		die_oom();
	for (left = s->size; left;) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || archive_write_data(t->a, buf, (size_t)n) != n)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		left -= (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, sha, NULL);
	EVP_MD_CTX_free(md);
	t->bytes += s->size - left;
	if (left)
		return cc_error_set(err, "%s: copying: %s", s->path, errno ? strerror(errno) : "short read");
	if (memcmp(sha, digest, 32))
		return cc_error_set(err, "%s changed in the source while it was copied; run the sync again", s->path);
	return 0;
}

/* The entries of the stream, in the order the header comment explains. */
static int put_entries(struct tar_out *t, const struct sync_plan *plan, const struct sync_tree *src,
		       struct cc_error **err)
{
	struct stat st;
	size_t k;
	int rc = put_header(t, SYNC_STAGE_NAME, S_IFDIR | 0700, NULL, NULL, NULL, 0, err);

	for (k = 0; rc == 0 && k < plan->n; k++) {
		const struct sync_action *act = &plan->v[k];
		const struct ctx_entry *s = &src->list.v[act->src];
		cleanup_free char *stage = xasprintf("%s/%zu", SYNC_STAGE_NAME, k);

		if (act->kind != SYNC_ACT_LINK &&
		    fstatat(t->srcfd, sync_tree_source(src, act->src), &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = cc_error_set(err, "%s: cannot read the source: %s", s->path, strerror(errno));
		else if (act->kind == SYNC_ACT_DIR)
			rc = put_header(t, s->path, S_IFDIR | (s->mode & 07777), &st, NULL, NULL, 0, err);
		else if (act->kind == SYNC_ACT_FILE)
			rc = put_file(t, stage, act, s, sync_tree_source(src, act->src), src->digests[act->src], err);
	}
	for (k = 0; rc == 0 && k < plan->n; k++) {
		const struct sync_action *act = &plan->v[k];
		const struct ctx_entry *s = &src->list.v[act->src];
		cleanup_free char *stage = xasprintf("%s/%zu", SYNC_STAGE_NAME, k);

		if (fstatat(t->srcfd, sync_tree_source(src, act->src), &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = cc_error_set(err, "%s: cannot read the source: %s", s->path, strerror(errno));
		else if (act->kind == SYNC_ACT_LINK)
			rc = put_header(t, s->path, S_IFLNK | 0777, &st, s->link, NULL, 0, err);
		else if (act->kind == SYNC_ACT_FILE)
			rc = put_header(t, s->path, S_IFREG | (s->mode & 07777), &st, NULL, stage, 0, err);
	}
	if (rc == 0)
		rc = put_header(t, SYNC_STAGE_NAME, S_IFREG | 0600, NULL, NULL, NULL, 0, err);
	return rc;
}

int sync_container_write(struct sync_container *c, const struct sync_plan *plan, const struct sync_tree *src,
			 const char *srcroot, unsigned long long *bytes, struct cc_error **err)
{
	struct tar_out t = { archive_write_new(), NULL, -1, 0 };
	struct engine_archive_job *job = NULL;
	struct cc_error *mine = NULL;
	cleanup_free char *prefix = NULL;
	const char *base;
	int64_t t0 = subspan_now();
	int fd = -1, rc = 0;

	put_target(c, &base, &prefix);
	t.prefix = prefix;
	archive_write_set_format_pax_restricted(t.a);
	if ((t.srcfd = open(srcroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = cc_error_set(err, "%s: %s", srcroot, strerror(errno));
	else if (engine_archive_start(c->e, c->id, base, 1, c->cancel, &job, &fd, err) < 0)
		rc = -1;
	else if (archive_write_open_fd(t.a, fd) != ARCHIVE_OK)
		rc = cc_error_set(&mine, "archive: %s", archive_error_string(t.a));
	if (rc == 0 && job)
		rc = put_entries(&t, plan, src, &mine);
	if (rc == 0 && job && archive_write_close(t.a) != ARCHIVE_OK)
		rc = cc_error_set(&mine, "archive: %s", archive_error_string(t.a));
	archive_write_free(t.a);
	if (fd >= 0)
		close(fd);
	if (job)
		rc = engine_archive_finish(job, rc, mine, err);
	if (job)
		subspan_add(c->spans, "engine.archive.put", t0, 0, rc < 0, rc < 0 && *err ? (*err)->msg : NULL,
			    json_pack("{s:I}", "ccbuild.archive.bytes", (json_int_t)t.bytes));
	if (t.srcfd >= 0)
		close(t.srcfd);
	*bytes = t.bytes;
	return rc < 0 ? cc_error_wrap(err, "writing into %s:%s", c->what, c->root) : 0;
}

/* 1 when what the engine said means the command does not exist. */
static int no_such_command(long status, const struct cc_error *e)
{
	return status == 126 || status == 127 || (e && strstr(e->msg, "executable file not found"));
}

/* rm -rf -- argv[3..] in a helper from c->image that mounts the volume:
 * created, started, waited for and removed. */
static int remove_by_helper(struct sync_container *c, const char *const *argv, size_t n, long *status,
			    struct cc_error **err)
{
	cleanup_free char *bind = xasprintf("%s:%s", c->volume, c->base);
	cleanup_free char *name = xasprintf("%s-rm", c->helper_name);
	json_t *cmd = json_array(), *body;
	char *id = NULL;
	int rc;

	for (size_t k = 1; k < n; k++)
		json_array_append_new(cmd, json_string(argv[k]));
	body = json_pack("{s:s, s:[s], s:o, s:s, s:{s:s}, s:{s:[s], s:s}}", "Image", c->image, "Entrypoint", argv[0],
			 "Cmd", cmd, "User", "0", "Labels", "dev.ccbuild.sync.helper", c->helper_name, "HostConfig",
			 "Binds", bind, "NetworkMode", "none");
	rc = engine_container_remove(c->e, name, 1, 1, err) < 0 ? -1
								: engine_container_create(c->e, name, body, &id, err);
	json_decref(body);
	if (rc == 0)
		rc = engine_container_start(c->e, id, err);
	if (rc == 0)
		rc = engine_container_wait(c->e, id, "not-running", c->cancel, status, err);
	if (id)
		engine_container_remove(c->e, id, 1, 1, NULL);
	free(id);
	return rc < 0 ? -1 : 0;
}

/* Run rm -rf -- on paths[from, to) (root-relative) in the container. */
static int remove_batch(struct sync_container *c, const struct strlist *paths, size_t from, size_t to,
			struct cc_error **err)
{
	const char **argv = xcalloc(to - from + 4, sizeof(*argv));
	struct strlist abs = { 0 };
	struct cc_error *mine = NULL;
	long status = -1;
	size_t n = 0;
	int rc;

	argv[n++] = "rm", argv[n++] = "-rf", argv[n++] = "--";
	for (size_t k = from; k < to; k++)
		strlist_push(&abs, paths->v[k]);
	for (size_t k = 0; k < abs.n; k++) {
		char *p = path_join(c->root, abs.v[k]);

		free(abs.v[k]);
		argv[n++] = abs.v[k] = p;
	}
	rc = c->helper_name ? remove_by_helper(c, argv, n, &status, &mine)
			    : engine_container_exec(c->e, c->id, argv, "0", NULL, NULL, c->cancel, &status, &mine);
	if (no_such_command(status, mine))
		rc = cc_error_set(err,
				  "delete: true needs rm in the container, and %s%s has none: %zu path%s not removed"
				  " (the first: %s)",
				  c->image ? "image " : "", c->image ? c->image : c->what, to - from,
				  to - from == 1 ? "" : "s", paths->v[from]);
	else if (rc < 0 && err)
		*err = mine, mine = NULL;
	else if (rc == 0 && status != 0)
		rc = cc_error_set(err, "rm -rf %s ... in %s exited %ld", paths->v[from], c->what, status);
	cc_error_free(mine);
	strlist_release(&abs);
	free(argv);
	return rc < 0 ? -1 : 0;
}

int sync_container_remove(struct sync_container *c, const struct strlist *paths, struct cc_error **err)
{
	for (size_t k = 0; k < paths->n; k += RM_BATCH)
		if (remove_batch(c, paths, k, k + RM_BATCH < paths->n ? k + RM_BATCH : paths->n, err) < 0)
			return cc_error_wrap(err, "removing from %s:%s", c->what, c->root);
	return 0;
}

/* Compare written file act (destination path) with the listing got. */
static int verify_one(const struct sync_container *c, const char *path, const struct sync_action *act,
		      const struct sync_file *got, struct cc_error **err)
{
	if (!got || !S_ISREG(got->mode))
		return cc_error_set(err, "%s: not in %s after the copy", path, c->what);
	if (got->size != (act->data ? act->len : got->size) || memcmp(got->sha, act->sha, 32))
		return cc_error_set(err, "%s: the copy in %s does not read back as written (SHA-256 mismatch)", path,
				    c->what);
	return 0;
}

int sync_container_verify(struct sync_container *c, const struct sync_plan *plan, const struct sync_tree *src,
			  struct cc_error **err)
{
	size_t files = 0, k;
	struct sync_record all = { 0 };
	int rc = 0, absent = 0;

	for (k = 0; k < plan->n; k++)
		files += plan->v[k].kind == SYNC_ACT_FILE;
	if (files > VERIFY_EACH_MAX)
		rc = get_listing(c, c->root, 1, &all, &absent, err);
	for (k = 0; rc == 0 && k < plan->n; k++) {
		const struct sync_action *act = &plan->v[k];
		const char *path = src->list.v[act->src].path;
		cleanup_free char *full = NULL;
		struct sync_record one = { 0 };

		if (act->kind != SYNC_ACT_FILE)
			continue;
		if (files > VERIFY_EACH_MAX) {
			rc = verify_one(c, path, act, sync_record_find(&all, path), err);
			continue;
		}
		/* GET of a file: a tar of that one file, named by its basename. */
		full = path_join(c->root, path);
		rc = get_listing(c, full, 0, &one, &absent, err);
		if (rc == 0)
			rc = verify_one(c, path, act, one.n == 1 ? &one.v[0] : NULL, err);
		sync_record_release(&one);
	}
	sync_record_release(&all);
	return rc < 0 ? cc_error_wrap(err, "verifying %s:%s", c->what, c->root) : 0;
}
