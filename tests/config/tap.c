/* tap.c: file helpers of the configuration unit tests. */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "xalloc.h"

static int tap_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw);

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
