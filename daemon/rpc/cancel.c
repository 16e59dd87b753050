/* rpc-cancel.c: $/cancelRequest {id} (notification, as in LSP). */
#include "jsonrpc.h"
#include "mino-protocol.h"
#include "minod.h"
#include "server.h"

static int rpc_cancel_request_exec(struct rpc_call *, json_t **, struct mino_error **);

const struct rpc_method rpc_cancel_request_method = {
	.name = "$/cancelRequest",
	.flags = 0,
	.exec = rpc_cancel_request_exec,
};

static int
rpc_cancel_request_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	json_t *id = json_object_get(call->params, "id");

	if (id == NULL || !(json_is_integer(id) || json_is_string(id)))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`id` must be an integer or a string");
	rpc_cancel(call->conn, id); /* unknown or finished: nothing to do */
	return 0;
}
