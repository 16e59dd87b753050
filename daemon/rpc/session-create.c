/* rpc-session-create.c: session/create (PROTOCOL.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfgresolve.h"
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

/* Everything but the per-session config (image, network, env and
 * volumes are checked here for their messages, then resolved as flags). */
static int
rpc_session_create_parse(json_t *p, struct session_spec *spec, struct mino_error **err)
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
	if (rpc_session_create_project(project, err) < 0)
		return -1;
	if (image != NULL && rpc_session_create_image(image, err) < 0)
		return -1;
	if (network != NULL && network_validate(network, err) < 0)
		return -1;
	if (session_strv_param(p, "command", NULL, &spec->command, err) < 0)
		return -1;
	r = session_strv_param(p, "env", env_validate, &env, err) < 0 ||
	    session_strv_param(p, "volumes", volume_validate, &volumes, err) < 0 ? -1 : 0;
	session_strv_free(env);
	session_strv_free(volumes);
	if (r < 0)
		return -1;
	if (spec->command != NULL && spec->command[0] == NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`command` is empty");
	spec->name = name ? xstrdup(name) : NULL;
	spec->project_dir = xstrdup(project);
	spec->rows = (unsigned)rows;
	spec->cols = (unsigned)cols;
	return 0;
}

/* A vector from a list (CFG_LIST) or KEY=VALUE from a map (CFG_MAP). */
static char **
rpc_session_create_vec(const struct toml_value *v, int (*check)(const char *, struct mino_error **),
    const char *key, struct mino_error **err)
{
	char **out = xcalloc(v->count + 1, sizeof *out);

	for (size_t i = 0; i < v->count; i++) {
		out[i] = v->type == TOML_TABLE ? xasprintf("%s=%s", v->items[i], v->values[i]) :
		    xstrdup(v->items[i]);
		if (check(out[i], err) < 0) {
			session_strv_free(out);
			mino_error_wrap(err, "%s", key);
			return NULL;
		}
	}
	return out;
}

/* The session from the resolved configuration. */
static int
rpc_session_create_defaults(struct session_spec *spec, const struct cfg *cfg, struct mino_error **err)
{
	spec->image = xstrdup(cfg_string(cfg, "container.image"));
	if (rpc_session_create_image(spec->image, err) < 0)
		return mino_error_wrap(err, "container.image");
	spec->network = xstrdup(cfg_string(cfg, "container.network"));
	if (network_validate(spec->network, err) < 0)
		return mino_error_wrap(err, "container.network");
	spec->shell = xstrdup(cfg_string(cfg, "session.shell"));
	if (spec->command == NULL) {
		spec->command = xcalloc(2, sizeof *spec->command);
		spec->command[0] = xstrdup(spec->shell);
	}
	spec->env = rpc_session_create_vec(cfg_value(cfg, "container.env"), env_validate,
	    "container.env", err);
	if (spec->env == NULL)
		return -1;
	spec->volumes = rpc_session_create_vec(cfg_value(cfg, "container.volumes"), volume_validate,
	    "container.volumes", err);
	if (spec->volumes == NULL)
		return -1;
	spec->no_audit = !cfg_bool(cfg, "general.audit_log");
	spec->workdir = workdir_for_project(spec->project_dir, cfg_string(cfg, "container.workdir"));
	if (spec->name == NULL)
		spec->name = rpc_session_create_name();
	spec->id = session_new_id(8);
	return 0;
}

/* The trust gate's answer for this request: an untrusted project file with
 * sensitive keys asks a person (1017) when one can answer and has not
 * already said "skip"; otherwise its sensitive keys are skipped. */
static int
rpc_session_create_gate(struct rpc_call *call, const struct cfgfile_report *report,
    struct mino_error **err)
{
	const char *decision = NULL;
	bool interactive = false;

	if (rpc_param_bool(call->params, "interactive", false, &interactive, err) < 0 ||
	    rpc_param_string(call->params, "trust_decision", false, &decision, err) < 0)
		return -1;
	if (decision != NULL && strcmp(decision, "skip") != 0)
		return mino_make_error(err, RPC_INVALID_PARAMS, 0,
		    "`trust_decision` must be \"skip\"");
	if (!cfgresolve_has_skipped(report) || !interactive || decision != NULL)
		return 0;
	call->error_data = cfgresolve_trust_data(report);
	return mino_make_error(err, MINO_E_TRUST_REQUIRED, 0,
	    "`%s` sets security-sensitive keys and is not trusted", report->local_path);
}

static void
rpc_session_create_warnings(struct session_spec *spec, const struct cfgfile_report *report)
{
	_cleanup_json_ json_t *w = cfgresolve_warnings(report);
	json_t *v;
	size_t i;

	json_array_foreach(w, i, v)
		log_warn("%s", json_string_value(v));
	spec->warnings = session_strv_from_json(w);
}

static int
rpc_session_create_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session_spec spec = { 0 };
	struct cfgfile_report report;
	struct cfg cfg;
	bool attach, trust_local = false;
	int r = -1;

	if (rpc_session_create_parse(call->params, &spec, err) < 0) {
		session_spec_free(&spec);
		return -1;
	}
	attach = !spec.detach;
	if (rpc_param_bool(call->params, "attach", false, &attach, err) < 0 ||
	    cfgresolve_params(call->params, &cfg, &report, &trust_local, err) < 0 ||
	    rpc_session_create_gate(call, &report, err) < 0 ||
	    cfgresolve_check_supported(&cfg, err) < 0 ||
	    rpc_session_create_defaults(&spec, &cfg, err) < 0)
		goto out;
	if (minod.podman_path == NULL) {
		mino_make_error(err, MINO_E_PODMAN_MISSING, 0, "podman not found in minod's PATH");
		goto out;
	}
	rpc_session_create_warnings(&spec, &report);
	cfgresolve_audit(&report, trust_local, !spec.no_audit);
	r = session_create(call, session_new(&spec), attach, result, err);
out:
	session_spec_free(&spec);
	cfg_free(&cfg);
	cfgfile_report_free(&report);
	return r;
}
