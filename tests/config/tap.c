/* tap.c: a tiny TAP producer for the configuration unit tests. */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "xalloc.h"

static int tap_count;
static int tap_failed;

static int tap_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw);

void
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
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
tap_contains(const char *s, const char *needle, const char *what)
{
	bool found = s != NULL && strstr(s, needle) != NULL;

	char *shown = xmalloc(2 * strlen(needle) + 1), *q = shown;

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

int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed > 0)
		printf("# %d of %d failed\n", tap_failed, tap_count);
	return tap_failed > 0 ? 1 : 0;
}

char *
tap_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/mino-cfgtest-XXXXXX", t != NULL && t[0] != '\0' ? t : "/tmp");

	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp %s", dir);
	return dir;
}

static int
tap_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
tap_rmrf(const char *path)
{
	nftw(path, tap_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

void
tap_write(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(data, f) == EOF || fclose(f) != 0)
		fatal("writing %s", path);
}
