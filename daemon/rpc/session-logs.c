/* rpc-session-logs.c: session/logs (PROTOCOL.md): the transcript's tail;
 * with follow, live output after it. */
#include <stdlib.h>

#include "b64.h"
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "session.h"
#include "transcript.h"
#include "xalloc.h"

/* Keeps the reply well under the clients' message cap once base64'd. */
#define RPC_SESSION_LOGS_MAX (2u * 1024 * 1024)

static int rpc_session_logs_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_logs_method = {
	.name = "session/logs",
	.flags = 0,
	.exec = rpc_session_logs_exec,
};

static int
rpc_session_logs_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_free_ char *b64 = NULL;
	struct session *s;
	json_int_t lines = 100;
	bool follow = false;
	size_t len = 0, blen = 0;
	json_t *r;

	if ((s = session_find_rpc(call->params, err)) == NULL)
		return -1;
	if (rpc_param_int(call->params, "lines", false, 0, 1000000000, &lines, err) < 0 ||
	    rpc_param_bool(call->params, "follow", false, &follow, err) < 0)
		return -1;
	transcript_flush(s->transcript);
	if (transcript_tail(s->spec.name, (size_t)lines, RPC_SESSION_LOGS_MAX, &data, &len, err) < 0)
		return -1;
	b64 = b64_encode(data, len, &blen);
	if (follow && session_is_live(s) && !session_has_ended(s))
		session_io_attach(&s->main, call->conn);
	r = json_object();
	json_object_set_new(r, "name", json_string(s->spec.name));
	json_object_set_new(r, "data", json_stringn(b64, blen));
	json_object_set_new(r, "status", json_string(session_status_name(s->status)));
	*result = r;
	return 0;
}
