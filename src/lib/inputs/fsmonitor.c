/* fsmonitor: the client side of the watcher's service and the walk
 * snapshot (formats in fsmonitor.h). */
#include "fsmonitor.h"
#include "atomicfile.h"
#include "ctxwalk.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SNAPSHOT_MAX (1024L << 20) /* 1 GiB: about 10 million entries */

void fsmonitor_rules_digest(const struct ignore *ig, char out[65])
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char d[32];

	for (size_t i = 0; ig && i < ignore_count(ig); i++) {
		int exception;
		const char *p = ignore_pattern(ig, i, &exception);

		strbuf_addf(&sb, "%s%s\n", exception ? "!" : "", p);
	}
	EVP_Digest(sb.buf ? sb.buf : "", sb.len, d, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	strbuf_release(&sb);
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Connect to sock; the fd or -1. */
static int dial(const char *sock)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(sock) >= sizeof(a.sun_path) || access(sock, F_OK) < 0)
		return -1;
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The whole answer (until the watcher closes) within the deadline. */
static int read_all(int fd, long deadline, struct strbuf *sb)
{
	char buf[65536];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		if ((n = read(fd, buf, sizeof(buf))) < 0 && errno != EINTR)
			return -1;
		if (n == 0)
			return 0;
		if (n > 0)
			strbuf_add(sb, buf, (size_t)n);
		if (sb->len > (256u << 20))
			return -1;
	}
}

/* Parse an answer: 1 ok with paths, 0 rescan, -1 malformed. */
static int parse_answer(const struct strbuf *sb, char **new_token, struct strlist *paths)
{
	const char *nl = sb->buf ? memchr(sb->buf, '\n', sb->len) : NULL;
	const char *p, *end = sb->buf + sb->len;
	int ok;

	if (!nl)
		return -1;
	if (!strncmp(sb->buf, "ok\t", 3))
		ok = 1;
	else if (!strncmp(sb->buf, "rescan\t", 7))
		ok = 0;
	else
		return -1;
	p = sb->buf + (ok ? 3 : 7);
	*new_token = xstrndup(p, strcspn(p, "\t\n"));
	for (p = nl + 1; ok && p < end;) {
		const char *z = memchr(p, '\0', (size_t)(end - p));

		if (!z) {
			free(*new_token);
			*new_token = NULL;
			return -1;
		}
		strlist_push(paths, p);
		p = z + 1;
	}
	return ok;
}

int fsmonitor_query(const char *sock, const char *token, const char *root, const char *rules, long timeout_ms,
		    char **new_token, struct strlist *paths)
{
	long deadline = mono_ms() + timeout_ms;
	struct strbuf sb = STRBUF_INIT;
	cleanup_free char *req = NULL;
	int fd, rc = -1;

	*new_token = NULL;
	if (strpbrk(root, "\t\n") || (token && strpbrk(token, "\t\n")) || (fd = dial(sock)) < 0)
		return -1;
	req = xasprintf("%s\t%s\t%s\t%s\n", FSMONITOR_HELLO, token ? token : "-", root, rules);
	if (write(fd, req, strlen(req)) == (ssize_t)strlen(req) && read_all(fd, deadline, &sb) == 0)
		rc = parse_answer(&sb, new_token, paths);
	close(fd);
	strbuf_release(&sb);
	return rc;
}

/* One header line "KEY\tVALUE\n" at *p; the value (caller frees) or NULL. */
static char *header(const char **p, const char *end, const char *key)
{
	size_t k = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char *v;

	if (!nl || (size_t)(nl - *p) <= k || strncmp(*p, key, k) || (*p)[k] != '\t')
		return NULL;
	v = xstrndup(*p + k + 1, (size_t)(nl - *p - k - 1));
	*p = nl + 1;
	return v;
}

/* Entries of a snapshot body into l; -1 when malformed. */
static int parse_entries(const char *p, const char *end, unsigned long long n, struct ctx_list *l)
{
	for (unsigned long long i = 0; i < n; i++) {
		struct ctx_entry e = { 0 };
		const char *z1 = memchr(p, '\0', (size_t)(end - p)), *z2, *z3;
		unsigned long long num[6];
		long long t[2];
		char *q = (char *)p;

		if (!z1 || !(z2 = memchr(z1 + 1, '\0', (size_t)(end - z1 - 1))) ||
		    !(z3 = memchr(z2 + 1, '\0', (size_t)(end - z2 - 1))))
			return -1;
		for (int k = 0; k < 6; k++)
			num[k] = strtoull(q, &q, 10);
		t[0] = strtoll(q, &q, 10);
		t[1] = strtoll(q, &q, 10);
		if (q != z1)
			return -1;
		e.mode = (uint32_t)num[0];
		e.nlink = (uint32_t)num[1];
		e.size = num[2];
		e.ino = num[3];
		e.dev = num[4];
		e.rdev = num[5];
		e.mtime_ns = t[0];
		e.ctime_ns = t[1];
		e.path = arena_strndup(&l->arena, z1 + 1, (size_t)(z2 - z1 - 1));
		e.link = z3 > z2 + 1 ? arena_strndup(&l->arena, z2 + 1, (size_t)(z3 - z2 - 1)) : NULL;
		VEC_PUSH(l->v, l->n, l->cap, e);
		p = z3 + 1;
	}
	return p == end ? 0 : -1;
}

/* Load a snapshot made at root with rules: its token (caller frees) and
 * entries into l; -1 when absent, foreign or malformed (l emptied). */
static int snapshot_load(const char *file, const char *root, const char *rules, char **token, struct ctx_list *l)
{
	cleanup_free char *buf = NULL, *r = NULL, *ru = NULL, *count = NULL;
	size_t len;
	const char *p, *end;
	char *tail;
	unsigned long long n;
	static const char magic[] = "ccbuild-walk 1\n";

	*token = NULL;
	if (read_file_max(file, SNAPSHOT_MAX, &buf, &len, NULL) < 0 || len < sizeof(magic) - 1 ||
	    memcmp(buf, magic, sizeof(magic) - 1))
		return -1;
	p = buf + sizeof(magic) - 1;
	end = buf + len;
	if (!(*token = header(&p, end, "token")) || !(r = header(&p, end, "root")) || strcmp(r, root) ||
	    !(ru = header(&p, end, "rules")) || strcmp(ru, rules) || !(count = header(&p, end, "count")) ||
	    (n = strtoull(count, &tail, 10), *tail) || parse_entries(p, end, n, l) < 0) {
		free(*token);
		*token = NULL;
		ctx_list_release(l);
		return -1;
	}
	return 0;
}

static void snapshot_save(const char *file, const char *token, const char *root, const char *rules,
			  const struct ctx_list *l)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "ccbuild-walk 1\ntoken\t%s\nroot\t%s\nrules\t%s\ncount\t%zu\n", token, root, rules, l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct ctx_entry *e = &l->v[i];

		strbuf_addf(&sb, "%u %u %llu %llu %llu %llu %lld %lld", e->mode, e->nlink, (unsigned long long)e->size,
			    (unsigned long long)e->ino, (unsigned long long)e->dev, (unsigned long long)e->rdev,
			    (long long)e->mtime_ns, (long long)e->ctime_ns);
		strbuf_addch(&sb, '\0');
		strbuf_add(&sb, e->path, strlen(e->path) + 1);
		strbuf_add(&sb, e->link ? e->link : "", e->link ? strlen(e->link) + 1 : 1);
	}
	atomicfile_replace(file, sb.buf ? sb.buf : "", sb.len, NULL); /* only a cache */
	strbuf_release(&sb);
}

int fsmonitor_walk(const char *sock, const char *snapshot, const char *ctxdir, const struct ignore *ig,
		   const atomic_int *cancel, struct ctx_list *out, int *reused, struct cc_error **err)
{
	cleanup_free char *root = sock && snapshot ? realpath(ctxdir, NULL) : NULL;
	cleanup_free char *old = NULL, *token = NULL;
	struct strlist changed = { 0 };
	char rules[65];
	int q;

	*reused = 0;
	if (!root)
		return ctxwalk(ctxdir, ig, cancel, out, err);
	fsmonitor_rules_digest(ig, rules);
	if (snapshot_load(snapshot, root, rules, &old, out) < 0)
		old = NULL;
	q = fsmonitor_query(sock, old, root, rules, FSMONITOR_TIMEOUT_MS, &token, &changed);
	if (q == 1 && old && changed.n == 0) {
		*reused = 1;
		return 0;
	}
	strlist_release(&changed);
	ctx_list_release(out);
	if (ctxwalk(ctxdir, ig, cancel, out, err) < 0)
		return -1;
	if (q >= 0 && token)
		snapshot_save(snapshot, token, root, rules, out);
	return 0;
}
