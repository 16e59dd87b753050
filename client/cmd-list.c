/* cmd-list.c: mino list: the sessions, as a table, JSON or names. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "xalloc.h"

#define CMD_LIST_MAX_COLUMNS 6

static int cmd_list_exec(struct cmd_ctx *ctx, int argc, char **argv);
static void cmd_list_table(json_t *sessions, bool all);
static char *cmd_list_cell(json_t *session, int column);

enum cmd_list_format {
	CMD_LIST_TABLE,
	CMD_LIST_JSON,
	CMD_LIST_PLAIN,
};

static const char *const cmd_list_headers[CMD_LIST_MAX_COLUMNS] = {
	"NAME", "STATUS", "IMAGE", "PROJECT", "CREATED", "EXIT",
};

static const struct option cmd_list_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_list_opts[] = {
	{ 'a', "all", NULL, "include sessions that have ended", NULL },
	{ 'f', "format", "FORMAT", "table (default), json or plain (one name a line)",
	  "table json plain" },
	{ 0 },
};

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.alias = "ls",
	.usage = "[-a] [-f table|json|plain]",
	.summary = "list sessions",
	.help = NULL,
	.flags = CMD_STARTDAEMON,
	.opts = cmd_list_opts,
	.longopts = cmd_list_options,
	.exec = cmd_list_exec,
};

/* One cell as text; caller frees. */
static char *
cmd_list_cell(json_t *session, int column)
{
	static const char *const keys[CMD_LIST_MAX_COLUMNS] = {
		"name", "status", "image", "project_dir", "created_at", "exit_code",
	};
	json_t *v = json_object_get(session, keys[column]);

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	return xstrdup("-");
}

static void
cmd_list_table(json_t *sessions, bool all)
{
	int ncol = all ? CMD_LIST_MAX_COLUMNS : CMD_LIST_MAX_COLUMNS - 1;
	size_t width[CMD_LIST_MAX_COLUMNS], i, n = json_array_size(sessions);
	char ***cells = xcalloc(n, sizeof *cells);
	int col;

	for (col = 0; col < ncol; col++)
		width[col] = strlen(cmd_list_headers[col]);
	for (i = 0; i < n; i++) {
		cells[i] = xcalloc((size_t)ncol, sizeof *cells[i]);
		for (col = 0; col < ncol; col++) {
			cells[i][col] = cmd_list_cell(json_array_get(sessions, i), col);
			if (strlen(cells[i][col]) > width[col])
				width[col] = strlen(cells[i][col]);
		}
	}
	for (col = 0; col < ncol; col++) {
		if (col + 1 < ncol)
			printf("%-*s  ", (int)width[col], cmd_list_headers[col]);
		else
			printf("%s\n", cmd_list_headers[col]);
	}
	for (i = 0; i < n; i++) {
		for (col = 0; col < ncol; col++) {
			if (col + 1 < ncol)
				printf("%-*s  ", (int)width[col], cells[i][col]);
			else
				printf("%s\n", cells[i][col]);
			free(cells[i][col]);
		}
		free(cells[i]);
	}
	free(cells);
}

static int
cmd_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *result = NULL;
	json_t *params;
	_cleanup_free_ char *text = NULL;
	enum cmd_list_format format = CMD_LIST_TABLE;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	json_t *sessions;
	bool all = false;
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+:af:h", cmd_list_options, NULL)) != -1) {
		switch (ch) {
		case 'a':
			all = true;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				format = CMD_LIST_TABLE;
			else if (strcmp(optarg, "json") == 0)
				format = CMD_LIST_JSON;
			else if (strcmp(optarg, "plain") == 0)
				format = CMD_LIST_PLAIN;
			else
				return cmd_usage_error(&cmd_list_entry,
					"unknown format `%s` (table, json or plain)", optarg);
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_list_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_list_entry, ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_list_entry, "unexpected argument `%s`", argv[optind]);

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	params = json_pack("{s:b}", "all", all);
	/* the table and the names need a few keys of each record, json all of them */
	if (format != CMD_LIST_JSON)
		json_object_set_new(params, "fields", json_pack("[s,s,s,s,s,s]", "name", "status", "image",
			"project_dir", "created_at", "exit_code"));
	rc = client_call(c, "session/list", params, &result, &err);
	client_free(c);
	if (rc < 0)
		return cmd_report(&err);
	sessions = json_object_get(result, "sessions");
	if (!json_is_array(sessions)) {
		fprintf(stderr, "mino: minod's reply to session/list has no sessions array\n");
		return CMD_EXIT_ERROR;
	}
	switch (format) {
	case CMD_LIST_JSON:
		text = json_dumps(sessions, JSON_INDENT(2));
		if (text != NULL)
			printf("%s\n", text);
		break;
	case CMD_LIST_PLAIN:
		for (i = 0; i < json_array_size(sessions); i++) {
			const char *name = json_string_value(json_object_get(json_array_get(sessions, i),
				"name"));

			if (name != NULL)
				printf("%s\n", name);
		}
		break;
	case CMD_LIST_TABLE:
		cmd_list_table(sessions, all);
		break;
	}
	return CMD_EXIT_OK;
}
