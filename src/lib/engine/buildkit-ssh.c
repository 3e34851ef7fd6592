/* buildkit-ssh: CheckAgent and ForwardAgent against local agent sockets. */
#include "buildkit-ssh.h"

#include "buildkit-stream.h"
#include "error.h"
#include "pbwire.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum { ST_CANCELLED = 1, ST_INVALID = 3, ST_NOT_FOUND = 5, ST_UNAVAILABLE = 14 };
#define AGENT_TIMEOUT_MS 30000

struct ssh_id {
	char *id, *path;
};

struct bk_ssh {
	struct ssh_id *v;
	size_t n, cap;
};

struct bk_ssh *bk_ssh_new(void)
{
	return xcalloc(1, sizeof(struct bk_ssh));
}

static const struct ssh_id *ssh_find(const struct bk_ssh *sh, const char *id, size_t len)
{
	for (size_t i = 0; i < sh->n; i++)
		if (strlen(sh->v[i].id) == len && !memcmp(sh->v[i].id, id, len))
			return &sh->v[i];
	return NULL;
}

int bk_ssh_add(struct bk_ssh *sh, const char *entry, struct cc_error **err)
{
	const char *eq = strchr(entry, '='), *path = eq ? eq + 1 : getenv("SSH_AUTH_SOCK");
	size_t idlen = eq ? (size_t)(eq - entry) : strlen(entry);
	const struct ssh_id *old;
	struct stat st;

	if (!idlen)
		return cc_error_set(err, "build.ssh '%s': no id", entry);
	if (strpbrk(entry, "\t\n"))
		return cc_error_set(err, "build.ssh '%.*s': a tab or newline in it", (int)idlen, entry);
	if (!path || !*path)
		return cc_error_set(err, "build.ssh '%.*s': %s", (int)idlen, entry,
				    eq ? "no socket path after '='" : "SSH_AUTH_SOCK is not set (start an ssh-agent)");
	if (stat(path, &st) < 0)
		return cc_error_set(err, "build.ssh '%.*s': %s: %s", (int)idlen, entry, path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return cc_error_set(err, "build.ssh '%.*s': %s is not an agent socket (key files are not supported)",
				    (int)idlen, entry, path);
	old = ssh_find(sh, entry, idlen);
	if (old && strcmp(old->path, path))
		return cc_error_set(err, "build.ssh '%s' given twice: %s and %s", old->id, old->path, path);
	if (!old) {
		xgrow(&sh->v, &sh->cap, sh->n + 1, sizeof(*sh->v));
		sh->v[sh->n++] = (struct ssh_id){ xstrndup(entry, idlen), xstrdup(path) };
	}
	return 0;
}

size_t bk_ssh_count(const struct bk_ssh *sh)
{
	return sh->n;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct ssh_id *)a)->id, ((const struct ssh_id *)b)->id);
}

char *bk_ssh_identity(const struct bk_ssh *sh)
{
	struct ssh_id *order = xcalloc(sh->n ? sh->n : 1, sizeof(*order));
	struct strbuf sb = STRBUF_INIT;

	if (sh->n)
		memcpy(order, sh->v, sh->n * sizeof(*order));
	qsort(order, sh->n, sizeof(*order), by_id);
	for (size_t i = 0; i < sh->n; i++)
		strbuf_addf(&sb, "%s\tssh\t%s\n", order[i].id, order[i].path);
	free(order);
	return strbuf_detach(&sb);
}

void bk_ssh_free(struct bk_ssh *sh)
{
	if (!sh)
		return;
	for (size_t i = 0; i < sh->n; i++) {
		free(sh->v[i].id);
		free(sh->v[i].path);
	}
	free(sh->v);
	free(sh);
}

/* Field 1 (bytes or string) of msg, appended to *sb (several are
 * concatenated); -1 when malformed. */
static int field1(const uint8_t *msg, size_t len, struct strbuf *sb)
{
	struct pbreader r = pbreader_of(msg, len);
	struct pbfield f;
	int rc;

	while ((rc = pb_next(&r, &f)) > 0) {
		if (f.num == 1 && f.wire != PB_LEN)
			return -1;
		if (f.num == 1)
			strbuf_add(sb, f.data, f.len);
	}
	return rc;
}

int bk_ssh_check_agent(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	struct strbuf id = STRBUF_INIT;
	uint8_t *msg;
	size_t len;
	int rc = bk_stream_recv_one(s, "CheckAgent", &msg, &len, err);

	if (rc)
		return rc;
	rc = field1(msg, len, &id);
	free(msg);
	if (rc < 0)
		rc = (cc_error_set(err, "malformed CheckAgent request"), ST_INVALID);
	else if (!ssh_find(ctx, id.len ? id.buf : "default", id.len ? id.len : 7))
		rc = (cc_error_set(err, "ssh id '%.*s' is not forwarded (build.ssh names the ids served)",
				   (int)(id.len > 256 ? 256 : id.len), id.buf),
		      ST_NOT_FOUND);
	else
		rc = bk_stream_send_wiped(s, NULL, 0, err);
	strbuf_release(&id);
	return rc;
}

/* A connected stream socket to path, or -1 with *err. */
static int agent_connect(const struct ssh_id *a, struct cc_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(a->path) >= sizeof(sa.sun_path))
		return cc_error_set(err, "ssh '%s': socket path %s is too long", a->id, a->path);
	memcpy(sa.sun_path, a->path, strlen(a->path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return cc_error_set(err, "ssh '%s': socket: %s", a->id, strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		cc_error_set(err, "ssh '%s': connect %s: %s", a->id, a->path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Read exactly len bytes from the agent within AGENT_TIMEOUT_MS each: 0, or -1. */
static int agent_read(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t off = 0;

	while (off < len) {
		ssize_t n;
		int rc = poll(&p, 1, AGENT_TIMEOUT_MS);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		n = read(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Relay one whole request frame[0..len) to the agent and its whole reply
 * back as one BytesMessage: 0, or a status. */
static int relay(const struct ssh_id *a, int fd, struct bk_stream *s, const char *frame, size_t len,
		 struct cc_error **err)
{
	struct pbbuf out = { 0 };
	uint8_t hdr[4], *reply;
	uint32_t rlen;
	int rc;

	if (write_full(fd, frame, len) < 0)
		return cc_error_set(err, "ssh '%s': write to %s: %s", a->id, a->path, strerror(errno)), ST_UNAVAILABLE;
	if (agent_read(fd, hdr, 4) < 0)
		return cc_error_set(err, "ssh '%s': the agent at %s did not answer", a->id, a->path), ST_UNAVAILABLE;
	if ((rlen = be32(hdr)) > BK_SSH_MSG_MAX)
		return cc_error_set(err, "ssh '%s': agent reply of %u bytes", a->id, rlen), ST_UNAVAILABLE;
	reply = xmalloc(rlen + 4);
	memcpy(reply, hdr, 4);
	if (agent_read(fd, reply + 4, rlen) < 0) {
		free(reply);
		return cc_error_set(err, "ssh '%s': the agent at %s cut its reply short", a->id, a->path),
		       ST_UNAVAILABLE;
	}
	pbw_bytes(&out, 1, reply, rlen + 4);
	explicit_bzero(reply, rlen + 4);
	free(reply);
	rc = bk_stream_send_wiped(s, out.data, out.len, err);
	pbbuf_release(&out);
	return rc;
}

/* Relay every whole frame at the start of *in, keeping the rest: 0, or a status. */
static int relay_frames(const struct ssh_id *a, int fd, struct bk_stream *s, struct strbuf *in, struct cc_error **err)
{
	size_t off = 0;
	int rc = 0;

	while (rc == 0 && in->len - off >= 4) {
		uint32_t flen = be32(in->buf + off);

		if (flen > BK_SSH_MSG_MAX)
			return cc_error_set(err, "ssh '%s': agent request of %u bytes", a->id, flen), ST_INVALID;
		if (in->len - off < 4 + (size_t)flen)
			break;
		rc = relay(a, fd, s, in->buf + off, 4 + (size_t)flen, err);
		off += 4 + (size_t)flen;
	}
	memmove(in->buf, in->buf + off, in->len - off);
	in->len -= off;
	return rc;
}

int bk_ssh_forward_agent(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	const char *id = bk_stream_meta(s, BK_SSH_META_ID, 0);
	const struct ssh_id *a = ssh_find(ctx, id ? id : "default", strlen(id ? id : "default"));
	struct strbuf in = STRBUF_INIT;
	cleanup_close int fd = -1;
	uint8_t *msg;
	size_t len;
	int rc = 0;

	if (!a)
		return cc_error_set(err, "ssh id '%.256s' is not forwarded (build.ssh names the ids served)",
				    id ? id : "default"),
		       ST_NOT_FOUND;
	if ((fd = agent_connect(a, err)) < 0)
		return ST_UNAVAILABLE;
	while (rc == 0) {
		int got = bk_stream_recv(s, &msg, &len, err);

		if (got <= 0) {
			rc = got < 0 ? ST_CANCELLED : 0;
			break;
		}
		if (field1(msg, len, &in) < 0)
			rc = (cc_error_set(err, "ssh '%s': malformed ForwardAgent message", a->id), ST_INVALID);
		free(msg);
		if (rc == 0)
			rc = relay_frames(a, fd, s, &in, err);
	}
	strbuf_release(&in);
	return rc;
}
