/* rpc-session-network.c: session/network (PROTOCOL.md): a running
 * session's egress rules, resolved addresses and query counts; `allow` and
 * `deny` change the rules live (sandbox/network.c). */
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "parts.h"
#include "session.h"

static int rpc_session_network_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_network_method = {
	.name = "session/network",
	.flags = RPC_MUTATING,
	.exec = rpc_session_network_exec,
};

static int
rpc_session_network_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session *s;

	if ((s = session_find_rpc(call->params, err)) == NULL)
		return -1;
	if (s->phase != SESSION_PH_RUNNING || s->parts == NULL)
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` is not running", s->spec.name);
	return parts_call(s->parts, "network", "network", call->params, result, err);
}
