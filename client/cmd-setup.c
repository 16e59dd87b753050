/* cmd-setup.c: mino setup: fixes what `mino status` finds missing, one step
 * at a time, saying each before doing it and asking first (-y: yes to all).
 * Run as the user, the root steps go through sudo; run as root, --user NAME
 * names the user to prepare, and the user's own steps then run as that user
 * (`mino setup` again, through runuser).  --check only checks. */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "setup-steps.h"
#include "status-report.h"

static int cmd_setup_exec(struct cmd_ctx *ctx, int argc, char **argv);

/* The long-only options' getopt values: not letters, so no short form. */
enum { CMD_SETUP_CHECK = 0x100, CMD_SETUP_UPGRADE, CMD_SETUP_USER };

static const struct option cmd_setup_options[] = {
	{ "yes", no_argument, NULL, 'y' },
	{ "check", no_argument, NULL, CMD_SETUP_CHECK },
	{ "upgrade", no_argument, NULL, CMD_SETUP_UPGRADE },
	{ "user", required_argument, NULL, CMD_SETUP_USER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_setup_opts[] = {
	{ 'y', "yes", NULL, "do every step without asking", NULL },
	{ 0, "check", NULL, "only check, as `mino status` does; change nothing", NULL },
	{ 0, "upgrade", NULL, "also upgrade the packages mino depends on", NULL },
	{ 0, "user", "NAME", "as root: the user to prepare", NULL },
	{ 0 },
};

const struct cmd_entry cmd_setup_entry = {
	.name = "setup",
	.alias = NULL,
	.usage = "[-y] [--check] [--upgrade] [--user NAME]",
	.summary = "check and install what mino needs",
	.help =
		"Installs what mino needs, one step at a time, saying each step before doing\n"
		"it and asking first: the missing packages (apt, dnf, pacman or zypper;\n"
		"Debian and Ubuntu: images/debian-packages.txt), subordinate id ranges that\n"
		"overlap nobody's, read-write /dev/net/tun, runc where crun refuses cgroup v1\n"
		"hybrid mode, then (as the user) the base image and the systemd user units with\n"
		"socket activation.  As a user, the root steps run through sudo.  As root,\n"
		"--user NAME prepares that user.  Ends with the checks of `mino status`.\n",
	.flags = 0,
	.opts = cmd_setup_opts,
	.longopts = cmd_setup_options,
	.exec = cmd_setup_exec,
};

static int
cmd_setup_check(void)
{
	struct status_report report;
	bool ok;

	status_report_collect(&report, false);
	status_report_print(&report, stdout);
	ok = status_report_ok(&report);
	status_report_free(&report);
	if (!ok)
		printf("\nmino setup fixes what it can of the FAIL lines above (see mino help setup).\n");
	return ok ? CMD_EXIT_OK : CMD_EXIT_ERROR;
}

static int
cmd_setup_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct setup_opts o = { 0 };
	bool check = false;
	int ch;

	(void)ctx;
	while ((ch = getopt_long(argc, argv, "+:yh", cmd_setup_options, NULL)) != -1) {
		switch (ch) {
		case 'y':
			o.yes = true;
			break;
		case CMD_SETUP_CHECK:
			check = true;
			break;
		case CMD_SETUP_UPGRADE:
			o.upgrade = true;
			break;
		case CMD_SETUP_USER:
			o.user = optarg;
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_setup_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_setup_entry, ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_setup_entry, "unexpected argument `%s`", argv[optind]);
	if (check && (o.yes || o.upgrade))
		return cmd_usage_error(&cmd_setup_entry, "--check changes nothing: it takes no -y or --upgrade");
	if (check && o.user == NULL)
		return cmd_setup_check();
	return setup_run(&o, check);
}
