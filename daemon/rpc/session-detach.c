/* rpc-session-detach.c: session/detach (PROTOCOL.md). */
#include "minod.h"
#include "mino-protocol.h"
#include "session.h"

static int rpc_session_detach_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_detach_method = {
	.name = "session/detach",
	.flags = 0,
	.exec = rpc_session_detach_exec,
};

static int
rpc_session_detach_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session *s;

	if ((s = session_find_rpc(call->params, err)) == NULL)
		return -1;
	if (!session_io_detach(&s->main, call->conn))
		return mino_make_error(err, MINO_E_NOT_ATTACHED, 0, "not attached to session `%s`", s->spec.name);
	*result = json_object();
	return 0;
}
