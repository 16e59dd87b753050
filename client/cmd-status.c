/* cmd-status.c: mino status: every prerequisite mino relies on (checked
 * here, without minod: common/prereq.c), then whether minod is running and
 * what it knows.  Never starts minod. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "paths.h"
#include "prereq.h"
#include "xalloc.h"

static int cmd_status_exec(struct cmd_ctx *ctx, int argc, char **argv);
static bool cmd_status_prereqs(void);
static void cmd_status_daemon(struct client *c);
static void cmd_status_no_daemon(void);

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

static const struct option cmd_status_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.alias = NULL,
	.usage = "",
	.summary = "check mino's prerequisites and minod",
	.help =
		"Checks every prerequisite mino relies on (podman and its version, rootless,\n"
		"the OCI runtime, podman's init binary, newuidmap/newgidmap, your subordinate\n"
		"ids, slirp4netns or pasta, the storage driver), each OK, WARN or FAIL with\n"
		"the fix, then reports whether minod is running.  Does not start minod.\n"
		"Exits 0 when everything `mino run` needs is OK (WARN is fine), 1 otherwise.\n",
	.flags = 0,
	.exec = cmd_status_exec,
};

/* Prints one line per prerequisite; true when none FAILs. */
static bool
cmd_status_prereqs(void)
{
	struct prereq_report report;
	const struct prereq_check *c;
	bool ok;

	prereq_check_all(&report);
	for (size_t i = 0; i < report.n; i++) {
		c = &report.checks[i];
		printf("%-4s  %-16s  %s", prereq_status_name(c->status), c->name, c->detail);
		if (c->fix != NULL)
			printf("; fix: %s", c->fix);
		putchar('\n');
	}
	ok = prereq_report_ok(&report);
	prereq_report_free(&report);
	return ok;
}

static void
cmd_status_gb(json_t *bytes, char *out, size_t len)
{
	snprintf(out, len, "%.2f GB", json_is_integer(bytes) ? (double)json_integer_value(bytes) / 1e9 : 0.0);
}

/* Cache usage against cache.max_total_gb (cache/list: podman's sizes). */
static void
cmd_status_caches(struct client *c)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	char used[32], max[32];

	if (client_call(c, "cache/list", NULL, &result, &err) < 0) {
		printf("caches: unknown (%s)\n", err->msg);
		mino_error_release(&err);
		return;
	}
	cmd_status_gb(json_object_get(result, "total_size"), used, sizeof used);
	cmd_status_gb(json_object_get(result, "max_total_size"), max, sizeof max);
	printf("caches: %s of %s (cache.max_total_gb), %zu volumes\n", used, max,
		json_array_size(json_object_get(result, "volumes")));
}

static void
cmd_status_daemon(struct client *c)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	json_t *sessions, *podman;
	const char *version, *path;

	if (client_call(c, "daemon/status", NULL, &result, &err) < 0) {
		printf("minod: not answering daemon/status: %s\n", err->msg);
		mino_error_release(&err);
		return;
	}
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
	if (json_integer_value(json_object_get(json_object_get(result, "audit"), "errors")) > 0)
		printf("audit: %lld write errors, last: %s\n",
			(long long)json_integer_value(json_object_get(json_object_get(result, "audit"), "errors")),
			json_string_value(json_object_get(json_object_get(result, "audit"), "last_error")));
	/* minod's own view: its PATH and environment may differ from ours */
	podman = json_object_get(result, "podman");
	path = json_string_value(json_object_get(podman, "path"));
	version = json_string_value(json_object_get(podman, "version"));
	if (path != NULL)
		printf("minod's podman: %s at %s\n", version != NULL ? version : "? (podman info failed)", path);
	else
		printf("minod's podman: not found in minod's PATH\n");
	cmd_status_caches(c);
	cmd_status_base_image(json_object_get(result, "base_image"));
}

static void
cmd_status_no_daemon(void)
{
	printf("sessions: unknown (minod is not running; `mino run` starts it)\n");
}

static int
cmd_status_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *socket_path = NULL;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	int ch, fd;
	bool ok;

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

	ok = cmd_status_prereqs();
	if (paths_socket(&socket_path, &err) < 0) {
		printf("minod: unknown: %s\n", err->msg);
		mino_error_release(&err);
		return CMD_EXIT_ERROR;
	}
	fd = client_connect_socket(socket_path);
	if (fd >= 0) {
		close(fd);
		if (client_open(false, ctx->verbose, &c, &err) < 0 || client_hello_wait(c, &err) < 0) {
			client_free(c);
			return cmd_report(&err);
		}
		cmd_status_daemon(c);
		client_free(c);
	} else {
		if (fd == -ENOENT || fd == -ECONNREFUSED)
			printf("minod: not running (socket %s)\n", socket_path);
		else
			printf("minod: not reachable at %s: %s\n", socket_path, strerror(-fd));
		cmd_status_no_daemon();
	}
	return ok ? CMD_EXIT_OK : CMD_EXIT_ERROR;
}
