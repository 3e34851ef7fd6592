/* state: records round-trip, damage is a warning, writes are atomic, the
 * lock serialises runs and reports the holder. */
#include "error.h"
#include "hash.h"
#include "state.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char *dir;

static void manifest(struct hash_manifest *m, const char *p1, const char *p2)
{
	memset(m, 0, sizeof(*m));
	m->v = xcalloc(2, sizeof(*m->v));
	m->v[0].path = arena_strndup(&m->arena, p1, strlen(p1));
	memset(m->v[0].digest, 0x11, 32);
	m->v[1].path = arena_strndup(&m->arena, p2, strlen(p2));
	memset(m->v[1].digest, 0x22, 32);
	m->n = 2;
}

static int save(const char *input, const char *output, const struct hash_manifest *m)
{
	struct step_record r = { 0 };
	struct cc_error *err = NULL;
	int rc;

	r.step = xstrdup("build:web");
	r.input = xstrdup(input);
	r.output = xstrdup(output);
	r.time = 1700000000;
	strlist_push(&r.tags, "web:dev");
	rc = state_save_step(dir, &r, m, &err);
	if (rc < 0) {
		printf("# %s\n", err->msg);
		cc_error_free(err);
	}
	step_record_release(&r);
	return rc;
}

static void write_text(const char *rel, const char *text)
{
	cleanup_free char *p = path_join(dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

static void test_roundtrip(void)
{
	struct hash_manifest m, got;
	struct step_record r;
	char *w = NULL;
	cleanup_free char *files_a = NULL;

	is_int(state_load_step(dir, "build:web", &r, &w), 0, "no record yet");
	ok(!w, "absent record is no warning");
	manifest(&m, "a", "dir/b");
	is_int(save(HEX_A, "sha256:1", &m), 0, "save");
	is_int(state_load_step(dir, "build:web", &r, &w), 1, "load");
	is_str(r.input, HEX_A, "input hash");
	is_str(r.output, "sha256:1", "output");
	ok(r.tags.n == 1 && !strcmp(r.tags.v[0], "web:dev"), "tags");
	is_int(r.time, 1700000000, "time");
	is_int(state_load_files(dir, &r, &got, &w), 1, "manifest loads");
	ok(got.n == 2 && !strcmp(got.v[1].path, "dir/b") && got.v[1].digest[31] == 0x22, "manifest round-trips");
	files_a = path_join(dir, r.files);
	hash_manifest_release(&got);
	step_record_release(&r);
	is_int(save(HEX_B, "sha256:2", &m), 0, "save a new run");
	ok(access(files_a, F_OK) < 0, "the old manifest is removed");
	hash_manifest_release(&m);
}

static void expect_warning(const char *what)
{
	struct step_record r;
	char *w = NULL;

	ok(state_load_step(dir, "build:web", &r, &w) == 0, "%s: treated as no record", what);
	ok(w != NULL, "%s: warning (%s)", what, w ? w : "none");
	free(w);
}

static void test_damage(void)
{
	struct hash_manifest m, got;
	struct step_record r;
	char *w = NULL;

	write_text("steps/build%3Aweb.json", "{\"version\": 1, \"step\": \"build:w");
	expect_warning("truncated JSON");
	write_text("steps/build%3Aweb.json", "[1,2]");
	expect_warning("not an object");
	write_text("steps/build%3Aweb.json",
		   "{\"version\":2,\"step\":\"build:web\",\"input\":\"" HEX_A "\",\"output\":\"x\",\"time\":1}");
	expect_warning("future version");
	write_text("steps/build%3Aweb.json",
		   "{\"version\":1,\"step\":\"build:api\",\"input\":\"" HEX_A "\",\"output\":\"x\",\"time\":1}");
	expect_warning("record of another step");
	write_text("steps/build%3Aweb.json",
		   "{\"version\":1,\"step\":\"build:web\",\"input\":\"xyz\",\"output\":\"x\",\"time\":1}");
	expect_warning("bad input hash");
	manifest(&m, "a", "b");
	save(HEX_A, "sha256:1", &m);
	hash_manifest_release(&m);
	state_load_step(dir, "build:web", &r, &w);
	write_text(r.files, "ccbuild-files 1 2\nshort");
	is_int(state_load_files(dir, &r, &got, &w), 0, "corrupt manifest: none");
	ok(w != NULL, "corrupt manifest: warning");
	free(w);
	step_record_release(&r);
}

/* A writer process alternates two records while we read: every read must
 * see one of them whole. */
static void test_atomic(void)
{
	struct step_record r;
	char *w = NULL;
	int i, bad = 0, seen_a = 0, seen_b = 0, status;
	pid_t pid;

	save(HEX_A, "sha256:1", NULL);
	fflush(stdout); /* else the child prints our buffered TAP again (seen under TSan) */
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 300; i++)
			save(i % 2 ? HEX_A : HEX_B, i % 2 ? "sha256:1" : "sha256:2", NULL);
		_exit(0);
	}
	for (i = 0; i < 3000; i++) {
		if (state_load_step(dir, "build:web", &r, &w) != 1) {
			bad++;
			printf("# read %d: %s\n", i, w ? w : "absent");
			free(w);
			continue;
		}
		seen_a += !strcmp(r.output, "sha256:1") && !strcmp(r.input, HEX_A);
		seen_b += !strcmp(r.output, "sha256:2") && !strcmp(r.input, HEX_B);
		step_record_release(&r);
	}
	waitpid(pid, &status, 0);
	is_int(bad, 0, "concurrent reads never see a partial record");
	is_int(seen_a + seen_b, 3000, "every read is the old or the new record");
}

struct waiter {
	long pid;
	int release_fd;
};

/* Called before blocking: remember the holder and let it go. */
static void on_wait(long pid, void *data)
{
	struct waiter *w = data;

	w->pid = pid;
	if (write(w->release_fd, "x", 1) != 1)
		abort();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A holder process takes the lock, and drops it 300 ms after we ask.
 * (Forking while holding a flock would share it with the child, so the
 * holder is the child.) */
static void test_lock(void)
{
	struct state_lock *l = NULL;
	struct waiter w = { 0, -1 };
	int ready[2], release[2], status;
	char c;
	double t;
	pid_t pid;

	if (pipe(ready) < 0 || pipe(release) < 0)
		abort();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (state_lock(dir, &l, NULL, NULL, NULL) < 0 || write(ready[1], "r", 1) != 1 ||
		    read(release[0], &c, 1) != 1)
			_exit(1);
		usleep(300000);
		state_unlock(l);
		_exit(0);
	}
	ok(read(ready[0], &c, 1) == 1, "holder has the lock");
	w.release_fd = release[1];
	t = now();
	ok(state_lock(dir, &l, on_wait, &w, NULL) == 0, "second run gets the lock");
	is_int(w.pid, pid, "waiting callback names the holder's pid");
	ok(now() - t > 0.2, "and it blocked until the holder let go (%.2fs)", now() - t);
	state_unlock(l);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "holder exited cleanly");
	ok(state_lock(dir, &l, on_wait, &w, NULL) == 0 && w.pid == pid, "free lock: no wait");
	state_unlock(l);
	close(ready[0]), close(ready[1]), close(release[0]), close(release[1]);
}

int main(void)
{
	struct cc_error *err = NULL;
	cleanup_free char *cmd = NULL;
	char *path;

	dir = xstrdup("/tmp/ccb-state-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	path = path_join(dir, ".ccbuild");
	free(dir);
	dir = path;
	ok(state_init(dir, &err) == 0, "state_init");
	ok(state_init(dir, &err) == 0, "state_init again");
	test_roundtrip();
	test_damage();
	test_atomic();
	test_lock();
	{
		cleanup_free char *a = state_statcache_path(dir, ".", "Dockerfile");
		cleanup_free char *b = state_statcache_path(dir, "./", "./Dockerfile");
		cleanup_free char *c = state_statcache_path(dir, ".", "other.Dockerfile");

		is_str(a, b, "stat cache path is per absolute context and Dockerfile");
		ok(strcmp(a, c), "another Dockerfile, another stat cache");
	}
	path = path_dirname(dir);
	cmd = xasprintf("rm -rf '%s'", path);
	free(path);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	free(dir);
	return done_testing();
}
