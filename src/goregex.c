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
 * '-', '^' and '['. */
#include "goregex.h"
#include "error.h"
#include "util.h"

#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXPAND 4096

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

struct tr {
	const char *p;
	struct strbuf out;
	const char *why; /* static reason on failure */
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
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
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
		{ "alnum", "09AZaz" }, { "alpha", "AZaz" }, { "ascii", "\x01\x7f" },
		{ "blank", "\t\t  " }, { "cntrl", "\x01\x1f\x7f\x7f" }, { "digit", "09" },
		{ "graph", "!~" }, { "lower", "az" }, { "print", " ~" },
		{ "punct", "!/:@[`{~" }, { "space", "\t\r  " }, { "upper", "AZ" },
		{ "word", "09AZ__az" }, { "xdigit", "09AFaf" },
		{ "d", "09" }, { "s", "\t\n\f\r  " }, { "w", "09AZ__az" },
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

	if (e && e < 0x80 && !(e >= '0' && e <= '9') && !(e >= 'a' && e <= 'z') &&
	    !(e >= 'A' && e <= 'Z') && e != '_') {
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

static int translate(struct tr *t)
{
	uint32_t r;
	size_t n;
	int rc = 0;

	while (*t->p && rc == 0) {
		char ch = *t->p++;

		if (ch == '\\') {
			rc = translate_escape(t);
		} else if (ch == '[') {
			rc = parse_class(t);
		} else if (ch == '.') {
			strbuf_addstr(&t->out, "[^\n]");
		} else if (ch == '(' && *t->p == '?') {
			t->why = "unsupported group flags";
			rc = -1;
		} else if (strchr("^$()*+?|", ch)) {
			strbuf_addch(&t->out, ch);
		} else {
			n = rune_decode(t->p - 1, &r);
			if (!n) {
				t->why = "invalid UTF-8";
				return -1;
			}
			t->p += n - 1;
			emit_literal(&t->out, r);
		}
	}
	return rc;
}

struct goregex *goregex_compile(const char *re, struct cc_error **err)
{
	struct tr t = { re, STRBUF_INIT, NULL };
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
