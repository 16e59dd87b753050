/* tap.h: a tiny TAP producer for the configuration unit tests. */
#ifndef MINO_TEST_TAP_H
#define MINO_TEST_TAP_H

#include <stdbool.h>

void tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ok() if `s` contains `needle`; prints `s` otherwise. */
void tap_contains(const char *s, const char *needle, const char *what);
/* Prints the plan; the exit status for main(). */
int tap_done(void);
/* A fresh private directory under $TMPDIR (caller frees, removes with tap_rmrf). */
char *tap_tmpdir(void);
void tap_rmrf(const char *path);
/* Writes a file (fatal on failure). */
void tap_write(const char *path, const char *data);

#define ok(cond, ...) tap_ok((cond), __VA_ARGS__)

#endif
