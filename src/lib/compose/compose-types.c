/* compose-types (compose-internal.h): the small value types compose 1.29 parses service
 * entries into (ServicePort, ServiceSecret), and the YAML writer for the
 * config tree (PyYAML safe_dump style, plus compose's double quotes for
 * boolean-like strings). */
#include "compose-internal.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

char *compose_strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	for (n = strlen(s); n && isspace((unsigned char)s[n - 1]); n--)
		s[n - 1] = '\0';
	return s;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "A" or "A-B" of digits (A may be empty when allow_empty). */
static int split_range(const char *s, size_t n, int allow_empty, char **lo, char **hi)
{
	const char *dash = memchr(s, '-', n);
	size_t ln = dash ? (size_t)(dash - s) : n;

	*lo = *hi = NULL;
	if (!all_digits(s, ln) || (!ln && (!allow_empty || dash)))
		return -1;
	if (dash && (!all_digits(dash + 1, n - ln - 1) || n - ln - 1 == 0))
		return -1;
	*lo = xstrndup(s, ln);
	*hi = dash ? xstrndup(dash + 1, n - ln - 1) : NULL;
	return 0;
}

static int valid_host(const char *s, size_t n)
{
	size_t i;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != '.' && s[i] != ':')
			return 0;
	return n > 0;
}

struct portspec {
	char *host, *ext, *ext_end, *in, *in_end, *proto;
};

static void portspec_release(struct portspec *ps)
{
	free(ps->host);
	free(ps->ext);
	free(ps->ext_end);
	free(ps->in);
	free(ps->in_end);
	free(ps->proto);
}

/* docker-py's PORT_SPEC, matched from the right. */
static int portspec_parse(const char *s, struct portspec *ps)
{
	size_t n = strlen(s);
	const char *slash = strrchr(s, '/'), *colon, *hc;

	memset(ps, 0, sizeof(*ps));
	if (slash && (!strcmp(slash, "/udp") || !strcmp(slash, "/tcp") || !strcmp(slash, "/sctp"))) {
		ps->proto = xstrdup(slash + 1);
		n = (size_t)(slash - s);
	}
	colon = memrchr(s, ':', n);
	if (split_range(colon ? colon + 1 : s, colon ? n - (size_t)(colon - s) - 1 : n, 0, &ps->in, &ps->in_end))
		return -1;
	if (!colon)
		return 0;
	hc = memrchr(s, ':', (size_t)(colon - s));
	if (split_range(hc ? hc + 1 : s, (size_t)(colon - (hc ? hc + 1 : s)), 1, &ps->ext, &ps->ext_end))
		return -1;
	if (!hc)
		return 0;
	if (!valid_host(s, (size_t)(hc - s)))
		return -1;
	ps->host = s[0] == '[' && hc[-1] == ']' ? xstrndup(s + 1, (size_t)(hc - s) - 2) : xstrndup(s, (size_t)(hc - s));
	return 0;
}

static void cport_push(struct cport **v, size_t *n, long long target, const char *pub, const char *proto,
		       const char *ip, const struct ypos *pos)
{
	struct cport p = { 0 };

	xgrow(v, &(size_t){ *n }, *n + 1, sizeof(**v));
	p.target = target;
	p.has_target = 1;
	p.published = pub ? xstrdup(pub) : NULL;
	p.published_int = pub && *pub && !strchr(pub, '-');
	p.protocol = proto ? xstrdup(proto) : NULL;
	p.external_ip = ip ? xstrdup(ip) : NULL;
	p.pos = *pos;
	(*v)[(*n)++] = p;
}

static int port_string(const char *s, const struct ynode *at, struct cport **v, size_t *n, struct cc_error **err)
{
	struct portspec ps;
	long long lo, hi, elo, ehi, i;
	int rc = 0;

	if (portspec_parse(s, &ps) < 0) {
		portspec_release(&ps);
		return ynode_error(err, at,
				   "Invalid port \"%s\", should be "
				   "[[remote_ip:]remote_port[-remote_port]:]port[/protocol]",
				   s);
	}
	lo = atoll(ps.in);
	hi = ps.in_end ? atoll(ps.in_end) : lo;
	elo = ps.ext && *ps.ext ? atoll(ps.ext) : 0;
	ehi = ps.ext_end ? atoll(ps.ext_end) : elo;
	if (ps.ext && *ps.ext && hi != lo && ehi - elo != hi - lo)
		rc = ynode_error(err, at, "Port ranges don't match in length");
	for (i = lo; rc == 0 && i <= hi; i++) {
		cleanup_free char *pub = NULL;

		if (ps.ext && *ps.ext)
			pub = hi == lo && ps.ext_end ? xasprintf("%s-%s", ps.ext, ps.ext_end)
						     : xasprintf("%lld", elo + (i - lo));
		cport_push(v, n, i, pub, ps.proto, ps.host, &at->pos);
	}
	portspec_release(&ps);
	return rc;
}

static const char *map_str(const struct ynode *m, const char *key)
{
	const struct ynode *v = ynode_map_get(m, key);

	return v && v->kind == YNODE_SCALAR && ctype_of(v) != CT_NULL ? v->str : NULL;
}

static int port_map(const struct ynode *m, struct cport **v, size_t *n, struct cc_error **err)
{
	const char *t = map_str(m, "target"), *pub = map_str(m, "published");
	long long target = 0;
	cleanup_free char *pubs = NULL;

	if (t && compose_parse_int(t, &target) < 0)
		return ynode_error(err, m, "Invalid target port: %s", t);
	if (pub && !strchr(pub, '-')) {
		long long pv;

		if (compose_parse_int(pub, &pv) < 0)
			return ynode_error(err, m, "Invalid published port: %s", pub);
		pubs = xasprintf("%lld", pv);
	} else if (pub) {
		pubs = xstrdup(pub);
	}
	cport_push(v, n, target, pubs, map_str(m, "protocol"), map_str(m, "host_ip"), &m->pos);
	(*v)[*n - 1].has_target = t != NULL;
	if (map_str(m, "mode"))
		(*v)[*n - 1].mode = xstrdup(map_str(m, "mode"));
	return 0;
}

int compose_ports_collect(const struct ynode *seq, struct cport **v, size_t *n, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	if (!seq || ctype_of(seq) == CT_NULL)
		return 0;
	if (seq->kind != YNODE_SEQ)
		return ynode_error(err, seq, "ports must be a list");
	for (i = 0; i < seq->len; i++) {
		const struct ynode *it = seq->items[i];

		if (it->kind == YNODE_MAP) {
			rc |= port_map(it, v, n, err);
		} else {
			cleanup_free char *s = cnode_pystr(it);

			rc |= port_string(s, it, v, n, err);
		}
	}
	return rc ? -1 : 0;
}

static char *port_key(const struct cport *p)
{
	return xasprintf("%lld|%s|%s|%s", p->target, p->published ? p->published : "-",
			 p->external_ip ? p->external_ip : "-", p->protocol ? p->protocol : "-");
}

static void cport_release(struct cport *p)
{
	free(p->published);
	free(p->protocol);
	free(p->mode);
	free(p->external_ip);
}

void compose_ports_dedup(struct cport *v, size_t *n)
{
	size_t i, j, m = 0;

	for (i = 0; i < *n; i++) {
		cleanup_free char *ki = port_key(&v[i]);

		for (j = 0; j < m; j++) {
			cleanup_free char *kj = port_key(&v[j]);

			if (!strcmp(ki, kj))
				break;
		}
		if (j < m) {
			cport_release(&v[j]);
			v[j] = v[i];
		} else {
			v[m++] = v[i];
		}
	}
	*n = m;
}

struct ynode *compose_port_node(const struct cport *p, int legacy)
{
	struct ynode *m;

	if (legacy) {
		cleanup_free char *s =
			xasprintf("%s%s%s%s%lld/%s", p->external_ip ? p->external_ip : "", p->external_ip ? ":" : "",
				  p->published ? p->published : "", p->published || p->external_ip ? ":" : "",
				  p->target, p->protocol ? p->protocol : "tcp");

		return cnode_str(s, &p->pos);
	}
	m = ynode_new_map(&p->pos);
	if (p->has_target)
		ynode_map_set(m, "target", cnode_int(p->target, &p->pos));
	if (p->published)
		ynode_map_set(m, "published",
			      p->published_int ? cnode_plain(p->published, &p->pos) : cnode_str(p->published, &p->pos));
	if (p->protocol)
		ynode_map_set(m, "protocol", cnode_str(p->protocol, &p->pos));
	if (p->mode)
		ynode_map_set(m, "mode", cnode_str(p->mode, &p->pos));
	return m;
}

void compose_ports_free(struct cport *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cport_release(&v[i]);
	free(v);
}

struct ynode *compose_secret_repr(const struct ynode *n)
{
	static const char *const fields[] = { "source", "target", "uid", "gid", "mode", "name" };
	struct ynode *m = ynode_new_map(&n->pos);
	size_t i;

	if (n->kind != YNODE_MAP) {
		ynode_map_set(m, "source", ynode_clone(n));
		return m;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct ynode *v = ynode_map_get(n, fields[i]);

		if (v && ctype_of(v) != CT_NULL)
			ynode_map_set(m, fields[i], ynode_clone(v));
	}
	return m;
}

static size_t drive_len(const char *s)
{
	return !strchr(".\\/~", s[0]) && isalpha((unsigned char)s[0]) && s[1] == ':' ? 2 : 0;
}

void compose_volume_split(const char *s, char **host, char **container, char **mode)
{
	size_t d = drive_len(s), cd;
	const char *colon = strchr(s + d, ':');
	char *c, *m;

	*host = *mode = NULL;
	if (!colon) {
		*container = xstrdup(s);
		return;
	}
	*host = xstrndup(s, (size_t)(colon - s));
	c = xstrdup(colon + 1);
	cd = drive_len(c);
	if ((m = strrchr(c + cd, ':'))) {
		*m++ = '\0';
		*mode = xstrdup(m);
	}
	*container = c;
}
