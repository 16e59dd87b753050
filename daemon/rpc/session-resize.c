/* rpc-session-resize.c: session/resize (PROTOCOL.md). */
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "session.h"

static int rpc_session_resize_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_resize_method = {
	.name = "session/resize",
	.flags = 0,
	.exec = rpc_session_resize_exec,
};

static int
rpc_session_resize_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session_io *io;
	struct session *s;
	json_int_t rows = 0, cols = 0;
	struct pty_proc *pp;

	if ((s = session_find_rpc(call->params, err)) == NULL)
		return -1;
	if (rpc_param_int(call->params, "rows", true, 1, 1000, &rows, err) < 0 ||
	    rpc_param_int(call->params, "cols", true, 1, 1000, &cols, err) < 0)
		return -1;
	if ((io = session_io_find(s, call->params, err)) == NULL)
		return -1;
	io->rows = (unsigned)rows;
	io->cols = (unsigned)cols;
	if ((pp = session_io_proc(io)) != NULL && pty_proc_resize(pp, io->rows, io->cols, err) < 0)
		return -1;
	*result = json_object();
	return 0;
}
