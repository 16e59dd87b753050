/* cmd-init.c: mino init: a commented project .mino.toml from the key table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfgfile.h"
#include "cmd.h"
#include "xalloc.h"

static int cmd_init_exec(struct cmd_ctx *ctx, int argc, char **argv);

static const struct option cmd_init_options[] = {
	{ "force", no_argument, NULL, 'f' },
	{ "path", required_argument, NULL, 'p' },
	{ "project", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_init_opts[] = {
	{ 'f', "force", NULL, "overwrite an existing .mino.toml", NULL },
	{ 'p', "path", "DIR", "target directory (default: current directory)", CMD_VALUES_DIR },
	{ 0, "project", "DIR", "the same as --path", CMD_VALUES_DIR },
	{ 0 },
};

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.alias = NULL,
	.usage = "[-f] [-p dir]",
	.summary = "write a commented project .mino.toml",
	.help =
		"The template lists every key, commented out; keys marked (needs trust) take\n"
		"effect only once the file is trusted (mino config trust).\n",
	.flags = 0,
	.opts = cmd_init_opts,
	.longopts = cmd_init_options,
	.exec = cmd_init_exec,
};

static int
cmd_init_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *path = NULL;
	struct mino_error *err = NULL;
	const char *dir = ".";
	bool force = false;
	int ch;

	(void)ctx;
	while ((ch = getopt_long(argc, argv, "+:fp:h", cmd_init_options, NULL)) != -1) {
		switch (ch) {
		case 'f':
			force = true;
			break;
		case 'p':
			dir = optarg;
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_init_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_init_entry, ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_init_entry, "unexpected argument `%s`", argv[optind]);
	path = xasprintf("%s/%s", dir, CFGFILE_LOCAL_NAME);
	if (cfgfile_init(path, true, force, &err) < 0)
		return cmd_report(&err);
	printf("wrote %s\n", path);
	return CMD_EXIT_OK;
}
