/* cmdopt.c: option rows rendered as help text; minod's option table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdopt.h"
#include "xalloc.h"

#define CMDOPT_COLUMN 29
#define CMDOPT_WIDTH 80

const struct cmd_opt cmdopt_minod[] = {
	{ 'v', "verbose", NULL, "debug logging (SIGUSR2 toggles it at run time)", NULL },
	{ 0, "foreground", NULL, "stay in the foreground (the default)", NULL },
	{ 0, "ready-fd", "N", "write \"1\" to file descriptor N once listening", NULL },
	{ 0, "allow-root", NULL, "run even as root", NULL },
	{ 0, "version", NULL, "print the version and the protocol version", NULL },
	{ 0 },
};

static const struct cmd_opt cmdopt_help = { 'h', "help", NULL, "show this help", NULL };

char *
cmdopt_spelling(const struct cmd_opt *o)
{
	char s[4] = "";

	if (o->short_name != 0)
		(void)snprintf(s, sizeof s, "-%c", o->short_name);
	if (o->long_name == NULL)
		return xasprintf("%s%s%s", s, o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
	return xasprintf("%s%s--%s%s%s", s, o->short_name != 0 ? ", " : "    ", o->long_name,
	    o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
}

void
cmdopt_wrap(FILE *f, const char *text, int first, int indent, int width)
{
	int col = first;
	const char *p = text;

	while (*p != '\0') {
		size_t w = strcspn(p, " \n");

		if (col > indent && col + 1 + (int)w > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)w, p);
		col += (int)w;
		p += w;
		if (*p == '\n') {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		p += strspn(p, " \n");
	}
	fputc('\n', f);
}

static void
cmdopt_print_one(FILE *f, const struct cmd_opt *o)
{
	_cleanup_free_ char *sp = cmdopt_spelling(o);
	int n;

	n = fprintf(f, "  %s", sp);
	if (n >= CMDOPT_COLUMN - 1) {
		fprintf(f, "\n%*s", CMDOPT_COLUMN, "");
		n = CMDOPT_COLUMN;
	} else {
		fprintf(f, "%*s", CMDOPT_COLUMN - n, "");
		n = CMDOPT_COLUMN;
	}
	cmdopt_wrap(f, o->help, n, CMDOPT_COLUMN, CMDOPT_WIDTH);
}

void
cmdopt_print(FILE *f, const struct cmd_opt *opts, bool with_help)
{
	for (const struct cmd_opt *o = opts; o != NULL && (o->short_name != 0 || o->long_name != NULL);
	     o++)
		cmdopt_print_one(f, o);
	if (with_help)
		cmdopt_print_one(f, &cmdopt_help);
}
