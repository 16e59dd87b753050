/* cmd-network.c: mino network SESSION [allow|deny RULE...]: a running
 * session's egress rules, resolved addresses and DNS counts; allow/deny
 * change the rules live (session/network). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "client.h"
#include "cmd.h"
#include "netrule.h"
#include "xalloc.h"

static int cmd_network_exec(struct cmd_ctx *ctx, int argc, char **argv);

static const struct option cmd_network_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_network_opts[] = {
	{ 'j', "json", NULL, "print the result as JSON", NULL },
	{ 0 },
};

static const struct cmd_sub cmd_network_subs[] = {
	{ "SESSION", "", "rules, resolved addresses, forwarded and denied queries" },
	{ "SESSION allow", "RULE", "add a rule (host:port, [v6]:port, *.domain:port)" },
	{ "SESSION deny", "RULE", "remove a rule" },
	{ 0 },
};

const struct cmd_entry cmd_network_entry = {
	.name = "network",
	.alias = NULL,
	.usage = "[--json] session [allow|deny RULE...]",
	.summary = "show or change a running session's egress allowlist",
	.help = NULL,
	.flags = CMD_STARTDAEMON,
	.opts = cmd_network_opts,
	.subs = cmd_network_subs,
	.longopts = cmd_network_options,
	.args = CMD_ARGS_SESSION,
	.exec = cmd_network_exec,
};

static void
cmd_network_print(json_t *r)
{
	json_t *v;
	size_t i;

	printf("session %s: network %s, allowlist\n", json_string_value(json_object_get(r, "session")),
	    json_string_value(json_object_get(r, "network")));
	printf("rules:\n");
	json_array_foreach(json_object_get(r, "rules"), i, v)
		printf("  %s\n", json_string_value(v));
	printf("resolved:\n");
	json_array_foreach(json_object_get(r, "resolved"), i, v)
		printf("  %s -> %s port %lld (%llds left)\n", json_string_value(json_object_get(v, "name")),
		    json_string_value(json_object_get(v, "address")),
		    (long long)json_integer_value(json_object_get(v, "port")),
		    (long long)json_integer_value(json_object_get(v, "expires_in")));
	printf("queries: %lld forwarded, %lld denied\n",
	    (long long)json_integer_value(json_object_get(r, "forwarded")),
	    (long long)json_integer_value(json_object_get(r, "denied")));
	if (json_array_size(json_object_get(r, "recent_denials")) > 0)
		printf("recent denials:\n");
	json_array_foreach(json_object_get(r, "recent_denials"), i, v)
		printf("  %s %s\n", json_string_value(json_object_get(v, "name")),
		    json_string_value(json_object_get(v, "type")));
}

static int
cmd_network_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *result = NULL;
	_cleanup_json_ json_t *params = NULL;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	bool json = false;
	int ch, rc;
	const char *verb;
	json_t *rules;

	while ((ch = getopt_long(argc, argv, "+:jh", cmd_network_options, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_network_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_network_entry, ch, argv);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_network_entry, "network needs a session name");
	params = json_object();
	if (json_object_set_new(params, "session", json_string(argv[optind])) < 0)
		return cmd_usage_error(&cmd_network_entry, "invalid session name `%s`", argv[optind]);
	if (optind + 1 < argc) {
		verb = argv[optind + 1];
		if (strcmp(verb, "allow") != 0 && strcmp(verb, "deny") != 0)
			return cmd_usage_error(&cmd_network_entry, "unknown action `%s` (allow or deny)", verb);
		if (optind + 2 >= argc)
			return cmd_usage_error(&cmd_network_entry, "%s needs a rule", verb);
		rules = json_array();
		json_object_set_new(params, verb, rules);
		for (int i = optind + 2; i < argc; i++) {
			struct netrule r;

			if (netrule_parse(argv[i], &r, &err) < 0) {
				rc = cmd_usage_error(&cmd_network_entry, "%s", err->msg);
				mino_error_release(&err);
				return rc;
			}
			json_array_append_new(rules, json_string(argv[i]));
		}
	}
	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	rc = client_call(c, "session/network", json_incref(params), &result, &err);
	client_free(c);
	if (rc < 0)
		return cmd_report(&err);
	if (json) {
		char *s = json_dumps(result, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
	} else {
		cmd_network_print(result);
	}
	return CMD_EXIT_OK;
}
