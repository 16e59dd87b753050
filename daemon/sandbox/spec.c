/* spec.c: one sandbox spec from session/create's params and the resolved
 * configuration (spec.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "names.h"
#include "session.h"
#include "spec.h"
#include "strv.h"
#include "xalloc.h"

void
sandbox_spec_free(struct sandbox_spec *spec)
{
	free(spec->name);
	free(spec->id);
	free(spec->project_dir);
	free(spec->image);
	strv_free(spec->command);
	strv_free(spec->env);
	strv_free(spec->volumes);
	free(spec->network);
	free(spec->workdir);
	free(spec->shell);
	strv_free(spec->warnings);
	free(spec->config_global);
	free(spec->config_local);
	sandbox_creds_free(&spec->creds);
	memset(spec, 0, sizeof *spec);
}

static int
sandbox_spec_project(const char *project, struct mino_error **err)
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

static char *
sandbox_spec_new_name(void)
{
	char *name;

	for (;;) {
		name = name_generate();
		if (session_find(name) == NULL)
			return name;
		free(name);
	}
}

/* Image, network, env and volumes of the params are checked here for their
 * messages; their values come through the configuration (the client sends
 * them as flags too). */
int
sandbox_spec_parse(json_t *p, struct sandbox_spec *spec, struct mino_error **err)
{
	const char *name = NULL, *project = NULL, *image = NULL, *network = NULL;
	json_int_t rows = SESSION_DEFAULT_ROWS, cols = SESSION_DEFAULT_COLS;
	char **env = NULL, **volumes = NULL;
	int r;

	if (rpc_param_string(p, "name", false, &name, err) < 0 ||
	    rpc_param_string(p, "project", true, &project, err) < 0 ||
	    rpc_param_string(p, "image", false, &image, err) < 0 ||
	    rpc_param_string(p, "network", false, &network, err) < 0 ||
	    rpc_param_bool(p, "tty", false, &spec->tty, err) < 0 ||
	    rpc_param_bool(p, "detach", false, &spec->detach, err) < 0 ||
	    rpc_param_int(p, "rows", false, 1, 1000, &rows, err) < 0 ||
	    rpc_param_int(p, "cols", false, 1, 1000, &cols, err) < 0)
		return -1;
	if (name != NULL && name_validate(name, err) < 0)
		return -1;
	if (sandbox_spec_project(project, err) < 0)
		return -1;
	if (image != NULL && image_validate(image, err) < 0)
		return -1;
	if (network != NULL && network_validate(network, err) < 0)
		return -1;
	if (session_strv_param(p, "command", NULL, &spec->command, err) < 0)
		return -1;
	r = session_strv_param(p, "env", env_validate, &env, err) < 0 ||
	    session_strv_param(p, "volumes", volume_validate, &volumes, err) < 0 ? -1 : 0;
	strv_free(env);
	strv_free(volumes);
	if (r < 0)
		return -1;
	if (spec->command != NULL && spec->command[0] == NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`command` is empty");
	if (sandbox_creds_parse(p, &spec->creds, err) < 0)
		return -1;
	spec->name = name ? xstrdup(name) : NULL;
	spec->project_dir = xstrdup(project);
	spec->rows = (unsigned)rows;
	spec->cols = (unsigned)cols;
	return 0;
}

/* A vector from a list (CFG_LIST) or KEY=VALUE from a map (CFG_MAP). */
static char **
sandbox_spec_vec(const struct toml_value *v, int (*check)(const char *, struct mino_error **),
    const char *key, struct mino_error **err)
{
	char **out = xcalloc(v->count + 1, sizeof *out);

	for (size_t i = 0; i < v->count; i++) {
		out[i] = v->type == TOML_TABLE ? xasprintf("%s=%s", v->items[i], v->values[i]) :
		    xstrdup(v->items[i]);
		if (check(out[i], err) < 0) {
			strv_free(out);
			mino_error_wrap(err, "%s", key);
			return NULL;
		}
	}
	return out;
}

int
sandbox_spec_resolve(struct sandbox_spec *spec, const struct cfg *cfg, struct mino_error **err)
{
	spec->image = xstrdup(cfg_string(cfg, "container.image"));
	if (image_validate(spec->image, err) < 0)
		return mino_error_wrap(err, "container.image");
	spec->network = xstrdup(cfg_string(cfg, "container.network"));
	if (network_validate(spec->network, err) < 0)
		return mino_error_wrap(err, "container.network");
	spec->shell = xstrdup(cfg_string(cfg, "session.shell"));
	if (spec->command == NULL) {
		spec->command = xcalloc(2, sizeof *spec->command);
		spec->command[0] = xstrdup(spec->shell);
	}
	spec->env = sandbox_spec_vec(cfg_value(cfg, "container.env"), env_validate, "container.env", err);
	if (spec->env == NULL)
		return -1;
	spec->volumes = sandbox_spec_vec(cfg_value(cfg, "container.volumes"), volume_validate,
	    "container.volumes", err);
	if (spec->volumes == NULL)
		return -1;
	spec->no_audit = !cfg_bool(cfg, "general.audit_log");
	spec->workdir = workdir_for_project(spec->project_dir, cfg_string(cfg, "container.workdir"));
	if (sandbox_creds_resolve(&spec->creds, cfg, err) < 0)
		return -1;
	if (spec->name == NULL)
		spec->name = sandbox_spec_new_name();
	spec->id = session_new_id(8);
	return 0;
}

static void
sandbox_spec_set_str(json_t *rec, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(rec, key, json_string(v));
}

void
sandbox_spec_to_record(const struct sandbox_spec *spec, json_t *rec)
{
	json_object_set_new(rec, "name", json_string(spec->name));
	json_object_set_new(rec, "id", json_string(spec->id));
	json_object_set_new(rec, "project_dir", json_string(spec->project_dir));
	json_object_set_new(rec, "image", json_string(spec->image));
	json_object_set_new(rec, "command", strv_to_json(spec->command));
	json_object_set_new(rec, "workdir", json_string(spec->workdir));
	json_object_set_new(rec, "network", json_string(spec->network));
	json_object_set_new(rec, "volumes", strv_to_json(spec->volumes));
	json_object_set_new(rec, "detached", json_boolean(spec->detach));
	json_object_set_new(rec, "tty", json_boolean(spec->tty));
	sandbox_spec_set_str(rec, "shell", spec->shell);
	json_object_set_new(rec, "audit_log", json_boolean(!spec->no_audit));
	sandbox_spec_set_str(rec, "config_global", spec->config_global);
	sandbox_spec_set_str(rec, "config_local", spec->config_local);
}

static char *
sandbox_spec_rec_str(const json_t *rec, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(rec, key));

	if (v == NULL)
		v = dflt;
	return v ? xstrdup(v) : NULL;
}

int
sandbox_spec_from_record(const json_t *rec, struct sandbox_spec *spec, struct mino_error **err)
{
	const char *name = json_string_value(json_object_get(rec, "name"));

	if (name == NULL || !name_is_valid(name))
		return mino_make_error(err, MINO_E_INTERNAL, 0, "record without a valid name");
	spec->name = xstrdup(name);
	spec->id = sandbox_spec_rec_str(rec, "id", "");
	spec->project_dir = sandbox_spec_rec_str(rec, "project_dir", "");
	spec->image = sandbox_spec_rec_str(rec, "image", "");
	spec->command = strv_from_json(json_object_get(rec, "command"));
	spec->volumes = strv_from_json(json_object_get(rec, "volumes"));
	spec->network = sandbox_spec_rec_str(rec, "network", "bridge");
	spec->workdir = sandbox_spec_rec_str(rec, "workdir", "/workspace");
	spec->tty = json_is_true(json_object_get(rec, "tty"));
	spec->detach = json_is_true(json_object_get(rec, "detached"));
	spec->shell = sandbox_spec_rec_str(rec, "shell", NULL);
	spec->no_audit = json_is_false(json_object_get(rec, "audit_log"));
	spec->config_global = sandbox_spec_rec_str(rec, "config_global", NULL);
	spec->config_local = sandbox_spec_rec_str(rec, "config_local", NULL);
	return 0;
}
