/* session-create.c: session/create (PROTOCOL.md): the params and the
 * resolved configuration become one sandbox spec (sandbox/spec.c), then the
 * create pipeline (session/create.c) takes it. */
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
#include "spec.h"
#include "strv.h"
#include "xalloc.h"

static int rpc_session_create_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_create_method = {
	.name = "session/create",
	.flags = RPC_MUTATING,
	.exec = rpc_session_create_exec,
};

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
rpc_session_create_warnings(struct sandbox_spec *spec, const struct cfgfile_report *report)
{
	_cleanup_json_ json_t *w = cfgresolve_warnings(report);
	json_t *v;
	size_t i;

	for (char **l = spec->warnings; l != NULL && *l != NULL; l++)
		json_array_append_new(w, json_string(*l)); /* the spec's own (skipped layers) */
	json_array_foreach(w, i, v)
		log_warn("%s", json_string_value(v));
	strv_free(spec->warnings);
	spec->warnings = strv_from_json(w);
}

static int
rpc_session_create_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct sandbox_spec spec = { 0 };
	struct cfgfile_report report;
	struct cfg cfg;
	bool attach, trust_local = false;
	int r = -1;

	if (sandbox_spec_parse(call->params, &spec, err) < 0) {
		sandbox_spec_free(&spec);
		return -1;
	}
	attach = !spec.detach;
	if (rpc_param_bool(call->params, "attach", false, &attach, err) < 0 ||
	    cfgresolve_params(call->params, &cfg, &report, &trust_local, err) < 0 ||
	    rpc_session_create_gate(call, &report, err) < 0)
		goto out;
	spec.trust_local = trust_local; /* project layers too */
	if (sandbox_spec_resolve(&spec, &cfg, err) < 0)
		goto out;
	if (minod.podman_path == NULL) {
		mino_make_error(err, MINO_E_PODMAN_MISSING, 0, "podman not found in minod's PATH");
		goto out;
	}
	rpc_session_create_warnings(&spec, &report);
	if (report.local_found && report.local_path != NULL)
		spec.config_local = xstrdup(report.local_path);
	cfgresolve_audit(&report, trust_local, !spec.no_audit);
	r = session_create(call, session_new(&spec), attach, result, err);
out:
	sandbox_spec_free(&spec);
	cfg_free(&cfg);
	cfgfile_report_free(&report);
	return r;
}
