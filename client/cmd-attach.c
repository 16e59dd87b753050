/* cmd-attach.c: mino attach: return to a running session. */
#include <getopt.h>
#include <stdio.h>

#include "client.h"
#include "cmd.h"
#include "xalloc.h"

static int cmd_attach_exec(struct cmd_ctx *ctx, int argc, char **argv);

static const struct option cmd_attach_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_attach_opts[] = {
	{ 0 },
};

const struct cmd_entry cmd_attach_entry = {
	.name = "attach",
	.alias = NULL,
	.usage = "session",
	.summary = "attach to a running session",
	.help =
		"Replays the session's recent output, then streams it live.  In a terminal,\n"
		"detach again with ctrl-p ctrl-q.\n",
	.flags = CMD_STARTDAEMON,
	.opts = cmd_attach_opts,
	.longopts = cmd_attach_options,
	.args = CMD_ARGS_SESSION,
	.exec = cmd_attach_exec,
};

static int
cmd_attach_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	struct stream_opts o = { .exec = -1 };
	struct client *c = NULL;
	json_t *params;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+:h", cmd_attach_options, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_print_help(stdout, &cmd_attach_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_attach_entry, ch, argv);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_attach_entry, "attach needs a session name");
	if (optind + 1 < argc)
		return cmd_usage_error(&cmd_attach_entry, "too many arguments");
	params = json_pack("{s:s, s:b}", "session", argv[optind], "replay", 1);
	if (params == NULL)
		return cmd_usage_error(&cmd_attach_entry, "invalid session name `%s`", argv[optind]);

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	if (client_call(c, "session/attach", params, &result, &err) < 0) {
		client_free(c);
		return cmd_report(&err);
	}
	o.session = json_string_value(json_object_get(result, "name"));
	if (o.session == NULL)
		o.session = argv[optind];
	o.interactive = json_is_true(json_object_get(result, "tty")) && term_is_interactive();
	o.detach_keys = o.interactive;
	o.resize_now = o.interactive;
	o.forward_stdin = true;
	o.send_eof = false; /* an observer's EOF must not close the session's stdin */
	rc = stream_run(c, &o);
	client_free(c);
	return rc;
}
