/* tap: a minimal TAP producer for C unit tests.  Include once per test
 * program; call ok()/is_str()/is_int(), then return done_testing(). */
#ifndef CC_TAP_H
#define CC_TAP_H

#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)

static __attribute__((unused)) int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static __attribute__((unused)) int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   at %s:%d\n", file, line);
	}
	return cond;
}

static __attribute__((unused)) int tap_is_str(const char *got, const char *want, const char *file, int line,
					      const char *name)
{
	int cond = (got && want) ? !strcmp(got, want) : got == want;

	tap_ok(cond, file, line, "%s", name);
	if (!cond)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return cond;
}

static __attribute__((unused)) int tap_is_int(long long got, long long want, const char *file, int line,
					      const char *name)
{
	int cond = got == want;

	tap_ok(cond, file, line, "%s", name);
	if (!cond)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return cond;
}

static __attribute__((unused)) int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
