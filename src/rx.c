/* rx: a backtracking matcher for the regexps moby/patternmatcher builds.
 *
 * patternmatcher turns a .dockerignore pattern into a Go regexp string and
 * passes characters it does not special-case ('[', ']', '^', escaped
 * letters) straight through, so odd patterns get Go regexp meanings (e.g.
 * "[*]" becomes "[[^/]*]").  Reproducing the regexp string and then parsing
 * it like Go does keeps those cases right by construction.  Supported:
 * literals, '.', classes ([...], ranges, [:name:], \d\s\w and negations),
 * escapes (punctuation, \a\f\n\r\t\v), '^', '$', groups without '|', and the
 * quantifiers * + ? (a lazy '?' suffix is accepted: it cannot change whether
 * a match exists).  Anything else is rejected, so ccbuild errors where
 * Docker would do something we do not model. */
#include "rx.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum node_kind { N_LIT, N_DOT, N_CLASS, N_BOL, N_EOL, N_GROUP };
enum quant { Q_ONE, Q_STAR, Q_QUEST, Q_PLUS };

struct range {
	uint32_t lo, hi;
};

struct class {
	struct range *r;
	size_t n, cap;
	int negated;
};

struct node {
	enum node_kind kind;
	enum quant quant;
	uint32_t c;  /* N_LIT rune */
	size_t ref;  /* N_CLASS: class index; N_GROUP: sequence index */
};

struct seq {
	struct node *v;
	size_t n, cap;
};

struct rx {
	struct seq *seqs;
	size_t nseqs, capseqs;
	struct class *cls;
	size_t ncls, capcls;
};

struct parser {
	struct rx *rx;
	const char *p;
	const char *why;
	int depth;
};

/* Decode one rune the way Go does: an invalid or overlong sequence or a
 * surrogate is U+FFFD of width 1. */
static uint32_t utf8_decode(const unsigned char *s, size_t len, size_t *w)
{
	uint32_t c = s[0], min;
	size_t n, i;

	*w = 1;
	if (c < 0x80)
		return c;
	if ((c & 0xE0) == 0xC0)
		n = 2, c &= 0x1F, min = 0x80;
	else if ((c & 0xF0) == 0xE0)
		n = 3, c &= 0x0F, min = 0x800;
	else if ((c & 0xF8) == 0xF0)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0xFFFD;
	if (n > len)
		return 0xFFFD;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0xFFFD;
	*w = n;
	return c;
}

static void class_add(struct class *cl, uint32_t lo, uint32_t hi)
{
	struct range r = { lo, hi };

	VEC_PUSH(cl->r, cl->n, cl->cap, r);
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Add the complement of ranges src[0..n) to cl. */
static void class_add_negated(struct class *cl, const struct range *src, size_t n)
{
	struct range *r = xmalloc((n ? n : 1) * sizeof(*r));
	uint32_t next = 0;
	size_t i;

	memcpy(r, src, n * sizeof(*r));
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 0; i < n; i++) {
		if (r[i].lo > next)
			class_add(cl, next, r[i].lo - 1);
		if (r[i].hi + 1 > next)
			next = r[i].hi + 1;
	}
	if (next <= 0x10FFFF)
		class_add(cl, next, 0x10FFFF);
	free(r);
}

static const struct range perl_d[] = { { '0', '9' } };
static const struct range perl_s[] = { { '\t', '\n' }, { '\f', '\r' }, { ' ', ' ' } };
static const struct range perl_w[] = { { '0', '9' }, { 'A', 'Z' }, { '_', '_' }, { 'a', 'z' } };

/* \d \s \w (lower case) or their negations (upper case); 0 if not one. */
static int class_add_perl(struct class *cl, char c)
{
	const struct range *r;
	size_t n, i;

	switch (c | 0x20) {
	case 'd': r = perl_d, n = 1; break;
	case 's': r = perl_s, n = 3; break;
	case 'w': r = perl_w, n = 4; break;
	default: return 0;
	}
	if (c & 0x20) {
		for (i = 0; i < n; i++)
			class_add(cl, r[i].lo, r[i].hi);
	} else {
		class_add_negated(cl, r, n);
	}
	return 1;
}

static const struct {
	const char *name;
	const char *ranges; /* pairs lo,hi */
} posix_classes[] = {
	{ "alnum", "09AZaz" }, { "alpha", "AZaz" }, { "ascii", "\x01\x7f" },
	{ "blank", "\t\t  " }, { "cntrl", "\x01\x1f\x7f\x7f" }, { "digit", "09" },
	{ "graph", "!~" }, { "lower", "az" }, { "print", " ~" },
	{ "punct", "!/:@[`{~" }, { "space", "\t\r  " }, { "upper", "AZ" },
	{ "word", "09AZ__az" }, { "xdigit", "09AFaf" },
};

/* "[:name:]" or "[:^name:]" at ps->p; returns 1 if consumed, 0 if it is not
 * a named class (then '[' is literal), -1 on an unknown name. */
static int class_add_posix(struct parser *ps, struct class *cl)
{
	const char *end = strstr(ps->p + 2, ":]"), *name = ps->p + 2;
	struct range r[8];
	size_t i, j, n;
	int neg = 0;

	if (!end)
		return 0;
	if (*name == '^')
		neg = 1, name++;
	for (i = 0; i < sizeof(posix_classes) / sizeof(posix_classes[0]); i++) {
		const char *s = posix_classes[i].ranges;

		if (strlen(posix_classes[i].name) != (size_t)(end - name) ||
		    strncmp(posix_classes[i].name, name, (size_t)(end - name)))
			continue;
		/* "ascii" starts at 0, which a C string cannot hold. */
		for (j = 0, n = 0; s[j]; j += 2, n++)
			r[n].lo = (unsigned char)s[j], r[n].hi = (unsigned char)s[j + 1];
		if (!strcmp(posix_classes[i].name, "ascii") || !strcmp(posix_classes[i].name, "cntrl"))
			r[0].lo = 0;
		if (neg)
			class_add_negated(cl, r, n);
		else
			for (j = 0; j < n; j++)
				class_add(cl, r[j].lo, r[j].hi);
		ps->p = end + 2;
		return 1;
	}
	ps->why = "invalid character class range";
	return -1;
}

/* One escape after '\' (ps->p at the escaped char).  Sets *rune, or adds a
 * Perl class to cl (when cl is non-NULL) and returns 1; -1 on error. */
static int parse_escape(struct parser *ps, uint32_t *rune, struct class *cl)
{
	const unsigned char *u = (const unsigned char *)ps->p;
	static const char ctl[] = "a\af\fn\nr\rt\tv\v";
	const char *hit;

	if (!*u) {
		ps->why = "trailing backslash at end of expression";
		return -1;
	}
	if (*u < 0x80 && !((*u | 0x20) >= 'a' && (*u | 0x20) <= 'z') && !(*u >= '0' && *u <= '9')) {
		*rune = *u;
		ps->p++;
		return 0;
	}
	if (cl && class_add_perl(cl, (char)*u)) {
		ps->p++;
		return 1;
	}
	hit = *u < 0x80 ? strchr(ctl, *u) : NULL;
	if (hit && (hit - ctl) % 2 == 0) {
		*rune = (unsigned char)hit[1];
		ps->p++;
		return 0;
	}
	ps->why = "invalid or unsupported escape sequence";
	return -1;
}

/* A class item's rune (possibly escaped); 1 if it was a Perl class. */
static int class_char(struct parser *ps, struct class *cl, uint32_t *r, int allow_class)
{
	size_t w;

	if (*ps->p == '\\') {
		ps->p++;
		return parse_escape(ps, r, allow_class ? cl : NULL);
	}
	*r = utf8_decode((const unsigned char *)ps->p, strlen(ps->p), &w);
	ps->p += w;
	return 0;
}

static int parse_class(struct parser *ps, size_t *out)
{
	struct class cl = { NULL, 0, 0, 0 };
	uint32_t lo, hi;
	int first = 1, rc;

	if (*ps->p == '^')
		cl.negated = 1, ps->p++;
	for (;;) {
		if (!*ps->p) {
			ps->why = "missing closing ]";
			goto fail;
		}
		if (*ps->p == ']' && !first) {
			ps->p++;
			break;
		}
		first = 0;
		if (ps->p[0] == '[' && ps->p[1] == ':') {
			rc = class_add_posix(ps, &cl);
			if (rc < 0)
				goto fail;
			if (rc)
				continue;
		}
		rc = class_char(ps, &cl, &lo, 1);
		if (rc < 0)
			goto fail;
		if (rc)
			continue;
		hi = lo;
		if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
			ps->p++;
			if (class_char(ps, &cl, &hi, 0) < 0 || hi < lo) {
				ps->why = "invalid character class range";
				goto fail;
			}
		}
		class_add(&cl, lo, hi);
	}
	VEC_PUSH(ps->rx->cls, ps->rx->ncls, ps->rx->capcls, cl);
	*out = ps->rx->ncls - 1;
	return 0;
fail:
	free(cl.r);
	return -1;
}

static size_t new_seq(struct rx *rx)
{
	struct seq s = { NULL, 0, 0 };

	VEC_PUSH(rx->seqs, rx->nseqs, rx->capseqs, s);
	return rx->nseqs - 1;
}

static int parse_quant(struct parser *ps, size_t seq)
{
	struct seq *s = &ps->rx->seqs[seq];
	struct node *last = s->n ? &s->v[s->n - 1] : NULL;
	char c = *ps->p++;

	if (!last || last->quant != Q_ONE) {
		ps->why = last ? "invalid nested repetition operator" : "missing argument to repetition operator";
		return -1;
	}
	last->quant = c == '*' ? Q_STAR : c == '+' ? Q_PLUS : Q_QUEST;
	if (last->kind == N_GROUP && last->quant != Q_QUEST) {
		ps->why = "unsupported repeated group";
		return -1;
	}
	if (*ps->p == '?')
		ps->p++; /* lazy: same set of matches */
	return 0;
}

static int parse_seq(struct parser *ps, size_t *out, int in_group);

static int parse_atom(struct parser *ps, struct node *n)
{
	size_t w;
	char c = *ps->p;

	n->quant = Q_ONE;
	n->kind = N_LIT;
	if (c == '(') {
		ps->p++;
		if (*ps->p == '?' || ++ps->depth > 100) {
			ps->why = "unsupported group";
			return -1;
		}
		n->kind = N_GROUP;
		return parse_seq(ps, &n->ref, 1);
	}
	if (c == '|') {
		ps->why = "unsupported alternation";
		return -1;
	}
	ps->p++;
	switch (c) {
	case '^': n->kind = N_BOL; return 0;
	case '$': n->kind = N_EOL; return 0;
	case '.': n->kind = N_DOT; return 0;
	case '[': n->kind = N_CLASS; return parse_class(ps, &n->ref);
	case '\\': {
		struct class cl = { NULL, 0, 0, 0 };
		int rc = parse_escape(ps, &n->c, &cl);

		if (rc == 1) {
			VEC_PUSH(ps->rx->cls, ps->rx->ncls, ps->rx->capcls, cl);
			n->kind = N_CLASS;
			n->ref = ps->rx->ncls - 1;
		}
		return rc < 0 ? -1 : 0;
	}
	}
	ps->p--;
	n->c = utf8_decode((const unsigned char *)ps->p, strlen(ps->p), &w);
	ps->p += w;
	return 0;
}

static int parse_seq(struct parser *ps, size_t *out, int in_group)
{
	size_t seq = new_seq(ps->rx);
	struct node n;

	*out = seq;
	for (;;) {
		char c = *ps->p;

		if (!c) {
			if (!in_group)
				return 0;
			ps->why = "missing closing )";
			return -1;
		}
		if (c == ')') {
			ps->p++;
			if (in_group)
				return 0;
			ps->why = "unexpected )";
			return -1;
		}
		if (c == '*' || c == '+' || c == '?') {
			if (parse_quant(ps, seq) < 0)
				return -1;
			continue;
		}
		memset(&n, 0, sizeof(n));
		if (parse_atom(ps, &n) < 0)
			return -1;
		/* parse_atom may have grown rx->seqs: index, do not hold pointers. */
		VEC_PUSH(ps->rx->seqs[seq].v, ps->rx->seqs[seq].n, ps->rx->seqs[seq].cap, n);
	}
}

struct rx *rx_compile(const char *re, const char **why)
{
	struct parser ps = { xcalloc(1, sizeof(struct rx)), re, NULL, 0 };
	size_t top;

	if (parse_seq(&ps, &top, 0) < 0) {
		*why = ps.why;
		rx_free(ps.rx);
		return NULL;
	}
	return ps.rx;
}

void rx_free(struct rx *rx)
{
	size_t i;

	if (!rx)
		return;
	for (i = 0; i < rx->nseqs; i++)
		free(rx->seqs[i].v);
	for (i = 0; i < rx->ncls; i++)
		free(rx->cls[i].r);
	free(rx->seqs);
	free(rx->cls);
	free(rx);
}

struct cont {
	size_t seq, idx;
	const struct cont *next;
};

struct subject {
	const unsigned char *s;
	size_t len;
};

static int class_has(const struct class *cl, uint32_t r)
{
	size_t i;

	for (i = 0; i < cl->n; i++)
		if (r >= cl->r[i].lo && r <= cl->r[i].hi)
			return !cl->negated;
	return cl->negated;
}

/* Position after one rune-consuming atom at pos, or -1. */
static long step(const struct rx *rx, const struct node *n, const struct subject *sj, size_t pos)
{
	uint32_t r;
	size_t w;

	if (pos >= sj->len)
		return -1;
	r = utf8_decode(sj->s + pos, sj->len - pos, &w);
	switch (n->kind) {
	case N_LIT: return r == n->c ? (long)(pos + w) : -1;
	case N_DOT: return r != '\n' ? (long)(pos + w) : -1;
	case N_CLASS: return class_has(&rx->cls[n->ref], r) ? (long)(pos + w) : -1;
	default: return -1;
	}
}

static int match_seq(const struct rx *rx, size_t seq, size_t i, const struct subject *sj, size_t pos,
		     const struct cont *k);

static int match_star(const struct rx *rx, size_t seq, size_t i, const struct subject *sj,
		      size_t pos, const struct cont *k)
{
	long np = step(rx, &rx->seqs[seq].v[i], sj, pos);

	if (np >= 0 && match_star(rx, seq, i, sj, (size_t)np, k))
		return 1;
	return match_seq(rx, seq, i + 1, sj, pos, k);
}

static int match_seq(const struct rx *rx, size_t seq, size_t i, const struct subject *sj, size_t pos,
		     const struct cont *k)
{
	const struct node *n;
	long np;
	int ok;

	if (i == rx->seqs[seq].n)
		return k ? match_seq(rx, k->seq, k->idx, sj, pos, k->next) : 1;
	n = &rx->seqs[seq].v[i];
	if (n->kind == N_GROUP) {
		struct cont c = { seq, i + 1, k };

		if (match_seq(rx, n->ref, 0, sj, pos, &c))
			return 1;
		return n->quant == Q_QUEST && match_seq(rx, seq, i + 1, sj, pos, k);
	}
	if (n->kind == N_BOL || n->kind == N_EOL) {
		ok = n->kind == N_BOL ? pos == 0 : pos == sj->len;
		if (!ok && (n->quant == Q_ONE || n->quant == Q_PLUS))
			return 0;
		return match_seq(rx, seq, i + 1, sj, pos, k);
	}
	switch (n->quant) {
	case Q_ONE:
		np = step(rx, n, sj, pos);
		return np >= 0 && match_seq(rx, seq, i + 1, sj, (size_t)np, k);
	case Q_QUEST:
		np = step(rx, n, sj, pos);
		if (np >= 0 && match_seq(rx, seq, i + 1, sj, (size_t)np, k))
			return 1;
		return match_seq(rx, seq, i + 1, sj, pos, k);
	case Q_PLUS:
		np = step(rx, n, sj, pos);
		return np >= 0 && match_star(rx, seq, i, sj, (size_t)np, k);
	case Q_STAR:
		return match_star(rx, seq, i, sj, pos, k);
	}
	return 0;
}

int rx_match(const struct rx *rx, const char *s, size_t len)
{
	struct subject sj = { (const unsigned char *)s, len };
	const struct seq *top = &rx->seqs[0];
	int anchored = top->n && top->v[0].kind == N_BOL && top->v[0].quant == Q_ONE;
	size_t pos = 0, w;

	for (;;) {
		if (match_seq(rx, 0, 0, &sj, pos, NULL))
			return 1;
		if (anchored || pos >= len)
			return 0;
		(void)utf8_decode(sj.s + pos, len - pos, &w);
		pos += w;
	}
}
