/* backup-spec: `backups:` of the manifest (backup-spec.h).  Each entry is
 * checked key by key, every problem reported with its position; what is
 * not implemented yet (encrypt) is an error, not ignored. */
#include "backup-spec.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const backup_keys[] = { "source",  "destinations", "retention",   "verify",
					   "quiesce", "encrypt",      "compression", "retry_lock" };
static const char *const keep_keys[] = { "keep_last",	 "keep_hourly", "keep_daily", "keep_weekly",
					 "keep_monthly", "keep_yearly", "keep_within" };

struct bparse {
	struct cc_error **err;
	int failed;
};

static void bfail(struct bparse *bp, const struct ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bfail(struct bparse *bp, const struct ynode *at, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	ynode_error(bp->err, at, "%s", msg);
	bp->failed = 1;
}

static int is_scalar(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && !ynode_is_null(n);
}

static int known(const char *k, const char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(k, keys[i]))
			return 1;
	return 0;
}

static void check_keys(struct bparse *bp, const struct ynode *map, const char *const *keys, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < map->len; i++) {
		const char *k = map->keys[i]->str, *near;

		if (known(k, keys, n) || str_has_prefix(k, "x-"))
			continue;
		near = str_nearest(k, keys, n);
		bfail(bp, map->keys[i], "unknown key '%s' in %s%s%s%s", k, what, near ? " (did you mean '" : "",
		      near ? near : "", near ? "'?)" : "");
	}
}

int backup_duration_parse(const char *s, int *years, int *months, int *days, int *hours)
{
	long v;
	char *end;

	*years = *months = *days = *hours = 0;
	if (!*s)
		return -1;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || v > 100000)
			return -1;
		switch (*end) {
		case 'y': *years += (int)v; break;
		case 'm': *months += (int)v; break;
		case 'd': *days += (int)v; break;
		case 'h': *hours += (int)v; break;
		default: return -1;
		}
		s = end + 1;
	}
	return 0;
}

static char *join_clean(const char *dir, const char *rel)
{
	cleanup_free char *p = path_join(dir, rel);

	return path_clean(p);
}

static void parse_source(struct bparse *bp, const struct ynode *v, const char *dir, struct backup_spec *b)
{
	const char *s = is_scalar(v) ? v->str : NULL;

	if (s && str_has_prefix(s, "path:") && s[5]) {
		b->kind = BACKUP_SOURCE_PATH;
		b->source = s[5] == '/' ? path_clean(s + 5) : join_clean(dir, s + 5);
	} else if (s && str_has_prefix(s, "volume:") && str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", s + 7)) {
		b->kind = BACKUP_SOURCE_VOLUME;
		b->source = xstrdup(s + 7);
	} else if (s && str_has_prefix(s, "service:") && str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", s + 8)) {
		b->kind = BACKUP_SOURCE_SERVICE;
		b->source = xstrdup(s + 8);
	} else
		bfail(bp, v, "backup '%s': source must be path:DIR, volume:NAME or service:NAME, not '%s'", b->name,
		      s ? s : "");
}

static void parse_dest(struct bparse *bp, const struct ynode *d, const char *dir, struct backup_dest *out,
		       const char *name)
{
	const struct ynode *p = ynode_map_get(d, "path"), *c = ynode_map_get(d, "command");
	size_t i;

	out->pos = d->pos;
	if (d->kind != YNODE_MAP || d->len != 1 || (!p && !c)) {
		bfail(bp, d, "backup '%s': a destination is {path: DIR} or {command: [ARGV...]}", name);
		return;
	}
	if (p && is_scalar(p))
		out->path = p->str[0] == '/' ? path_clean(p->str) : join_clean(dir, p->str);
	else if (p)
		bfail(bp, p, "backup '%s': destination path must be a directory name", name);
	else if (c->kind != YNODE_SEQ || !c->len)
		bfail(bp, c, "backup '%s': destination command must be a list (an argv, run without a shell)", name);
	else
		for (i = 0; i < c->len; i++)
			if (is_scalar(c->items[i]))
				strlist_push(&out->command, c->items[i]->str);
			else
				bfail(bp, c->items[i], "backup '%s': command arguments must be strings", name);
}

static void parse_dests(struct bparse *bp, const struct ynode *v, const char *dir, struct backup_spec *b)
{
	size_t i, npaths = 0;

	if (v->kind != YNODE_SEQ || !v->len) {
		bfail(bp, v, "backup '%s': destinations must be a list of {path: DIR} or {command: [...]}", b->name);
		return;
	}
	b->dests = xcalloc(v->len, sizeof(*b->dests));
	for (i = 0; i < v->len; i++) {
		parse_dest(bp, v->items[i], dir, &b->dests[b->ndests++], b->name);
		npaths += b->dests[i].path != NULL;
	}
	if (!npaths && !bp->failed)
		bfail(bp, v, "backup '%s': needs a path: destination (a command destination copies a repository)",
		      b->name);
}

static long keep_count(struct bparse *bp, const struct ynode *v, const char *what)
{
	long long n;

	if (ynode_is_int(v, &n) && n >= -1 && n <= 1000000)
		return (long)n;
	bfail(bp, v, "%s must be a number of snapshots (-1: unlimited)", what);
	return 0;
}

static void parse_keep(struct bparse *bp, const struct ynode *v, struct backup_spec *b)
{
	long *const slots[] = { &b->keep.last,	 &b->keep.hourly,  &b->keep.daily,
				&b->keep.weekly, &b->keep.monthly, &b->keep.yearly };
	cleanup_free char *what = xasprintf("backup '%s' retention", b->name);
	int y, m, d, h;
	size_t i, k;

	b->keep.set = 1;
	if (v->kind != YNODE_MAP) {
		bfail(bp, v, "%s must be a mapping ({keep_last: 3, keep_daily: 7, ...})", what);
		return;
	}
	check_keys(bp, v, keep_keys, N(keep_keys), what);
	for (i = 0; i < v->len; i++) {
		const char *key = v->keys[i]->str;

		for (k = 0; k < N(slots); k++)
			if (!strcmp(key, keep_keys[k]))
				*slots[k] = keep_count(bp, v->vals[i], key);
		if (strcmp(key, "keep_within"))
			continue;
		if (is_scalar(v->vals[i]) && backup_duration_parse(v->vals[i]->str, &y, &m, &d, &h) == 0)
			b->keep.within = xstrdup(v->vals[i]->str);
		else
			bfail(bp, v->vals[i], "keep_within must be a duration like 2d, 1y6m or 12h (restic's)");
	}
}

static void parse_verify(struct bparse *bp, const struct ynode *v, struct backup_spec *b)
{
	char *end;
	double share = -1;

	if (is_scalar(v)) {
		share = strtod(v->str, &end);
		if (end == v->str || strcmp(end, "%"))
			share = -1;
	}
	if (share < 0 || share > 100)
		bfail(bp, v, "backup '%s': verify must be a share like 5%% (0%% to 100%%)", b->name);
	else
		b->verify = share / 100;
}

/* encrypt: {key_file: PATH}: relative to the manifest, "~/" from $HOME. */
static void parse_encrypt(struct bparse *bp, const struct ynode *v, const char *dir, struct backup_spec *b)
{
	static const char *const keys[] = { "key_file" };
	const struct ynode *k = v->kind == YNODE_MAP ? ynode_map_get(v, "key_file") : NULL;
	const char *home = getenv("HOME");
	cleanup_free char *what = xasprintf("backup '%s': encrypt", b->name);

	if (v->kind == YNODE_MAP)
		check_keys(bp, v, keys, N(keys), what);
	if (!k || !is_scalar(k) || !*k->str) {
		bfail(bp, k ? k : v, "%s must be {key_file: PATH} (a key from ccbuild backup init-key PATH)", what);
		return;
	}
	if (str_has_prefix(k->str, "~/") && home && *home) {
		cleanup_free char *p = xasprintf("%s%s", home, k->str + 1);

		b->key_file = path_clean(p);
	} else
		b->key_file = k->str[0] == '/' ? path_clean(k->str) : join_clean(dir, k->str);
}

static int service_name(const struct ynode *v)
{
	return is_scalar(v) && str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", v->str);
}

/* One hook: key exec ({service: S, command: [ARGV...]}) or stop ([S...]). */
static void parse_hook(struct bparse *bp, const struct ynode *key, const struct ynode *v, struct backup_spec *b)
{
	struct backup_hook *h = &b->hooks[b->nhooks++];
	const struct ynode *svc = ynode_map_get(v, "service"), *cmd = ynode_map_get(v, "command");
	size_t i;

	memset(h, 0, sizeof(*h));
	h->pos = key->pos;
	h->stop = !strcmp(key->str, "stop");
	if (h->stop && (v->kind != YNODE_SEQ || !v->len))
		bfail(bp, v, "backup '%s': quiesce stop: must be a list of services", b->name);
	for (i = 0; h->stop && v->kind == YNODE_SEQ && i < v->len; i++)
		if (service_name(v->items[i]))
			strlist_push(&h->services, v->items[i]->str);
		else
			bfail(bp, v->items[i], "backup '%s': quiesce stop: items must be service names", b->name);
	if (h->stop)
		return;
	if (v->kind != YNODE_MAP || v->len != 2 || !svc || !cmd || !service_name(svc) || cmd->kind != YNODE_SEQ ||
	    !cmd->len) {
		bfail(bp, v, "backup '%s': quiesce exec: is {service: NAME, command: [ARGV...]}", b->name);
		return;
	}
	h->service = xstrdup(svc->str);
	for (i = 0; i < cmd->len; i++)
		if (is_scalar(cmd->items[i]))
			strlist_push(&h->argv, cmd->items[i]->str);
		else
			bfail(bp, cmd->items[i], "backup '%s': command arguments must be strings", b->name);
}

/* quiesce: a mapping of hooks (exec:, stop:, in the order written) or a
 * list of such mappings. */
static void parse_quiesce(struct bparse *bp, const struct ynode *v, struct backup_spec *b)
{
	static const char *const hook_keys[] = { "exec", "stop" };
	cleanup_free char *what = xasprintf("backup '%s' quiesce", b->name);
	size_t i, k, n = v->kind == YNODE_SEQ ? v->len : 1;

	if (v->kind != YNODE_MAP && (v->kind != YNODE_SEQ || !v->len)) {
		bfail(bp, v, "%s must be {exec: ...}, {stop: [...]} or a list of them", what);
		return;
	}
	for (i = 0, k = 0; i < n; i++)
		k += (v->kind == YNODE_SEQ ? v->items[i] : v)->len;
	b->hooks = xcalloc(k ? k : 1, sizeof(*b->hooks));
	for (i = 0; i < n; i++) {
		const struct ynode *m = v->kind == YNODE_SEQ ? v->items[i] : v;

		if (m->kind != YNODE_MAP || !m->len) {
			bfail(bp, m, "%s: each hook is {exec: ...} or {stop: [...]}", what);
			continue;
		}
		check_keys(bp, m, hook_keys, N(hook_keys), what);
		for (k = 0; k < m->len; k++)
			if (known(m->keys[k]->str, hook_keys, N(hook_keys)))
				parse_hook(bp, m->keys[k], m->vals[k], b);
	}
}

int backup_lock_wait_parse(const char *s, long *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ms", 1 }, { "s", 1e3 }, { "m", 60e3 }, { "h", 3600e3 } };
	double total = 0, v;
	char *end;
	size_t k, len;

	if (!strcmp(s, "0"))
		return *ms = 0, 0;
	while (*s) {
		if (!(*s >= '0' && *s <= '9') && *s != '.')
			return -1;
		v = strtod(s, &end);
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) /* "ms" before "m" */
			if (!strncmp(end, units[k].unit, len = strlen(units[k].unit)))
				break;
		if (end == s || k == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[k].ms;
		s = end + len;
	}
	if (total <= 0 || total > 30 * 86400e3)
		return -1;
	*ms = (long)total;
	return 0;
}

/* retry_lock: how long a run waits for a repository another run holds. */
static void parse_retry_lock(struct bparse *bp, const struct ynode *v, struct backup_spec *b)
{
	if (!is_scalar(v) || backup_lock_wait_parse(v->str, &b->retry_lock_ms) < 0)
		bfail(bp, v, "backup '%s': retry_lock must be a duration such as 30s, 5m or 1h (at most 30 days)",
		      b->name);
}

/* compression: auto (the default), off or max (restic's three). */
static void parse_compression(struct bparse *bp, const struct ynode *v, struct backup_spec *b)
{
	static const char *const names[] = { "auto", "off", "max" };
	size_t i;

	for (i = 0; is_scalar(v) && i < N(names); i++)
		if (!strcmp(v->str, names[i])) {
			b->compression = (enum backup_compression)i;
			return;
		}
	bfail(bp, v, "backup '%s': compression must be auto, off or max", b->name);
}

static void parse_backup(struct bparse *bp, const char *name, const struct ynode *n, const char *dir,
			 struct backup_spec *b)
{
	cleanup_free char *what = xasprintf("backup '%s'", name);
	const struct ynode *v;

	b->name = xstrdup(name);
	b->pos = n->pos;
	if (!str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", name))
		bfail(bp, n, "backup name '%s' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	if (n->kind != YNODE_MAP) {
		bfail(bp, n, "%s must be a mapping with source: and destinations:", what);
		return;
	}
	check_keys(bp, n, backup_keys, N(backup_keys), what);
	if ((v = ynode_map_get(n, "source")))
		parse_source(bp, v, dir, b);
	else
		bfail(bp, n, "%s needs source: (path:DIR, volume:NAME or service:NAME)", what);
	if ((v = ynode_map_get(n, "destinations")))
		parse_dests(bp, v, dir, b);
	else
		bfail(bp, n, "%s needs destinations: (e.g. [{path: /var/backups/ccbuild}])", what);
	if ((v = ynode_map_get(n, "retention")))
		parse_keep(bp, v, b);
	if ((v = ynode_map_get(n, "verify")))
		parse_verify(bp, v, b);
	if ((v = ynode_map_get(n, "quiesce")))
		parse_quiesce(bp, v, b);
	if ((v = ynode_map_get(n, "encrypt")))
		parse_encrypt(bp, v, dir, b);
	if ((v = ynode_map_get(n, "compression")))
		parse_compression(bp, v, b);
	if ((v = ynode_map_get(n, "retry_lock")))
		parse_retry_lock(bp, v, b);
}

int backup_specs_parse(const struct ynode *n, const char *dir, struct backup_spec **out, size_t *nout,
		       struct cc_error **err)
{
	struct bparse bp = { err, 0 };
	cleanup_free char *abs = NULL;
	char cwd[4096];
	size_t i;

	*out = NULL;
	*nout = 0;
	if (!n || ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_MAP)
		return ynode_error(err, n, "backups must be a mapping of backup names");
	if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)))
		abs = path_join(cwd, dir);
	*out = xcalloc(n->len ? n->len : 1, sizeof(**out));
	for (i = 0; i < n->len; i++)
		if (!str_has_prefix(n->keys[i]->str, "x-"))
			parse_backup(&bp, n->keys[i]->str, n->vals[i], abs ? abs : dir, &(*out)[(*nout)++]);
	return bp.failed ? -1 : 0;
}

void backup_specs_free(struct backup_spec *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].ndests; j++) {
			free(v[i].dests[j].path);
			strlist_release(&v[i].dests[j].command);
		}
		free(v[i].dests);
		free(v[i].name);
		free(v[i].source);
		free(v[i].keep.within);
		free(v[i].key_file);
		for (j = 0; j < v[i].nhooks; j++) {
			free(v[i].hooks[j].service);
			strlist_release(&v[i].hooks[j].argv);
			strlist_release(&v[i].hooks[j].services);
		}
		free(v[i].hooks);
	}
	free(v);
}

const char *backup_source_prefix(const struct backup_spec *b)
{
	return b->kind == BACKUP_SOURCE_PATH ? "path" : b->kind == BACKUP_SOURCE_VOLUME ? "volume" : "service";
}
