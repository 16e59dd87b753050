/* rpc-session-attach.c: session/attach (PROTOCOL.md). */
#include <stdlib.h>

#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "session.h"
#include "xalloc.h"

static int rpc_session_attach_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_attach_method = {
	.name = "session/attach",
	.flags = 0,
	.exec = rpc_session_attach_exec,
};

/* After the result: the recent output, then live output follows. */
static void
rpc_session_attach_replay(struct conn *c, void *arg)
{
	char *name = arg;
	struct session *s = session_find(name);

	if (s != NULL)
		session_replay(s, c);
	free(name);
}

static int
rpc_session_attach_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session *s;
	bool replay = true;
	json_t *r;

	if ((s = session_find_rpc(call->params, err)) == NULL)
		return -1;
	if (rpc_param_bool(call->params, "replay", false, &replay, err) < 0)
		return -1;
	if (!session_is_live(s) || session_has_ended(s))
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` has ended", s->spec.name);
	session_io_attach(&s->main, call->conn);
	if (replay) {
		call->after_reply = rpc_session_attach_replay;
		call->after_arg = xstrdup(s->spec.name);
	}
	r = json_object();
	json_object_set_new(r, "name", json_string(s->spec.name));
	json_object_set_new(r, "tty", json_boolean(s->spec.tty));
	json_object_set_new(r, "rows", json_integer(s->main.rows));
	json_object_set_new(r, "cols", json_integer(s->main.cols));
	json_object_set_new(r, "status", json_string(session_status_name(s->status)));
	*result = r;
	return 0;
}
