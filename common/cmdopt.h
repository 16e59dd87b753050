/* cmdopt.h: the documented options of mino's commands and of minod.
 *
 * One table of rows per command is the source of `--help`, the man pages
 * and the shell completions; the getopt arrays are checked against it
 * (tests/unit/test-cmdtable.c). */
#ifndef MINO_CMDOPT_H
#define MINO_CMDOPT_H

#include <stdbool.h>
#include <stdio.h>

/* One option.  A table of rows ends with { 0 }. */
struct cmd_opt {
	int short_name;        /* 'n', or 0 */
	const char *long_name; /* "name" (without "--"), or NULL */
	const char *arg;       /* "NAME" when the option takes a value, else NULL */
	const char *help;      /* what it does: one paragraph, wrapped when shown */
	/* How completion fills the value: CMD_VALUES_DIR, CMD_VALUES_FILE,
	 * or blank-separated words ("table json plain"); NULL: nothing. */
	const char *values;
};
#define CMD_VALUES_DIR "<dir>"
#define CMD_VALUES_FILE "<file>"

/* minod's options (minod --help and minod(8)). */
extern const struct cmd_opt cmdopt_minod[];

/* "-n, --name NAME" (caller frees). */
char *cmdopt_spelling(const struct cmd_opt *o);
/* Each row as help lines: spelling, then the help wrapped at 80 columns
 * from column 29; `-h, --help` last when `with_help`. */
void cmdopt_print(FILE *f, const struct cmd_opt *opts, bool with_help);
/* `text` wrapped to lines of at most `width` columns, each after `indent`
 * blanks, the first line starting at column `first` (already written). */
void cmdopt_wrap(FILE *f, const char *text, int first, int indent, int width);

#endif
