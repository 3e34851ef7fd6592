/* scanpolicy: built-in image policy rules. */
#include "scanpolicy.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add(struct scan_findings *out, const char *rule, const char *level, char *evidence)
{
	struct scan_finding f = { xstrdup(rule), xstrdup(level), evidence };

	VEC_PUSH(out->v, out->n, out->cap, f);
}

static int is_root(const char *user)
{
	static const char *const roots[] = { "root", "0" };
	size_t n = strcspn(user, ":"), i;

	for (i = 0; i < 2; i++)
		if (strlen(roots[i]) == n && !strncmp(user, roots[i], n))
			return 1;
	return 0;
}

static void rule_non_root(const json_t *cfg, const char *level, struct scan_findings *out)
{
	const char *user = json_string_value(json_object_get(cfg, "User"));

	if (!user || !*user)
		add(out, "non_root", level, xstrdup("no USER: the image runs as root"));
	else if (is_root(user))
		add(out, "non_root", level, xasprintf("USER %s is root", user));
}

static void rule_healthcheck(const json_t *cfg, const char *level, struct scan_findings *out)
{
	const json_t *test = json_object_get(json_object_get(cfg, "Healthcheck"), "Test");
	const char *t0 = json_string_value(json_array_get(test, 0));

	if (!t0 || !strcmp(t0, "NONE"))
		add(out, "healthcheck", level, xstrdup(t0 ? "HEALTHCHECK NONE" : "no HEALTHCHECK"));
}

/* "hu****": enough to find it, never the secret. */
static char *redact(const char *v)
{
	return xasprintf("%.2s****", v);
}

static double entropy(const char *s, size_t n)
{
	unsigned counts[256] = { 0 };
	double h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		counts[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++)
		if (counts[i]) {
			double p = (double)counts[i] / (double)n;

			h -= p * log2(p);
		}
	return h;
}

/* A long run of token characters whose entropy says random: a key, not a
 * word.  Hex-only runs are left alone: they are almost always digests and
 * commit ids (the OCI revision label), and a hex secret still shows by
 * its name. */
static int high_entropy(const char *v)
{
	const char *p = v;

	while (*p) {
		size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-");
		size_t hex = strspn(p, "0123456789abcdefABCDEF");
		int digits = 0, letters = 0;

		for (size_t i = 0; i < n; i++)
			digits |= isdigit((unsigned char)p[i]) != 0, letters |= isalpha((unsigned char)p[i]) != 0;
		if (n >= 24 && digits && letters && hex != n && entropy(p, n) > 4.3)
			return 1;
		p += n ? n : 1;
	}
	return 0;
}

static int secret_name(const char *name, size_t n)
{
	static const char *const words[] = { "PASSWORD", "PASSWD",	"SECRET",     "TOKEN",	   "API_KEY",
					     "APIKEY",	 "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL" };
	cleanup_free char *up = xstrndup(name, n);
	size_t i;

	for (i = 0; up[i]; i++)
		up[i] = (char)toupper((unsigned char)up[i]);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(up, words[i]))
			return 1;
	return 0;
}

/* AKIA or ASIA and 16 upper-case letters or digits: an AWS key id. */
static int aws_key_id(const char *v)
{
	const char *p;

	for (p = v; (p = strstr(p, "A")); p++) {
		size_t i;

		if (strncmp(p, "AKIA", 4) && strncmp(p, "ASIA", 4))
			continue;
		for (i = 4; i < 20 && (isdigit((unsigned char)p[i]) || isupper((unsigned char)p[i])); i++)
			;
		if (i == 20)
			return 1;
	}
	return 0;
}

/* A value a scanner would report whatever its name. */
static const char *secret_value(const char *v)
{
	if (strstr(v, "-----BEGIN") && strstr(v, "PRIVATE KEY"))
		return "a private key";
	if (aws_key_id(v))
		return "an AWS access key id";
	if (high_entropy(v))
		return "a high-entropy value";
	return NULL;
}

/* One NAME=VALUE (ENV, label) or text (history) found where. */
static void check_pair(const char *where, const char *name, size_t nlen, const char *value, const char *level,
		       struct scan_findings *out)
{
	const char *why = value ? secret_value(value) : NULL;
	cleanup_free char *r = value ? redact(value) : NULL;

	if (nlen && value && *value && secret_name(name, nlen) && !why)
		why = "a secret-like name";
	if (why)
		add(out, "secrets", level, xasprintf("%s %.*s=%s: %s", where, (int)nlen, name, r ? r : "", why));
}

static void rule_secrets(const json_t *cfg, const json_t *history, const char *level, struct scan_findings *out)
{
	const json_t *v;
	const char *k;
	size_t i;

	json_array_foreach(json_object_get(cfg, "Env"), i, v)
	{
		const char *e = json_string_value(v), *eq = e ? strchr(e, '=') : NULL;

		if (eq)
			check_pair("ENV", e, (size_t)(eq - e), eq + 1, level, out);
	}
	json_object_foreach(json_object_get(cfg, "Labels"), k, v) if (json_string_value(v))
		check_pair("LABEL", k, strlen(k), json_string_value(v), level, out);
	/* History lines carry RUN's build args as "|N K=V ..." and the RUN
	 * text; a key there has been baked into a layer's metadata. */
	json_array_foreach(history, i, v)
	{
		const char *line = json_string_value(json_object_get(v, "CreatedBy"));
		cleanup_free char *copy = line ? xstrdup(line) : NULL;
		char *tok, *save = NULL;

		for (tok = copy ? strtok_r(copy, " \t", &save) : NULL; tok; tok = strtok_r(NULL, " \t", &save)) {
			char *eq = strchr(tok, '=');

			if (eq && eq > tok)
				check_pair("history", tok, (size_t)(eq - tok), eq + 1, level, out);
			else if (secret_value(tok))
				check_pair("history", "", 0, tok, level, out);
		}
	}
}

int64_t scanpolicy_size(const char *s)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "", 1 },
		{ "b", 1 },
		{ "k", 1e3 },
		{ "kb", 1e3 },
		{ "m", 1e6 },
		{ "mb", 1e6 },
		{ "g", 1e9 },
		{ "gb", 1e9 },
		{ "kib", 1024.0 },
		{ "mib", 1048576.0 },
		{ "gib", 1073741824.0 },
	};
	char *end;
	double v = strtod(s, &end);
	size_t i;

	if (end == s || !(v >= 0) || !isdigit((unsigned char)*s))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(end, units[i].unit)) /* 2^63 is exact as a double */
			return v * units[i].mult < 9223372036854775808.0 ? (int64_t)(v * units[i].mult) : -2;
	return -1;
}

/* Exact enough: a digest, or a tag with at least major.minor. */
static const char *base_problem(const char *ref)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');

	if (strstr(ref, "@sha256:"))
		return NULL;
	if (!strcmp(ref, "scratch"))
		return NULL;
	if (!colon || (slash && colon < slash))
		return "no tag (means latest)";
	if (!strcmp(colon + 1, "latest"))
		return "tag latest";
	if (!strchr(colon + 1, '.'))
		return "a major-only tag, not an exact version";
	return NULL;
}

static void rule_pinned(const struct strlist *bases, const char *level, struct scan_findings *out)
{
	size_t i;

	for (i = 0; bases && i < bases->n; i++) {
		const char *why = base_problem(bases->v[i]);

		if (why)
			add(out, "pinned_base", level, xasprintf("FROM %s: %s", bases->v[i], why));
	}
}

static void rule_labels(const json_t *cfg, const struct strlist *required, const char *level, struct scan_findings *out)
{
	static const char *const dflt[] = { "org.opencontainers.image.source", "org.opencontainers.image.revision",
					    "org.opencontainers.image.created" };
	const json_t *labels = json_object_get(cfg, "Labels");
	size_t i, n = required && required->n ? required->n : 3;

	for (i = 0; i < n; i++) {
		const char *want = required && required->n ? required->v[i] : dflt[i];
		const char *have = json_string_value(json_object_get(labels, want));

		if (!have || !*have)
			add(out, "labels", level, xasprintf("label %s is not set", want));
	}
}

int scanpolicy_check(const struct kvlist *rules, const struct strlist *required_labels, const json_t *inspect,
		     const json_t *history, const struct strlist *bases, struct scan_findings *out,
		     struct cc_error **err)
{
	const json_t *cfg = json_object_get(inspect, "Config");
	size_t i;

	for (i = 0; i < rules->n; i++) {
		const char *rule = rules->keys[i], *level = rules->vals[i];

		if (!level || !strcmp(level, "off"))
			continue;
		if (!strcmp(rule, "max_size")) {
			int64_t limit = scanpolicy_size(level),
				size = json_integer_value(json_object_get(inspect, "Size"));

			if (limit < 0)
				return cc_error_set(err, "max_size: '%s' is not a size (500MB, 1.5GiB, 800k)", level);
			if (size > limit)
				add(out, "max_size", "error",
				    xasprintf("image is %.1f MB, limit %s", (double)size / 1e6, level));
		} else if (!strcmp(rule, "non_root"))
			rule_non_root(cfg, level, out);
		else if (!strcmp(rule, "healthcheck"))
			rule_healthcheck(cfg, level, out);
		else if (!strcmp(rule, "secrets"))
			rule_secrets(cfg, history, level, out);
		else if (!strcmp(rule, "pinned_base"))
			rule_pinned(bases, level, out);
		else if (!strcmp(rule, "labels"))
			rule_labels(cfg, required_labels, level, out);
	}
	return 0;
}

size_t scan_findings_errors(const struct scan_findings *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].level, "error");
	return n;
}

json_t *scan_findings_json(const struct scan_findings *f)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < f->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "rule", f->v[i].rule, "level", f->v[i].level,
						   "evidence", f->v[i].evidence));
	return a;
}

void scan_findings_release(struct scan_findings *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].rule);
		free(f->v[i].level);
		free(f->v[i].evidence);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}
