/* tap.h: a tiny TAP producer for the unit tests.  The plan is printed at
 * the end ("1..N"); tap_done() returns the exit status. */
#ifndef MINO_TEST_TAP_H
#define MINO_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline bool
tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed > 0)
		printf("# %d of %d failed\n", tap_failed, tap_count);
	return tap_failed == 0 ? 0 : 1;
}

#define ok(cond, ...) tap_ok((cond), __VA_ARGS__)
#define is_str(got, want, ...) \
	tap_ok((got) != NULL && strcmp((got), (want)) == 0, __VA_ARGS__) \
		? (void)0 : tap_diag("got `%s`, want `%s`", (got) != NULL ? (got) : "(null)", (want))
#define is_int(got, want, ...) \
	tap_ok((long long)(got) == (long long)(want), __VA_ARGS__) \
		? (void)0 : tap_diag("got %lld, want %lld", (long long)(got), (long long)(want))

#endif
