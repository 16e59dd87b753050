/* rpc-session-input.c: session/input (PROTOCOL.md): bytes for a session's
 * (or exec's) terminal or stdin; eof closes stdin. */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "session.h"
#include "xalloc.h"

static int rpc_session_input_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_input_method = {
	.name = "session/input",
	.flags = 0,
	.exec = rpc_session_input_exec,
};

static int
rpc_session_input_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	_cleanup_free_ unsigned char *bytes = NULL;
	struct session_io *io;
	struct pty_proc *pp;
	struct session *s;
	const char *data = NULL;
	bool eof = false;
	size_t len = 0;

	if ((s = session_find_rpc(call->params, err)) == NULL)
		return -1;
	if (rpc_param_string(call->params, "data", false, &data, err) < 0 ||
	    rpc_param_bool(call->params, "eof", false, &eof, err) < 0)
		return -1;
	if ((io = session_io_find(s, call->params, err)) == NULL)
		return -1;
	if ((pp = session_io_proc(io)) == NULL)
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` is not running", s->spec.name);
	if (data != NULL && b64_decode(data, strlen(data), &bytes, &len) < 0)
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`data` is not valid base64");
	if (len > 0 && pty_proc_write(pp, (const char *)bytes, len, err) < 0)
		return -1;
	if (pty_proc_input_queued(pp) > PTY_INPUT_HIGH)
		session_io_hold_input(io, call->conn);
	if (eof && pty_proc_close_stdin(pp, err) < 0)
		return -1;
	*result = json_object();
	return 0;
}
