/* compose-scalar (compose-internal.h): PyYAML's scalar typing and Python's number spellings, so
 * that a typed tree prints like docker-compose's yaml.safe_dump, plus the
 * value conversions compose 1.29 applies after interpolation. */
#include "compose-internal.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum ctype ctype_of(const struct ynode *n)
{
	if (!n)
		return CT_NULL;
	if (n->kind == YNODE_MAP)
		return CT_MAP;
	if (n->kind == YNODE_SEQ)
		return CT_SEQ;
	if (n->quoted)
		return CT_STR;
	if (ynode_is_null(n))
		return CT_NULL;
	if (ynode_is_bool(n, NULL))
		return CT_BOOL;
	/* YAML 1.1's base 60 ("12:30" is 750) is not in compose v2's YAML
	 * (yaml.v3): there it is a string, as a port mapping "22:22" is. */
	if (strchr(n->str, ':'))
		return CT_STR;
	if (yaml_plain_is_int(n->str))
		return CT_INT;
	if (yaml_plain_is_float(n->str))
		return CT_FLOAT;
	return CT_STR;
}

static void strip_underscores(char *s)
{
	char *w = s;

	for (; *s; s++)
		if (*s != '_')
			*w++ = *s;
	*w = '\0';
}

/* Value of a sexagesimal "a:b:c" (YAML 1.1 base 60). */
static double sexagesimal(const char *s)
{
	double v = 0;

	for (;;) {
		v = v * 60 + strtod(s, NULL);
		s = strchr(s, ':');
		if (!s)
			return v;
		s++;
	}
}

/* d[0..*len) = d * mul + add, decimal digits least significant first. */
static void big_muladd(unsigned char *d, size_t *len, unsigned mul, unsigned add)
{
	size_t k;

	for (k = 0; k < *len; k++) {
		add += d[k] * mul;
		d[k] = (unsigned char)(add % 10);
		add /= 10;
	}
	for (; add; add /= 10)
		d[(*len)++] = (unsigned char)(add % 10);
}

/* PyYAML's int of the digits p (sign and underscores gone) in decimal, of
 * any length as Python's int is; "a:b:c" is base 60.  Caller frees. */
static char *bigint_decimal(const char *p, unsigned base, int neg)
{
	size_t len = 1, n = strlen(p);
	unsigned char *d = xcalloc(n * 2 + 2, 1); /* a digit in any base is < 2.5 decimal digits */
	char *out, *o;

	for (; *p; p++) {
		if (*p == ':') { /* sexagesimal: the part so far times 60 plus the next */
			big_muladd(d, &len, 60, (unsigned)strtoul(p + 1, NULL, 10));
			p += strspn(p + 1, "0123456789");
			continue;
		}
		big_muladd(d, &len, base,
			   (unsigned)(isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10));
	}
	while (len > 1 && !d[len - 1])
		len--;
	out = o = xmalloc(len + 2);
	if (neg && (len > 1 || d[0]))
		*o++ = '-';
	while (len)
		*o++ = (char)('0' + d[--len]);
	*o = '\0';
	free(d);
	return out;
}

/* PyYAML's int of a plain scalar, in decimal; caller frees. */
static char *yaml_int_canon(const char *text)
{
	cleanup_free char *s = xstrdup(text);
	char *p = s;
	int neg = 0;
	unsigned base = 10;

	strip_underscores(s);
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strchr(p, ':'))
		base = 10;
	else if (!strncmp(p, "0b", 2) || !strncmp(p, "0x", 2))
		base = p[1] == 'b' ? 2 : 16, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p++;
	return bigint_decimal(p, base, neg);
}

static char *yaml_float_canon(const char *text)
{
	cleanup_free char *s = xstrdup(text);
	char *p = s;
	int neg = 0;

	strip_underscores(s);
	for (char *q = s; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, ".inf"))
		return xstrdup(neg ? "-.inf" : ".inf");
	if (!strcmp(p, ".nan"))
		return xstrdup(".nan");
	return compose_float_repr(neg ? -(strchr(p, ':') ? sexagesimal(p) : strtod(p, NULL))
				      : (strchr(p, ':') ? sexagesimal(p) : strtod(p, NULL)));
}

static void set_str(struct ynode *n, char *s, int quoted)
{
	free(n->str);
	n->str = s;
	n->quoted = quoted;
}

void compose_scalar_canon(struct ynode *n)
{
	size_t i;
	int b;

	if (n->kind == YNODE_SEQ) {
		for (i = 0; i < n->len; i++)
			compose_scalar_canon(n->items[i]);
		return;
	}
	if (n->kind == YNODE_MAP) {
		for (i = 0; i < n->len; i++) {
			compose_scalar_canon(n->keys[i]);
			compose_scalar_canon(n->vals[i]);
		}
		ynode_map_rekeyed(n);
		return;
	}
	switch (ctype_of(n)) {
	case CT_STR: n->quoted = 1; break;
	case CT_NULL: set_str(n, xstrdup("null"), 0); break;
	case CT_BOOL:
		ynode_is_bool(n, &b);
		set_str(n, xstrdup(b ? "true" : "false"), 0);
		break;
	case CT_INT: set_str(n, yaml_int_canon(n->str), 0); break;
	case CT_FLOAT: set_str(n, yaml_float_canon(n->str), 0); break;
	default: break;
	}
}

struct ynode *cnode_str(const char *s, const struct ypos *pos)
{
	return ynode_new_scalar(s, 1, pos);
}

struct ynode *cnode_plain(const char *s, const struct ypos *pos)
{
	return ynode_new_scalar(s, 0, pos);
}

struct ynode *cnode_int(long long v, const struct ypos *pos)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return ynode_new_scalar(buf, 0, pos);
}

int cnode_is_str(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR && n->quoted;
}

char *cnode_pystr(const struct ynode *n)
{
	switch (ctype_of(n)) {
	case CT_NULL: return xstrdup("None");
	case CT_BOOL: return xstrdup(!strcmp(n->str, "true") ? "True" : "False");
	case CT_MAP:
	case CT_SEQ: return ynode_emit_string(n);
	default: return xstrdup(n->str);
	}
}

/* Python's float repr: shortest round-trip digits, exponent form outside
 * 1e-4 <= |v| < 1e16. */
char *compose_float_repr(double v)
{
	char buf[64], digits[32];
	int prec, exp, nd, i;
	char *e;

	if (isnan(v))
		return xstrdup(".nan");
	if (isinf(v))
		return xstrdup(v < 0 ? "-.inf" : ".inf");
	for (prec = 0; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	e = strchr(buf, 'e');
	exp = atoi(e + 1);
	nd = 0;
	for (i = 0; buf + i < e; i++)
		if (isdigit((unsigned char)buf[i]))
			digits[nd++] = buf[i];
	digits[nd] = '\0';
	if (exp < -4 || exp >= 16) {
		if (nd == 1)
			return xasprintf("%s%c.0e%c%02d", v < 0 ? "-" : "", digits[0], exp < 0 ? '-' : '+', abs(exp));
		return xasprintf("%s%c.%se%c%02d", v < 0 ? "-" : "", digits[0], digits + 1, exp < 0 ? '-' : '+',
				 abs(exp));
	}
	snprintf(buf, sizeof(buf), "%.*f", nd - 1 - exp > 0 ? nd - 1 - exp : 1, v);
	return xstrdup(buf);
}

/* int(s, base=0) after interpolation.py's to_int turns "017" into "0o17". */
int compose_parse_int(const char *text, long long *out)
{
	cleanup_free char *s = NULL;
	char *p, *end;
	size_t n;
	int neg = 0, base = 10;

	while (isspace((unsigned char)*text))
		text++;
	s = xstrdup(text);
	for (n = strlen(s); n && isspace((unsigned char)s[n - 1]); n--)
		s[n - 1] = '\0';
	if (!n || s[n - 1] == '_' || strstr(s, "__"))
		return -1;
	strip_underscores(s);
	p = s;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && p[1] && isdigit((unsigned char)p[1])) {
		base = 8;
		p++;
	} else if (p[0] == '0' && p[1] && strchr("xXoObB", p[1])) {
		base = strchr("xX", p[1]) ? 16 : strchr("oO", p[1]) ? 8 : 2;
		p += 2;
	}
	if (!*p || !isalnum((unsigned char)*p))
		return -1;
	errno = 0;
	*out = strtoll(p, &end, base);
	if (*end || errno == ERANGE) /* Python's int has no limit; the engine's int64 has */
		return -1;
	if (neg)
		*out = -*out;
	return 0;
}

/* One Go-like duration unit of compose/timeparse.py, in match order. */
static const struct {
	const char *suffix, *alt;
	double mult;
} dur_units[] = {
	{ "h", NULL, 3600 },
	{ "m", NULL, 60 },
	{ "s", NULL, 1 },
	{ "ms", NULL, 1.0 / 1000 },
	{ "us", "\xc2\xb5s", 1.0 / 1000.0 / 1000 },
	{ "ns", NULL, 1.0 / 1000.0 / 1000.0 / 1000.0 },
};

static int dur_suffix(const char *s, const char *suffix)
{
	size_t n = suffix ? strlen(suffix) : 0;

	return n && !strncasecmp(s, suffix, n) ? (int)n : 0;
}

/* Backtracking match of "([\d.]+)UNIT" groups, each optional, in order. */
static int dur_match(const char *s, size_t unit, double *sum)
{
	size_t nd, sl;
	double v;

	if (unit == sizeof(dur_units) / sizeof(dur_units[0])) {
		while (isspace((unsigned char)*s))
			s++;
		return *s == '\0';
	}
	nd = strspn(s, "0123456789.");
	if (nd) {
		sl = (size_t)dur_suffix(s + nd, dur_units[unit].suffix);
		if (!sl && dur_units[unit].alt)
			sl = (size_t)dur_suffix(s + nd, dur_units[unit].alt);
		if (sl) {
			cleanup_free char *num = xstrndup(s, nd);
			char *end;

			v = strtod(num, &end);
			if (!*end && dur_match(s + nd + sl, unit + 1, sum)) {
				*sum = v * dur_units[unit].mult + *sum;
				return 1;
			}
		}
	}
	return dur_match(s, unit + 1, sum);
}

int compose_parse_duration(const char *s, long long *ns)
{
	double sum = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || !dur_match(s, 0, &sum))
		return -1;
	sum /= 1.0 / 1000.0 / 1000.0 / 1000.0;
	if (!(sum < 9223372036854775808.0)) /* past int64 nanoseconds (292 years) */
		return -1;
	*ns = (long long)sum;
	return 0;
}

char *compose_format_duration(long long ns)
{
	static const struct {
		double div;
		const char *unit;
	} table[] = { { 1000., "us" }, { 1000., "ms" }, { 1000., "s" }, { 60., "m" }, { 60., "h" } };
	double value = (double)ns, tmp;
	long long shown = ns;
	const char *unit = "ns";
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		tmp = value / table[i].div;
		if (tmp != (double)(long long)tmp)
			break;
		value = tmp;
		shown = (long long)value;
		unit = table[i].unit;
	}
	return xasprintf("%lld%s", shown, unit);
}

int compose_parse_bytes(const char *text, long long *out)
{
	cleanup_free char *s = xstrdup(text);
	size_t n = strlen(s);
	double mult;
	char suffix, *end;
	double d;

	if (!n) {
		*out = 0;
		return 0;
	}
	if (n >= 2 && isalpha((unsigned char)s[n - 2]) && (s[n - 1] == 'b' || s[n - 1] == 'B'))
		s[--n] = '\0';
	suffix = (char)tolower((unsigned char)s[n - 1]);
	if (isdigit((unsigned char)suffix))
		suffix = 'b';
	else
		s[--n] = '\0';
	switch (suffix) {
	case 'b': mult = 1; break;
	case 'k': mult = 1024; break;
	case 'm': mult = 1024.0 * 1024; break;
	case 'g': mult = 1024.0 * 1024 * 1024; break;
	default: return -1;
	}
	d = strtod(s, &end);
	if (!n || *end || !(fabs(d * mult) < 9223372036854775808.0))
		return -1;
	*out = (long long)(d * mult);
	return 0;
}

enum conv { TO_INT, TO_FLOAT, TO_BOOL, TO_STR, TO_BYTES, TO_MICROSECONDS };

/* interpolation.py's ConversionMap: "*" is one path segment, a trailing
 * "**" one or more. */
static const struct {
	const char *path;
	enum conv conv;
} conversions[] = {
	{ "service/*/blkio_config/weight", TO_INT },
	{ "service/*/blkio_config/weight_device/weight", TO_INT },
	{ "service/*/build/labels/**", TO_STR },
	{ "service/*/build/no_cache", TO_BOOL },
	{ "service/*/build/pull", TO_BOOL },
	{ "service/*/cpus", TO_FLOAT },
	{ "service/*/cpu_count", TO_INT },
	{ "service/*/cpu_quota", TO_MICROSECONDS },
	{ "service/*/cpu_period", TO_MICROSECONDS },
	{ "service/*/cpu_rt_period", TO_MICROSECONDS },
	{ "service/*/cpu_rt_runtime", TO_MICROSECONDS },
	{ "service/*/configs/mode", TO_INT },
	{ "service/*/secrets/mode", TO_INT },
	{ "service/*/healthcheck/retries", TO_INT },
	{ "service/*/healthcheck/disable", TO_BOOL },
	{ "service/*/deploy/labels/*", TO_STR },
	{ "service/*/deploy/replicas", TO_INT },
	{ "service/*/deploy/placement/max_replicas_per_node", TO_INT },
	{ "service/*/deploy/resources/limits/cpus", TO_FLOAT },
	{ "service/*/deploy/update_config/parallelism", TO_INT },
	{ "service/*/deploy/update_config/max_failure_ratio", TO_FLOAT },
	{ "service/*/deploy/rollback_config/parallelism", TO_INT },
	{ "service/*/deploy/rollback_config/max_failure_ratio", TO_FLOAT },
	{ "service/*/deploy/restart_policy/max_attempts", TO_INT },
	{ "service/*/mem_swappiness", TO_INT },
	{ "service/*/labels/**", TO_STR },
	{ "service/*/oom_kill_disable", TO_BOOL },
	{ "service/*/oom_score_adj", TO_INT },
	{ "service/*/ports/target", TO_INT },
	{ "service/*/ports/published", TO_INT },
	{ "service/*/scale", TO_INT },
	{ "service/*/ulimits/*", TO_INT },
	{ "service/*/ulimits/*/soft", TO_INT },
	{ "service/*/ulimits/*/hard", TO_INT },
	{ "service/*/privileged", TO_BOOL },
	{ "service/*/read_only", TO_BOOL },
	{ "service/*/stdin_open", TO_BOOL },
	{ "service/*/tty", TO_BOOL },
	{ "service/*/volumes/read_only", TO_BOOL },
	{ "service/*/volumes/volume/nocopy", TO_BOOL },
	{ "service/*/volumes/tmpfs/size", TO_BYTES },
	{ "network/*/attachable", TO_BOOL },
	{ "network/*/external", TO_BOOL },
	{ "network/*/internal", TO_BOOL },
	{ "network/*/labels/**", TO_STR },
	{ "volume/*/external", TO_BOOL },
	{ "volume/*/labels/**", TO_STR },
	{ "secret/*/external", TO_BOOL },
	{ "secret/*/labels/**", TO_STR },
	{ "config/*/external", TO_BOOL },
	{ "config/*/labels/**", TO_STR },
};

static int path_matches(const char *pat, const char *path)
{
	size_t n;

	while (*pat) {
		if (!strcmp(pat, "**"))
			return *path != '\0';
		if (*pat == '*') {
			n = strcspn(path, "/");
			if (!n)
				return 0;
			path += n;
			pat++;
			continue;
		}
		if (*pat++ != *path++)
			return 0;
	}
	return *path == '\0';
}

static int convert_bool(struct ynode *n, char **why)
{
	static const char *const yes[] = { "y", "yes", "true", "on" }, *const no[] = { "n", "no", "false", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(n->str, yes[i]) || !strcasecmp(n->str, no[i])) {
			set_str(n, xstrdup(!strcasecmp(n->str, yes[i]) ? "true" : "false"), 0);
			return 0;
		}
	}
	*why = xasprintf("\"%s\" is not a valid boolean value", n->str);
	return -1;
}

static int convert_string(struct ynode *n, enum conv conv, char **why)
{
	long long v;
	double d;
	char *end;

	switch (conv) {
	case TO_INT:
		if (compose_parse_int(n->str, &v) < 0)
			return *why = xasprintf("\"%s\" is not a valid integer", n->str), -1;
		set_str(n, xasprintf("%lld", v), 0);
		return 0;
	case TO_FLOAT:
		d = strtod(n->str, &end);
		while (isspace((unsigned char)*end))
			end++;
		if (end == n->str || *end)
			return *why = xasprintf("\"%s\" is not a valid float", n->str), -1;
		set_str(n, compose_float_repr(d), 0);
		return 0;
	case TO_BOOL: return convert_bool(n, why);
	case TO_BYTES:
		if (compose_parse_bytes(n->str, &v) < 0)
			return *why = xasprintf("\"%s\" is not a valid byte value", n->str), -1;
		set_str(n, xasprintf("%lld", v), 0);
		return 0;
	case TO_MICROSECONDS:
		if (compose_parse_duration(n->str, &v) < 0)
			return *why = xasprintf("\"%s\" is not a valid duration", n->str), -1;
		set_str(n, xasprintf("%lld", (long long)((double)v / 1000)), 0);
		return 0;
	case TO_STR: return 0;
	}
	return 0;
}

int compose_convert(struct ynode *n, const char *path, struct cc_error **err)
{
	cleanup_free char *why = NULL, *dotted = NULL;
	enum ctype t = ctype_of(n);
	size_t i;

	if (n->kind != YNODE_SCALAR)
		return 0;
	for (i = 0; i < sizeof(conversions) / sizeof(conversions[0]); i++)
		if (path_matches(conversions[i].path, path))
			break;
	if (i == sizeof(conversions) / sizeof(conversions[0]))
		return 0;
	if (conversions[i].conv == TO_STR) {
		if (t == CT_BOOL || t == CT_INT || t == CT_FLOAT)
			set_str(n, cnode_pystr(n), 1);
		return 0;
	}
	if (t != CT_STR || convert_string(n, conversions[i].conv, &why) == 0)
		return 0;
	dotted = xstrdup(path);
	for (char *p = dotted; *p; p++)
		if (*p == '/')
			*p = '.';
	return ynode_error(err, n, "Error while attempting to convert %s to appropriate type: %s", dotted, why);
}
