/* buildkit-ssh: CheckAgent and ForwardAgent against a transport double and
 * a fake agent on a unix socket; the relay reassembles a request split
 * over messages and answers it with the agent's whole reply. */
#include "bk-stream-double.h"
#include "buildkit-ssh.h"
#include "tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* SSH2_AGENTC_REQUEST_IDENTITIES, and an SSH2_AGENT_IDENTITIES_ANSWER with no keys. */
static const char request[] = "\0\0\0\1\13";
static const char reply[] = "\0\0\0\5\14\0\0\0\0";

struct agent {
	int lfd;
	char got[16];
	size_t ngot;
};

/* Accept one connection, read one 5-byte request, answer, wait for EOF. */
static void *agent_main(void *arg)
{
	struct agent *a = arg;
	int fd = accept(a->lfd, NULL, NULL);
	char c;

	if (fd < 0)
		return NULL;
	while (a->ngot < 5 && read(fd, a->got + a->ngot, 1) == 1)
		a->ngot++;
	if (a->ngot == 5 && write(fd, reply, 9) != 9)
		a->ngot = 0;
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
	return NULL;
}

static int agent_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		BUG("listen %s", path);
	return fd;
}

static void test_add(const char *sock, const char *dir)
{
	struct bk_ssh *sh = bk_ssh_new();
	cleanup_free char *file = path_join(dir, "key"), *e1 = xasprintf("other=%s", sock),
			  *e2 = xasprintf("other=%s", file), *ident = NULL, *want = NULL;
	struct cc_error *err = NULL;
	FILE *f = fopen(file, "w");

	if (!f)
		BUG("%s", file);
	fclose(f);
	unsetenv("SSH_AUTH_SOCK");
	ok(bk_ssh_add(sh, "default", &err) < 0 && strstr(err->msg, "SSH_AUTH_SOCK is not set"),
	   "default without SSH_AUTH_SOCK: an error saying so");
	cc_error_free(err), err = NULL;
	ok(bk_ssh_add(sh, e2, &err) < 0 && strstr(err->msg, "not an agent socket"), "a key file: not supported");
	cc_error_free(err), err = NULL;
	ok(bk_ssh_add(sh, "=x", &err) < 0 && strstr(err->msg, "no id"), "an empty id");
	cc_error_free(err), err = NULL;
	setenv("SSH_AUTH_SOCK", sock, 1);
	ok(bk_ssh_add(sh, "default", &err) == 0 && bk_ssh_add(sh, e1, &err) == 0 && bk_ssh_add(sh, e1, &err) == 0 &&
		   bk_ssh_count(sh) == 2,
	   "default from SSH_AUTH_SOCK and other=SOCKET; the same pair again is a no-op");
	ident = bk_ssh_identity(sh);
	want = xasprintf("default\tssh\t%s\nother\tssh\t%s\n", sock, sock);
	is_str(ident, want, "identity: ids and sockets, sorted");
	bk_ssh_free(sh);
}

static int check(struct bk_ssh *sh, const char *id, size_t *nout)
{
	struct bk_stream s = { 0 };
	struct cc_error *err = NULL;
	int rc;

	if (id)
		double_request(&s, 1, id);
	else
		s.nin = 1; /* an empty request: the default id */
	rc = bk_ssh_check_agent(sh, &s, &err);
	*nout = s.nout;
	cc_error_free(err);
	double_release(&s);
	return rc;
}

static void test_forward(struct bk_ssh *sh, struct agent *a)
{
	struct bk_stream s = { .meta_name = BK_SSH_META_ID, .meta_value = "other" };
	struct cc_error *err = NULL;
	pthread_t t;
	char *got;
	int rc;

	if (pthread_create(&t, NULL, agent_main, a))
		BUG("pthread_create");
	pbw_bytes(&s.in[s.nin++], 1, request, 3); /* the request split over two messages */
	pbw_bytes(&s.in[s.nin++], 1, request + 3, 2);
	rc = bk_ssh_forward_agent(sh, &s, &err);
	pthread_join(t, NULL);
	ok(rc == 0 && !err, "ForwardAgent: 0 when BuildKit half-closes");
	ok(a->ngot == 5 && !memcmp(a->got, request, 5), "the agent got the whole request");
	got = double_response_field(&s, 1);
	ok(s.nout == 1 && got && s.out[0].len == 11 && !memcmp(s.out[0].data + 2, reply, 9),
	   "one BytesMessage back with the agent's whole reply");
	free(got);
	cc_error_free(err), err = NULL;
	double_release(&s);
	s = (struct bk_stream){ .meta_name = BK_SSH_META_ID, .meta_value = "nope" };
	rc = bk_ssh_forward_agent(sh, &s, &err);
	ok(rc == 5 && err && strstr(err->msg, "'nope' is not forwarded"), "an unknown id: NOT_FOUND naming it");
	cc_error_free(err), err = NULL;
	double_release(&s);
	s = (struct bk_stream){ 0 }; /* default: the same socket, accepted by the backlog */
	pbw_bytes(&s.in[s.nin++], 1, "\0\20\0\0\1", 5);
	rc = bk_ssh_forward_agent(sh, &s, &err);
	ok(rc == 3 && err && strstr(err->msg, "agent request of 1048576 bytes"), "an over-long request: INVALID");
	cc_error_free(err), err = NULL;
	double_release(&s);
	close(a->lfd);
	a->lfd = -1;
	s = (struct bk_stream){ 0 };
	rc = bk_ssh_forward_agent(sh, &s, &err);
	ok(rc == 14, "the agent gone: UNAVAILABLE (got %d)", rc);
	cc_error_free(err);
	double_release(&s);
}

int main(void)
{
	char tmpl[] = "/tmp/test-bkssh-XXXXXX";
	const char *dir = mkdtemp(tmpl);
	cleanup_free char *sock = NULL, *key = NULL;
	struct agent a = { 0 };
	struct bk_ssh *sh;
	size_t nout;

	if (!dir)
		BUG("mkdtemp");
	sock = path_join(dir, "agent.sock");
	a.lfd = agent_listen(sock);
	test_add(sock, dir);
	sh = bk_ssh_new();
	key = xasprintf("other=%s", sock);
	if (bk_ssh_add(sh, "default", NULL) < 0 || bk_ssh_add(sh, key, NULL) < 0)
		BUG("bk_ssh_add");
	free(key);
	key = path_join(dir, "key");
	ok(check(sh, NULL, &nout) == 0 && nout == 1, "CheckAgent of the default id: OK, an empty response");
	ok(check(sh, "other", &nout) == 0, "CheckAgent of other: OK");
	ok(check(sh, "nope", &nout) == 5 && nout == 0, "CheckAgent of an id not served: NOT_FOUND");
	test_forward(sh, &a);
	bk_ssh_free(sh);
	unlink(sock);
	unlink(key);
	rmdir(dir);
	return done_testing();
}
