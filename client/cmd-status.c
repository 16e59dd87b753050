/* cmd-status.c: mino status: every prerequisite mino relies on, minod and
 * what it knows, credentials, the SSH agent and the audit log, one line
 * each (client/status-report.c).  Never starts minod. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "status-report.h"
#include "xalloc.h"

static int cmd_status_exec(struct cmd_ctx *ctx, int argc, char **argv);

static const struct option cmd_status_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_status_opts[] = {
	{ 'f', "format", "FORMAT", "text (default) or json", "text json" },
	{ 0 },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.alias = NULL,
	.usage = "[-f text|json]",
	.summary = "check mino's prerequisites and minod",
	.help =
		"Checks every prerequisite mino relies on (podman and its version, rootless,\n"
		"the OCI runtime, cgroups, podman's init binary, newuidmap/newgidmap, your\n"
		"subordinate ids, the rootless network and /dev/net/tun, the network backend,\n"
		"the storage driver), then minod (pid, uptime, version, socket, who started it),\n"
		"its sessions, the base and composed images, cache usage, each credential\n"
		"provider's source (never a secret) and cached tokens' expiry, the SSH agent\n"
		"and the audit log: each OK, WARN or FAIL with the fix in one line.  What only\n"
		"minod knows is ---- (unknown) when it is not running.  Never starts minod.\n"
		"Exits 0 when everything `mino run` needs is OK (WARN is fine), 1 otherwise.\n",
	.flags = 0,
	.opts = cmd_status_opts,
	.longopts = cmd_status_options,
	.exec = cmd_status_exec,
};

static int
cmd_status_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct status_report report;
	bool json = false, ok;
	json_t *doc;
	char *text;
	int ch;

	while ((ch = getopt_long(argc, argv, "+:f:h", cmd_status_options, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") == 0)
				json = false;
			else
				return cmd_usage_error(&cmd_status_entry, "format `%s` is not text or json", optarg);
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_status_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_status_entry, ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_status_entry, "unexpected argument `%s`", argv[optind]);

	status_report_collect(&report, ctx->verbose);
	ok = status_report_ok(&report);
	if (json) {
		doc = status_report_json(&report);
		text = json_dumps(doc, JSON_INDENT(2));
		json_decref(doc);
		if (text != NULL)
			puts(text);
		free(text);
	} else {
		status_report_print(&report, stdout);
	}
	status_report_free(&report);
	return ok ? CMD_EXIT_OK : CMD_EXIT_ERROR;
}
