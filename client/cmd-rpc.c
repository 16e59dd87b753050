/* cmd-rpc.c: mino rpc: send one request and print the reply (debugging). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "mino-protocol.h"
#include "xalloc.h"

static int cmd_rpc_exec(struct cmd_ctx *ctx, int argc, char **argv);

static const struct option cmd_rpc_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_rpc_opts[] = {
	{ 0 },
};

const struct cmd_entry cmd_rpc_entry = {
	.name = "rpc",
	.alias = NULL,
	.usage = "method [json]",
	.summary = "send one JSON-RPC request to minod and print the reply",
	.help =
		"Says mino/hello, sends METHOD with JSON as its params (default {}), and prints\n"
		"the reply's result or error object.  Exits 0 for a result, 1 for an error.\n",
	.flags = CMD_STARTDAEMON,
	.opts = cmd_rpc_opts,
	.longopts = cmd_rpc_options,
	.exec = cmd_rpc_exec,
};

static int
cmd_rpc_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_free_ char *text = NULL;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	json_t *params = NULL, *error, *result;
	json_error_t jerr;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+:h", cmd_rpc_options, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_print_help(stdout, &cmd_rpc_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_rpc_entry, ch, argv);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_rpc_entry, "rpc needs a method");
	if (optind + 2 < argc)
		return cmd_usage_error(&cmd_rpc_entry, "too many arguments");
	if (optind + 1 < argc) {
		params = json_loads(argv[optind + 1], JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		if (params == NULL)
			return cmd_usage_error(&cmd_rpc_entry, "invalid JSON params: %s", jerr.text);
		if (!json_is_object(params) && !json_is_array(params)) {
			json_decref(params);
			return cmd_usage_error(&cmd_rpc_entry, "params must be a JSON object or array");
		}
	}

	rc = cmd_connect(ctx, &c);
	if (rc != 0) {
		json_decref(params);
		return rc;
	}
	rc = client_request(c, argv[optind], params, &reply, &err);
	client_free(c);
	if (rc < 0)
		return cmd_report(&err);
	error = json_object_get(reply, "error");
	result = json_object_get(reply, "result");
	text = json_dumps(error != NULL ? error : result, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (text != NULL)
		printf("%s\n", text);
	return error != NULL ? CMD_EXIT_ERROR : CMD_EXIT_OK;
}
