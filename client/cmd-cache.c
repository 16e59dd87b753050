/* cmd-cache.c: mino cache list|info|gc|clear, served by minod (cache/list, /info, /gc, /clear;
 * PROTOCOL.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "xalloc.h"

static int cmd_cache_exec(struct cmd_ctx *ctx, int argc, char **argv);



enum {
	CMD_CACHE_DAYS = 0x100,
	CMD_CACHE_DRY_RUN,
	CMD_CACHE_VOLUMES,
	CMD_CACHE_HOME,
	CMD_CACHE_IMAGES,
	CMD_CACHE_ALL,
};

static const struct option cmd_cache_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "project", required_argument, NULL, 'p' },
	{ "days", required_argument, NULL, CMD_CACHE_DAYS },
	{ "dry-run", no_argument, NULL, CMD_CACHE_DRY_RUN },
	{ "volumes", no_argument, NULL, CMD_CACHE_VOLUMES },
	{ "home", no_argument, NULL, CMD_CACHE_HOME },
	{ "images", no_argument, NULL, CMD_CACHE_IMAGES },
	{ "all", no_argument, NULL, CMD_CACHE_ALL },
	{ "yes", no_argument, NULL, 'y' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_cache_opts[] = {
	{ 'f', "format", "FORMAT", "output format: list: table (default), json or plain; "
	  "info: text (default) or json", "table json plain text" },
	{ 'p', "project", "PATH", "project directory (info; default: the current directory)",
	  CMD_VALUES_DIR },
	{ 0, "days", "N", "age in days (gc)", NULL },
	{ 0, "dry-run", NULL, "only list what gc would remove", NULL },
	{ 0, "volumes", NULL, "cache volumes (clear)", NULL },
	{ 0, "home", NULL, "home volumes (clear)", NULL },
	{ 0, "images", NULL, "composed images (clear)", NULL },
	{ 0, "all", NULL, "volumes, homes and composed images (clear)", NULL },
	{ 'y', "yes", NULL, "clear without asking", NULL },
	{ 0 },
};

static const struct cmd_sub cmd_cache_subs[] = {
	{ "list", "[-f FORMAT]", "every cache and home volume" },
	{ "info", "[-p PATH]", "the caches of a project (default: the current directory)" },
	{ "gc", "[--days N] [--dry-run]", "remove caches not used for N days (default "
	  "cache.gc_days; 0: every cache no running session uses) and, while over "
	  "cache.max_total_gb, the least recently used; --dry-run lists them" },
	{ "clear", "--volumes|--home|--images|--all [-y]", "remove every cache volume, home volume "
	  "or composed image (localhost/mino-composed-*) no running session uses; --all: all three" },
	{ 0 },
};

const struct cmd_entry cmd_cache_entry = {
	.name = "cache",
	.alias = NULL,
	.usage = "list [-f table|json|plain] | info [-p PATH] [-f text|json] | gc [--days N] [--dry-run] | "
		"clear --volumes|--images|--home|--all [-y]",
	.summary = "manage dependency caches",
	.help = NULL,
	.flags = CMD_STARTDAEMON,
	.opts = cmd_cache_opts,
	.subs = cmd_cache_subs,
	.longopts = cmd_cache_options,
	.args = CMD_ARGS_SUB,
	.exec = cmd_cache_exec,
};

struct cmd_cache_args {
	const char *sub;
	const char *format;
	const char *project;
	long long days;         /* -1: not given */
	bool dry_run, volumes, home, images, yes;
};

static void
cmd_cache_size(json_t *size, char *out, size_t len)
{
	double v;

	if (!json_is_integer(size)) {
		snprintf(out, len, "-");
		return;
	}
	v = (double)json_integer_value(size);
	if (v >= 1e9)
		snprintf(out, len, "%.1fGB", v / 1e9);
	else if (v >= 1e6)
		snprintf(out, len, "%.1fMB", v / 1e6);
	else if (v >= 1e3)
		snprintf(out, len, "%.1fkB", v / 1e3);
	else
		snprintf(out, len, "%lldB", (long long)json_integer_value(size));
}

static void
cmd_cache_when(json_t *t, char *out, size_t len)
{
	time_t when;
	struct tm tm;

	if (!json_is_integer(t) || json_integer_value(t) <= 0) {
		snprintf(out, len, "-");
		return;
	}
	when = (time_t)json_integer_value(t);
	gmtime_r(&when, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

static const char *
cmd_cache_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

static void
cmd_cache_print_table(json_t *vols)
{
	char size[32], used[32];
	json_t *v;
	size_t i;

	printf("%-52s  %-6s  %-8s  %-9s  %8s  %-16s  %s\n", "NAME", "KIND", "ECO", "STATE", "SIZE",
	    "LAST USED", "PROJECT");
	json_array_foreach(vols, i, v) {
		cmd_cache_size(json_object_get(v, "size"), size, sizeof size);
		cmd_cache_when(json_object_get(v, "last_used"), used, sizeof used);
		printf("%-52s  %-6s  %-8s  %-9s  %8s  %-16s  %s%s\n", cmd_cache_str(v, "name"),
		    cmd_cache_str(v, "kind"), cmd_cache_str(v, "ecosystem"), cmd_cache_str(v, "state"), size, used,
		    strcmp(cmd_cache_str(v, "scope"), "shared") == 0 ? "(shared)" : cmd_cache_str(v, "project_dir"),
		    json_is_true(json_object_get(v, "in_use")) ? "  [in use]" : "");
	}
}

static void
cmd_cache_print_json(json_t *j)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (text != NULL)
		printf("%s\n", text);
}

static int
cmd_cache_list(struct client *c, const struct cmd_cache_args *a)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	char total[32], max[32];
	json_t *v;
	size_t i;

	if (client_call(c, "cache/list", json_object(), &result, &err) < 0)
		return cmd_report(&err);
	if (strcmp(a->format, "json") == 0) {
		cmd_cache_print_json(result);
	} else if (strcmp(a->format, "plain") == 0) {
		json_array_foreach(json_object_get(result, "volumes"), i, v)
			printf("%s\n", cmd_cache_str(v, "name"));
	} else {
		cmd_cache_print_table(json_object_get(result, "volumes"));
		cmd_cache_size(json_object_get(result, "total_size"), total, sizeof total);
		cmd_cache_size(json_object_get(result, "max_total_size"), max, sizeof max);
		printf("total %s of %s (cache.max_total_gb)\n", total, max);
	}
	return CMD_EXIT_OK;
}

static int
cmd_cache_info(struct client *c, const struct cmd_cache_args *a)
{
	_cleanup_json_ json_t *result = NULL;
	_cleanup_free_ char *project = NULL;
	struct mino_error *err = NULL;
	json_t *l;
	size_t i;

	project = realpath(a->project != NULL ? a->project : ".", NULL);
	if (project == NULL) {
		fprintf(stderr, "mino: project directory `%s`: %s\n", a->project ? a->project : ".", strerror(errno));
		return CMD_EXIT_ERROR;
	}
	if (client_call(c, "cache/info", json_pack("{s:s}", "project", project), &result, &err) < 0)
		return cmd_report(&err);
	if (strcmp(a->format, "json") == 0) {
		cmd_cache_print_json(result);
		return CMD_EXIT_OK;
	}
	printf("project %s (scope %s%s)\n", cmd_cache_str(result, "project_dir"), cmd_cache_str(result, "scope"),
	    json_is_false(json_object_get(result, "enabled")) ? ", caching disabled" : "");
	if (json_array_size(json_object_get(result, "lockfiles")) == 0)
		printf("no lockfiles\n");
	json_array_foreach(json_object_get(result, "lockfiles"), i, l)
		printf("  %-20s %-7s %s  %s\n", cmd_cache_str(l, "lockfile"), cmd_cache_str(l, "ecosystem"),
		    cmd_cache_str(l, "hash"), cmd_cache_str(l, "volume"));
	if (json_array_size(json_object_get(result, "volumes")) > 0) {
		printf("volumes:\n");
		cmd_cache_print_table(json_object_get(result, "volumes"));
	}
	return CMD_EXIT_OK;
}

static void
cmd_cache_print_removed(json_t *result, bool dry_run)
{
	char size[32];
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(result, "removed"), i, r) {
		cmd_cache_size(json_object_get(r, "size"), size, sizeof size);
		if (json_object_get(r, "image") != NULL)
			printf("%s image %s\n", dry_run ? "would remove" : "removed", cmd_cache_str(r, "image"));
		else
			printf("%s %s (%s, %s)\n", dry_run ? "would remove" : "removed", cmd_cache_str(r, "name"),
			    cmd_cache_str(r, "reason"), size);
	}
	json_array_foreach(json_object_get(result, "failed"), i, r)
		fprintf(stderr, "mino: kept %s: %s\n", json_object_get(r, "image") ? cmd_cache_str(r, "image") :
		    cmd_cache_str(r, "name"), cmd_cache_str(r, "error"));
	if (json_array_size(json_object_get(result, "removed")) == 0)
		printf("nothing to remove\n");
}

static int
cmd_cache_gc(struct client *c, const struct cmd_cache_args *a)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	json_t *params = json_pack("{s:b}", "dry_run", a->dry_run);

	if (a->days >= 0)
		json_object_set_new(params, "days", json_integer(a->days));
	if (client_call(c, "cache/gc", params, &result, &err) < 0)
		return cmd_report(&err);
	if (strcmp(a->format, "json") == 0)
		cmd_cache_print_json(result);
	else
		cmd_cache_print_removed(result, a->dry_run);
	return json_array_size(json_object_get(result, "failed")) > 0 ? CMD_EXIT_ERROR : CMD_EXIT_OK;
}

static bool
cmd_cache_confirm(const struct cmd_cache_args *a)
{
	char line[16];

	fprintf(stderr, "remove%s%s%s? [y/N] ", a->volumes ? " cache volumes" : "", a->home ? " home volumes" : "",
	    a->images ? " composed images" : "");
	if (fgets(line, sizeof line, stdin) == NULL)
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int
cmd_cache_clear(struct client *c, const struct cmd_cache_args *a)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;

	if (!a->yes && !cmd_cache_confirm(a)) {
		fprintf(stderr, "mino: nothing removed\n");
		return CMD_EXIT_ERROR;
	}
	if (client_call(c, "cache/clear", json_pack("{s:b, s:b, s:b}", "volumes", a->volumes, "home", a->home,
	    "images", a->images), &result, &err) < 0)
		return cmd_report(&err);
	if (strcmp(a->format, "json") == 0)
		cmd_cache_print_json(result);
	else
		cmd_cache_print_removed(result, false);
	return json_array_size(json_object_get(result, "failed")) > 0 ? CMD_EXIT_ERROR : CMD_EXIT_OK;
}

static int
cmd_cache_check(const struct cmd_cache_args *a)
{
	bool is_list = strcmp(a->sub, "list") == 0, is_info = strcmp(a->sub, "info") == 0;
	bool is_gc = strcmp(a->sub, "gc") == 0, is_clear = strcmp(a->sub, "clear") == 0;

	if (!is_list && !is_info && !is_gc && !is_clear)
		return cmd_usage_error(&cmd_cache_entry, "unknown subcommand `%s` (list, info, gc or clear)", a->sub);
	if (is_list && strcmp(a->format, "table") != 0 && strcmp(a->format, "json") != 0 &&
	    strcmp(a->format, "plain") != 0)
		return cmd_usage_error(&cmd_cache_entry, "unknown format `%s` (table, json or plain)", a->format);
	if (!is_list && strcmp(a->format, "text") != 0 && strcmp(a->format, "table") != 0 &&
	    strcmp(a->format, "json") != 0)
		return cmd_usage_error(&cmd_cache_entry, "unknown format `%s` (text or json)", a->format);
	if (a->project != NULL && !is_info)
		return cmd_usage_error(&cmd_cache_entry, "-p is for `cache info`");
	if ((a->days >= 0 || a->dry_run) && !is_gc)
		return cmd_usage_error(&cmd_cache_entry, "--days and --dry-run are for `cache gc`");
	if ((a->volumes || a->home || a->images || a->yes) && !is_clear)
		return cmd_usage_error(&cmd_cache_entry, "--volumes, --home, --images, --all and -y are for `cache clear`");
	if (is_clear && !a->volumes && !a->home && !a->images)
		return cmd_usage_error(&cmd_cache_entry, "cache clear needs --volumes, --images, --home or --all");
	return 0;
}

static int
cmd_cache_days(const char *arg, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || *out < 0 || *out > 3650)
		return cmd_usage_error(&cmd_cache_entry, "--days wants a number of days 0..3650, not `%s`", arg);
	return 0;
}

static int
cmd_cache_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_cache_args a = { .format = "table", .days = -1 };
	struct client *c = NULL;
	int ch, rc;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
			cmd_print_help(stdout, &cmd_cache_entry);
			return CMD_EXIT_OK;
		}
		return cmd_usage_error(&cmd_cache_entry, "missing subcommand (list, info, gc or clear)");
	}
	a.sub = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "+:f:p:yh", cmd_cache_options, NULL)) != -1) {
		switch (ch) {
		case 'f':
			a.format = optarg;
			break;
		case 'p':
			a.project = optarg;
			break;
		case CMD_CACHE_DAYS:
			if ((rc = cmd_cache_days(optarg, &a.days)) != 0)
				return rc;
			break;
		case CMD_CACHE_DRY_RUN:
			a.dry_run = true;
			break;
		case CMD_CACHE_VOLUMES:
			a.volumes = true;
			break;
		case CMD_CACHE_HOME:
			a.home = true;
			break;
		case CMD_CACHE_IMAGES:
			a.images = true;
			break;
		case CMD_CACHE_ALL:
			a.volumes = a.home = a.images = true;
			break;
		case 'y':
			a.yes = true;
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_cache_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_cache_entry, ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_cache_entry, "unexpected argument `%s`", argv[optind]);
	if ((rc = cmd_cache_check(&a)) != 0)
		return rc;
	if (strcmp(a.sub, "clear") == 0 && !a.yes && !isatty(STDIN_FILENO))
		return cmd_usage_error(&cmd_cache_entry, "cache clear without a terminal needs -y");
	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	if (strcmp(a.sub, "list") == 0)
		rc = cmd_cache_list(c, &a);
	else if (strcmp(a.sub, "info") == 0)
		rc = cmd_cache_info(c, &a);
	else if (strcmp(a.sub, "gc") == 0)
		rc = cmd_cache_gc(c, &a);
	else
		rc = cmd_cache_clear(c, &a);
	client_free(c);
	return rc;
}
