/* rpc-session-create.c: session/create (PROTOCOL.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonrpc.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "names.h"
#include "session.h"
#include "xalloc.h"

static int rpc_session_create_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_create_method = {
	.name = "session/create",
	.flags = RPC_MUTATING,
	.exec = rpc_session_create_exec,
};

/* The strings of a JSON array, each checked with `check` (may be NULL). */
static int
rpc_session_create_strv(json_t *params, const char *key, int (*check)(const char *, struct mino_error **),
    char ***out, struct mino_error **err)
{
	json_t *arr = NULL, *v;
	size_t i;

	if (rpc_param_strv(params, key, false, &arr, err) < 0)
		return -1;
	if (arr == NULL)
		return 0;
	json_array_foreach(arr, i, v) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` contains a NUL byte", key);
		if (check != NULL && check(json_string_value(v), err) < 0)
			return -1;
	}
	*out = session_strv_from_json(arr);
	return 0;
}

static int
rpc_session_create_project(const char *project, struct mino_error **err)
{
	struct stat st;

	if (project[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "project `%s` is not an absolute path", project);
	if (strpbrk(project, ":,\n") != NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "project path `%s` contains ':', ',' or a newline", project);
	if (stat(project, &st) < 0)
		return mino_make_error(err, MINO_E_PROJECT_MISSING, errno, "project directory `%s`", project);
	if (!S_ISDIR(st.st_mode))
		return mino_make_error(err, MINO_E_PROJECT_MISSING, ENOTDIR, "project directory `%s`", project);
	return 0;
}

static int
rpc_session_create_image(const char *image, struct mino_error **err)
{
	const char *p;

	if (image[0] == '\0' || image[0] == '-' || strlen(image) > 512)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "invalid image `%s`", image);
	for (p = image; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "invalid image `%s`", image);
	return 0;
}

static char *
rpc_session_create_name(void)
{
	char *name;

	for (;;) {
		name = name_generate();
		if (session_find(name) == NULL)
			return name;
		free(name);
	}
}

/* Everything but the per-session config. */
static int
rpc_session_create_parse(json_t *p, struct session_spec *spec, const char **config, struct mino_error **err)
{
	const char *name = NULL, *project = NULL, *image = NULL, *network = NULL;
	json_int_t rows = SESSION_DEFAULT_ROWS, cols = SESSION_DEFAULT_COLS;
	bool no_local = false;

	if (rpc_param_string(p, "name", false, &name, err) < 0 ||
	    rpc_param_string(p, "project", true, &project, err) < 0 ||
	    rpc_param_string(p, "image", false, &image, err) < 0 ||
	    rpc_param_string(p, "network", false, &network, err) < 0 ||
	    rpc_param_string(p, "config", false, config, err) < 0 ||
	    rpc_param_bool(p, "tty", false, &spec->tty, err) < 0 ||
	    rpc_param_bool(p, "detach", false, &spec->detach, err) < 0 ||
	    rpc_param_bool(p, "no_local", false, &no_local, err) < 0 ||
	    rpc_param_int(p, "rows", false, 1, 1000, &rows, err) < 0 ||
	    rpc_param_int(p, "cols", false, 1, 1000, &cols, err) < 0)
		return -1;
	if (name != NULL && name_validate(name, err) < 0)
		return -1;
	if (rpc_session_create_project(project, err) < 0)
		return -1;
	if (image != NULL && rpc_session_create_image(image, err) < 0)
		return -1;
	if (network != NULL && network_validate(network, err) < 0)
		return -1;
	if (rpc_session_create_strv(p, "command", NULL, &spec->command, err) < 0 ||
	    rpc_session_create_strv(p, "env", env_validate, &spec->env, err) < 0 ||
	    rpc_session_create_strv(p, "volumes", volume_validate, &spec->volumes, err) < 0)
		return -1;
	if (spec->command != NULL && spec->command[0] == NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`command` is empty");
	spec->name = name ? xstrdup(name) : NULL;
	spec->project_dir = xstrdup(project);
	spec->image = image ? xstrdup(image) : NULL;
	spec->network = network ? xstrdup(network) : NULL;
	spec->rows = (unsigned)rows;
	spec->cols = (unsigned)cols;
	return 0;
}

/* Defaults from the configuration the client names (or minod's). */
static int
rpc_session_create_defaults(struct session_spec *spec, const struct mino_config *cfg, struct mino_error **err)
{
	if (spec->image == NULL) {
		spec->image = xstrdup(cfg->container_image);
		if (rpc_session_create_image(spec->image, err) < 0)
			return -1;
	}
	if (spec->network == NULL) {
		spec->network = xstrdup(cfg->container_network);
		if (network_validate(spec->network, err) < 0)
			return -1;
	}
	if (spec->command == NULL) {
		spec->command = xcalloc(2, sizeof *spec->command);
		spec->command[0] = xstrdup(cfg->session_shell);
	}
	spec->workdir = workdir_for_project(spec->project_dir, cfg->container_workdir);
	if (spec->name == NULL)
		spec->name = rpc_session_create_name();
	spec->id = session_new_id(8);
	return 0;
}

static int
rpc_session_create_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session_spec spec = { 0 };
	struct mino_config local;
	const struct mino_config *cfg = &minod.cfg;
	const char *config = NULL;
	bool attach, have_local = false;
	int r = -1;

	if (rpc_session_create_parse(call->params, &spec, &config, err) < 0)
		goto out;
	attach = !spec.detach;
	if (rpc_param_bool(call->params, "attach", false, &attach, err) < 0)
		goto out;
	if (config != NULL) {
		config_init_defaults(&local);
		have_local = true;
		if (config_load(&local, config, err) < 0) {
			if ((*err)->code == 0 || (*err)->code == MINO_E_INTERNAL)
				(*err)->code = MINO_E_CONFIG;
			goto out;
		}
		cfg = &local;
	}
	if (rpc_session_create_defaults(&spec, cfg, err) < 0)
		goto out;
	if (minod.podman_path == NULL) {
		mino_make_error(err, MINO_E_PODMAN_MISSING, 0, "podman not found in minod's PATH");
		goto out;
	}
	r = session_create(call, session_new(&spec), attach, result, err);
out:
	session_spec_free(&spec);
	if (have_local)
		config_free(&local);
	return r;
}
