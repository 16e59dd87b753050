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

/* `fields`: absent, or an array of key names (what a client shows). */
static int
rpc_session_list_fields(json_t *params, json_t **fields, struct mino_error **err)
{
	json_t *f = json_object_get(params, "fields"), *v;
	size_t i;

	*fields = NULL;
	if (f == NULL)
		return 0;
	if (!json_is_array(f))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "invalid params: `fields` must be an array of strings");
	json_array_foreach(f, i, v)
		if (!json_is_string(v))
			return mino_make_error(err, RPC_INVALID_PARAMS, 0,
			    "invalid params: `fields` must be an array of strings");
	*fields = f;
	return 0;
}

/* A record with only `fields` (those it has). */
static json_t *
rpc_session_list_record(const struct session *s, json_t *fields)
{
	json_t *full = session_record_json(s), *r, *v;
	size_t i;

	if (fields == NULL)
		return full;
	r = json_object();
	json_array_foreach(fields, i, v)
		if (json_object_get(full, json_string_value(v)) != NULL)
			json_object_set(r, json_string_value(v), json_object_get(full, json_string_value(v)));
	json_decref(full);
	return r;
}

static int
rpc_session_list_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct session *s;
	bool all = false;
	json_t *arr, *fields;

	if (rpc_param_bool(call->params, "all", false, &all, err) < 0 ||
	    rpc_session_list_fields(call->params, &fields, err) < 0)
		return -1;
	arr = json_array();
	TAILQ_FOREACH(s, &session_all, link)
		if (all || session_is_live(s))
			json_array_append_new(arr, rpc_session_list_record(s, fields));
	*result = json_pack("{s:o}", "sessions", arr);
	return 0;
}
