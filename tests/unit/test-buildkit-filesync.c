/* buildkit-filesync: the DiffCopy sender against a transport double (a
 * bk_stream that plays a scripted daemon and records what was sent). */
#include "buildkit-filesync.h"
#include "buildkit-stream.h"
#include "ctxwalk.h"
#include "error.h"
#include "ignore.h"
#include "pbwire.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { STAT = 0, REQ = 1, DATA = 2, FIN = 3, ERR = 4 };

struct pkt {
	int type;
	uint32_t id, mode;
	uint64_t size;
	char path[256], link[256];
	size_t datalen;
	char data[256]; /* the start of data */
};

/* The double: metadata, the daemon's scripted messages, what was sent. */
struct bk_stream {
	const char *const *meta; /* name, value, name, value, ..., NULL */
	struct pbbuf in[16];
	size_t nin, next;
	int reset_at_end; /* past the script: -1 (reset) instead of 0 (half-close) */
	struct pkt *out;
	size_t nout, capout;
};

const char *bk_stream_meta(struct bk_stream *s, const char *name, size_t i)
{
	size_t k;

	for (k = 0; s->meta && s->meta[k]; k += 2)
		if (!strcmp(s->meta[k], name) && i-- == 0)
			return s->meta[k + 1];
	return NULL;
}

int bk_stream_recv(struct bk_stream *s, uint8_t **msg, size_t *len, struct cc_error **err)
{
	if (s->next >= s->nin) {
		if (s->reset_at_end)
			return cc_error_set(err, "call reset");
		return 0;
	}
	*len = s->in[s->next].len;
	*msg = xmalloc(*len ? *len : 1);
	memcpy(*msg, s->in[s->next].data, *len);
	s->next++;
	return 1;
}

static void decode_stat(struct pkt *p, struct pbreader r)
{
	struct pbfield f;

	while (pb_next(&r, &f) > 0) {
		if (f.num == 1)
			snprintf(p->path, sizeof(p->path), "%.*s", (int)f.len, (const char *)f.data);
		if (f.num == 2)
			p->mode = (uint32_t)f.varint;
		if (f.num == 5)
			p->size = f.varint;
		if (f.num == 7)
			snprintf(p->link, sizeof(p->link), "%.*s", (int)f.len, (const char *)f.data);
	}
}

int bk_stream_send(struct bk_stream *s, const void *msg, size_t len, struct cc_error **err)
{
	struct pbreader r = pbreader_of(msg, len);
	struct pbfield f;
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.type = -2; /* an empty message: STAT with no stat */
	while (pb_next(&r, &f) > 0) {
		if (f.num == 1)
			p.type = (int)f.varint;
		if (f.num == 2) {
			decode_stat(&p, pbreader_sub(&f));
			p.type = p.type == -2 ? STAT : p.type;
		}
		if (f.num == 3)
			p.id = (uint32_t)f.varint;
		if (f.num == 4) {
			p.datalen = f.len;
			memcpy(p.data, f.data, f.len < sizeof(p.data) - 1 ? f.len : sizeof(p.data) - 1);
		}
	}
	if (p.type == -2 && len)
		p.type = STAT;
	VEC_PUSH(s->out, s->nout, s->capout, p);
	return 0;
}

static void script(struct bk_stream *s, int type, uint32_t id)
{
	struct pbbuf *b = &s->in[s->nin++];

	if (type)
		pbw_varint(b, 1, (uint64_t)type);
	if (id)
		pbw_varint(b, 3, id);
}

static void script_raw(struct bk_stream *s, const void *data, size_t len)
{
	struct pbbuf *b = &s->in[s->nin++];

	pbw_varint_raw(b, 0); /* grow, then replace with the raw bytes */
	b->len = 0;
	xgrow(&b->data, &b->cap, len + 1, 1);
	memcpy(b->data, data, len);
	b->len = len;
}

static void stream_release(struct bk_stream *s)
{
	size_t i;

	for (i = 0; i < s->nin; i++)
		pbbuf_release(&s->in[i]);
	free(s->out);
	memset(s, 0, sizeof(*s));
}

static void write_file(const char *dir, const char *name, size_t size)
{
	cleanup_free char *p = path_join(dir, name);
	char *buf = xmalloc(size + 1);
	size_t i;
	int fd;

	for (i = 0; i < size; i++)
		buf[i] = (char)('a' + i % 26);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		BUG("write %s", p);
	close(fd);
	free(buf);
}

/* A tree: a/ a/b.txt (100,000 bytes) a/c -> b.txt e (empty) hl z.txt (hard links). */
static char *make_tree(void)
{
	char *dir = xstrdup("/tmp/test-bkfs-XXXXXX");
	cleanup_free char *a = NULL, *c = NULL, *hl = NULL, *z = NULL;

	if (!mkdtemp(dir))
		BUG("mkdtemp");
	a = path_join(dir, "a");
	mkdir(a, 0755);
	write_file(dir, "a/b.txt", 100000);
	c = path_join(dir, "a/c");
	if (symlink("b.txt", c) < 0)
		BUG("symlink");
	write_file(dir, "e", 0);
	write_file(dir, "hl", 10);
	hl = path_join(dir, "hl");
	z = path_join(dir, "z.txt");
	if (link(hl, z) < 0)
		BUG("link");
	return dir;
}

static void remove_tree(const char *dir)
{
	cleanup_free char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		BUG("rm");
}

static int run(struct bk_filesync *fs, struct bk_stream *s, char **msg)
{
	struct cc_error *err = NULL;
	int rc = bk_filesync_diffcopy(fs, s, &err);

	if (msg)
		*msg = err ? xstrdup(err->msg) : NULL;
	cc_error_free(err);
	return rc;
}

/* Paths of the STAT packets, joined with ' ', and "|" for the empty STAT. */
static char *stat_paths(const struct bk_stream *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < s->nout; i++) {
		if (s->out[i].type == -2)
			strbuf_addstr(&sb, "|");
		else if (s->out[i].type == STAT)
			strbuf_addf(&sb, "%s ", s->out[i].path);
	}
	return strbuf_detach(&sb);
}

static void test_listing_and_data(const char *dir, const struct ctx_list *walk)
{
	static const char *const meta[] = { "dir-name", "context", NULL };
	struct bk_filesync *fs = bk_filesync_new();
	struct bk_stream s = { .meta = meta };
	cleanup_free char *paths = NULL;
	struct bk_filesync_stats st;
	uint64_t got = 0;
	size_t i, chunks = 0, maxchunk = 0;
	int ended = 0, fin = 0;

	bk_filesync_add_walk(fs, "context", dir, walk);
	script(&s, REQ, 1);
	script(&s, REQ, 3);
	script(&s, FIN, 0);
	is_int(run(fs, &s, NULL), 0, "a whole DiffCopy succeeds");
	paths = stat_paths(&s);
	is_str(paths, "a a/b.txt a/c e hl z.txt |", "STATs in walk order, directory first, then the empty STAT");
	ok(s.nout > 6 && s.out[0].mode == ((1u << 31) | 0755), "a directory has Go's ModeDir");
	ok(s.nout > 6 && s.out[2].mode == ((1u << 27) | 0777) && !strcmp(s.out[2].link, "b.txt"),
	   "a symlink has ModeSymlink and its target");
	ok(s.nout > 6 && s.out[1].size == 100000 && s.out[1].mode == 0644, "a file has its size and mode");
	ok(s.nout > 6 && !strcmp(s.out[5].link, "hl") && s.out[5].size == 0,
	   "a second hard link names the first path, size 0");
	for (i = 0; i < s.nout; i++) {
		if (s.out[i].type == DATA && s.out[i].id == 1 && s.out[i].datalen) {
			got += s.out[i].datalen;
			chunks++;
			maxchunk = s.out[i].datalen > maxchunk ? s.out[i].datalen : maxchunk;
		}
		if (s.out[i].type == DATA && s.out[i].id == 1 && !s.out[i].datalen)
			ended++;
		if (s.out[i].type == DATA && s.out[i].id == 3)
			ended += s.out[i].datalen ? 100 : 1;
		fin += s.out[i].type == FIN;
	}
	is_int(got, 100000, "REQ 1 answered with the whole file");
	ok(chunks == 4 && maxchunk == 32768, "in 32 KiB chunks (%zu chunks, largest %zu)", chunks, maxchunk);
	is_int(ended, 2, "each file ends with one empty DATA (the empty file with nothing else)");
	ok(s.nout && s.out[s.nout - 1].type == FIN && fin == 1, "FIN answered with FIN, last");
	st = bk_filesync_stats(fs);
	ok(st.bytes == 100000 && st.files == 2 && st.stats == 6, "counters: %llu bytes, %llu files, %llu stats",
	   (unsigned long long)st.bytes, (unsigned long long)st.files, (unsigned long long)st.stats);
	stream_release(&s);
	bk_filesync_free(fs);
}

static char *listing(const char *dir, const struct ctx_list *walk, const char *const *meta)
{
	struct bk_filesync *fs = bk_filesync_new();
	struct bk_stream s = { .meta = meta };
	char *paths;

	bk_filesync_add_walk(fs, "context", dir, walk);
	script(&s, FIN, 0);
	if (run(fs, &s, NULL) != 0)
		printf("# listing failed\n");
	paths = stat_paths(&s);
	stream_release(&s);
	bk_filesync_free(fs);
	return paths;
}

static void test_patterns(const char *dir, const struct ctx_list *walk)
{
	static const char *const ex[] = {
		"dir-name", "context", "exclude-patterns", "a", "exclude-patterns", "!a/c", "exclude-patterns",
		"hl",	    NULL
	};
	static const char *const inc[] = { "dir-name", "context", "include-patterns", "*.txt", NULL };
	static const char *const deep[] = { "dir-name", "context", "include-patterns", "a/b.txt", NULL };
	static const char *const follow[] = { "dir-name", "context", "followpaths", "a/c", NULL };
	static const char *const both[] = { "dir-name", "context", "followpaths", "e", "exclude-patterns", "e", NULL };
	char *p;

	p = listing(dir, walk, ex);
	is_str(p, "a a/c e z.txt |", "exclude-patterns: an excluded dir with a '!' inside is sent, its rest is not");
	free(p);
	p = listing(dir, walk, inc);
	is_str(p, "z.txt |", "include-patterns match at their depth");
	free(p);
	p = listing(dir, walk, deep);
	is_str(p, "a a/b.txt |", "a directory on the way to an include pattern is entered");
	free(p);
	p = listing(dir, walk, follow);
	is_str(p, "a a/b.txt a/c |", "followpaths: the link and its target");
	free(p);
	p = listing(dir, walk, both);
	is_str(p, "|", "excludes apply after includes");
	free(p);
}

/* ccbuild's walk leaves out an excluded directory a '!' rule re-enters;
 * fsutil's receiver needs the parent, so it is sent from disk. */
static void test_missing_parent(const char *dir)
{
	static const char *const meta[] = { "dir-name", "context", NULL };
	static const char rules[] = "a\n!a/c\n";
	struct ctx_list walk = CTX_LIST_INIT;
	struct ignore *ig = ignore_new();
	struct cc_error *err = NULL;
	char *p;

	ok(ignore_parse(ig, rules, strlen(rules), ".dockerignore", &err) == 0 &&
		   ctxwalk(dir, ig, NULL, &walk, &err) == 0,
	   "walk with rules");
	ok(walk.n > 0 && !ctx_list_find(&walk, "a") && ctx_list_find(&walk, "a/c"), "the walk has a/c but not a");
	p = listing(dir, &walk, meta);
	is_str(p, "a a/c e hl z.txt |", "the parent directory is sent before a/c");
	free(p);
	ctx_list_release(&walk);
	ignore_free(ig);
	cc_error_free(err);
}

static int count_type(const struct bk_stream *s, int type)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->nout; i++)
		n += s->out[i].type == type;
	return n;
}

/* One call where the daemon plays `setup`; returns the status. */
static int bad_call(const char *dir, const struct ctx_list *walk, const char *const *meta,
		    void (*setup)(struct bk_stream *), int *errs, char **msg)
{
	struct bk_filesync *fs = bk_filesync_new();
	struct bk_stream s = { .meta = meta };
	int rc;

	bk_filesync_add_walk(fs, "context", dir, walk);
	setup(&s);
	rc = run(fs, &s, msg);
	*errs = count_type(&s, ERR);
	stream_release(&s);
	bk_filesync_free(fs);
	return rc;
}

static void garbage(struct bk_stream *s)
{
	script_raw(s, "\x0a\x05", 2);
}
static void bad_id(struct bk_stream *s)
{
	script(s, REQ, 99);
}
static void dir_id(struct bk_stream *s)
{
	script(s, REQ, 0);
}
static void twice(struct bk_stream *s)
{
	script(s, REQ, 4);
	script(s, REQ, 4);
}
static void daemon_err(struct bk_stream *s)
{
	struct pbbuf *b = &s->in[s->nin++];

	pbw_varint(b, 1, ERR);
	pbw_string(b, 4, "disk full");
}
static void half_close(struct bk_stream *s)
{
	script(s, REQ, 4);
}
static void reset(struct bk_stream *s)
{
	s->reset_at_end = 1;
}
static void wrong_wire(struct bk_stream *s)
{
	script_raw(s, "\x0a\x01\x01", 3); /* type as bytes */
}

static void test_malformed(const char *dir, const struct ctx_list *walk)
{
	static const char *const meta[] = { "dir-name", "context", NULL };
	static const char *const other[] = { "dir-name", "elsewhere", NULL };
	static const char *const badpat[] = { "dir-name", "context", "exclude-patterns", "[", NULL };
	char *msg = NULL;
	int errs;

	is_int(bad_call(dir, walk, meta, garbage, &errs, &msg), 3, "an undecodable packet: INVALID_ARGUMENT");
	ok(errs == 1 && msg && strstr(msg, "malformed"), "... with ERR sent (%s)", msg);
	free(msg);
	is_int(bad_call(dir, walk, meta, wrong_wire, &errs, NULL), 3, "a field of the wrong wire type: 3");
	is_int(bad_call(dir, walk, meta, bad_id, &errs, &msg), 3, "REQ of an unknown id: 3");
	ok(errs == 1 && msg && strstr(msg, "invalid file id 99"), "... with ERR (%s)", msg);
	free(msg);
	is_int(bad_call(dir, walk, meta, dir_id, &errs, NULL), 3, "REQ of a directory's id: 3");
	is_int(bad_call(dir, walk, meta, twice, &errs, NULL), 3, "a second REQ of one id: 3");
	is_int(bad_call(dir, walk, meta, daemon_err, &errs, &msg), 2, "the daemon's ERR: UNKNOWN");
	ok(errs == 0 && msg && strstr(msg, "disk full"), "... not answered with ERR, message kept (%s)", msg);
	free(msg);
	is_int(bad_call(dir, walk, meta, half_close, &errs, NULL), 13, "a half-close before FIN: INTERNAL");
	is_int(errs, 1, "... with ERR");
	is_int(bad_call(dir, walk, meta, reset, &errs, NULL), 1, "a reset call: CANCELLED");
	is_int(bad_call(dir, walk, other, reset, &errs, &msg), 5, "a dir-name not served: NOT_FOUND");
	ok(errs == 0 && msg && strstr(msg, "elsewhere"), "... before anything is sent (%s)", msg);
	free(msg);
	is_int(bad_call(dir, walk, badpat, reset, &errs, &msg), 3, "a bad exclude pattern: 3");
	ok(errs == 1, "... with ERR (%s)", msg);
	free(msg);
}

static void req_hl(struct bk_stream *s)
{
	script(s, REQ, 4);
	script(s, FIN, 0);
}

static void test_changed_file(const char *dir, const struct ctx_list *walk)
{
	static const char *const meta[] = { "dir-name", "context", NULL };
	char *msg = NULL;
	int errs;

	write_file(dir, "hl", 11);
	is_int(bad_call(dir, walk, meta, req_hl, &errs, &msg), 13, "a file changed since the walk: INTERNAL");
	ok(errs == 1 && msg && strstr(msg, "changed"), "... with ERR (%s)", msg);
	free(msg);
}

/* Random messages from the daemon: every call ends, nothing leaks. */
static void test_fuzz(const char *dir, const struct ctx_list *walk)
{
	static const char *const meta[] = { "dir-name", "context", NULL };
	unsigned seed = 7;
	int i, ended = 0;

	for (i = 0; i < 2000; i++) {
		struct bk_filesync *fs = bk_filesync_new();
		struct bk_stream s = { .meta = meta };
		uint8_t buf[12];
		size_t k, n;
		int rc;

		bk_filesync_add_walk(fs, "context", dir, walk);
		n = (size_t)(rand_r(&seed) % sizeof(buf));
		for (k = 0; k < n; k++)
			buf[k] = (uint8_t)rand_r(&seed);
		if (i % 3 == 0 && n > 1)
			buf[0] = 0x08, buf[1] = (uint8_t)(rand_r(&seed) % 6);
		script_raw(&s, buf, n);
		script(&s, FIN, 0);
		rc = run(fs, &s, NULL);
		ended += rc == 0 || rc == 2 || rc == 3 || rc == 13;
		stream_release(&s);
		bk_filesync_free(fs);
	}
	is_int(ended, 2000, "2000 random packets: every call ended with OK or an error status");
}

static void test_dockerfile_dir(void)
{
	static const char *const meta[] = { "dir-name",	  "dockerfile",	 "followpaths",
					    "Dockerfile", "followpaths", "Dockerfile.dockerignore",
					    NULL };
	static const char *const names[] = { "Dockerfile", "Dockerfile.dockerignore" };
	char *dir = xstrdup("/tmp/test-bkdf-XXXXXX");
	struct bk_filesync *fs = bk_filesync_new();
	struct bk_stream s = { .meta = meta };
	struct cc_error *err = NULL;
	cleanup_free char *paths = NULL;

	if (!mkdtemp(dir))
		BUG("mkdtemp");
	write_file(dir, "Dockerfile", 20);
	write_file(dir, "other", 5);
	ok(bk_filesync_add_files(fs, "dockerfile", dir, names, 2, &err) == 0, "add the Dockerfile dir");
	script(&s, REQ, 0);
	script(&s, FIN, 0);
	is_int(run(fs, &s, NULL), 0, "served");
	paths = stat_paths(&s);
	is_str(paths, "Dockerfile |",
	       "only the Dockerfile (its ignore file is missing, the dir's other file not asked)");
	is_int(bk_filesync_stats(fs).bytes, 20, "its content sent on REQ");
	{
		static const char *const bad[] = { "../x" };

		ok(bk_filesync_add_files(fs, "x", dir, bad, 1, &err) < 0, "a path instead of a name is refused");
	}
	stream_release(&s);
	bk_filesync_free(fs);
	cc_error_free(err);
	remove_tree(dir);
	free(dir);
}

int main(void)
{
	char *dir = make_tree();
	struct ctx_list walk = CTX_LIST_INIT;
	struct cc_error *err = NULL;

	ok(ctxwalk(dir, NULL, NULL, &walk, &err) == 0 && walk.n == 6, "walk the tree");
	test_listing_and_data(dir, &walk);
	test_patterns(dir, &walk);
	test_missing_parent(dir);
	test_malformed(dir, &walk);
	test_fuzz(dir, &walk);
	test_changed_file(dir, &walk);
	test_dockerfile_dir();
	ctx_list_release(&walk);
	cc_error_free(err);
	remove_tree(dir);
	free(dir);
	return done_testing();
}
