/* mangen.c: writes mino(1), minod(8) and mino.toml(5) into a directory.
 *
 * Built by meson and run at build time (a custom_target): the pages come
 * from the tables `--help` and the completions are made from (cmd_table[],
 * cmd_global_opts, cmdopt_minod) and from the key table (cfgkeys_table),
 * so they cannot drift from the program.  Usage: mino-mangen OUTDIR */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mino-build.h"
#include "buf.h"
#include "cfgkeys.h"
#include "cmd.h"
#include "cmdopt.h"
#include "xalloc.h"

static void man_escape(FILE *f, const char *s, size_t len);
static void man_text(FILE *f, const char *s);
static void man_quoted(FILE *f, const char *s);
static void man_prose(FILE *f, const char *text);
static void man_opt(FILE *f, const struct cmd_opt *o);
static void man_opts(FILE *f, const struct cmd_opt *opts, bool with_help);
static void man_command(FILE *f, const struct cmd_entry *e);
static void man_mino(FILE *f);
static void man_minod(FILE *f);
static void man_key(FILE *f, const struct cfg_key *k);
static void man_config(FILE *f);
static int man_write(const char *dir, const char *name, void (*gen)(FILE *f));

static const struct cmd_opt man_help_opt = { 'h', "help", NULL, "show the help and exit", NULL };

/* Text for roff: backslashes and hyphens escaped. */
static void
man_escape(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len && s[i] != '\0'; i++) {
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else if (s[i] == '\'' && (i == 0 || s[i - 1] == '\n'))
			fputs("\\&'", f);
		else if (s[i] == '.' && (i == 0 || s[i - 1] == '\n'))
			fputs("\\&.", f);
		else
			fputc(s[i], f);
	}
}

static void
man_text(FILE *f, const char *s)
{
	man_escape(f, s, strlen(s));
}

/* Inside a "quoted" macro argument. */
static void
man_quoted(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputs("\\(dq", f);
		else
			man_escape(f, s, 1);
	}
}

/* Free text of a cmd_entry: blank lines separate paragraphs; a line that
 * starts with blanks is shown as it is (examples). */
static void
man_prose(FILE *f, const char *text)
{
	const char *line = text;
	bool verbatim = false;

	fputs(".PP\n", f);
	while (*line != '\0') {
		size_t len = strcspn(line, "\n");
		bool indented = line[0] == ' ';

		if (len == 0) {
			if (verbatim)
				fputs(".fi\n.RE\n", f);
			verbatim = false;
			fputs(".PP\n", f);
		} else {
			if (indented && !verbatim)
				fputs(".RS\n.nf\n", f);
			else if (!indented && verbatim)
				fputs(".fi\n.RE\n", f);
			verbatim = indented;
			if (indented) {
				len -= strspn(line, " ");
				line += strspn(line, " ");
			}
			man_escape(f, line, len);
			fputc('\n', f);
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	if (verbatim)
		fputs(".fi\n.RE\n", f);
}

static void
man_opt(FILE *f, const struct cmd_opt *o)
{
	fputs(".TP\n", f);
	if (o->short_name != 0)
		fprintf(f, "\\fB\\-%c\\fR%s", o->short_name, o->long_name != NULL ? ", " : "");
	if (o->long_name != NULL) {
		fputs("\\fB\\-\\-", f);
		man_text(f, o->long_name);
		fputs("\\fR", f);
	}
	if (o->arg != NULL) {
		fputs(" \\fI", f);
		man_text(f, o->arg);
		fputs("\\fR", f);
	}
	fputc('\n', f);
	man_text(f, o->help);
	fputc('\n', f);
}

static void
man_opts(FILE *f, const struct cmd_opt *opts, bool with_help)
{
	for (const struct cmd_opt *o = opts; o != NULL && (o->short_name != 0 || o->long_name != NULL);
	     o++)
		man_opt(f, o);
	if (with_help)
		man_opt(f, &man_help_opt);
}

static void
man_command(FILE *f, const struct cmd_entry *e)
{
	fputs(".SS \"", f);
	man_quoted(f, e->name);
	fputs("\"\n.B mino ", f);
	man_text(f, e->name);
	fputc('\n', f);
	if (*e->usage != '\0') {
		man_text(f, e->usage);
		fputc('\n', f);
	}
	fputs(".PP\n", f);
	man_text(f, e->summary);
	fputs(".\n", f);
	if (e->alias != NULL) {
		fputs("Alias: \\fB", f);
		man_text(f, e->alias);
		fputs("\\fR.\n", f);
	}
	if (e->subs != NULL) {
		fputs(".PP\nSubcommands:\n", f);
		for (const struct cmd_sub *s = e->subs; s->name != NULL; s++) {
			fputs(".TP\n\\fB", f);
			man_text(f, s->name);
			fputs("\\fR", f);
			if (*s->args != '\0') {
				fputs(" \\fI", f);
				man_text(f, s->args);
				fputs("\\fR", f);
			}
			fputc('\n', f);
			man_text(f, s->help);
			fputc('\n', f);
		}
	}
	fputs(".PP\nOptions:\n", f);
	man_opts(f, e->opts, true);
	if (e->help != NULL)
		man_prose(f, e->help);
}

static void
man_mino(FILE *f)
{
	fprintf(f, ".TH MINO 1 \"\" \"mino %s\" \"User Commands\"\n.nh\n", MINO_VERSION);
	fputs(".SH NAME\nmino \\- run AI coding agents in rootless Podman sandboxes\n"
		".SH SYNOPSIS\n.B mino\n[\\fIoptions\\fR] \\fIcommand\\fR [\\fIargs\\fR]\n"
		".SH DESCRIPTION\n"
		"\\fBmino\\fR is the client of \\fBminod\\fR(8), which owns sessions: rootless Podman\n"
		"containers with the project directory mounted, credentials and an egress policy.\n"
		"\\fBmino\\fR talks JSON\\-RPC to \\fBminod\\fR over \\fI$XDG_RUNTIME_DIR/mino.sock\\fR and\n"
		"starts it when a command needs it and it is not running.\n"
		"The configuration is described in \\fBmino.toml\\fR(5).\n"
		".SH OPTIONS\n"
		"These come before the command.\n", f);
	man_opts(f, cmd_global_opts, true);
	fputs(".SH COMMANDS\n"
		"Every command takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR; \\fBmino help\\fR \\fIcommand\\fR\n"
		"prints the same text as this section.\n", f);
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++)
		man_command(f, *e);
	fputs(".SH ENVIRONMENT\n"
		".TP\n.B MINO_CONFIG\nthe global configuration file, as \\fB\\-c\\fR.\n"
		".TP\n.B MINO_LAYERS\nlayers a,b: \\fBcontainer.layers\\fR.\n"
		".TP\n.B MINO_TRUST_LOCAL\n1: trust the project's \\fI.mino.toml\\fR for this run.\n"
		".TP\n.B NO_COLOR\nwhen set and not empty, no colours, even at a terminal.\n"
		".TP\n.B XDG_RUNTIME_DIR\nwhere \\fBminod\\fR's socket \\fImino.sock\\fR is.\n"
		".TP\n.B XDG_CONFIG_HOME\nthe global file is \\fI$XDG_CONFIG_HOME/mino/config.toml\\fR "
		"(default \\fI~/.config/mino/config.toml\\fR).\n"
		".SH EXIT STATUS\n"
		"0 on success, 1 on an error, 2 on a usage error.\n"
		"\\fBmino run\\fR and \\fBmino exec\\fR exit with the command's exit status\n"
		"(128+N when it was killed by signal N).\n"
		".SH SEE ALSO\n"
		".BR minod (8),\n.BR mino.toml (5),\n.BR podman (1)\n", f);
}

static void
man_minod(FILE *f)
{
	fprintf(f, ".TH MINOD 8 \"\" \"mino %s\" \"System Administration\"\n.nh\n", MINO_VERSION);
	fputs(".SH NAME\nminod \\- the mino sandbox daemon\n"
		".SH SYNOPSIS\n.B minod\n[\\fB\\-v\\fR] [\\fB\\-\\-foreground\\fR] "
		"[\\fB\\-\\-ready\\-fd\\fR \\fIN\\fR] [\\fB\\-\\-allow\\-root\\fR]\n"
		".br\n.B minod\n\\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR\n"
		".SH DESCRIPTION\n"
		"\\fBminod\\fR runs as the user, never as root, and owns every session: rootless\n"
		"Podman containers, their terminals, credentials and egress policy.  One event\n"
		"loop serves JSON\\-RPC 2.0 on \\fI$XDG_RUNTIME_DIR/mino.sock\\fR (socket activation\n"
		"with the \\fIminod.socket\\fR user unit, or started by \\fBmino\\fR(1) on demand).\n"
		"Log lines go to standard error; with \\fBgeneral.log_format = \"json\"\\fR in\n"
		"\\fBmino.toml\\fR(5) each line is one JSON object (time, level, prog, msg).\n"
		".SH OPTIONS\n", f);
	man_opts(f, cmdopt_minod, true);
	fputs(".SH SIGNALS\n"
		".TP\n.B SIGHUP\nreload the configuration; on an error the old one is kept.\n"
		".TP\n.B SIGUSR2\ntoggle debug logging.\n"
		".TP\n.BR SIGTERM \", \" SIGINT\nstop accepting, finish and exit.\n"
		".SH FILES\n"
		".TP\n.I $XDG_RUNTIME_DIR/mino.sock\nthe socket.\n"
		".TP\n.I $XDG_STATE_HOME/mino\nsession records, the trust store and \\fIaudit.log\\fR\n"
		"(default \\fI~/.local/state/mino\\fR).\n"
		".TP\n.I $XDG_CONFIG_HOME/mino/config.toml\nthe global configuration, "
		"\\fBmino.toml\\fR(5).\n"
		".SH SEE ALSO\n"
		".BR mino (1),\n.BR mino.toml (5),\n.BR podman (1),\n.BR systemd.socket (5)\n", f);
}

static void
man_key(FILE *f, const struct cfg_key *k)
{
	_cleanup_free_ char *exp = cfgkeys_expected(k);
	struct toml_value v;
	struct buf def;

	buf_init(&def);
	cfgkeys_default(k, &v);
	toml_append_value(&def, &v);
	toml_value_free(&v);
	buf_append(&def, "", 1);
	fputs(".TP\n\\fB", f);
	man_text(f, strrchr(k->name, '.') + 1);
	fputs("\\fR (", f);
	man_text(f, exp);
	fputs("; default \\fB", f);
	man_text(f, def.data);
	fputs("\\fR)\n", f);
	man_text(f, k->help);
	fputs(".\n", f);
	fputs("Full name \\fB", f);
	man_text(f, k->name);
	fputs("\\fR.\n", f);
	if (k->flags & CFG_SENSITIVE)
		fputs("Security\\-sensitive: a project's \\fI.mino.toml\\fR sets it only once "
			"trusted.\n", f);
	if (k->no_effect != NULL) {
		fputs("No effect on this platform: ", f);
		man_text(f, k->no_effect);
		fputs(".\n", f);
	}
	buf_free(&def);
}

static void
man_config(FILE *f)
{
	_cleanup_free_ char *section = NULL;

	fprintf(f, ".TH MINO.TOML 5 \"\" \"mino %s\" \"File Formats\"\n.nh\n", MINO_VERSION);
	fputs(".SH NAME\nmino.toml \\- mino's configuration files\n"
		".SH SYNOPSIS\n"
		"\\fI$XDG_CONFIG_HOME/mino/config.toml\\fR (default \\fI~/.config/mino/config.toml\\fR),\n"
		"the project's \\fI.mino.toml\\fR\n"
		".SH DESCRIPTION\n"
		"Both files are TOML with the tables below.  Precedence: built\\-in defaults <\n"
		"the global file < the project's \\fI.mino.toml\\fR (trusted) < environment <\n"
		"command\\-line flags.  A project file that sets a security\\-sensitive key takes\n"
		"effect only once it is trusted (\\fBmino config trust\\fR, \\fB\\-\\-trust\\-local\\fR or\n"
		"\\fBMINO_TRUST_LOCAL=1\\fR); a value that only tightens the sandbox always applies.\n"
		"\\fBmino config show\\fR prints the effective configuration in this format, each\n"
		"value's source as a comment; \\fBmino config set\\fR \\fIKEY VALUE\\fR edits a file.\n"
		".SH KEYS\n", f);
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfg_key *k = &cfgkeys_table[i];
		_cleanup_free_ char *sec = cfgkeys_section(k->name);

		if (section == NULL || strcmp(sec, section) != 0) {
			fputs(".SS \"[", f);
			man_quoted(f, sec);
			fputs("]\"\n", f);
			free(section);
			section = steal_pointer(&sec);
		}
		man_key(f, k);
	}
	fputs(".SH EXAMPLE\n"
		".EX\n"
		"[container]\n"
		"network = \"none\"\n"
		"layers = [\"rust\"]\n"
		"\n"
		"[credentials.aws]\n"
		"enabled = true\n"
		"profile = \"dev\"\n"
		".EE\n"
		".SH SEE ALSO\n"
		".BR mino (1),\n.BR minod (8)\n", f);
}

static int
man_write(const char *dir, const char *name, void (*gen)(FILE *f))
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "mino-mangen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	gen(f);
	if (ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "mino-mangen: writing %s failed\n", path);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mino-mangen OUTDIR\n");
		return 2;
	}
	if (man_write(argv[1], "mino.1", man_mino) < 0 ||
	    man_write(argv[1], "minod.8", man_minod) < 0 ||
	    man_write(argv[1], "mino.toml.5", man_config) < 0)
		return 1;
	return 0;
}
