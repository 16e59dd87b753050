/* rpc-session-list.c: session/list (PROTOCOL.md): from the in-memory
 * records. */
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "session.h"

static int rpc_session_list_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_list_method = {
	.name = "session/list",
	.flags = 0,
	.exec = rpc_session_list_exec,
};

static int
rpc_session_list_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session *s;
	bool all = false;
	json_t *arr;

	if (rpc_param_bool(call->params, "all", false, &all, err) < 0)
		return -1;
	arr = json_array();
	TAILQ_FOREACH(s, &session_all, link)
		if (all || session_is_live(s))
			json_array_append_new(arr, session_record_json(s));
	*result = json_pack("{s:o}", "sessions", arr);
	return 0;
}
