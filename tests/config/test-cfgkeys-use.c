/* test-cfgkeys-use.c: every key of the table does something, or says why
 * not.  A key with a `consumer` must be read by that file: its quoted name
 * on a line of code (not a comment).  A key marked `no_effect` must have
 * no consumer, and no file under client/, daemon/ or common/ (other than
 * the table itself) may read it.  A key with neither fails. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfile.h"
#include "cfgkeys.h"
#include "tap.h"
#include "xalloc.h"

static const struct cfg_key *scan_key;
static char *scan_hit;

/* The whole file, or NULL. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 4096 + 1;
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	data[len] = '\0';
	return data;
}

/* Whether `text` has "name" (quoted) on a line that is not a comment. */
static bool
reads_key(const char *text, const char *name)
{
	_cleanup_free_ char *quoted = xasprintf("\"%s\"", name);

	for (const char *p = strstr(text, quoted); p != NULL; p = strstr(p + 1, quoted)) {
		const char *line = p;

		while (line > text && line[-1] != '\n')
			line--;
		line += strspn(line, " \t");
		if (strncmp(line, "/*", 2) != 0 && strncmp(line, "*", 1) != 0 &&
		    strncmp(line, "//", 2) != 0)
			return true;
	}
	return false;
}

static int
scan_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t n = strlen(path);
	_cleanup_free_ char *text = NULL;

	(void)st;
	(void)ftw;
	if (type != FTW_F || n < 2 || strcmp(path + n - 2, ".c") != 0 ||
	    strstr(path, "/common/cfgkeys.c") != NULL)
		return 0;
	text = slurp(path);
	if (text != NULL && reads_key(text, scan_key->name)) {
		scan_hit = xstrdup(path);
		return 1;
	}
	return 0;
}

/* The first source file under client/, daemon/ or common/ that reads `k`,
 * or NULL (caller frees). */
static char *
find_reader(const struct cfg_key *k)
{
	static const char *const dirs[] = { "client", "daemon", "common" };

	scan_key = k;
	scan_hit = NULL;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && scan_hit == NULL; i++) {
		_cleanup_free_ char *dir = xasprintf("%s/%s", MINO_SOURCE_ROOT, dirs[i]);

		(void)nftw(dir, scan_file, 16, FTW_PHYS);
	}
	return scan_hit;
}

static void
check_key(const struct cfg_key *k)
{
	_cleanup_free_ char *path = NULL, *text = NULL, *reader = NULL;

	if (k->no_effect != NULL) {
		tap_ok(k->consumer == NULL, "%s: marked no effect, so no consumer", k->name);
		reader = find_reader(k);
		if (!tap_ok(reader == NULL, "%s: marked no effect and nothing reads it", k->name))
			tap_diag("%s reads it: drop the mark and name it as the consumer", reader);
		return;
	}
	if (!tap_ok(k->consumer != NULL, "%s: has a consumer or a no-effect reason", k->name))
		return;
	path = xasprintf("%s/%s", MINO_SOURCE_ROOT, k->consumer);
	text = slurp(path);
	if (!tap_ok(text != NULL, "%s: consumer %s exists", k->name, k->consumer))
		return;
	tap_ok(reads_key(text, k->name), "%s: %s reads it", k->name, k->consumer);
}

int
main(void)
{
	size_t marked = 0;

	/* The checker itself: a comment mentioning a key is not a use. */
	tap_ok(!reads_key("/* \"a.b\" */\n * \"a.b\"\n", "a.b"), "a comment is not a use");
	tap_ok(reads_key("x = cfg_bool(c, \"a.b\");\n", "a.b"), "a call is a use");
	tap_ok(!reads_key("x = cfg_bool(c, \"a.bc\");\n", "a.b"), "another key is not a use");
	for (size_t i = 0; i < cfgkeys_count; i++) {
		check_key(&cfgkeys_table[i]);
		marked += cfgkeys_table[i].no_effect != NULL;
	}
	tap_diag("%zu keys, %zu marked as having no effect here", cfgkeys_count, marked);
	return tap_done();
}
