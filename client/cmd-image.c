/* cmd-image.c: mino image list|build|rm: mino's images.
 *   list            mino-built images with their layers, base id, size and age
 *   build base      runs the base image recipe (images/base/build.sh)
 *   build L1,L2     composes layers on the base (image/build), with progress
 *   rm NAME         removes one of mino's images (image/rm) */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "mino-build.h"
#include "paths.h"
#include "progress.h"
#include "xalloc.h"

static int cmd_image_exec(struct cmd_ctx *ctx, int argc, char **argv);

static const struct cmd_sub cmd_image_subs[] = {
	{ "list", "", "mino's images: layers, base id, size, age" },
	{ "build", "base", "build localhost/mino-base from Debian packages (needs mmdebstrap)" },
	{ "build", "L1,L2", "compose layers on the base image, as `mino run --layers` would" },
	{ "rm", "NAME", "remove one of mino's images (localhost/mino-*)" },
	{ 0 },
};

const struct cmd_entry cmd_image_entry = {
	.name = "image",
	.alias = NULL,
	.usage = "list | build base|LAYERS | rm NAME",
	.summary = "list, build and remove mino's images",
	.help = NULL,
	.flags = CMD_STARTDAEMON,
	.subs = cmd_image_subs,
	.args = CMD_ARGS_SUB,
	.exec = cmd_image_exec,
};

static void
cmd_image_age(long long created, char *buf, size_t size)
{
	long long age = (long long)time(NULL) - created;

	if (age < 120)
		snprintf(buf, size, "%llds", age < 0 ? 0 : age);
	else if (age < 7200)
		snprintf(buf, size, "%lldm", age / 60);
	else if (age < 172800)
		snprintf(buf, size, "%lldh", age / 3600);
	else
		snprintf(buf, size, "%lldd", age / 86400);
}

static int
cmd_image_list(struct client *c)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	json_t *img;
	size_t i;
	char age[32];

	if (client_call(c, "image/list", NULL, &result, &err) < 0)
		return cmd_report(&err);
	printf("%-48s %-24s %-14s %8s %6s\n", "NAME", "LAYERS", "BASE ID", "SIZE", "AGE");
	json_array_foreach(json_object_get(result, "images"), i, img) {
		const char *layers = json_string_value(json_object_get(img, "layers"));
		const char *base = json_string_value(json_object_get(img, "base_id"));

		cmd_image_age(json_integer_value(json_object_get(img, "created")), age, sizeof age);
		printf("%-48s %-24s %-14.12s %7lldM %6s\n", json_string_value(json_object_get(img, "name")),
		    layers ? layers : "-", base ? base : "-",
		    (long long)(json_integer_value(json_object_get(img, "size")) / 1000000), age);
	}
	return CMD_EXIT_OK;
}

/* The recipe: $MINO_IMAGES_DIR, the source tree beside a build tree's
 * client, else the installed one. */
static char *
cmd_image_recipe(void)
{
	const char *env = getenv("MINO_IMAGES_DIR");
	_cleanup_free_ char *self = NULL;
	struct mino_error *err = NULL;
	char *p;

	if (env != NULL && env[0] == '/')
		return xasprintf("%s/base/build.sh", env);
	if (paths_self_dir(&self, &err) == 0) {
		p = xasprintf("%s/../../images/base/build.sh", self);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	mino_error_release(&err);
	return xstrdup(MINO_IMAGESDIR "/base/build.sh");
}

static int
cmd_image_build_base(void)
{
	_cleanup_free_ char *recipe = cmd_image_recipe();
	char *const args[] = { "bash", recipe, NULL };

	if (access(recipe, R_OK) < 0) {
		fprintf(stderr, "mino: the base image recipe `%s`: %s\n", recipe, strerror(errno));
		return CMD_EXIT_ERROR;
	}
	execvp("bash", args);
	fprintf(stderr, "mino: running bash %s: %s\n", recipe, strerror(errno));
	return CMD_EXIT_ERROR;
}

static int
cmd_image_build_layers(struct client *c, const char *list)
{
	_cleanup_json_ json_t *result = NULL;
	_cleanup_free_ char *copy = xstrdup(list);
	struct mino_error *err = NULL;
	char cwd[PATH_MAX], *tok, *save = NULL;
	json_t *layers = json_array(), *w, *params;
	size_t i;
	int rc;

	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(layers, json_string(tok));
	params = json_pack("{s:o}", "layers", layers);
	if (getcwd(cwd, sizeof cwd) != NULL)
		json_object_set_new(params, "project", json_string(cwd));
	progress_guard_begin(c);
	rc = client_call(c, "image/build", params, &result, &err);
	if (progress_guard_end(c) && rc < 0) {
		mino_error_release(&err);
		fprintf(stderr, "mino: build cancelled\n");
		return 130;
	}
	if (rc < 0)
		return cmd_report(&err);
	json_array_foreach(json_object_get(result, "warnings"), i, w)
		fprintf(stderr, "mino: warning: %s\n", json_string_value(w));
	printf("%s\n", json_string_value(json_object_get(result, "image")));
	return CMD_EXIT_OK;
}

static int
cmd_image_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	int rc;

	if (sub != NULL && (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0)) {
		cmd_print_help(stdout, &cmd_image_entry);
		return CMD_EXIT_OK;
	}
	if (sub == NULL || (strcmp(sub, "list") != 0 && strcmp(sub, "build") != 0 && strcmp(sub, "rm") != 0))
		return cmd_usage_error(&cmd_image_entry, "%s (list, build or rm)",
		    sub ? "unknown subcommand" : "image needs a subcommand");
	if (strcmp(sub, "list") == 0 ? argc != 2 : argc != 3)
		return cmd_usage_error(&cmd_image_entry, "wrong number of arguments for `image %s`", sub);
	if (strcmp(sub, "build") == 0 && strcmp(argv[2], "base") == 0)
		return cmd_image_build_base();
	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	if (strcmp(sub, "list") == 0)
		rc = cmd_image_list(c);
	else if (strcmp(sub, "build") == 0)
		rc = cmd_image_build_layers(c, argv[2]);
	else {
		_cleanup_json_ json_t *result = NULL;

		if (client_call(c, "image/rm", json_pack("{s:s}", "name", argv[2]), &result, &err) < 0)
			rc = cmd_report(&err);
		else
			printf("removed %s\n", json_string_value(json_object_get(result, "removed")));
	}
	client_free(c);
	return rc;
}
