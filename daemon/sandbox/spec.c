/* spec.c: one sandbox spec from session/create's params and the resolved
 * configuration (spec.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonrpc.h"
#include "layers.h"
#include "cfgresolve.h"
#include "minod.h"
#include "trust.h"
#include "mino-protocol.h"
#include "names.h"
#include "netpresets.h"
#include "netrule.h"
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
	strv_free(spec->network_allow);
	free(spec->network_preset);
	free(spec->workdir);
	free(spec->shell);
	strv_free(spec->warnings);
	free(spec->config_global);
	free(spec->config_local);
	strv_free(spec->cache.paths);
	if (spec->layers != NULL)
		layers_set_free(spec->layers);
	free(spec->layers);
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
	    rpc_param_bool(p, "cache_fresh", false, &spec->cache.fresh, err) < 0 ||
	    rpc_param_bool(p, "no_home", false, &spec->cache.no_home, err) < 0 ||
	    rpc_param_bool(p, "unsafe_project_dir", false, &spec->unsafe_project_dir, err) < 0 ||
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

static void
sandbox_spec_warn(struct sandbox_spec *spec, const char *msg)
{
	size_t n = strv_len(spec->warnings);

	spec->warnings = xreallocarray(spec->warnings, n + 2, sizeof *spec->warnings);
	spec->warnings[n] = xstrdup(msg);
	spec->warnings[n + 1] = NULL;
}

static bool
sandbox_spec_set(const struct cfg *cfg, const char *key)
{
	const struct cfg_setting *s = cfg_setting(cfg, key);

	if (s == NULL || s->source == CFG_SRC_DEFAULT)
		return false;
	return s->value.type == TOML_STRING ? s->value.string[0] != '\0' : s->value.count > 0;
}

/* Host networking: warned once per project (the projects warned are
 * listed in <state_dir>/host-network-warned). */
static void
sandbox_spec_warn_host(struct sandbox_spec *spec)
{
	_cleanup_free_ char *path = NULL;
	char line[4096];
	size_t n = strlen(spec->project_dir);
	bool seen = false;
	FILE *f;

	if (minod.state_dir == NULL)
		return;
	path = xasprintf("%s/host-network-warned", minod.state_dir);
	if ((f = fopen(path, "re")) != NULL) {
		while (!seen && fgets(line, sizeof line, f) != NULL)
			seen = strncmp(line, spec->project_dir, n) == 0 && line[n] == '\n';
		fclose(f);
	}
	if (seen)
		return;
	sandbox_spec_warn(spec, "host networking: the session shares the host's network, "
	    "including services that listen only on localhost");
	if ((f = fopen(path, "ae")) != NULL) {
		fprintf(f, "%s\n", spec->project_dir);
		fclose(f);
	}
}

/* The allowlist from container.network_allow or container.network_preset
 * (the more specific source wins; both from one source conflict), and
 * the mode it implies: bridge, or the podman network named; none with an
 * allowlist is refused, host with one warns and uses bridge. */
static int
sandbox_spec_egress(struct sandbox_spec *spec, const struct cfg *cfg, struct mino_error **err)
{
	bool have_allow = sandbox_spec_set(cfg, "container.network_allow");
	bool have_preset = sandbox_spec_set(cfg, "container.network_preset");
	const struct toml_value *v;
	struct netrule r;

	if (have_allow && have_preset) {
		enum cfg_source a = cfg_setting(cfg, "container.network_allow")->source;
		enum cfg_source p = cfg_setting(cfg, "container.network_preset")->source;

		if (a == p)
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "container.network_allow and container.network_preset conflict: set one of them");
		have_allow = a > p;
		have_preset = !have_allow;
	}
	if (!have_allow && !have_preset) {
		if (strcmp(spec->network, "host") == 0)
			sandbox_spec_warn_host(spec);
		return 0;
	}
	if (have_preset) {
		spec->network_preset = xstrdup(cfg_string(cfg, "container.network_preset"));
		if (netpresets_expand(spec->network_preset, &spec->network_allow, err) < 0)
			return -1;
	} else {
		v = cfg_value(cfg, "container.network_allow");
		spec->network_allow = xcalloc(v->count + 1, sizeof *spec->network_allow);
		for (size_t i = 0; i < v->count; i++) {
			if (netrule_parse(v->items[i], &r, err) < 0)
				return mino_error_wrap(err, "container.network_allow");
			spec->network_allow[i] = netrule_format(&r);
		}
	}
	if (strcmp(spec->network, "none") == 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "`%s` cannot be combined with network mode none (an allowlist implies bridge)",
		    have_preset ? "container.network_preset" : "container.network_allow");
	if (strcmp(spec->network, "host") == 0) {
		sandbox_spec_warn(spec, "host networking cannot be combined with an allowlist: using bridge");
		free(spec->network);
		spec->network = xstrdup("bridge");
	}
	return 0;
}

/* The image or the layers (layers.h), resolved and loaded now. */
static int
sandbox_spec_image(struct sandbox_spec *spec, const struct cfg *cfg, struct mino_error **err)
{
	const char *base = getenv("MINO_BASE_IMAGE");
	_cleanup_free_ char *user = layers_user_dir();
	_cleanup_free_ char *builtin = layers_builtin_dir();
	_cleanup_free_ char *store = cfgresolve_trust_store();
	struct trust_store ts = { 0 };
	struct layers_where w = { 0 };
	char **names = NULL;
	int r;

	if (base == NULL || base[0] == '\0')
		base = LAYERS_DEFAULT_BASE;
	if (layers_choose(cfg, base, &names, &spec->image, err) < 0)
		return -1;
	if (image_validate(spec->image, err) < 0) {
		strv_free(names);
		return mino_error_wrap(err, "container.image");
	}
	if (names == NULL)
		return 0;
	if (trust_store_load(&ts, store, err) < 0) {
		strv_free(names);
		return -1;
	}
	w.project_dir = spec->project_dir;
	w.user_dir = user;
	w.builtin_dir = builtin;
	w.trust = &ts;
	w.trust_local = spec->trust_local;
	spec->layers = xcalloc(1, sizeof *spec->layers);
	r = layers_resolve(names, &w, spec->layers, &spec->warnings, err);
	trust_store_free(&ts);
	strv_free(names);
	if (r < 0)
		return -1;
	for (size_t i = 0; i < spec->layers->n; i++)
		for (char **c = spec->layers->v[i].cache_paths; c != NULL && *c != NULL; c++)
			strv_push(&spec->cache.paths, xstrdup(*c));
	return 0;
}

int
sandbox_spec_resolve(struct sandbox_spec *spec, const struct cfg *cfg, struct mino_error **err)
{
	if (sandbox_spec_image(spec, cfg, err) < 0)
		return -1;
	spec->network = xstrdup(cfg_string(cfg, "container.network"));
	if (network_validate(spec->network, err) < 0)
		return mino_error_wrap(err, "container.network");
	if (sandbox_spec_egress(spec, cfg, err) < 0)
		return -1;
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
	spec->cache.enabled = cfg_bool(cfg, "cache.enabled");
	spec->cache.shared = strcmp(cfg_string(cfg, "cache.scope"), "shared") == 0;
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
	if (spec->network_allow != NULL)
		json_object_set_new(rec, "network_allow", strv_to_json(spec->network_allow));
	sandbox_spec_set_str(rec, "network_preset", spec->network_preset);
	json_object_set_new(rec, "volumes", strv_to_json(spec->volumes));
	json_object_set_new(rec, "detached", json_boolean(spec->detach));
	json_object_set_new(rec, "tty", json_boolean(spec->tty));
	json_object_set_new(rec, "unsafe_project_dir", json_boolean(spec->unsafe_project_dir));
	sandbox_spec_set_str(rec, "shell", spec->shell);
	json_object_set_new(rec, "audit_log", json_boolean(!spec->no_audit));
	sandbox_spec_set_str(rec, "config_global", spec->config_global);
	sandbox_spec_set_str(rec, "config_local", spec->config_local);
	sandbox_creds_to_record(&spec->creds, rec);
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
	if (json_is_array(json_object_get(rec, "network_allow")))
		spec->network_allow = strv_from_json(json_object_get(rec, "network_allow"));
	spec->network_preset = sandbox_spec_rec_str(rec, "network_preset", NULL);
	spec->workdir = sandbox_spec_rec_str(rec, "workdir", "/workspace");
	spec->tty = json_is_true(json_object_get(rec, "tty"));
	spec->detach = json_is_true(json_object_get(rec, "detached"));
	spec->unsafe_project_dir = json_is_true(json_object_get(rec, "unsafe_project_dir"));
	spec->shell = sandbox_spec_rec_str(rec, "shell", NULL);
	spec->no_audit = json_is_false(json_object_get(rec, "audit_log"));
	spec->config_global = sandbox_spec_rec_str(rec, "config_global", NULL);
	spec->config_local = sandbox_spec_rec_str(rec, "config_local", NULL);
	sandbox_creds_from_record(rec, &spec->creds);
	return 0;
}
