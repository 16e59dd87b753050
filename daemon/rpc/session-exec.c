/* rpc-session-exec.c: session/exec (PROTOCOL.md): `podman exec` in a
 * running session, the caller attached; killed when the caller leaves. */
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "names.h"
#include "session.h"
#include "strv.h"
#include "xalloc.h"

static int rpc_session_exec_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_session_exec_method = {
	.name = "session/exec",
	.flags = RPC_MUTATING,
	.exec = rpc_session_exec_exec,
};

static int
rpc_session_exec_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session *s;
	const char *name = NULL;
	char **cmd = NULL, **env = NULL;
	json_int_t rows = SESSION_DEFAULT_ROWS, cols = SESSION_DEFAULT_COLS;
	bool tty = false;
	unsigned id = 0;
	int r = -1;
	json_t *res;

	if (rpc_param_string(call->params, "session", false, &name, err) < 0 ||
	    rpc_param_bool(call->params, "tty", false, &tty, err) < 0 ||
	    rpc_param_int(call->params, "rows", false, 1, 1000, &rows, err) < 0 ||
	    rpc_param_int(call->params, "cols", false, 1, 1000, &cols, err) < 0 ||
	    session_strv_param(call->params, "command", NULL, &cmd, err) < 0 ||
	    session_strv_param(call->params, "env", env_validate, &env, err) < 0)
		goto out;
	if (cmd != NULL && cmd[0] == NULL) {
		mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`command` is empty");
		goto out;
	}
	if (name != NULL) {
		s = session_find(name);
		if (s == NULL) {
			mino_make_error(err, MINO_E_SESSION_NOT_FOUND, 0, "no session `%s`", name);
			goto out;
		}
	} else if ((s = session_most_recent_running()) == NULL) {
		mino_make_error(err, MINO_E_SESSION_NOT_FOUND, 0, "no running session");
		goto out;
	}
	if (cmd == NULL) {
		cmd = xcalloc(2, sizeof *cmd);
		cmd[0] = xstrdup(s->spec.shell != NULL ? s->spec.shell :
		    cfg_string(&minod.cfg, "session.shell"));
	}
	if (session_exec_start(s, call->conn, cmd, env, tty, (unsigned)rows, (unsigned)cols, &id, err) < 0)
		goto out;
	res = json_object();
	json_object_set_new(res, "session", json_string(s->spec.name));
	json_object_set_new(res, "exec", json_integer(id));
	json_object_set_new(res, "via", json_string(session_exec_via(s, id)));
	*result = res;
	r = 0;
out:
	strv_free(cmd);
	strv_free(env);
	return r;
}
