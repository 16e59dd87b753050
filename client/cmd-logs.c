/* cmd-logs.c: mino logs: a session's transcript, optionally followed. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "client.h"
#include "cmd.h"
#include "xalloc.h"

static int cmd_logs_exec(struct cmd_ctx *ctx, int argc, char **argv);
static int cmd_logs_print(json_t *result);

static const struct option cmd_logs_options[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "lines", required_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_logs_opts[] = {
	{ 'f', "follow", NULL, "keep printing output until the session ends", NULL },
	{ 'l', "lines", "N", "how many lines to show (default 100, 0 = all)", NULL },
	{ 0 },
};

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.alias = NULL,
	.usage = "[-f] [-l N] session",
	.summary = "show a session's output",
	.help = NULL,
	.flags = CMD_STARTDAEMON,
	.opts = cmd_logs_opts,
	.longopts = cmd_logs_options,
	.args = CMD_ARGS_SESSION,
	.exec = cmd_logs_exec,
};

/* Writes the decoded transcript to stdout.  Returns 0, or an exit status. */
static int
cmd_logs_print(json_t *result)
{
	json_t *data = json_object_get(result, "data");
	_cleanup_free_ unsigned char *bytes = NULL;
	size_t len;
	long n;

	if (!json_is_string(data)) {
		fprintf(stderr, "mino: minod's reply to session/logs has no data\n");
		return CMD_EXIT_ERROR;
	}
	len = json_string_length(data);
	bytes = xmalloc(len / 4 * 3 + 3);
	n = b64_decode_into(json_string_value(data), len, bytes);
	if (n < 0) {
		fprintf(stderr, "mino: minod's reply to session/logs is not valid base64\n");
		return CMD_EXIT_ERROR;
	}
	fflush(stdout);
	if (stream_write_all(STDOUT_FILENO, (const char *)bytes, (size_t)n) < 0)
		return CMD_EXIT_OK; /* the reader went away */
	return 0;
}

static int
cmd_logs_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	struct stream_opts o = { .exec = -1, .exit_zero = true };
	struct client *c = NULL;
	const char *status;
	bool follow = false;
	json_t *params;
	long lines = 100;
	char *end;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+:fl:h", cmd_logs_options, NULL)) != -1) {
		switch (ch) {
		case 'f':
			follow = true;
			break;
		case 'l':
			errno = 0;
			lines = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || lines < 0 || lines > INT_MAX)
				return cmd_usage_error(&cmd_logs_entry, "invalid line count `%s`", optarg);
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_logs_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_logs_entry, ch, argv);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_logs_entry, "logs needs a session name");
	if (optind + 1 < argc)
		return cmd_usage_error(&cmd_logs_entry, "too many arguments");
	params = json_pack("{s:s, s:I, s:b}", "session", argv[optind], "lines", (json_int_t)lines,
		"follow", follow);
	if (params == NULL)
		return cmd_usage_error(&cmd_logs_entry, "invalid session name `%s`", argv[optind]);

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	if (client_call(c, "session/logs", params, &result, &err) < 0) {
		client_free(c);
		return cmd_report(&err);
	}
	rc = cmd_logs_print(result);
	status = json_string_value(json_object_get(result, "status"));
	if (rc != 0 || !follow || status == NULL ||
	    (strcmp(status, "running") != 0 && strcmp(status, "starting") != 0)) {
		client_free(c);
		return rc;
	}
	o.session = json_string_value(json_object_get(result, "name"));
	if (o.session == NULL)
		o.session = argv[optind];
	rc = stream_run(c, &o);
	client_free(c);
	return rc;
}
