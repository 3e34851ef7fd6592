/* engine-container.h against a real engine: containers, networks,
 * volumes, logs, exec and events.  The stream demultiplexer is tested
 * first on canned bytes (no engine needed).  The engine is $DOCKER_HOST's
 * (Podman's too), else /var/run/docker.sock; without one the engine part
 * is skipped.  Everything made here is named ccbt-ec-$TEST_ID-... and
 * removed at the end. */
#include "engine-container.h"
#include "engine-internal.h"
#include "engine.h"
#include "error.h"
#include "lists.h"
#include "tap.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUSYBOX "ccbuild-test/busybox:latest"

static char prefix[64];
static int podman; /* the engine is Podman's: no healthchecks without systemd */

/* Print an error as TAP comment lines. */
static void diag(struct cc_error **err)
{
	const char *p = *err ? (*err)->msg : NULL;

	while (p && *p) {
		int n = (int)strcspn(p, "\n");

		printf("# %.*s\n", n, p);
		p += n + (p[n] == '\n');
	}
	cc_error_free(*err);
	*err = NULL;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lines seen, as "S:TEXT\n" (long lines as "S:<N x>"). */
static int collect(void *ctx, int stream, const char *line, size_t len)
{
	struct strbuf *sb = ctx;

	if (len > 100)
		strbuf_addf(sb, "%d:<%zu %c>\n", stream, len, line[0]);
	else
		strbuf_addf(sb, "%d:%.*s\n", stream, (int)len, line);
	return 0;
}

static int stop_at_second(void *ctx, int stream, const char *line, size_t len)
{
	int *n = ctx;

	return ++*n == 2;
}

static void frame(struct strbuf *sb, int stream, const char *s)
{
	size_t n = strlen(s);
	unsigned char h[8] = { (unsigned char)stream,
			       0,
			       0,
			       0,
			       (unsigned char)(n >> 24),
			       (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8),
			       (unsigned char)n };

	strbuf_add(sb, h, 8);
	strbuf_add(sb, s, n);
}

/* The same bytes cut into pieces of every size from 1 to 9. */
static void test_demux_frames(void)
{
	struct strbuf in = STRBUF_INIT;
	const char *want = "1:out1\n2:err1\n1:out2 joined\n2:\n1:last\n2:tail\n";
	size_t step, i, bad = 0;

	frame(&in, 1, "out1\n");
	frame(&in, 2, "err1\n");
	frame(&in, 1, "out2 ");
	frame(&in, 1, "");
	frame(&in, 1, "joined\nlast");
	frame(&in, 2, "\ntail");
	for (step = 1; step <= 9; step++) {
		struct strbuf got = STRBUF_INIT;
		struct engine_demux d = { .fn = collect, .ctx = &got };

		for (i = 0; i < in.len; i += step)
			engine_demux_feed(&d, in.buf + i, in.len - i < step ? in.len - i : step);
		engine_demux_finish(&d);
		if (!got.buf || strcmp(got.buf, want)) {
			printf("# step %zu: got\n%s", step, got.buf ? got.buf : "");
			bad++;
		}
		engine_demux_release(&d);
		strbuf_release(&got);
	}
	is_int(bad, 0, "demux: frames and lines split at every byte give the same lines");
	strbuf_release(&in);
}

static void test_demux_limits(void)
{
	struct strbuf got = STRBUF_INIT, in = STRBUF_INIT;
	int n = 0;
	struct engine_demux d = { .fn = collect, .ctx = &got };
	struct engine_demux raw = { .fn = collect, .ctx = &got, .raw = 1 };
	struct engine_demux stop = { .fn = stop_at_second, .ctx = &n };
	char *big = xmalloc(ENGINE_LINE_MAX + 4097);
	size_t i;

	memset(big, 'x', ENGINE_LINE_MAX + 4096);
	big[ENGINE_LINE_MAX + 4096] = '\0';
	for (i = 0; i < 3; i++) /* one line over three frames, past the limit */
		frame(&in, 1, big + i * (ENGINE_LINE_MAX / 2));
	frame(&in, 1, "\nnext\n");
	engine_demux_feed(&d, in.buf, in.len);
	is_str(got.buf, "1:<1048576 x>\n1:next\n",
	       "demux: a line past ENGINE_LINE_MAX is cut there, the next is whole");
	ok(d.line[1].cap <= 2 * ENGINE_LINE_MAX + 1, "demux: the line buffer stayed bounded (%zu)", d.line[1].cap);
	got.len = 0;
	engine_demux_feed(&raw, "tty one\r\ntty", 12);
	engine_demux_feed(&raw, " two\r\n", 6);
	is_str(got.buf, "1:tty one\n1:tty two\n", "demux: a TTY's raw stream, \\r\\n ends lines");
	in.len = 0;
	frame(&in, 1, "a\nb\nc\n");
	ok(engine_demux_feed(&stop, in.buf, in.len) && n == 2, "demux: fn stops it at the second line");
	ok(engine_demux_feed(&stop, in.buf, in.len) && engine_demux_finish(&stop) && n == 2,
	   "demux: nothing is handed on after fn said stop");
	engine_demux_release(&d);
	engine_demux_release(&raw);
	engine_demux_release(&stop);
	strbuf_release(&got);
	strbuf_release(&in);
	free(big);
}

/* A fake daemon: answers the ping, then sends body to the next request
 * and hangs up. */
struct fake {
	int fd;
	struct strbuf body;
};

static void fake_send(int c, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(c, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void *fake_serve(void *arg)
{
	static const char ping[] = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK";
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
	struct fake *f = arg;
	int i;

	for (i = 0; i < 2; i++) {
		int c = accept(f->fd, NULL, NULL);
		char req[4096];
		size_t got = 0;
		ssize_t r;

		if (c < 0)
			return NULL;
		while (got < sizeof(req) - 1 && (r = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		if (i == 0)
			fake_send(c, ping, sizeof(ping) - 1);
		else {
			fake_send(c, head, sizeof(head) - 1);
			fake_send(c, f->body.buf, f->body.len);
		}
		close(c);
	}
	return NULL;
}

static int record(void *ctx, const json_t *ev)
{
	strbuf_addf(ctx, "%s\n", json_string_value(json_object_get(ev, "Action")) ?: "?");
	return 0;
}

/* An event line past ENGINE_LINE_MAX and a line that is not JSON are
 * skipped, the next event comes; the stream's end is an error. */
static void test_events_fake(void)
{
	struct fake f = { -1, STRBUF_INIT };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct strbuf seen = STRBUF_INIT;
	struct cc_error *err = NULL;
	cleanup_free char *host = NULL;
	struct engine *e;
	pthread_t t;
	size_t i;
	int rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/ccbt-ec-%ld.sock", (long)getpid());
	unlink(sa.sun_path);
	f.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(f.fd, 4) < 0) {
		ok(0, "fake daemon: cannot listen on %s", sa.sun_path);
		return;
	}
	strbuf_addstr(&f.body, "{\"Action\":\"big\",\"pad\":\"");
	for (i = 0; i < ENGINE_LINE_MAX / 1024 + 16; i++)
		strbuf_addf(&f.body, "%01024d", 0);
	strbuf_addstr(&f.body, "\"}\nnot json\n{\"Action\":\"small\"}\n{\"Action\":\"last, no newline\"}");
	host = xasprintf("unix://%s", sa.sun_path);
	e = engine_open(host, &err);
	pthread_create(&t, NULL, fake_serve, &f);
	rc = engine_events(e, NULL, "1.5", 5000, record, &seen, NULL, &err);
	pthread_join(t, NULL);
	is_int(rc, -1, "events from a fake daemon: its hang-up is an error");
	ok(err && strstr(err->msg, "ended the stream"), "events: the error says the stream ended");
	diag(&err);
	is_str(seen.buf, "small\nlast, no newline\n", "events: the line past 1 MiB and the non-JSON one skipped");
	engine_close(e);
	close(f.fd);
	unlink(sa.sun_path);
	strbuf_release(&f.body);
	strbuf_release(&seen);
}

static char *name(const char *what)
{
	return xasprintf("%s-%s", prefix, what);
}

static struct strlist test_labels(void)
{
	struct strlist l = { 0 };
	cleanup_free char *lab = xasprintf("ccbt.test=%s", prefix);

	strlist_push(&l, lab);
	return l;
}

static json_t *labels_json(void)
{
	return json_pack("{s:s,s:s}", "ccbt.test", prefix, "ccbt.role", "main");
}

static void test_networks_volumes(struct engine *e)
{
	cleanup_free char *net = name("net"), *vol = name("vol");
	struct strlist labels = test_labels();
	struct cc_error *err = NULL;
	json_t *body = json_pack("{s:s,s:s,s:o}", "Name", net, "Driver", "bridge", "Labels", labels_json());
	json_t *out = NULL;

	is_int(engine_network_create(e, body, &err), 0, "network create");
	diag(&err);
	is_int(engine_network_create(e, body, &err), 1, "network create again: 1, it exists");
	diag(&err);
	json_decref(body);
	is_int(engine_network_inspect(e, net, &out, &err), 1, "network inspect");
	is_str(json_string_value(json_object_get(out, "Name")), net, "network inspect: its name");
	json_decref(out);
	out = NULL;
	is_int(engine_network_list(e, &labels, &out, &err), 0, "network list by label");
	is_int(json_array_size(out), 1, "network list: one network carries the label");
	json_decref(out);
	body = json_pack("{s:s,s:o}", "Name", vol, "Labels", labels_json());
	is_int(engine_volume_create(e, body, &err), 0, "volume create");
	diag(&err);
	is_int(engine_volume_create(e, body, &err), 0, "volume create again: 0");
	diag(&err);
	json_decref(body);
	is_int(engine_volume_inspect(e, vol, NULL, &err), 1, "volume inspect");
	out = NULL;
	is_int(engine_volume_list(e, &labels, &out, &err), 0, "volume list by label");
	diag(&err);
	ok(json_array_size(out) == 1 &&
		   !strcmp(json_string_value(json_object_get(json_array_get(out, 0), "Name")), vol),
	   "volume list: the one volume");
	json_decref(out);
	strlist_release(&labels);
}

/* stdout and stderr alternate (a pause keeps the daemon's two readers in
 * order), a line split over writes, a line past ENGINE_LINE_MAX, then
 * healthy once /tmp/ok exists; PID 1 sleep ignores SIGTERM. */
static const char script[] =
	"echo out1; sleep 0.1; echo err1 >&2; sleep 0.1; echo out2; printf part; sleep 0.1;"
	"printf 'ial\\n'; head -c 1100000 /dev/zero | tr '\\0' x; echo; sleep 0.1; echo tail1;"
	"sleep 0.1; echo tail2 >&2; sleep 0.1; echo tail3; echo hello >/data/f; mkdir -p /tmp; touch /tmp/ok;"
	"exec sleep 600";

static char *create_main(struct engine *e)
{
	cleanup_free char *cname = name("main"), *vol = name("vol"), *bind = xasprintf("%s:/data", vol);
	struct cc_error *err = NULL;
	char *id = NULL;
	json_t *body = json_pack("{s:s,s:[s,s,s],s:o,s:{s:[s,s],s:I,s:I,s:i},s:{s:[s]}}", "Image", BUSYBOX, "Cmd", "sh",
				 "-c", script, "Labels", labels_json(), "Healthcheck", "Test", "CMD-SHELL",
				 "test -f /tmp/ok", "Interval", (json_int_t)200000000, "Timeout",
				 (json_int_t)2000000000, "Retries", 3, "HostConfig", "Binds", bind);

	is_int(engine_container_create(e, cname, body, &id, &err), 0, "container create with labels and a healthcheck");
	diag(&err);
	json_decref(body);
	return id;
}

struct seen {
	struct strbuf actions;
	int healthy;
};

static int on_event(void *ctx, const json_t *ev)
{
	struct seen *s = ctx;
	const char *action = json_string_value(json_object_get(ev, "Action"));

	if (!action)
		return 0;
	strbuf_addf(&s->actions, "%s\n", action);
	if (str_has_prefix(action, "health_status") && strstr(action, "healthy") && !strstr(action, "unhealthy"))
		s->healthy = 1;
	if (podman && !strcmp(action, "start"))
		s->healthy = 1;
	return s->healthy ? 7 : 0;
}

/* Health through inspect, then the events since before the start: the
 * health_status event of the past must come. */
static void test_health_events(struct engine *e, const char *id, const char *since)
{
	struct seen s = { STRBUF_INIT, 0 };
	struct cc_error *err = NULL;
	const char *status = NULL;
	json_t *j = NULL, *filters;
	long t0 = now_ms();
	int rc;

	if (podman) { /* run the check by hand until it passes */
		const char *check[] = { "test", "-f", "/tmp/ok", NULL };
		long code = -1;

		printf("ok %d # SKIP Podman runs healthchecks from systemd timers only\n", ++tap_n);
		while (code != 0 && now_ms() - t0 < 30000 &&
		       engine_container_exec(e, id, check, NULL, NULL, NULL, NULL, &code, &err) == 0)
			usleep(100 * 1000);
		diag(&err);
	}
	while (!podman && now_ms() - t0 < 30000) {
		json_decref(j);
		j = NULL;
		if (engine_container_inspect(e, id, &j, &err) != 1)
			break;
		status = json_string_value(
			json_object_get(json_object_get(json_object_get(j, "State"), "Health"), "Status"));
		if (status && !strcmp(status, "healthy"))
			break;
		usleep(100 * 1000);
	}
	if (!podman)
		is_str(status, "healthy", "inspect: State.Health.Status healthy");
	diag(&err);
	json_decref(j);
	filters = json_pack("{s:[s],s:[s],s:[s,s]}", "type", "container", "container", id, "event", "start",
			    "health_status");
	rc = engine_events(e, filters, since, 10000, on_event, &s, NULL, &err);
	is_int(rc, 7, "events since before the start: fn's value once health_status healthy came");
	diag(&err);
	ok(s.actions.buf && str_has_prefix(s.actions.buf, "start\n"), "events: start came first");
	printf("# events: %s", s.actions.buf ? s.actions.buf : "(none)\n");
	json_decref(filters);
	strbuf_release(&s.actions);
}

static void test_logs(struct engine *e, const char *id)
{
	struct strbuf got = STRBUF_INIT;
	struct cc_error *err = NULL;
	char *tail = NULL;

	is_int(engine_container_logs(e, id, -1, 0, 0, collect, &got, NULL, &err), 0, "logs");
	diag(&err);
	is_str(got.buf, "1:out1\n2:err1\n1:out2\n1:partial\n1:<1048576 x>\n1:tail1\n2:tail2\n1:tail3\n",
	       "logs: stdout and stderr in order, a long line cut at 1 MiB");
	is_int(engine_container_tail(e, id, 3, &tail, &err), 0, "tail 3");
	is_str(tail, "tail1\ntail2\ntail3", "tail 3: the last three lines");
	free(tail);
	strbuf_release(&got);
	got.len = 0;
	is_int(engine_container_logs(e, id, 1, 0, 1, collect, &got, NULL, &err), 0, "logs with timestamps");
	ok(got.buf && str_has_prefix(got.buf, "1:20") && strstr(got.buf, " tail3\n"), "logs: timestamps prefixed");
	strbuf_release(&got);
}

static void test_exec(struct engine *e, const char *id)
{
	const char *argv[] = { "sh", "-c", "cat /data/f; sleep 0.1; echo oops >&2; exit 3", NULL };
	const char *nope[] = { "/no/such/binary", NULL };
	struct strbuf got = STRBUF_INIT;
	struct cc_error *err = NULL;
	long status = -2;

	is_int(engine_container_exec(e, id, argv, NULL, collect, &got, NULL, &status, &err), 0, "exec");
	diag(&err);
	is_int(status, 3, "exec: its exit code");
	is_str(got.buf, "1:hello\n2:oops\n", "exec: its stdout and stderr (the volume's file)");
	strbuf_release(&got);
	status = -2;
	engine_container_exec(e, id, nope, "nobody", NULL, NULL, NULL, &status, &err);
	ok(status == 126 || status == 127 || err, "exec of a missing binary: 126/127 or an error (%ld)", status);
	diag(&err);
	{
		const char *show[] = { "sh", "-c", "echo \"$TRACEPARENT|$CCBUILD_T\"", NULL };
		const char *env[] = { "TRACEPARENT=00-aa-bb-01", "CCBUILD_T=x y", NULL };

		status = -2;
		is_int(engine_container_exec_env(e, id, show, env, NULL, collect, &got, NULL, &status, &err), 0,
		       "exec with env");
		diag(&err);
		is_str(got.buf, "1:00-aa-bb-01|x y\n", "exec with env: the command sees it");
		strbuf_release(&got);
	}
}

struct canceller {
	atomic_int flag;
	long raised_at;
};

static void *raise_later(void *arg)
{
	struct canceller *c = arg;

	usleep(300 * 1000);
	c->raised_at = now_ms();
	atomic_store(&c->flag, 2);
	return NULL;
}

static int never(void *ctx, const json_t *ev)
{
	return 0;
}

/* A follow of logs and an events stream, both idle: a cancel raised
 * from another thread ends each within a second. */
static void test_cancel(struct engine *e, const char *id)
{
	struct canceller c = { 0 };
	struct strbuf got = STRBUF_INIT;
	struct cc_error *err = NULL;
	json_t *filters = json_pack("{s:[s]}", "container", id);
	pthread_t t;
	int rc;

	pthread_create(&t, NULL, raise_later, &c);
	rc = engine_container_logs(e, id, 0, 1, 0, collect, &got, &c.flag, &err);
	pthread_join(t, NULL);
	is_int(rc, ENGINE_CANCELLED, "logs follow: cancelled");
	ok(now_ms() - c.raised_at < 1000, "logs follow: returned %ld ms after the cancel", now_ms() - c.raised_at);
	ok(err && strstr(err->msg, "cancelled"), "logs follow: the error says cancelled");
	diag(&err);
	atomic_store(&c.flag, 0);
	pthread_create(&t, NULL, raise_later, &c);
	rc = engine_events(e, filters, NULL, -1, never, NULL, &c.flag, &err);
	pthread_join(t, NULL);
	is_int(rc, ENGINE_CANCELLED, "events: cancelled");
	ok(now_ms() - c.raised_at < 1000, "events: returned %ld ms after the cancel", now_ms() - c.raised_at);
	diag(&err);
	c.raised_at = now_ms();
	rc = engine_events(e, filters, NULL, 300, never, NULL, NULL, &err);
	is_int(rc, ENGINE_TIMEOUT, "events: timeout");
	ok(now_ms() - c.raised_at >= 290 && now_ms() - c.raised_at < 1300, "events: timeout after %ld ms",
	   now_ms() - c.raised_at);
	diag(&err);
	json_decref(filters);
	strbuf_release(&got);
}

static void test_rename_connect(struct engine *e, const char *id)
{
	cleanup_free char *renamed = name("renamed"), *old = name("main"), *net = name("net");
	struct strlist labels = test_labels();
	struct cc_error *err = NULL;
	json_t *j = NULL, *ep = json_pack("{s:[s]}", "Aliases", "ccbt-alias");
	const json_t *aliases, *a;
	size_t i;
	int found = 0;

	is_int(engine_container_rename(e, id, renamed, &err), 0, "rename");
	diag(&err);
	is_int(engine_container_inspect(e, old, NULL, &err), 0, "rename: the old name is gone");
	is_int(engine_container_inspect(e, renamed, &j, &err), 1, "rename: the new name answers");
	json_decref(j);
	j = NULL;
	is_int(engine_network_connect(e, net, id, ep, &err), 0, "network connect with aliases");
	diag(&err);
	is_int(engine_network_connect(e, net, id, ep, &err), 1, "network connect again: 1, it is on it");
	diag(&err);
	engine_container_inspect(e, id, &j, &err);
	aliases = json_object_get(
		json_object_get(json_object_get(json_object_get(j, "NetworkSettings"), "Networks"), net), "Aliases");
	json_array_foreach(aliases, i, a) found |= json_is_string(a) && !strcmp(json_string_value(a), "ccbt-alias");
	ok(found, "network connect: the alias is on the endpoint");
	json_decref(j);
	j = NULL;
	is_int(engine_container_list(e, &labels, &j, &err), 0, "container list by label");
	ok(json_array_size(j) == 1 && !strcmp(json_string_value(json_object_get(json_array_get(j, 0), "Id")), id),
	   "container list: the one container with the label");
	json_decref(j);
	json_decref(ep);
	strlist_release(&labels);
}

/* sleep as PID 1 ignores SIGTERM: stop -t 1 kills it after a second. */
static void test_stop(struct engine *e, const char *id)
{
	struct cc_error *err = NULL;
	long t0 = now_ms(), status = -1;

	is_int(engine_container_stop(e, id, 1, NULL, &err), 0, "stop -t 1");
	diag(&err);
	ok(now_ms() - t0 >= 900 && now_ms() - t0 < 6000, "stop -t 1: killed after the timeout (%ld ms)", now_ms() - t0);
	is_int(engine_container_stop(e, id, 1, NULL, &err), 0, "stop again: 0, already stopped");
	diag(&err);
	is_int(engine_container_wait(e, id, "not-running", NULL, &status, &err), 0, "wait not-running");
	is_int(status, 137, "wait: killed, 137");
	diag(&err);
}

static char *run_short(struct engine *e, const char *what, const char *cmd)
{
	cleanup_free char *cname = name(what);
	struct cc_error *err = NULL;
	json_t *body = json_pack("{s:s,s:[s,s,s],s:o}", "Image", BUSYBOX, "Cmd", "sh", "-c", cmd, "Labels",
				 json_pack("{s:s}", "ccbt.test", prefix));
	char *id = NULL;

	if (engine_container_create(e, cname, body, &id, &err) < 0 || engine_container_start(e, id, &err) < 0)
		diag(&err);
	json_decref(body);
	return id;
}

struct dies {
	char *code;
};

static int on_die(void *ctx, const json_t *ev)
{
	struct dies *d = ctx;

	const char *code = json_string_value(
		json_object_get(json_object_get(json_object_get(ev, "Actor"), "Attributes"), "exitCode"));

	d->code = code ? xstrdup(code) : NULL;
	return 1;
}

/* wait blocks until the exit; the die event carries the code; a stop
 * with a signal reaches the container's trap (kill + wait on 1.41). */
static void test_wait_die_signal(struct engine *e)
{
	cleanup_free char *since = NULL, *id = NULL, *id2 = NULL;
	struct cc_error *err = NULL;
	struct dies d = { NULL };
	struct strbuf lines = STRBUF_INIT;
	json_t *filters;
	long status = -1, t0;

	since = engine_now(e, &err);
	ok(since && strchr(since, '.'), "engine_now: %s", since ? since : "(null)");
	diag(&err);
	id = run_short(e, "short", "echo one; sleep 1; echo two; exit 7");
	t0 = now_ms();
	is_int(engine_container_logs(e, id, -1, 1, 0, collect, &lines, NULL, &err), 0, "logs follow");
	diag(&err);
	is_str(lines.buf, "1:one\n1:two\n", "logs follow: returns when the container stops, with every line");
	strbuf_release(&lines);
	is_int(engine_container_wait(e, id, "not-running", NULL, &status, &err), 0, "wait blocks until the exit");
	diag(&err);
	is_int(status, 7, "wait: exit code 7");
	ok(now_ms() - t0 >= 500, "wait: it waited (%ld ms)", now_ms() - t0);
	filters = json_pack("{s:[s],s:[s]}", "container", id, "event", "die");
	is_int(engine_events(e, filters, since, 5000, on_die, &d, NULL, &err), 1, "events: die since before the start");
	diag(&err);
	is_str(d.code, "7", "die event: exitCode 7");
	free(d.code);
	json_decref(filters);
	id2 = run_short(e, "trap", "trap 'exit 5' USR1; while :; do sleep 0.1; done");
	usleep(300 * 1000); /* let sh set its trap */
	t0 = now_ms();
	is_int(engine_container_stop(e, id2, 10, "SIGUSR1", &err), 0, "stop with signal USR1");
	diag(&err);
	engine_container_wait(e, id2, "not-running", NULL, &status, &err);
	ok(status == 5 && now_ms() - t0 < 5000, "stop with signal: the trap ran (exit %ld, %ld ms)", status,
	   now_ms() - t0);
	diag(&err);
	is_int(engine_container_remove(e, id, 0, 0, &err), 0, "remove a stopped container");
	is_int(engine_container_remove(e, id2, 1, 0, &err), 0, "remove the trap container");
	diag(&err);
}

/* A TTY container's output is raw, "\r\n"-ended lines, all stdout. */
static void test_tty_logs(struct engine *e)
{
	cleanup_free char *cname = name("tty");
	struct strbuf got = STRBUF_INIT;
	struct cc_error *err = NULL;
	json_t *body = json_pack("{s:s,s:b,s:[s,s,s],s:o}", "Image", BUSYBOX, "Tty", 1, "Cmd", "sh", "-c",
				 "echo tty-out; echo tty-err >&2", "Labels", json_pack("{s:s}", "ccbt.test", prefix));
	char *id = NULL;
	long status = -1;

	if (engine_container_create(e, cname, body, &id, &err) == 0 && engine_container_start(e, id, &err) == 0 &&
	    engine_container_wait(e, id, "not-running", NULL, &status, &err) == 0)
		is_int(engine_container_logs(e, id, -1, 0, 0, collect, &got, NULL, &err), 0, "logs of a TTY container");
	diag(&err);
	is_str(got.buf, "1:tty-out\n1:tty-err\n", "logs of a TTY container: lines without \\r, all on stdout");
	if (id)
		engine_container_remove(e, id, 1, 0, &err);
	diag(&err);
	free(id);
	json_decref(body);
	strbuf_release(&got);
}

static void test_errors(struct engine *e)
{
	cleanup_free char *bad = name("bad"), *none = name("none");
	struct cc_error *err = NULL;
	json_t *body = json_pack("{s:s,s:o}", "Image", "ccbuild-test/no-such-image:nope", "Labels",
				 json_pack("{s:s}", "ccbt.test", prefix));
	char *id = NULL;

	int rc;

	rc = engine_container_create(e, bad, body, &id, &err);
	ok(rc < 0 && err && str_has_prefix(err->msg, "engine: 404: "), "create from a missing image: %s",
	   err ? err->msg : "no error");
	diag(&err);
	rc = engine_container_start(e, none, &err);
	ok(rc < 0 && err && str_has_prefix(err->msg, "engine: 404: "), "start of a missing container: %s",
	   err ? err->msg : "no error");
	diag(&err);
	is_int(engine_container_inspect(e, none, NULL, &err), 0, "inspect of a missing container: 0");
	rc = engine_container_stop(e, none, 1, "SIGUSR1", &err);
	ok(rc < 0 && err && str_has_prefix(err->msg, "engine: 404: "), "stop with a signal of a missing container: %s",
	   err ? err->msg : "no error");
	diag(&err);
	json_object_set_new(body, "Image", json_string(BUSYBOX));
	json_object_set_new(body, "Cmd", json_pack("[s]", "true"));
	rc = engine_container_create(e, bad, body, &id, &err);
	is_int(rc, 0, "create, not started");
	if (rc == 0) {
		is_int(engine_container_stop(e, id, 1, "SIGUSR1", &err), 0,
		       "stop with a signal of a container never started: 0");
		diag(&err);
		engine_container_remove(e, id, 1, 0, &err);
		free(id);
	}
	diag(&err);
	rc = engine_container_logs(e, "../../images/json", 1, 0, 0, collect, NULL, NULL, &err);
	ok(rc < 0 && err, "a name with slashes is escaped, not a path: %s", err ? err->msg : "");
	diag(&err);
	json_decref(body);
}

/* Remove everything named after prefix, whatever the tests left. */
static void cleanup(struct engine *e, const char *id)
{
	cleanup_free char *net = name("net"), *vol = name("vol");
	struct strlist labels = test_labels();
	struct cc_error *err = NULL;
	json_t *list = NULL;
	size_t i;

	if (id) {
		is_int(engine_container_remove(e, id, 1, 0, &err), 0, "remove");
		diag(&err);
		is_int(engine_container_remove(e, id, 1, 0, &err), 1, "remove again: 1, it is gone");
	}
	if (engine_container_list(e, &labels, &list, &err) == 0)
		for (i = 0; i < json_array_size(list); i++)
			engine_container_remove(e, json_string_value(json_object_get(json_array_get(list, i), "Id")), 1,
						0, &err);
	diag(&err);
	json_decref(list);
	is_int(engine_network_remove(e, net, &err), 0, "network remove");
	diag(&err);
	is_int(engine_network_remove(e, net, &err), 1, "network remove again: 1");
	is_int(engine_volume_remove(e, vol, 0, &err), 0, "volume remove");
	diag(&err);
	is_int(engine_volume_remove(e, vol, 0, &err), 1, "volume remove again: 1");
	diag(&err);
	strlist_release(&labels);
}

static int is_podman(struct engine *e)
{
	json_t *v = NULL, *c;
	size_t i;
	int found = 0;

	if (engine_request(e, "GET", "/version", NULL, &v, NULL) == 200)
		json_array_foreach(json_object_get(v, "Components"), i, c) found |=
			!strncmp(json_string_value(json_object_get(c, "Name")) ?: "", "Podman", 6);
	json_decref(v);
	return found;
}

static void test_engine(struct engine *e)
{
	struct cc_error *err = NULL;
	cleanup_free char *since = engine_now(e, &err);
	char *id;

	test_networks_volumes(e);
	id = create_main(e);
	if (id) {
		is_int(engine_container_start(e, id, &err), 0, "start");
		diag(&err);
		is_int(engine_container_start(e, id, &err), 0, "start again: 0, already running");
		diag(&err);
		test_health_events(e, id, since);
		test_logs(e, id);
		test_exec(e, id);
		test_cancel(e, id);
		test_rename_connect(e, id);
		test_stop(e, id);
	}
	test_wait_die_signal(e);
	test_tty_logs(e);
	test_errors(e);
	cleanup(e, id);
	free(id);
}

int main(void)
{
	struct cc_error *err = NULL;
	const char *tid = getenv("TEST_ID");
	struct engine *e;

	test_demux_frames();
	test_demux_limits();
	test_events_fake();
	snprintf(prefix, sizeof(prefix), "ccbt-ec-%s", tid && *tid ? tid : "");
	if (!tid || !*tid)
		snprintf(prefix, sizeof(prefix), "ccbt-ec-%ld%04x", (long)getpid(), (unsigned)(now_ms() & 0xffff));
	e = engine_open(NULL, &err);
	if (!e || engine_ping(e, &err) < 0) {
		printf("# SKIP no engine: %s\n", err ? err->msg : "?");
		ok(1, "# SKIP no engine answers");
		cc_error_free(err);
		engine_close(e);
		return done_testing();
	}
	podman = is_podman(e);
	printf("# engine %s, API %s%s, prefix %s\n", engine_host(e), engine_api_version(e), podman ? " (Podman)" : "",
	       prefix);
	test_engine(e);
	engine_close(e);
	return done_testing();
}
