#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

int cc_error_vset(struct cc_error **err, const char *fmt, va_list ap)
{
	struct cc_error *e, **tail;

	if (!err)
		return -1;
	e = xcalloc(1, sizeof(*e));
	e->msg = xvasprintf(fmt, ap);
	for (tail = err; *tail; tail = &(*tail)->next)
		;
	*tail = e;
	return -1;
}

int cc_error_set(struct cc_error **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cc_error_vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

int cc_error_wrap(struct cc_error **err, const char *fmt, ...)
{
	struct cc_error *e;
	va_list ap;
	char *ctx, *msg;

	if (!err || !*err)
		return -1;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	for (e = *err; e; e = e->next) {
		msg = xasprintf("%s: %s", ctx, e->msg);
		free(e->msg);
		e->msg = msg;
	}
	free(ctx);
	return -1;
}

int cc_error_count(const struct cc_error *err)
{
	int n = 0;

	for (; err; err = err->next)
		n++;
	return n;
}

void cc_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ccbuild: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void cc_error_free(struct cc_error *err)
{
	struct cc_error *next;

	for (; err; err = next) {
		next = err->next;
		free(err->msg);
		free(err);
	}
}
