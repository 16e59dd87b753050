/* main.c: mino's global options, then the command. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mino-build.h"
#include "client.h"
#include "cmd.h"
#include "log.h"
#include "xalloc.h"

static char *main_absolute(const char *path);
static void main_ctx_free(struct cmd_ctx *ctx);

/* `path` made absolute against the current directory (it need not exist). */
static char *
main_absolute(const char *path)
{
	_cleanup_free_ char *cwd = NULL;

	if (path[0] == '/')
		return xstrdup(path);
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return xstrdup(path);
	return xasprintf("%s/%s", cwd, path);
}

static void
main_ctx_free(struct cmd_ctx *ctx)
{
	free(ctx->config_path);
	ctx->config_path = NULL;
}

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx = { 0 };
	const struct cmd_entry *entry;
	const char *config = NULL;
	int c, rc;

	signal(SIGPIPE, SIG_IGN);
	term_init();
	log_init("mino", false, false);

	cmd_getopt_reset();
	while ((c = getopt_long(argc, argv, "+:vqc:h", cmd_global_longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			ctx.verbose = true;
			break;
		case 'q':
			term_set_quiet(true);
			break;
		case 'c':
			config = optarg;
			break;
		case CMD_OPT_NO_LOCAL:
			ctx.no_local = true;
			break;
		case CMD_OPT_VERSION:
			cmd_print_version(stdout);
			return CMD_EXIT_OK;
		case 'h':
			cmd_print_help(stdout, NULL);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(NULL, c, argv);
		}
	}
	if (optind >= argc) {
		cmd_print_help(stderr, NULL);
		return CMD_EXIT_USAGE;
	}
	entry = cmd_find(argv[optind]);
	if (entry == NULL)
		return cmd_usage_error(NULL, "unknown command `%s`", argv[optind]);

	log_set_verbose(ctx.verbose);
	if (config == NULL)
		config = getenv("MINO_CONFIG");
	if (config != NULL && *config != '\0')
		ctx.config_path = main_absolute(config);
	ctx.entry = entry;

	argc -= optind;
	argv += optind;
	cmd_getopt_reset();
	rc = entry->exec(&ctx, argc, argv);
	main_ctx_free(&ctx);
	(void)fflush(stdout); /* a closed stdout (mino list | head -0) is not an error */
	return rc;
}
