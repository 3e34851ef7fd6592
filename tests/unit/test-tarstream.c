#include "error.h"
#include "tap.h"
#include "tarstream.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#define BIG (200 * 1024 + 7)

static char dir[] = "/tmp/cc-tarstream-XXXXXX";

static void write_file(const char *rel, const void *data, size_t len, mode_t mode)
{
	cleanup_free char *p = path_join(dir, rel);
	FILE *f = fopen(p, "wb");

	fwrite(data, 1, len, f);
	fclose(f);
	chmod(p, mode);
}

/* d/, d/a.txt, big.bin, empty, link -> d/a.txt, plus an in-memory entry. */
static size_t make_tree(struct tar_entry *e, char **paths)
{
	const char *rel[] = { "d", "d/a.txt", "big.bin", "empty", "link" };
	cleanup_free char *big = xmalloc(BIG);
	cleanup_free char *d = path_join(dir, "d");
	cleanup_free char *l = path_join(dir, "link");
	size_t i;

	for (i = 0; i < BIG; i++)
		big[i] = (char)(i * 7 + i / 251);
	mkdir(d, 0750);
	write_file("d/a.txt", "hello\n", 6, 0640);
	write_file("big.bin", big, BIG, 0755);
	write_file("empty", "", 0, 0600);
	symlink("d/a.txt", l);
	for (i = 0; i < 5; i++) {
		paths[i] = path_join(dir, rel[i]);
		e[i].path = rel[i];
		e[i].abspath = paths[i];
		lstat(paths[i], &e[i].st);
	}
	e[5].path = ".ccbuild.Dockerfile";
	e[5].data = "FROM scratch\n";
	e[5].data_len = 13;
	return 6;
}

/* Pull the stream in odd-sized chunks, as curl would. */
static int slurp(const struct tar_entry *e, size_t n, struct strbuf *out, struct cc_error **err)
{
	struct tarstream *ts = tarstream_new(e, n);
	char buf[777];
	ssize_t got;

	while ((got = tarstream_read(ts, buf, sizeof(buf), err)) > 0)
		strbuf_add(out, buf, (size_t)got);
	ok(got < 0 || tarstream_total(ts) == out->len, "total counts every byte");
	tarstream_free(ts);
	return got < 0 ? -1 : 0;
}

static void check_entry(struct archive *a, struct archive_entry *ae, const char *name, mode_t mode, const char *content,
			size_t len)
{
	cleanup_free char *buf = xmalloc(len + 1);

	is_str(archive_entry_pathname(ae), name, name);
	ok(archive_entry_mode(ae) == mode, "%s mode %o", name, (unsigned)archive_entry_mode(ae));
	ok(archive_entry_uid(ae) == 0 && archive_entry_gid(ae) == 0, "%s uid/gid 0", name);
	ok(!archive_entry_uname(ae) || !*archive_entry_uname(ae), "%s no user name", name);
	if (content) {
		ok(archive_read_data(a, buf, len + 1) == (la_ssize_t)len && !memcmp(buf, content, len), "%s content",
		   name);
	}
}

static void check_archive(const struct strbuf *tar, const struct tar_entry *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	cleanup_free char *big = xmalloc(BIG);
	size_t i;

	for (i = 0; i < BIG; i++)
		big[i] = (char)(i * 7 + i / 251);
	archive_read_support_format_tar(a);
	ok(archive_read_open_memory(a, tar->buf, tar->len) == ARCHIVE_OK, "libarchive opens it");
	archive_read_next_header(a, &ae);
	check_entry(a, ae, "d/", S_IFDIR | 0750, NULL, 0);
	ok(archive_entry_mtime(ae) == e[0].st.st_mtime, "dir mtime from stat");
	archive_read_next_header(a, &ae);
	check_entry(a, ae, "d/a.txt", S_IFREG | 0640, "hello\n", 6);
	archive_read_next_header(a, &ae);
	check_entry(a, ae, "big.bin", S_IFREG | 0755, big, BIG);
	archive_read_next_header(a, &ae);
	check_entry(a, ae, "empty", S_IFREG | 0600, "", 0);
	archive_read_next_header(a, &ae);
	ok(archive_entry_filetype(ae) == AE_IFLNK, "link is a symlink");
	is_str(archive_entry_symlink(ae), "d/a.txt", "link target");
	archive_read_next_header(a, &ae);
	check_entry(a, ae, ".ccbuild.Dockerfile", S_IFREG | 0644, "FROM scratch\n", 13);
	is_int(archive_read_next_header(a, &ae), ARCHIVE_EOF, "nothing more");
	archive_read_free(a);
}

static int count_write(void *ctx, const void *buf, size_t len)
{
	strbuf_add(ctx, buf, len);
	return 0;
}

int main(void)
{
	struct tar_entry e[6] = { 0 };
	char *paths[5];
	struct strbuf one = STRBUF_INIT, two = STRBUF_INIT, three = STRBUF_INIT;
	struct cc_error *err = NULL;
	size_t n, i;

	if (!mkdtemp(dir))
		return 1;
	n = make_tree(e, paths);
	is_int(slurp(e, n, &one, &err), 0, "stream the tree");
	check_archive(&one, e);
	slurp(e, n, &two, NULL);
	ok(one.len == two.len && !memcmp(one.buf, two.buf, one.len), "same input, same bytes");
	is_int(tarstream_write(e, n, count_write, &three, NULL), 0, "push interface");
	ok(three.len == one.len && !memcmp(one.buf, three.buf, one.len), "push gives the same bytes");

	/* A second path of an inode goes as a hard link, without content. */
	{
		struct tar_entry h[2] = { e[1], e[1] };
		struct strbuf tar = STRBUF_INIT;
		struct archive *a = archive_read_new();
		struct archive_entry *ae;

		h[1].path = "h.txt";
		h[1].hardlink = "d/a.txt";
		is_int(slurp(h, 2, &tar, NULL), 0, "stream a hard link");
		archive_read_support_format_tar(a);
		archive_read_open_memory(a, tar.buf, tar.len);
		ok(archive_read_next_header(a, &ae) == ARCHIVE_OK && archive_entry_size(ae) == 6,
		   "first path is the file");
		ok(archive_read_next_header(a, &ae) == ARCHIVE_OK && archive_entry_hardlink(ae) &&
			   !strcmp(archive_entry_hardlink(ae), "d/a.txt") && archive_entry_size(ae) == 0,
		   "second path is a hard link to the first, no content");
		is_int(archive_read_next_header(a, &ae), ARCHIVE_EOF, "and nothing more");
		archive_read_free(a);
		strbuf_release(&tar);
	}

	/* Rewritten with the same size after it was stat'ed (and hashed): what
	 * would be sent is not what was hashed, so it is an error. */
	{
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { e[1].st.st_mtim.tv_sec + 5, 0 } };
		struct strbuf tar = STRBUF_INIT;

		write_file("d/a.txt", "hallo\n", 6, 0644);
		utimensat(AT_FDCWD, paths[1], ts, 0);
		ok(slurp(e, n, &tar, &err) < 0 && err && strstr(err->msg, "a.txt changed while"),
		   "same-size rewrite is an error");
		cc_error_free(err);
		err = NULL;
		strbuf_release(&tar);
		lstat(paths[1], &e[1].st);
		ok(slurp(e, n, &tar, NULL) == 0, "stat'ed again, it is sent");
		strbuf_release(&tar);
	}

	/* The file shrinks after it was stat'ed: a clear error, no crash. */
	truncate(paths[2], 10);
	strbuf_release(&two);
	ok(slurp(e, n, &two, &err) < 0 && err && strstr(err->msg, "big.bin"), "shrunk file is an error");
	cc_error_free(err);
	err = NULL;
	unlink(paths[2]);
	ok(slurp(e, n, &two, &err) < 0 && err && strstr(err->msg, "open"), "vanished file is an error");
	cc_error_free(err);

	for (i = 0; i < 5; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	{
		cleanup_free char *a = path_join(dir, "d/a.txt"), *d = path_join(dir, "d");

		unlink(a);
		rmdir(d);
	}
	rmdir(dir);
	strbuf_release(&one);
	strbuf_release(&two);
	strbuf_release(&three);
	return done_testing();
}
