/* cfgresolve.c: the configuration of one request (cfgresolve.h). */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "cfgresolve.h"
#include "jsonrpc.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "paths.h"
#include "xalloc.h"

char *
cfgresolve_trust_store(void)
{
	return xasprintf("%s/trust.json", minod.state_dir);
}

/* A JSON flag value to a config value of key `k`: strings go through the
 * command-line text parser except for string keys, arrays and objects of
 * strings map to lists and maps. */
static int
cfgresolve_json_value(const struct cfg_key *k, json_t *j, struct toml_value *out,
    struct mino_error **err)
{
	const char *key;
	json_t *v;
	size_t i;

	memset(out, 0, sizeof *out);
	if (json_is_boolean(j)) {
		toml_value_set_boolean(out, json_is_true(j));
	} else if (json_is_integer(j)) {
		toml_value_set_integer(out, json_integer_value(j));
	} else if (json_is_string(j)) {
		if (k->type == CFG_STRING || k->type == CFG_ENUM)
			toml_value_set_string(out, json_string_value(j));
		else
			return cfgkeys_parse_text(k, json_string_value(j), out, err);
	} else if (json_is_array(j)) {
		toml_value_init_array(out);
		json_array_foreach(j, i, v) {
			if (!json_is_string(v))
				goto bad;
			toml_value_push(out, json_string_value(v));
		}
	} else if (json_is_object(j)) {
		toml_value_init_table(out);
		json_object_foreach(j, key, v) {
			if (!json_is_string(v))
				goto bad;
			toml_value_table_put(out, key, json_string_value(v));
		}
	} else {
		goto bad;
	}
	return 0;
bad:
	toml_value_free(out);
	return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`flags.%s` has a value of the wrong type",
	    k->name);
}

static int
cfgresolve_flags_object(json_t *flags, struct cfg_layer *l, struct mino_error **err)
{
	const struct cfg_key *k;
	struct toml_value v;
	const char *name;
	json_t *j;
	int r;

	if (flags == NULL)
		return 0;
	if (!json_is_object(flags))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`flags` must be an object");
	json_object_foreach(flags, name, j) {
		k = cfgkeys_find(name);
		if (k == NULL)
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`flags`: unknown key `%s`",
			    name);
		if (cfgresolve_json_value(k, j, &v, err) < 0)
			return -1;
		r = cfg_layer_set(l, name, &v, 0, err);
		toml_value_free(&v);
		if (r < 0) {
			if ((*err)->code == MINO_E_CONFIG)
				(*err)->code = MINO_E_INVALID_ARGUMENT;
			return mino_error_wrap(err, "`flags`");
		}
	}
	return 0;
}

static int
cfgresolve_flag_string(json_t *params, const char *param, const char *key, struct cfg_layer *l,
    struct mino_error **err)
{
	const char *s = NULL;
	struct toml_value v;
	int r;

	if (rpc_param_string(params, param, false, &s, err) < 0)
		return -1;
	if (s == NULL)
		return 0;
	toml_value_set_string(&v, s);
	r = cfg_layer_set(l, key, &v, 0, err);
	toml_value_free(&v);
	if (r < 0 && (*err)->code == MINO_E_CONFIG)
		(*err)->code = MINO_E_INVALID_ARGUMENT;
	return r;
}

/* `env: ["K=V"]` merges into container.env. */
static int
cfgresolve_flag_env(json_t *params, struct cfg_layer *l, struct mino_error **err)
{
	json_t *arr = NULL, *j;
	struct toml_value v;
	size_t i;
	int r;

	if (rpc_param_strv(params, "env", false, &arr, err) < 0)
		return -1;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	toml_value_init_table(&v);
	json_array_foreach(arr, i, j) {
		const char *kv = json_string_value(j), *eq = strchr(kv, '=');
		_cleanup_free_ char *name = NULL;

		if (eq == NULL || strlen(kv) != json_string_length(j)) {
			toml_value_free(&v);
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			    "invalid environment variable: expected KEY=VALUE");
		}
		name = xstrndup(kv, (size_t)(eq - kv));
		toml_value_table_put(&v, name, eq + 1);
	}
	r = cfg_layer_set(l, "container.env", &v, 0, err);
	toml_value_free(&v);
	if (r < 0 && (*err)->code == MINO_E_CONFIG)
		(*err)->code = MINO_E_INVALID_ARGUMENT;
	return r;
}

/* `volumes` are added to the configured container.volumes. */
static int
cfgresolve_add_volumes(json_t *params, struct cfg *cfg, struct mino_error **err)
{
	const struct cfg_key *k = cfgkeys_find("container.volumes");
	struct cfg_setting *s = &cfg->settings[cfgkeys_index(k)];
	json_t *arr = NULL, *j;
	size_t i;

	if (rpc_param_strv(params, "volumes", false, &arr, err) < 0)
		return -1;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	json_array_foreach(arr, i, j)
		toml_value_push(&s->value, json_string_value(j));
	if (cfgkeys_check(k, &s->value, err) < 0) {
		(*err)->code = MINO_E_INVALID_ARGUMENT;
		return -1;
	}
	s->source = CFG_SRC_FLAG;
	free(s->origin);
	s->origin = xstrdup("--volume");
	s->line = 0;
	return 0;
}

/* client_env {MINO_LAYERS, MINO_TRUST_LOCAL}. */
static int
cfgresolve_env(json_t *params, struct cfg_layer *l, bool *trust_local, struct mino_error **err)
{
	json_t *env = json_object_get(params, "client_env");
	const char *layers, *trust;
	_cleanup_free_ char *kv = NULL;
	const char *envp[2] = { NULL, NULL };

	if (env == NULL || json_is_null(env))
		return 0;
	if (!json_is_object(env))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`client_env` must be an object");
	layers = json_string_value(json_object_get(env, "MINO_LAYERS"));
	trust = json_string_value(json_object_get(env, "MINO_TRUST_LOCAL"));
	if (trust != NULL && strcmp(trust, "1") == 0)
		*trust_local = true;
	if (layers == NULL)
		return 0;
	kv = xasprintf("MINO_LAYERS=%s", layers);
	envp[0] = kv;
	if (cfg_layer_from_env(l, envp, err) < 0) {
		(*err)->code = MINO_E_INVALID_ARGUMENT;
		return -1;
	}
	return 0;
}

static int
cfgresolve_local(json_t *params, char **local, char **warning, struct mino_error **err)
{
	const char *project = NULL;
	bool no_local = false;

	*local = NULL;
	if (rpc_param_string(params, "project", false, &project, err) < 0 ||
	    rpc_param_bool(params, "no_local", false, &no_local, err) < 0)
		return -1;
	if (no_local || project == NULL)
		return 0;
	if (project[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "project `%s` is not an absolute path", project);
	return cfgfile_find_local(project, local, warning, err);
}

int
cfgresolve_params(json_t *params, struct cfg *cfg, struct cfgfile_report *report,
    bool *trust_local, struct mino_error **err)
{
	_cleanup_free_ char *global = NULL;
	_cleanup_free_ char *local = NULL, *warning = NULL;
	_cleanup_free_ char *store = cfgresolve_trust_store();
	struct cfg_layer env, flags;
	struct cfgfile_sources src = { 0 };
	const char *config = NULL;
	int r = -1;

	memset(report, 0, sizeof *report);
	cfg_layer_init(&report->skipped, CFG_SRC_LOCAL, NULL);
	cfg_init(cfg);
	cfg_layer_init(&env, CFG_SRC_ENV, "client environment");
	cfg_layer_init(&flags, CFG_SRC_FLAG, "command line");
	if (rpc_param_string(params, "config", false, &config, err) < 0 ||
	    rpc_param_bool(params, "trust_local", false, &src.trust_local, err) < 0 ||
	    paths_config_file(config, &global, err) < 0 ||
	    cfgresolve_local(params, &local, &warning, err) < 0 ||
	    cfgresolve_env(params, &env, &src.trust_local, err) < 0 ||
	    cfgresolve_flag_string(params, "image", "container.image", &flags, err) < 0 ||
	    cfgresolve_flag_string(params, "network", "container.network", &flags, err) < 0 ||
	    cfgresolve_flag_env(params, &flags, err) < 0 ||
	    cfgresolve_flags_object(json_object_get(params, "flags"), &flags, err) < 0)
		goto out;
	src.global_path = global;
	src.local_path = local;
	src.trust_store = store;
	src.env = &env;
	src.flags = &flags;
	cfg_free(cfg);
	cfgfile_report_free(report);
	if (cfgfile_resolve(cfg, &src, report, err) < 0) {
		if ((*err)->code == 0 || (*err)->code == MINO_E_INTERNAL)
			(*err)->code = MINO_E_CONFIG;
		cfg_init(cfg);
		goto out;
	}
	report->local_warning = steal_pointer(&warning);
	if (cfgresolve_add_volumes(params, cfg, err) < 0)
		goto out;
	if (trust_local != NULL)
		*trust_local = src.trust_local;
	r = 0;
out:
	cfg_layer_free(&env);
	cfg_layer_free(&flags);
	return r;
}

bool
cfgresolve_has_skipped(const struct cfgfile_report *report)
{
	return report->local_found && !report->local_trusted && report->skipped.count > 0;
}

json_t *
cfgresolve_layer_json(const struct cfg_layer *l)
{
	json_t *arr = json_array(), *e;

	for (size_t i = 0; i < l->count; i++) {
		e = json_object();
		json_object_set_new(e, "key", json_string(l->items[i].key->name));
		json_object_set_new(e, "value", toml_value_to_json(&l->items[i].value));
		json_array_append_new(arr, e);
	}
	return arr;
}

json_t *
cfgresolve_warnings(const struct cfgfile_report *report)
{
	json_t *w = json_array();
	struct buf b = { 0 };

	if (report->local_warning != NULL)
		json_array_append_new(w, json_string(report->local_warning));
	if (!cfgresolve_has_skipped(report))
		return w;
	cfg_render_skipped_warning(&report->skipped, report->local_path, &b);
	json_array_append_new(w, json_stringn(b.data, b.len));
	buf_free(&b);
	return w;
}

json_t *
cfgresolve_trust_data(const struct cfgfile_report *report)
{
	json_t *d = json_object();

	json_object_set_new(d, "path", json_string(report->local_path));
	json_object_set_new(d, "sha256", json_string(report->local_sha256));
	json_object_set_new(d, "keys", cfgresolve_layer_json(&report->skipped));
	return d;
}

void
cfgresolve_audit(const struct cfgfile_report *report, bool trust_local, bool enabled)
{
	json_t *a, *keys;

	/* A trust decision is recorded even when the file it trusts turns
	 * the session's audit log off, unless minod's own is off too. */
	enabled = enabled || cfg_bool(&minod.cfg, "general.audit_log");
	if (!report->local_found)
		return;
	if (cfgresolve_has_skipped(report)) {
		keys = json_array();
		for (size_t i = 0; i < report->skipped.count; i++)
			json_array_append_new(keys, json_string(report->skipped.items[i].key->name));
		a = json_object();
		json_object_set_new(a, "path", json_string(report->local_path));
		json_object_set_new(a, "sha256", json_string(report->local_sha256));
		json_object_set_new(a, "keys", keys);
		audit_event_if(enabled, "config.untrusted_skipped", a);
	} else if (trust_local && report->local_trusted) {
		a = json_object();
		json_object_set_new(a, "path", json_string(report->local_path));
		json_object_set_new(a, "sha256", json_string(report->local_sha256));
		json_object_set_new(a, "via", json_string("trust_local"));
		audit_event_if(enabled, "config.trusted", a);
	}
}

