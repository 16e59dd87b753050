/* cmd-run.c: mino run: create a session and stream it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "jsonrpc.h"
#include "names.h"
#include "xalloc.h"

static int cmd_run_exec(struct cmd_ctx *ctx, int argc, char **argv);
static int cmd_run_project(const char *arg, char **out);
static char *cmd_run_volume(const char *spec);
static int cmd_run_stream(struct client *c, json_t *result, bool interactive);
static int cmd_run_append(json_t *array, char *s);

enum {
	CMD_RUN_IMAGE = 0x100,
	CMD_RUN_VOLUME,
	CMD_RUN_NETWORK,
};

static const struct option cmd_run_options[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "project", required_argument, NULL, 'p' },
	{ "image", required_argument, NULL, CMD_RUN_IMAGE },
	{ "env", required_argument, NULL, 'e' },
	{ "volume", required_argument, NULL, CMD_RUN_VOLUME },
	{ "detach", no_argument, NULL, 'd' },
	{ "network", required_argument, NULL, CMD_RUN_NETWORK },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.alias = NULL,
	.usage = "[-d] [-n name] [-p path] [--image image] [-e KEY=VALUE]... "
		"[--volume HOST:CONTAINER]... [--network bridge|host|none] [-- command ...]",
	.summary = "start a sandboxed session and attach to it",
	.help =
		"options:\n"
		"  -n, --name NAME            session name (generated if omitted)\n"
		"  -p, --project PATH         project directory to mount (default: current directory)\n"
		"      --image IMAGE          container image (default: config container.image)\n"
		"  -e, --env KEY=VALUE        extra environment variable (repeatable)\n"
		"      --volume HOST:CONTAINER\n"
		"                             extra volume mount (repeatable)\n"
		"  -d, --detach               run in the background and print the session name\n"
		"      --network MODE         bridge (default), host or none\n"
		"\n"
		"When stdin and stdout are terminals the session gets a terminal and mino\n"
		"puts yours in raw mode.  Detach with ctrl-p ctrl-q: the session keeps running\n"
		"and `mino attach NAME` returns to it.  A ctrl-p followed by any other key is\n"
		"passed through with that key.\n"
		"\n"
		"Otherwise stdin, stdout and stderr are streamed byte for byte.  mino exits\n"
		"with the command's exit status (128+N if it was killed by signal N).\n",
	.flags = CMD_STARTDAEMON,
	.exec = cmd_run_exec,
};

/* The project directory, absolute and resolved.  Returns 0 or an exit status. */
static int
cmd_run_project(const char *arg, char **out)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (arg == NULL) {
		path = getcwd(NULL, 0);
		if (path == NULL) {
			fprintf(stderr, "mino: cannot find the current directory: %s\n", strerror(errno));
			return CMD_EXIT_ERROR;
		}
		arg = path;
	}
	*out = realpath(arg, NULL);
	if (*out == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			fprintf(stderr, "mino: project directory `%s` does not exist\n", arg);
		else
			fprintf(stderr, "mino: project directory `%s`: %s\n", arg, strerror(errno));
		return CMD_EXIT_ERROR;
	}
	if (stat(*out, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mino: project directory `%s` is not a directory\n", arg);
		free(*out);
		*out = NULL;
		return CMD_EXIT_ERROR;
	}
	return 0;
}

/* HOST:CONTAINER[:OPTS] with a relative HOST made absolute against cwd. */
static char *
cmd_run_volume(const char *spec)
{
	const char *colon = strchr(spec, ':');
	_cleanup_free_ char *host = NULL;
	_cleanup_free_ char *abs = NULL;
	_cleanup_free_ char *cwd = NULL;

	if (colon == NULL || colon == spec || spec[0] == '/')
		return xstrdup(spec);
	host = xstrndup(spec, (size_t)(colon - spec));
	abs = realpath(host, NULL);
	if (abs == NULL) {
		cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return xstrdup(spec);
		abs = xasprintf("%s/%s", cwd, host);
	}
	return xasprintf("%s%s", abs, colon);
}

/* Appends s (taken) to array; -1 if it is not valid UTF-8. */
static int
cmd_run_append(json_t *array, char *s)
{
	json_t *j = json_string(s);

	if (j == NULL) {
		fprintf(stderr, "mino: argument `%s` is not valid UTF-8\n", s);
		free(s);
		return -1;
	}
	free(s);
	json_array_append_new(array, j);
	return 0;
}

static int
cmd_run_stream(struct client *c, json_t *result, bool interactive)
{
	struct stream_opts o = {
		.session = json_string_value(json_object_get(result, "name")),
		.exec = -1,
		.interactive = interactive,
		.detach_keys = interactive,
		.forward_stdin = true,
		.send_eof = !interactive,
	};

	if (o.session == NULL) {
		fprintf(stderr, "mino: minod's reply to session/create has no session name\n");
		return CMD_EXIT_ERROR;
	}
	return stream_run(c, &o);
}

static int
cmd_run_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *params = json_object();
	_cleanup_json_ json_t *env = json_array();
	_cleanup_json_ json_t *volumes = json_array();
	_cleanup_json_ json_t *result = NULL;
	_cleanup_free_ char *project = NULL;
	const char *project_arg = NULL, *name = NULL, *image = NULL, *network = NULL;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	bool detach = false, interactive;
	int ch, rc, rows, cols;

	while ((ch = getopt_long(argc, argv, "+:n:p:e:dh", cmd_run_options, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'p':
			project_arg = optarg;
			break;
		case CMD_RUN_IMAGE:
			image = optarg;
			break;
		case 'e':
			if (cmd_run_append(env, xstrdup(optarg)) < 0)
				return CMD_EXIT_USAGE;
			break;
		case CMD_RUN_VOLUME:
			if (cmd_run_append(volumes, cmd_run_volume(optarg)) < 0)
				return CMD_EXIT_USAGE;
			break;
		case 'd':
			detach = true;
			break;
		case CMD_RUN_NETWORK:
			network = optarg;
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_run_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_run_entry, ch, argv);
		}
	}
	if (name != NULL && !name_is_valid(name))
		return cmd_usage_error(&cmd_run_entry, "invalid session name `%s`", name);
	if (network != NULL && strcmp(network, "bridge") != 0 && strcmp(network, "host") != 0 &&
	    strcmp(network, "none") != 0)
		return cmd_usage_error(&cmd_run_entry, "invalid network mode `%s` (bridge, host or none)",
			network);
	rc = cmd_run_project(project_arg, &project);
	if (rc != 0)
		return rc;

	if (json_object_set_new(params, "project", json_string(project)) < 0) {
		fprintf(stderr, "mino: project directory `%s` is not valid UTF-8\n", project);
		return CMD_EXIT_ERROR;
	}
	if (name != NULL)
		json_object_set_new(params, "name", json_string(name));
	if (image != NULL && json_object_set_new(params, "image", json_string(image)) < 0)
		return cmd_usage_error(&cmd_run_entry, "image `%s` is not valid UTF-8", image);
	if (optind < argc) {
		json_t *command = json_array();

		json_object_set_new(params, "command", command);
		for (; optind < argc; optind++)
			if (cmd_run_append(command, xstrdup(argv[optind])) < 0)
				return CMD_EXIT_USAGE;
	}
	if (json_array_size(env) > 0)
		json_object_set(params, "env", env);
	if (json_array_size(volumes) > 0)
		json_object_set(params, "volumes", volumes);
	if (network != NULL)
		json_object_set_new(params, "network", json_string(network));
	if (ctx->config_path != NULL &&
	    json_object_set_new(params, "config", json_string(ctx->config_path)) < 0)
		return cmd_usage_error(NULL, "config path `%s` is not valid UTF-8", ctx->config_path);
	if (ctx->no_local)
		json_object_set_new(params, "no_local", json_true());

	interactive = !detach && term_is_interactive();
	json_object_set_new(params, "tty", json_boolean(detach || interactive));
	if (detach || interactive) {
		term_size(&rows, &cols);
		json_object_set_new(params, "rows", json_integer(rows));
		json_object_set_new(params, "cols", json_integer(cols));
	}
	json_object_set_new(params, "detach", json_boolean(detach));
	json_object_set_new(params, "attach", json_boolean(!detach));

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	if (client_call(c, "session/create", steal_pointer(&params), &result, &err) < 0) {
		client_free(c);
		return cmd_report(&err);
	}
	if (detach) {
		printf("%s\n", json_string_value(json_object_get(result, "name")));
		client_free(c);
		return CMD_EXIT_OK;
	}
	rc = cmd_run_stream(c, result, interactive);
	client_free(c);
	return rc;
}
