/* cmd-exec.c: mino exec: run a command in a running session. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "xalloc.h"

static int cmd_exec_exec(struct cmd_ctx *ctx, int argc, char **argv);

static const struct option cmd_exec_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_exec_opts[] = {
	{ 0 },
};

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.alias = NULL,
	.usage = "[session] [-- command ...]",
	.summary = "run a command in a running session",
	.help =
		"SESSION defaults to the most recently started running session and COMMAND to\n"
		"the configured shell.  With stdin and stdout terminals the command gets a\n"
		"terminal.  mino exits with the command's exit status.\n",
	.flags = CMD_STARTDAEMON,
	.opts = cmd_exec_opts,
	.longopts = cmd_exec_options,
	.args = CMD_ARGS_SESSION,
	.exec = cmd_exec_exec,
};

static int
cmd_exec_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *params = json_object();
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	struct stream_opts o = { .exec = -1, .forward_stdin = true };
	struct client *c = NULL;
	json_t *command, *arg, *exec;
	int ch, rc, rows, cols;
	bool interactive;

	while ((ch = getopt_long(argc, argv, "+:h", cmd_exec_options, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_print_help(stdout, &cmd_exec_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_exec_entry, ch, argv);
		}
	}
	/* `exec -- cmd` has no session; `exec s [--] cmd` has one */
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		json_object_set_new(params, "session", json_string(argv[optind]));
		optind++;
		if (optind < argc && strcmp(argv[optind], "--") == 0)
			optind++;
	}
	if (optind < argc) {
		command = json_array();
		json_object_set_new(params, "command", command);
		for (; optind < argc; optind++) {
			arg = json_string(argv[optind]);
			if (arg == NULL)
				return cmd_usage_error(&cmd_exec_entry, "argument `%s` is not valid UTF-8",
					argv[optind]);
			json_array_append_new(command, arg);
		}
	}
	interactive = term_is_interactive();
	json_object_set_new(params, "tty", json_boolean(interactive));
	if (interactive) {
		term_size(&rows, &cols);
		json_object_set_new(params, "rows", json_integer(rows));
		json_object_set_new(params, "cols", json_integer(cols));
	}

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	if (client_call(c, "session/exec", steal_pointer(&params), &result, &err) < 0) {
		client_free(c);
		return cmd_report(&err);
	}
	o.session = json_string_value(json_object_get(result, "session"));
	exec = json_object_get(result, "exec");
	if (o.session == NULL || !json_is_integer(exec)) {
		client_free(c);
		fprintf(stderr, "mino: minod's reply to session/exec lacks the session or exec id\n");
		return CMD_EXIT_ERROR;
	}
	o.exec = json_integer_value(exec);
	o.interactive = interactive;
	o.send_eof = !interactive;
	rc = stream_run(c, &o);
	client_free(c);
	return rc;
}
