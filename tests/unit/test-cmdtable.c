/* test-cmdtable.c: the documented option rows of every command (the
 * source of --help, the man pages and the completions) agree with the
 * getopt arrays the commands parse with, and `mino help NAME` shows them. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "tap.h"
#include "xalloc.h"

static const struct cmd_opt *
doc_row(const struct cmd_opt *opts, const char *long_name)
{
	for (const struct cmd_opt *o = opts; o != NULL && (o->short_name || o->long_name); o++)
		if (o->long_name != NULL && strcmp(o->long_name, long_name) == 0)
			return o;
	return NULL;
}

static bool
doc_has_short(const struct cmd_opt *opts, int c)
{
	for (const struct cmd_opt *o = opts; o != NULL && (o->short_name || o->long_name); o++)
		if (o->short_name == c)
			return true;
	return false;
}

static bool
getopt_has(const struct option *lo, const char *name)
{
	for (; lo->name != NULL; lo++)
		if (strcmp(lo->name, name) == 0)
			return true;
	return false;
}

/* One table against one getopt array. */
static void
check_table(const char *what, const struct cmd_opt *opts, const struct option *lo)
{
	bool help = false;

	for (const struct option *l = lo; l->name != NULL; l++) {
		const struct cmd_opt *d;

		if (strcmp(l->name, "help") == 0) {
			help = true;
			continue;
		}
		d = doc_row(opts, l->name);
		if (!tap_ok(d != NULL, "%s: --%s is documented", what, l->name))
			continue;
		tap_ok((l->has_arg == required_argument) == (d->arg != NULL),
		    "%s: --%s takes a value exactly when its row names one", what, l->name);
		tap_ok(d->short_name == 0 || d->short_name == l->val,
		    "%s: --%s has the documented short form", what, l->name);
		if (l->val > 0 && l->val < 0x80 && isalnum(l->val))
			tap_ok(doc_has_short(opts, l->val), "%s: -%c is documented", what, l->val);
	}
	tap_ok(help, "%s: parses --help", what);
	for (const struct cmd_opt *o = opts; o != NULL && (o->short_name || o->long_name); o++) {
		tap_ok(o->help != NULL && o->help[0] != '\0', "%s: row %s has a description", what,
		    o->long_name != NULL ? o->long_name : "?");
		if (o->long_name != NULL)
			tap_ok(getopt_has(lo, o->long_name), "%s: documented --%s is parsed", what,
			    o->long_name);
	}
}

/* `mino help NAME` names every option and subcommand of the entry. */
static void
check_help_text(const struct cmd_entry *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!tap_ok(f != NULL, "%s: memstream", e->name))
		return;
	cmd_print_help(f, e);
	fclose(f);
	for (const struct cmd_opt *o = e->opts; o != NULL && (o->short_name || o->long_name); o++) {
		_cleanup_free_ char *spelling = xasprintf("--%s", o->long_name);

		if (o->long_name != NULL)
			tap_ok(strstr(text, spelling) != NULL, "%s: help shows %s", e->name, spelling);
	}
	for (const struct cmd_sub *s = e->subs; s != NULL && s->name != NULL; s++)
		tap_ok(strstr(text, s->name) != NULL, "%s: help shows subcommand %s", e->name, s->name);
	tap_ok(strstr(text, "--help") != NULL, "%s: help shows --help", e->name);
	free(text);
}

int
main(void)
{
	size_t n = 0;

	check_table("mino", cmd_global_opts, cmd_global_longopts);
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++, n++) {
		tap_ok((*e)->summary != NULL && (*e)->exec != NULL, "%s: summary and exec", (*e)->name);
		tap_ok(cmd_find((*e)->name) == *e, "%s: found by name", (*e)->name);
		if ((*e)->longopts != NULL)
			check_table((*e)->name, (*e)->opts, (*e)->longopts);
		else
			tap_ok((*e)->opts == NULL, "%s: no getopt array, so no option rows", (*e)->name);
		check_help_text(*e);
	}
	tap_diag("%zu commands", n);
	return tap_done();
}
