/* rpc-session-signal.c: session/signal (PROTOCOL.md): `podman kill
 * --signal S mino-NAME`, answered when podman has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "podman.h"
#include "session.h"
#include "xalloc.h"

static int rpc_session_signal_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_signal_method = {
	.name = "session/signal",
	.flags = RPC_MUTATING,
	.exec = rpc_session_signal_exec,
};

static void
rpc_session_signal_done(struct podman_result *res, void *arg)
{
	struct rpc_deferred *d = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	if (res->exit_status == 0) {
		rpc_deferred_reply(d, NULL);
		return;
	}
	line = podman_error_line(res);
	mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman kill: %s", line ? line : "failed");
	rpc_deferred_error(d, err);
	mino_error_release(&err);
}

/* "TERM", "SIGINT", "9" or 9 → what podman kill --signal takes. */
static int
rpc_session_signal_parse(json_t *v, char *out, size_t size, struct mino_error **err)
{
	const char *s, *p;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 1 || json_integer_value(v) > 64)
			return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`signal` out of range");
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
		return 0;
	}
	s = json_string_value(v);
	if (s == NULL)
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`signal` must be a string or an integer");
	if (s[0] == '\0' || strlen(s) >= size)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "invalid signal `%s`", s);
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '+' || *p == '-'))
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "invalid signal `%s`", s);
	if (s[0] == '-')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "invalid signal `%s`", s);
	snprintf(out, size, "%s", s);
	return 0;
}

static int
rpc_session_signal_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session *s;
	struct rpc_deferred *d;
	char sig[24];
	_cleanup_free_ char *cname = NULL;

	if ((s = session_find_rpc(call->params, err)) == NULL)
		return -1;
	if (json_object_get(call->params, "signal") == NULL)
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`signal` is required");
	if (rpc_session_signal_parse(json_object_get(call->params, "signal"), sig, sizeof sig, err) < 0)
		return -1;
	if (s->status != SESSION_RUNNING || s->container_id == NULL)
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` is not running", s->spec.name);
	cname = xstrdup(s->container_id); /* by id: the container it was created with */
	{
		const char *argv[] = { "kill", "--signal", sig, cname, NULL };

		d = rpc_defer(call);
		if (podman_capture(argv, rpc_session_signal_done, d, err) < 0) {
			rpc_deferred_error(d, *err);
			mino_error_release(err);
		}
	}
	return RPC_DEFERRED;
}
