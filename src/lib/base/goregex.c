/* goregex: Go regexp (RE2 syntax, the subset patternmatcher emits) to
 * POSIX ERE.
 *
 * Why a translation and not a matcher: glibc's regex engine already does
 * the matching; what differs between the two dialects is only syntax and
 * three semantic details, handled here:
 *  - Go matches runes; glibc does too under a UTF-8 LC_CTYPE, which we set
 *    per thread with uselocale() around regcomp/regexec (no global state).
 *    An invalid byte in a path is one character for both.
 *  - Go's '.' excludes '\n' but negated classes include it: '.' becomes
 *    "[^\n]" and REG_NEWLINE is not used.
 *  - Go's POSIX classes ([:alpha:]) and \d \s \w are ASCII-only, while
 *    glibc's follow the locale: we emit explicit ranges instead.
 * glibc rejects bracket ranges with non-ASCII endpoints in C.UTF-8
 * ("Invalid collation character"), so those ranges are expanded into their
 * characters (up to MAX_EXPAND).  Every ASCII member is written as a
 * collating symbol "[.c.]", which sidesteps the placement rules for ']',
 * '-', '^' and '['.
 *
 * Repetitions follow Go's parser: an operator with nothing to repeat, or
 * stacked on another ("a**", "z++": "invalid nested repetition operator"),
 * is an error, {n,m} counts above 1000 (also as a product of nested counts)
 * are "invalid repeat count", and a '{' that is no count is a literal.  A
 * lazy '?' is dropped: only whether a match exists is asked.  glibc's
 * regcomp copies the operand of '+' and {n,m} (a+ is aa*), so nesting
 * doubles its tree; the size it will build is estimated as we go and
 * capped at MAX_SIZE nodes, well below what costs glibc real memory (~800
 * bytes a node measured), where Go's own cap is its 128 MB program.  Its
 * matching time grows with the cube of the optional parts in a row
 * ("(a?){2000}" took 1.8 s for 128 characters, where RE2 is linear), so
 * those are capped at MAX_BRANCH: a stricter limit than Go's, with its own
 * error, for patterns no tag or path rule needs. */
#include "goregex.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXPAND 4096
#define MAX_REPEAT 1000 /* Go's limit for a {n,m} count */
#define MAX_DEPTH 1000	/* Go's maximum nesting of groups */
#define MAX_SIZE 100000 /* nodes glibc will build, estimated */
#define MAX_BRANCH 500	/* of them optional (?, {0,n}, |): matching time */

struct goregex {
	regex_t re;
	locale_t loc;
	char *posix;
};

struct range {
	uint32_t lo, hi;
};

struct cls {
	struct range *v;
	size_t n, cap;
};

enum term_kind { TERM_NONE, TERM_ATOM, TERM_ANCHOR, TERM_REPEAT };

/* The last term written, what a repetition operator applies to: where it
 * starts in out, the estimated glibc nodes and branches (optional parts)
 * it expands to, and the largest product of counts inside it. */
struct term {
	enum term_kind kind;
	size_t start, size, branches, counts;
};

/* An open group: the sum of its terms so far (kind unused). */
struct group {
	struct term sum;
};

struct tr {
	const char *p;
	struct strbuf out;
	const char *why; /* static reason on failure */
	struct group *g;
	size_t ng, capg;
	struct term last;
};

/* Decode one UTF-8 rune; 0 length on invalid input (Go rejects it too). */
static size_t rune_decode(const char *s, uint32_t *r)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80)
		return *r = p[0], p[0] ? 1 : 0;
	if ((p[0] & 0xE0) == 0xC0)
		n = 2, c = p[0] & 0x1F;
	else if ((p[0] & 0xF0) == 0xE0)
		n = 3, c = p[0] & 0x0F;
	else if ((p[0] & 0xF8) == 0xF0)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10FFFF ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*r = c;
	return n;
}

static void rune_encode(struct strbuf *sb, uint32_t c)
{
	char b[4];
	size_t n;

	if (c < 0x80)
		b[0] = (char)c, n = 1;
	else if (c < 0x800)
		b[0] = (char)(0xC0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3F)), n = 2;
	else if (c < 0x10000)
		b[0] = (char)(0xE0 | c >> 12), b[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
		b[2] = (char)(0x80 | (c & 0x3F)), n = 3;
	else
		b[0] = (char)(0xF0 | c >> 18), b[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
		b[2] = (char)(0x80 | ((c >> 6) & 0x3F)), b[3] = (char)(0x80 | (c & 0x3F)), n = 4;
	strbuf_add(sb, b, n);
}

static void cls_add(struct cls *c, uint32_t lo, uint32_t hi)
{
	struct range r = { lo, hi };

	VEC_PUSH(c->v, c->n, c->cap, r);
}

/* Go's ASCII class names and Perl classes as ranges; 0 if unknown. */
static int cls_add_named(struct cls *c, const char *name, size_t len)
{
	static const struct {
		const char *name, *ranges;
	} tab[] = {
		{ "alnum", "09AZaz" },
		{ "alpha", "AZaz" },
		{ "ascii", "\x01\x7f" },
		{ "blank", "\t\t  " },
		{ "cntrl", "\x01\x1f\x7f\x7f" },
		{ "digit", "09" },
		{ "graph", "!~" },
		{ "lower", "az" },
		{ "print", " ~" },
		{ "punct", "!/:@[`{~" },
		{ "space", "\t\r  " },
		{ "upper", "AZ" },
		{ "word", "09AZ__az" },
		{ "xdigit", "09AFaf" },
		{ "d", "09" },
		{ "s", "\t\n\f\r  " },
		{ "w", "09AZ__az" },
	};
	size_t i;
	const char *r;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].name) != len || memcmp(tab[i].name, name, len))
			continue;
		for (r = tab[i].ranges; *r; r += 2)
			cls_add(c, (unsigned char)r[0], (unsigned char)r[1]);
		if (!strcmp(tab[i].name, "ascii"))
			cls_add(c, 0, 0); /* NUL never occurs in a path */
		return 1;
	}
	return 0;
}

static void emit_ascii(struct strbuf *sb, uint32_t c)
{
	strbuf_addstr(sb, "[.");
	strbuf_addch(sb, (int)c);
	strbuf_addstr(sb, ".]");
}

/* Write the bracket expression for c; -1 when too large to expand. */
static int cls_emit(struct tr *t, const struct cls *c, int negated)
{
	size_t i, expanded = 0;
	uint32_t x, lo, hi;

	strbuf_addstr(&t->out, negated ? "[^" : "[");
	for (i = 0; i < c->n; i++) {
		lo = c->v[i].lo ? c->v[i].lo : 1;
		hi = c->v[i].hi;
		if (lo < 0x80) {
			emit_ascii(&t->out, lo);
			if (hi > lo) {
				strbuf_addch(&t->out, '-');
				emit_ascii(&t->out, hi < 0x7f ? hi : 0x7f);
			}
			lo = 0x80;
		}
		for (x = lo; x <= hi && x >= 0x80; x++) {
			if (x >= 0xD800 && x <= 0xDFFF)
				continue;
			if (++expanded > MAX_EXPAND) {
				t->why = "non-ASCII character range too large";
				return -1;
			}
			rune_encode(&t->out, x);
		}
	}
	strbuf_addch(&t->out, ']');
	return 0;
}

/* One escape after '\' in or out of a class: a literal rune into *r, or a
 * Perl class into c (returns 2).  1 for a literal, -1 unsupported. */
static int parse_escape(struct tr *t, uint32_t *r, struct cls *c)
{
	static const char ctl[] = "a\af\ft\tn\nr\rv\v";
	unsigned char e = (unsigned char)*t->p;
	const char *k;

	if (e && e < 0x80 && !(e >= '0' && e <= '9') && !(e >= 'a' && e <= 'z') && !(e >= 'A' && e <= 'Z') &&
	    e != '_') {
		*r = e;
		t->p++;
		return 1;
	}
	if (e && (k = strchr(ctl, e)) && (k - ctl) % 2 == 0) {
		*r = (unsigned char)k[1];
		t->p++;
		return 1;
	}
	if (e && strchr("dsw", e) && c && cls_add_named(c, (const char *)&e, 1)) {
		t->p++;
		return 2;
	}
	t->why = "unsupported escape";
	return -1;
}

static void emit_literal(struct strbuf *sb, uint32_t r)
{
	if (r < 0x80 && strchr(".[]()*+?{}|^$\\", (int)r)) {
		strbuf_addch(sb, '[');
		emit_ascii(sb, r);
		strbuf_addch(sb, ']');
	} else {
		rune_encode(sb, r);
	}
}

/* One class member at t->p: a literal into *r (1) or named/Perl ranges
 * already added to c (2); -1 on error. */
static int class_atom(struct tr *t, uint32_t *r, struct cls *c)
{
	const char *end;
	size_t n;

	if (t->p[0] == '[' && t->p[1] == ':') {
		end = strstr(t->p + 2, ":]");
		if (!end || !cls_add_named(c, t->p + 2, (size_t)(end - t->p - 2))) {
			t->why = "unsupported character class";
			return -1;
		}
		t->p = end + 2;
		return 2;
	}
	if (*t->p == '\\') {
		t->p++;
		return parse_escape(t, r, c);
	}
	n = rune_decode(t->p, r);
	if (!n) {
		t->why = *t->p ? "invalid UTF-8" : "missing closing ]";
		return -1;
	}
	t->p += n;
	return 1;
}

/* A class; t->p is just past '['. */
static int parse_class(struct tr *t)
{
	struct cls c = { 0 };
	int negated = 0, first = 1, k, rc = -1;
	uint32_t lo, hi;

	if (*t->p == '^')
		negated = 1, t->p++;
	while (first || *t->p != ']') {
		first = 0;
		k = class_atom(t, &lo, &c);
		if (k < 0)
			goto out;
		if (k == 2)
			continue;
		hi = lo;
		if (t->p[0] == '-' && t->p[1] && t->p[1] != ']') {
			t->p++;
			if (class_atom(t, &hi, &c) != 1 || hi < lo) {
				t->why = "invalid character class range";
				goto out;
			}
		}
		cls_add(&c, lo, hi);
	}
	t->p++;
	rc = cls_emit(t, &c, negated);
out:
	free(c.v);
	return rc;
}

/* \D \S \W outside a class. */
static int negated_perl(struct tr *t)
{
	struct cls c = { 0 };
	char lower = (char)(*t->p - 'A' + 'a');
	int rc;

	cls_add_named(&c, &lower, 1);
	t->p++;
	rc = cls_emit(t, &c, 1);
	free(c.v);
	return rc;
}

static int translate_escape(struct tr *t)
{
	struct cls c = { 0 };
	uint32_t r;
	int k;

	if (*t->p && strchr("DSW", *t->p))
		return negated_perl(t);
	k = parse_escape(t, &r, &c);
	if (k == 1)
		emit_literal(&t->out, r);
	else if (k == 2)
		k = cls_emit(t, &c, 0);
	free(c.v);
	return k < 0 ? -1 : 0;
}

/* Record term x, just written. */
static int term_add(struct tr *t, struct term x)
{
	struct term *g = &t->g[t->ng - 1].sum;

	g->size += x.size;
	g->branches += x.branches;
	if (x.counts > g->counts)
		g->counts = x.counts;
	t->last = x;
	if (g->size > MAX_SIZE) {
		t->why = "regexp too large (more than 100000 nodes once its repetitions are expanded)";
		return -1;
	}
	if (g->branches > MAX_BRANCH) { /* glibc's matching time grows with their cube */
		t->why = "regexp too complex (more than 500 optional parts once its repetitions are expanded)";
		return -1;
	}
	return 0;
}

/* Go's parseInt for a count: digits without a leading zero; -1 when too
 * large to matter, -2 when not a number. */
static long count_parse(const char **s)
{
	const char *p = *s;
	long n = 0;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -2;
	for (; *p >= '0' && *p <= '9'; p++)
		n = n >= 100000000 ? 100000000 : n * 10 + (*p - '0');
	*s = p;
	return n >= 100000000 ? -1 : n;
}

/* A "{n}", "{n,}" or "{n,m}" at s (just past '{'): 1 with the counts
 * (*max -1 when open) and *s past '}', 0 when '{' is a literal. */
static int count_range(const char **s, long *min, long *max)
{
	const char *p = *s;

	if ((*min = count_parse(&p)) == -2)
		return 0;
	*max = *min;
	if (*p == ',') {
		p++;
		if (*p == '}')
			*max = -2; /* open; -1 is "too large" */
		else if ((*max = count_parse(&p)) == -2)
			return 0;
	}
	if (*p != '}')
		return 0;
	*s = p + 1;
	return 1;
}

/* Apply a repetition (op '*', '+', '?' or '{' with counts) to the last term. */
static int repeat(struct tr *t, char op, long min, long max)
{
	struct term x = t->last;
	size_t factor = 1, times, opt;

	if (x.kind == TERM_NONE)
		return t->why = "missing argument to repetition operator", -1;
	if (x.kind == TERM_REPEAT)
		return t->why = "invalid nested repetition operator", -1;
	if (op == '{') {
		if (min < 0 || max == -1 || max > MAX_REPEAT || min > MAX_REPEAT || (max >= 0 && min > max))
			return t->why = "invalid repeat count", -1;
		factor = max == 0 ? 0 : max < 0 ? (size_t)(min ? min : 1) : (size_t)max;
		if ((min >= 2 || max >= 2) && factor * x.counts > MAX_REPEAT)
			return t->why = "invalid repeat count", -1;
	}
	if (x.kind == TERM_ANCHOR) { /* glibc will not repeat a bare ^ or $ */
		strbuf_addch(&t->out, '(');
		memmove(t->out.buf + x.start + 1, t->out.buf + x.start, t->out.len - x.start - 1);
		t->out.buf[x.start] = '(';
		strbuf_addch(&t->out, ')');
	}
	if (op == '{' && max < 0)
		strbuf_addf(&t->out, "{%ld,}", min);
	else if (op == '{')
		strbuf_addf(&t->out, "{%ld,%ld}", min, max);
	else
		strbuf_addch(&t->out, op);
	times = op == '+' ? 2 : op == '{' ? (max < 0 ? (size_t)min + 1 : factor ? factor : 1) : 1;
	/* each copy past min is optional, as are ?, * and the star of a+ = aa* */
	opt = op == '{' ? (max < 0 ? 1 : factor - (size_t)min) : 1;
	t->g[t->ng - 1].sum.size -= x.size;
	t->g[t->ng - 1].sum.branches -= x.branches;
	if (*t->p == '?') /* lazy: the same matches */
		t->p++;
	return term_add(t, (struct term){ TERM_REPEAT, x.start, times * x.size + 1, times * x.branches + opt,
					  factor ? factor * x.counts : 0 });
}

/* Past "?:", "?P<name>" or "?<name>" at t->p (only whether a match exists
 * is asked: every group may capture); 0, or -1 for flags like (?i). */
static int group_prefix(struct tr *t)
{
	const char *p = t->p + 1, *name;

	if (*t->p != '?')
		return 0;
	if (*p == ':') {
		t->p = p + 1;
		return 0;
	}
	p += *p == 'P';
	if (*p == '<') {
		for (name = ++p; *p == '_' || isalnum((unsigned char)*p); p++)
			;
		if (*p == '>' && p > name) {
			t->p = p + 1;
			return 0;
		}
		return t->why = "invalid named capture", -1;
	}
	return t->why = "unsupported group flags", -1;
}

static int group_open(struct tr *t)
{
	struct group g = { { TERM_ATOM, t->out.len, 0, 0, 1 } };

	if (group_prefix(t) < 0)
		return -1;
	if (t->ng > MAX_DEPTH)
		return t->why = "expression nests too deeply", -1;
	VEC_PUSH(t->g, t->ng, t->capg, g);
	strbuf_addch(&t->out, '(');
	t->last.kind = TERM_NONE;
	return 0;
}

static int group_close(struct tr *t)
{
	struct term g = t->g[t->ng - 1].sum;

	if (t->ng == 1)
		return t->why = "unexpected )", -1;
	t->ng--;
	strbuf_addch(&t->out, ')');
	g.size++;
	return term_add(t, g);
}

/* One atom (escape, class, '.', anchor or literal) after ch. */
static int translate_atom(struct tr *t, char ch)
{
	size_t start = t->out.len, n;
	uint32_t r;
	int rc = 0;

	if (ch == '\\')
		rc = translate_escape(t);
	else if (ch == '[')
		rc = parse_class(t);
	else if (ch == '.')
		strbuf_addstr(&t->out, "[^\n]");
	else if (ch == '^' || ch == '$')
		strbuf_addch(&t->out, ch);
	else {
		n = rune_decode(t->p - 1, &r);
		if (!n)
			return t->why = "invalid UTF-8", -1;
		t->p += n - 1;
		emit_literal(&t->out, r);
	}
	if (rc < 0)
		return -1;
	return term_add(t, (struct term){ ch == '^' || ch == '$' ? TERM_ANCHOR : TERM_ATOM, start, 1, 0, 1 });
}

static int alternate(struct tr *t)
{
	strbuf_addch(&t->out, '|');
	t->last = (struct term){ TERM_NONE, t->out.len, 0, 1, 0 };
	return term_add(t, t->last); /* one branch more */
}

static int translate(struct tr *t)
{
	struct group top = { { TERM_ATOM, 0, 0, 0, 1 } };
	long min, max;
	int rc = 0;

	VEC_PUSH(t->g, t->ng, t->capg, top);
	while (*t->p && rc == 0) {
		char ch = *t->p++;

		if (ch == '(')
			rc = group_open(t);
		else if (ch == ')')
			rc = group_close(t);
		else if (ch == '|')
			rc = alternate(t);
		else if (ch == '*' || ch == '+' || ch == '?')
			rc = repeat(t, ch, 0, 0);
		else if (ch == '{' && count_range(&t->p, &min, &max))
			rc = repeat(t, '{', min, max);
		else
			rc = translate_atom(t, ch);
	}
	if (rc == 0 && t->ng > 1) {
		t->why = "missing closing )";
		rc = -1;
	}
	free(t->g);
	return rc;
}

struct goregex *goregex_compile(const char *re, struct cc_error **err)
{
	struct tr t = { .p = re, .out = STRBUF_INIT };
	struct goregex *rx;
	locale_t old;
	char msg[128];
	int rc;

	if (translate(&t) < 0) {
		strbuf_release(&t.out);
		cc_error_set(err, "regexp %s: %s", re, t.why);
		return NULL;
	}
	rx = xcalloc(1, sizeof(*rx));
	rx->posix = strbuf_detach(&t.out);
	rx->loc = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, "C.UTF-8", (locale_t)0);
	if (!rx->loc) {
		cc_error_set(err, "regexp %s: the C.UTF-8 locale is not available", re);
		goto fail;
	}
	old = uselocale(rx->loc);
	rc = regcomp(&rx->re, rx->posix, REG_EXTENDED | REG_NOSUB);
	uselocale(old);
	if (rc) {
		regerror(rc, &rx->re, msg, sizeof(msg));
		cc_error_set(err, "regexp %s: %s", re, msg);
		goto fail;
	}
	return rx;
fail:
	if (rx->loc)
		freelocale(rx->loc);
	free(rx->posix);
	free(rx);
	return NULL;
}

int goregex_match(const struct goregex *rx, const char *s, size_t len)
{
	regmatch_t m = { 0, (regoff_t)len };
	locale_t old = uselocale(rx->loc);
	int rc = regexec(&rx->re, s, 1, &m, REG_STARTEND);

	uselocale(old);
	return rc == 0;
}

const char *goregex_posix(const struct goregex *rx)
{
	return rx->posix;
}

void goregex_free(struct goregex *rx)
{
	if (!rx)
		return;
	regfree(&rx->re);
	freelocale(rx->loc);
	free(rx->posix);
	free(rx);
}
