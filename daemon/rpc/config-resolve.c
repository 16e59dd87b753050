/* rpc-config-resolve.c: config/resolve (PROTOCOL.md): the effective
 * configuration of a request, per key with where its value came from. */
#include <stdlib.h>

#include "cfgresolve.h"
#include "jsonrpc.h"
#include "netpresets.h"
#include "strv.h"
#include "minod.h"
#include "mino-protocol.h"
#include "xalloc.h"

static int rpc_config_resolve_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_config_resolve_method = {
	.name = "config/resolve",
	.flags = 0,
	.exec = rpc_config_resolve_exec,
};

static json_t *
rpc_config_resolve_origin(const struct cfg_setting *s)
{
	if ((s->source != CFG_SRC_GLOBAL && s->source != CFG_SRC_LOCAL) || s->origin == NULL)
		return json_null();
	if (s->line == 0)
		return json_string(s->origin);
	return json_sprintf("%s:%u", s->origin, s->line);
}

static json_t *
rpc_config_resolve_entries(const struct cfg *cfg)
{
	json_t *arr = json_array(), *e;

	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfg_setting *s = &cfg->settings[i];

		e = json_object();
		json_object_set_new(e, "key", json_string(cfgkeys_table[i].name));
		json_object_set_new(e, "value", toml_value_to_json(&s->value));
		json_object_set_new(e, "source", json_string(cfgkeys_source_name(s->source)));
		json_object_set_new(e, "origin", rpc_config_resolve_origin(s));
		json_array_append_new(arr, e);
	}
	return arr;
}

static json_t *
rpc_config_resolve_local(const struct cfgfile_report *report)
{
	json_t *l;

	if (!report->local_found)
		return json_null();
	l = json_object();
	json_object_set_new(l, "path", json_string(report->local_path));
	json_object_set_new(l, "sha256", json_string(report->local_sha256));
	json_object_set_new(l, "trusted", json_boolean(report->local_trusted));
	json_object_set_new(l, "skipped", cfgresolve_layer_json(&report->skipped));
	return l;
}

/* {preset: [rule]}: what each preset expands to here (minod reads the
 * package managers' configuration, netpresets.h). */
static json_t *
rpc_config_resolve_presets(void)
{
	json_t *o = json_object();
	struct mino_error *err = NULL;
	char **v;

	for (size_t i = 0; netpresets_names[i] != NULL; i++) {
		if (netpresets_expand(netpresets_names[i], &v, &err) < 0) {
			mino_error_release(&err);
			continue;
		}
		json_object_set_new(o, netpresets_names[i], strv_to_json(v));
		strv_free(v);
	}
	return o;
}

static int
rpc_config_resolve_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct cfgfile_report report;
	struct cfg cfg;
	json_t *r;
	int rc = -1;

	if (cfgresolve_params(call->params, &cfg, &report, NULL, err) == 0) {
		r = json_object();
		json_object_set_new(r, "entries", rpc_config_resolve_entries(&cfg));
		json_object_set_new(r, "local", rpc_config_resolve_local(&report));
		json_object_set_new(r, "warnings", cfgresolve_warnings(&report));
		json_object_set_new(r, "network_presets", rpc_config_resolve_presets());
		*result = r;
		rc = 0;
	}
	cfg_free(&cfg);
	cfgfile_report_free(&report);
	return rc;
}
