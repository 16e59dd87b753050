/* cmd-stop.c: mino stop: stop a session. */
#include <getopt.h>
#include <stdio.h>

#include "client.h"
#include "cmd.h"
#include "xalloc.h"

static int cmd_stop_exec(struct cmd_ctx *ctx, int argc, char **argv);

static const struct option cmd_stop_options[] = {
	{ "force", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_stop_opts[] = {
	{ 'f', "force", NULL, "kill at once instead of SIGTERM, then SIGKILL after 10 s", NULL },
	{ 0 },
};

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.alias = NULL,
	.usage = "[-f] session",
	.summary = "stop a running session",
	.help = NULL,
	.flags = CMD_STARTDAEMON,
	.opts = cmd_stop_opts,
	.longopts = cmd_stop_options,
	.args = CMD_ARGS_SESSION,
	.exec = cmd_stop_exec,
};

static int
cmd_stop_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	const char *name;
	bool force = false;
	json_t *params;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+:fh", cmd_stop_options, NULL)) != -1) {
		switch (ch) {
		case 'f':
			force = true;
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_stop_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_stop_entry, ch, argv);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_stop_entry, "stop needs a session name");
	if (optind + 1 < argc)
		return cmd_usage_error(&cmd_stop_entry, "too many arguments");
	params = json_pack("{s:s, s:b}", "session", argv[optind], "force", force);
	if (params == NULL)
		return cmd_usage_error(&cmd_stop_entry, "invalid session name `%s`", argv[optind]);

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	rc = client_call(c, "session/stop", params, &result, &err);
	client_free(c);
	if (rc < 0)
		return cmd_report(&err);
	name = json_string_value(json_object_get(result, "name"));
	printf("stopped %s\n", name != NULL ? name : argv[optind]);
	return CMD_EXIT_OK;
}
