/* rpc-session-stop.c: session/stop (PROTOCOL.md), answered once the
 * container has ended. */
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "session.h"

static int rpc_session_stop_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_stop_method = {
	.name = "session/stop",
	.flags = RPC_MUTATING,
	.exec = rpc_session_stop_exec,
};

static int
rpc_session_stop_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session *s;
	bool force = false;

	if ((s = session_find_rpc(call->params, err)) == NULL)
		return -1;
	if (rpc_param_bool(call->params, "force", false, &force, err) < 0)
		return -1;
	if (!session_is_live(s) || session_has_ended(s))
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` is not running", s->spec.name);
	session_stop(s, rpc_defer(call), force);
	return RPC_DEFERRED;
}
