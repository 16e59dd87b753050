/* cmd-status.c: mino status: is minod running, is podman usable.  Never
 * starts minod. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "paths.h"
#include "xalloc.h"

static int cmd_status_exec(struct cmd_ctx *ctx, int argc, char **argv);
static char *cmd_status_find_podman(void);

/* One line: whether the mino base image exists, and how to build it. */
static void
cmd_status_base_image(const json_t *base)
{
	const char *name = json_string_value(json_object_get(base, "name"));

	if (name == NULL)
		return;
	if (json_is_true(json_object_get(base, "present")))
		printf("base image: %s (built)\n", name);
	else
		printf("base image: %s not built; build it with `mino image build base`\n", name);
}
static int cmd_status_daemon(struct client *c);

static const struct option cmd_status_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.alias = NULL,
	.usage = "",
	.summary = "check minod and podman",
	.help =
		"Reports whether minod is running and what it knows about podman.  Does not\n"
		"start minod.  Exits 0 when both are fine, 1 otherwise.\n",
	.flags = 0,
	.exec = cmd_status_exec,
};

/* podman in our own PATH; caller frees, NULL if absent. */
static char *
cmd_status_find_podman(void)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = NULL;
	char *dir, *save = NULL, *candidate;
	struct stat st;

	copy = xstrdup(path != NULL && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		candidate = xasprintf("%s/podman", *dir != '\0' ? dir : ".");
		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
	}
	return NULL;
}

static int
cmd_status_daemon(struct client *c)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	json_t *podman, *sessions;
	const char *version, *runtime, *path;

	if (client_call(c, "daemon/status", NULL, &result, &err) < 0)
		return cmd_report(&err);
	version = json_string_value(json_object_get(result, "version"));
	printf("minod: running (pid %lld, version %s, protocol %lld, up %lld s)\n",
		(long long)json_integer_value(json_object_get(result, "pid")),
		version != NULL ? version : "?",
		(long long)json_integer_value(json_object_get(result, "protocol")),
		(long long)json_integer_value(json_object_get(result, "uptime_s")));
	printf("socket: %s\n", c->socket_path);
	sessions = json_object_get(result, "sessions");
	printf("sessions: %lld running, %lld total\n",
		(long long)json_integer_value(json_object_get(sessions, "running")),
		(long long)json_integer_value(json_object_get(sessions, "total")));
	podman = json_object_get(result, "podman");
	if (!json_is_object(podman)) {
		printf("podman: not found in minod's PATH\n");
		return CMD_EXIT_ERROR;
	}
	version = json_string_value(json_object_get(podman, "version"));
	runtime = json_string_value(json_object_get(podman, "runtime"));
	path = json_string_value(json_object_get(podman, "path"));
	printf("podman: %s (%s, runtime %s) at %s\n", version != NULL ? version : "?",
		json_is_true(json_object_get(podman, "rootless")) ? "rootless" : "NOT rootless",
		runtime != NULL ? runtime : "?", path != NULL ? path : "?");
	cmd_status_base_image(json_object_get(result, "base_image"));
	return CMD_EXIT_OK;
}

static int
cmd_status_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *socket_path = NULL;
	_cleanup_free_ char *podman = NULL;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	int ch, fd, rc;

	while ((ch = getopt_long(argc, argv, "+:h", cmd_status_options, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_print_help(stdout, &cmd_status_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_status_entry, ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_status_entry, "unexpected argument `%s`", argv[optind]);

	if (paths_socket(&socket_path, &err) < 0)
		return cmd_report(&err);
	fd = client_connect_socket(socket_path);
	if (fd >= 0) {
		close(fd);
		if (client_open(false, ctx->verbose, &c, &err) < 0)
			return cmd_report(&err);
		rc = cmd_status_daemon(c);
		client_free(c);
		return rc;
	}
	if (fd == -ENOENT || fd == -ECONNREFUSED)
		printf("minod: not running (socket %s)\n", socket_path);
	else
		printf("minod: not reachable at %s: %s\n", socket_path, strerror(-fd));
	podman = cmd_status_find_podman();
	if (podman != NULL)
		printf("podman: found at %s\n", podman);
	else
		printf("podman: not found in PATH\n");
	return CMD_EXIT_ERROR;
}
