/* tap.h: the configuration unit tests use the TAP producer of the unit
 * tests (tests/unit/tap.h) plus a few helpers of their own. */
#ifndef MINO_TEST_CONFIG_TAP_H
#define MINO_TEST_CONFIG_TAP_H

#include "../unit/tap.h"

/* ok() if `s` contains `needle` (shown with newlines escaped); prints `s`
 * otherwise.  Inline: the TAP counters are per test program. */
static inline void
tap_contains(const char *s, const char *needle, const char *what)
{
	bool found = s != NULL && strstr(s, needle) != NULL;
	char *shown = malloc(2 * strlen(needle) + 1), *q = shown;

	if (shown == NULL)
		abort();
	for (const char *p = needle; *p != '\0'; p++) {
		if (*p == '\n') {
			*q++ = '\\';
			*q++ = 'n';
		} else
			*q++ = *p;
	}
	*q = '\0';
	tap_ok(found, "%s: mentions \"%s\"", what, shown);
	free(shown);
	if (!found)
		tap_diag("got: %s", s != NULL ? s : "(null)");
}

/* A fresh private directory under $TMPDIR (caller frees, removes with tap_rmrf). */
char *tap_tmpdir(void);
void tap_rmrf(const char *path);
/* Writes a file (fatal on failure). */
void tap_write(const char *path, const char *data);

#endif
