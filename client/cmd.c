/* cmd.c: the command table, usage errors and generated help. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mino-build.h"
#include "mino-protocol.h"
#include "client.h"
#include "cmd.h"
#include "xalloc.h"

static int cmd_help_exec(struct cmd_ctx *ctx, int argc, char **argv);
static int cmd_version_exec(struct cmd_ctx *ctx, int argc, char **argv);
static void cmd_print_entry(FILE *f, const struct cmd_entry *e);
static char *cmd_option_name(int c, char **argv);
static const char *cmd_err_prefix(void);

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.alias = NULL,
	.usage = "[command]",
	.summary = "show help for mino or for one command",
	.help = NULL,
	.flags = 0,
	.args = CMD_ARGS_COMMAND,
	.exec = cmd_help_exec,
};

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.alias = NULL,
	.usage = "",
	.summary = "print mino's version and the protocol version it speaks",
	.help = NULL,
	.flags = 0,
	.exec = cmd_version_exec,
};

const int cmd_protocol_version = MINO_PROTOCOL_VERSION;

const struct option cmd_global_longopts[] = {
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "config", required_argument, NULL, 'c' },
	{ "no-local", no_argument, NULL, CMD_OPT_NO_LOCAL },
	{ "version", no_argument, NULL, CMD_OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What cmd_global_longopts parses; test-cmdtable checks both agree. */
const struct cmd_opt cmd_global_opts[] = {
	{ 'v', "verbose", NULL, "verbose output", NULL },
	{ 'q', "quiet", NULL, "no chatter: no progress lines of image builds and pulls; errors, "
	  "warnings and what the command was asked for are still printed", NULL },
	{ 'c', "config", "PATH", "configuration file (default: $MINO_CONFIG, else "
	  "$XDG_CONFIG_HOME/mino/config.toml)", CMD_VALUES_FILE },
	{ 0, "no-local", NULL, "skip the project's .mino.toml", NULL },
	{ 0, "version", NULL, "print the version and the protocol version", NULL },
	{ 0 },
};

const struct cmd_entry *const cmd_table[] = {
	&cmd_run_entry,
	&cmd_exec_entry,
	&cmd_attach_entry,
	&cmd_list_entry,
	&cmd_stop_entry,
	&cmd_logs_entry,
	&cmd_status_entry,
	&cmd_config_entry,
	&cmd_init_entry,
	&cmd_cache_entry,
	&cmd_completions_entry,
	&cmd_rpc_entry,
	&cmd_network_entry,
	&cmd_help_entry,
	&cmd_version_entry,
	&cmd_image_entry,
	&cmd_setup_entry,
	NULL,
};

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *const *e;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, name) == 0)
			return *e;
		if ((*e)->alias != NULL && strcmp((*e)->alias, name) == 0)
			return *e;
	}
	return NULL;
}

static void
cmd_print_subs(FILE *f, const struct cmd_sub *subs)
{
	fprintf(f, "\nsubcommands:\n");
	for (const struct cmd_sub *s = subs; s->name != NULL; s++) {
		int n = fprintf(f, "  %s%s%s", s->name, *s->args != '\0' ? " " : "", s->args);

		if (n >= 28) {
			fprintf(f, "\n%29s", "");
			n = 29;
		} else {
			fprintf(f, "%*s", 29 - n, "");
			n = 29;
		}
		cmdopt_wrap(f, s->help, n, 29, 80);
	}
}

static void
cmd_print_entry(FILE *f, const struct cmd_entry *e)
{
	fprintf(f, "usage: mino %s%s%s\n\n%s\n", e->name, *e->usage != '\0' ? " " : "", e->usage,
		e->summary);
	if (e->alias != NULL)
		fprintf(f, "alias: %s\n", e->alias);
	if (e->subs != NULL)
		cmd_print_subs(f, e->subs);
	fprintf(f, "\noptions:\n");
	cmdopt_print(f, e->opts, true);
	if (e->help != NULL)
		fprintf(f, "\n%s", e->help);
}

void
cmd_print_version(FILE *f)
{
	fprintf(f, "mino %s (protocol %d)\n", MINO_VERSION, cmd_protocol_version);
}

void
cmd_print_help(FILE *f, const struct cmd_entry *entry)
{
	const struct cmd_entry *const *e;

	if (entry != NULL) {
		cmd_print_entry(f, entry);
		return;
	}
	fprintf(f, "usage: mino [options] command [args]\n\n"
		"mino runs AI coding agents in rootless Podman sandboxes managed by minod.\n\n"
		"options:\n");
	cmdopt_print(f, cmd_global_opts, true);
	fprintf(f, "\ncommands:\n");
	for (e = cmd_table; *e != NULL; e++)
		fprintf(f, "  %-11s %s\n", (*e)->name, (*e)->summary);
	fprintf(f, "\nmino help COMMAND (or mino COMMAND --help) shows a command's options;\n"
		"man mino has them all.\n");
}

/* "mino:" for an error line, bold red when stderr is a terminal that
 * takes colour (term_colour). */
static const char *
cmd_err_prefix(void)
{
	return term_colour(STDERR_FILENO) ? "\033[1;31mmino:\033[0m" : "mino:";
}

void
cmd_getopt_reset(void)
{
	optind = 0; /* glibc: full reinitialisation, so "+" is honoured again */
	opterr = 0;
}

/* The option getopt_long complained about, as the user typed it. */
static char *
cmd_option_name(int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	size_t n;

	if (arg != NULL && strncmp(arg, "--", 2) == 0 && arg[2] != '\0' &&
	    (optopt == 0 || strchr(arg, '=') != NULL || c == ':')) {
		n = strcspn(arg, "=");
		return xstrndup(arg, n);
	}
	if (optopt != 0)
		return xasprintf("-%c", optopt);
	return xstrdup(arg != NULL ? arg : "?");
}

int
cmd_getopt_error(const struct cmd_entry *entry, int c, char **argv)
{
	_cleanup_free_ char *opt = cmd_option_name(c, argv);
	_cleanup_free_ char *where = NULL;
	_cleanup_free_ char *see = NULL;

	where = entry != NULL ? xasprintf(" for `%s`", entry->name) : xstrdup("");
	see = entry != NULL ? xasprintf("mino help %s", entry->name) : xstrdup("mino help");
	if (c == ':')
		fprintf(stderr, "%s option `%s`%s needs a value (see %s)\n", cmd_err_prefix(), opt, where,
			see);
	else if (strchr(opt, '=') == NULL && optopt != 0 && strncmp(opt, "--", 2) == 0)
		fprintf(stderr, "%s option `%s`%s takes no value (see %s)\n", cmd_err_prefix(), opt,
			where, see);
	else
		fprintf(stderr, "%s unknown option `%s`%s (see %s)\n", cmd_err_prefix(), opt, where, see);
	return CMD_EXIT_USAGE;
}

int
cmd_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (entry != NULL)
		fprintf(stderr, "%s %s (see mino help %s)\n", cmd_err_prefix(), msg, entry->name);
	else
		fprintf(stderr, "%s %s (see mino help)\n", cmd_err_prefix(), msg);
	return CMD_EXIT_USAGE;
}

int
cmd_report(struct mino_error **err)
{
	if (err != NULL && *err != NULL) {
		fprintf(stderr, "%s %s\n", cmd_err_prefix(),
			(*err)->msg != NULL ? (*err)->msg : "unknown error");
		mino_error_release(err);
	}
	return CMD_EXIT_ERROR;
}

int
cmd_connect(struct cmd_ctx *ctx, struct client **out)
{
	struct mino_error *err = NULL;
	bool start = ctx->entry != NULL && (ctx->entry->flags & CMD_STARTDAEMON);

	if (client_open(start, ctx->verbose, out, &err) < 0)
		return cmd_report(&err);
	return 0;
}

static int
cmd_help_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *e;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cmd_print_help(stdout, &cmd_help_entry);
		return CMD_EXIT_OK;
	}
	if (argc > 2)
		return cmd_usage_error(&cmd_help_entry, "too many arguments");
	if (argc < 2) {
		cmd_print_help(stdout, NULL);
		return CMD_EXIT_OK;
	}
	e = cmd_find(argv[1]);
	if (e == NULL)
		return cmd_usage_error(NULL, "unknown command `%s`", argv[1]);
	cmd_print_help(stdout, e);
	return CMD_EXIT_OK;
}

static int
cmd_version_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cmd_print_help(stdout, &cmd_version_entry);
		return CMD_EXIT_OK;
	}
	if (argc > 1)
		return cmd_usage_error(&cmd_version_entry, "too many arguments");
	cmd_print_version(stdout);
	return CMD_EXIT_OK;
}
