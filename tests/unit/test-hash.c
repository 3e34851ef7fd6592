/* hash: what changes a build step's input hash and what does not.
 *
 * `test-hash --bench CONTEXT DOCKERFILE CACHE` times hash_build_inputs
 * (walk, ignore, stat cache, file hashes) twice: as CACHE stands, then
 * with the cache the first run wrote. */
#include "error.h"
#include "hash.h"
#include "lists.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *root, *ctx, *cache, *outside_df;

static void put(const char *name, const char *text)
{
	cleanup_free char *p = path_join(ctx, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

static void touch(const char *name, time_t t)
{
	cleanup_free char *p = path_join(ctx, name);
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	utimensat(AT_FDCWD, p, ts, 0);
}

struct opts {
	const char *dockerfile, *target, *platform;
	struct kvlist args, labels;
	const char *bases[2];
	size_t nbases;
	const char *secrets;
	struct kvlist ulimits;
};

/* Input hash (hex) of ctx with o; the manifest into *m when non-NULL. */
static char *hash_of(const struct opts *o, struct hash_manifest *m, struct statcache_stats *st)
{
	cleanup_free char *df = path_join(ctx, "Dockerfile");
	struct hash_input in = { ctx,
				 o && o->dockerfile ? o->dockerfile : df,
				 o ? o->target : NULL,
				 o ? o->platform : NULL,
				 o ? &o->args : NULL,
				 o ? &o->labels : NULL,
				 o ? o->bases : NULL,
				 o ? o->nbases : 0,
				 cache,
				 NULL,
				 NULL,
				 NULL,
				 o ? o->secrets : NULL,
				 o ? &o->ulimits : NULL };
	struct hash_result r;
	struct cc_error *err = NULL;
	char *hex;

	if (hash_build_inputs(&in, &r, &err) < 0) {
		printf("# error: %s\n", err->msg);
		cc_error_free(err);
		hash_result_release(&r);
		return xstrdup("error");
	}
	hex = xstrdup(r.hex);
	if (st)
		*st = r.stats;
	if (m) {
		*m = r.files;
		memset(&r.files, 0, sizeof(r.files));
	}
	hash_result_release(&r);
	return hex;
}

static int same(const struct opts *o, const char *want)
{
	cleanup_free char *h = hash_of(o, NULL, NULL);

	return !strcmp(h, want);
}

static void setup(void)
{
	root = xstrdup("/tmp/ccb-hash-XXXXXX");
	if (!mkdtemp(root))
		abort();
	ctx = path_join(root, "ctx");
	cache = path_join(root, "statcache");
	outside_df = path_join(root, "Dockerfile.outside");
	mkdir(ctx, 0755);
	put("Dockerfile", "FROM base\nCOPY . /app\n");
	put(".dockerignore", "ignored.txt\n*.log\n");
	put("main.c", "int main(void) { return 0; }\n");
	put("ignored.txt", "whatever\n");
	put("app.log", "log\n");
	{
		cleanup_free char *l = path_join(ctx, "link");

		if (symlink("main.c", l) < 0)
			abort();
	}
	/* Old mtimes: nothing is racy, so no-op runs really read nothing. */
	touch("main.c", time(NULL) - 600);
	touch("ignored.txt", time(NULL) - 600);
	touch("Dockerfile", time(NULL) - 600);
	touch(".dockerignore", time(NULL) - 600);
}

static void change_cb(enum hash_change c, const char *path, void *data)
{
	struct strbuf *sb = data;

	strbuf_addf(sb, "%s%c%s", sb->len ? " " : "", "+-~"[c], path);
}

static void test_context(void)
{
	struct hash_manifest m1, m2;
	struct statcache_stats st;
	struct strbuf diff = STRBUF_INIT;
	cleanup_free char *h0 = hash_of(NULL, &m1, &st), *h = NULL;
	cleanup_free char *lnk = path_join(ctx, "link"), *mc = path_join(ctx, "main.c");

	ok(strlen(h0) == 64, "hash is 64 hex digits");
	ok(same(NULL, h0), "same inputs, same hash");
	free(hash_of(NULL, NULL, &st));
	is_int(st.hashed, 0, "no-op run reads no file");
	touch("main.c", time(NULL) - 300);
	h = hash_of(NULL, NULL, &st);
	is_str(h, h0, "touched file: same hash");
	is_int(st.hashed, 1, "touched file: re-read once");
	free(h);
	put("ignored.txt", "edited\n");
	put("new.log", "x\n");
	ok(same(NULL, h0), "edited ignored file, new ignored file: same hash");
	put("main.c", "int main(void) { return 1; }\n");
	h = hash_of(NULL, &m2, NULL);
	ok(strcmp(h, h0), "edited file: new hash");
	is_int(hash_manifest_diff(&m1, &m2, change_cb, &diff), 1, "manifest diff: one change");
	is_str(diff.buf, "~main.c", "manifest diff names it");
	free(h);
	put("main.c", "int main(void) { return 0; }\n");
	ok(same(NULL, h0), "edit reverted: original hash");
	chmod(mc, 0755);
	ok(!same(NULL, h0), "chmod +x: new hash");
	chmod(mc, 0644);
	unlink(lnk);
	if (symlink("other.c", lnk) < 0)
		abort();
	ok(!same(NULL, h0), "symlink target change: new hash");
	unlink(lnk);
	if (symlink("main.c", lnk) < 0)
		abort();
	ok(same(NULL, h0), "symlink restored: original hash");
	put("extra.c", "");
	hash_manifest_release(&m2);
	h = hash_of(NULL, &m2, NULL);
	strbuf_release(&diff);
	hash_manifest_diff(&m1, &m2, change_cb, &diff);
	is_str(diff.buf, "+extra.c", "added empty file: listed as added");
	{
		cleanup_free char *x = path_join(ctx, "extra.c");

		unlink(x);
	}
	strbuf_release(&diff);
	hash_manifest_release(&m1);
	hash_manifest_release(&m2);
}

static void test_params(void)
{
	struct opts o = { 0 }, o2 = { 0 };
	cleanup_free char *h0 = hash_of(NULL, NULL, NULL), *h1 = NULL, *h2 = NULL;
	int fd;

	ok(same(&o, h0), "empty options equal no options");
	o.target = "";
	ok(same(&o, h0), "empty target is no target");
	o.target = "dev";
	ok(!same(&o, h0), "target changes the hash");
	o.target = NULL;
	o.platform = "linux/arm64";
	ok(!same(&o, h0), "platform changes the hash");
	o.platform = NULL;
	o.secrets = "";
	ok(same(&o, h0), "no secrets: the hash of a build without them");
	o.secrets = "npmrc\tfile\t/home/u/.npmrc\n";
	ok(!same(&o, h0), "a secret's identity (id, source) changes the hash");
	o.secrets = NULL;
	kvlist_set(&o.ulimits, "nofile", "1024:2048");
	ok(!same(&o, h0), "a build ulimit changes the hash");
	kvlist_set(&o.ulimits, "nofile", "1024:4096");
	h1 = hash_of(&o, NULL, NULL);
	kvlist_set(&o.ulimits, "nofile", "1024:2048");
	ok(!same(&o, h1), "so does its hard limit");
	free(h1);
	h1 = NULL;
	kvlist_release(&o.ulimits);
	ok(same(&o, h0), "no ulimits: the hash of a build without them");
	kvlist_set(&o.args, "A", "1");
	kvlist_set(&o.args, "B", "2");
	kvlist_set(&o2.args, "B", "2");
	kvlist_set(&o2.args, "A", "1");
	h1 = hash_of(&o, NULL, NULL);
	ok(strcmp(h1, h0), "build args change the hash");
	ok(same(&o2, h1), "build arg order does not");
	kvlist_set(&o2.args, "A", "3");
	ok(!same(&o2, h1), "build arg value does");
	kvlist_release(&o2.args);
	kvlist_set(&o2.args, "A=1", "");
	kvlist_set(&o2.args, "B", "2");
	ok(!same(&o2, h1), "no ambiguity between key and value");
	kvlist_release(&o.args);
	kvlist_release(&o2.args);
	kvlist_set(&o.labels, "org.x", "1");
	ok(!same(&o, h0), "labels change the hash");
	free(h2);
	h2 = hash_of(&o, NULL, NULL);
	kvlist_set(&o2.args, "org.x", "1");
	ok(!same(&o2, h2), "a label and an arg with the same name differ");
	kvlist_release(&o.labels);
	kvlist_release(&o2.args);
	free(h2);
	o.bases[0] = "sha256:aaaa";
	o.nbases = 1;
	h2 = hash_of(&o, NULL, NULL);
	ok(strcmp(h2, h0), "base identity changes the hash");
	o.bases[0] = "sha256:bbbb";
	ok(!same(&o, h2), "a rebuilt base changes it again");
	o.nbases = 0;
	fd = open(outside_df, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "FROM base\n", 10) != 10)
		abort();
	close(fd);
	o.dockerfile = outside_df;
	free(h1);
	h1 = hash_of(&o, NULL, NULL);
	ok(strcmp(h1, h0) && strcmp(h1, "error"), "Dockerfile outside the context is hashed");
	fd = open(outside_df, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, "RUN true\n", 9) != 9)
		abort();
	close(fd);
	ok(!same(&o, h1), "editing the outside Dockerfile changes the hash");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench(char **argv)
{
	struct hash_input in = { argv[2], argv[3], NULL, NULL, NULL, NULL, NULL,
				 0,	  argv[4], NULL, NULL, NULL, NULL, NULL };
	struct hash_result r;
	struct cc_error *err = NULL;
	double t;
	int i;

	for (i = 0; i < 2; i++) {
		t = now();
		if (hash_build_inputs(&in, &r, &err) < 0) {
			fprintf(stderr, "error: %s\n", err->msg);
			return 1;
		}
		printf("%s: %zu entries, %zu files read (%.1f MB), %.2fs%s%s\n", i ? "warm" : "first", r.files.n,
		       r.stats.hashed, (double)r.stats.bytes / 1e6, now() - t, r.warning ? "; " : "",
		       r.warning ? r.warning : "");
		hash_result_release(&r);
	}
	return 0;
}

/* FIPS 180-2 test vectors. */
static void test_sha256(void)
{
	char hex[65];

	hash_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 hex of abc");
	hash_sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 hex of nothing");
}

int main(int argc, char **argv)
{
	cleanup_free char *cmd = NULL;

	if (argc == 5 && !strcmp(argv[1], "--bench"))
		return bench(argv);

	test_sha256();
	setup();
	test_context();
	test_params();
	cmd = xasprintf("rm -rf '%s'", root);
	if (system(cmd))
		printf("# could not remove %s\n", root);
	free(root);
	free(ctx);
	free(cache);
	free(outside_df);
	return done_testing();
}
