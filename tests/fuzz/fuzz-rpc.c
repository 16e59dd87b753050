/* fuzz-rpc.c: rpc_parse, and the builders and param helpers on what it
 * accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "mino-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_msg msg;
	struct mino_error *err = NULL;
	json_t *bad_id = NULL, *reply, *v = NULL;
	const char *s = NULL;
	json_int_t n = 0;
	bool b = false;
	char *enc;
	size_t len;

	if (rpc_parse((const char *)data, size, &msg, &bad_id, &err) < 0) {
		if (err == NULL || err->msg == NULL || strchr(err->msg, '\n') != NULL
			|| (err->code != RPC_PARSE_ERROR && err->code != RPC_INVALID_REQUEST))
			abort();
		reply = rpc_error_from(bad_id, err);
		enc = rpc_encode(reply, &len);
		if (enc == NULL)
			abort();
		free(enc);
		json_decref(reply);
		json_decref(bad_id);
		mino_error_release(&err);
		return 0;
	}
	if (bad_id != NULL || (msg.kind != RPC_KIND_RESPONSE && msg.method == NULL))
		abort();
	rpc_param_string(msg.params, "session", false, &s, &err);
	mino_error_release(&err);
	rpc_param_int(msg.params, "rows", false, 1, 1000, &n, &err);
	mino_error_release(&err);
	rpc_param_bool(msg.params, "force", false, &b, &err);
	mino_error_release(&err);
	rpc_param_strv(msg.params, "command", false, &v, &err);
	mino_error_release(&err);
	reply = rpc_result_new(msg.id, json_incref(msg.params));
	enc = rpc_encode(reply, &len);
	if (enc == NULL)
		abort();
	free(enc);
	json_decref(reply);
	rpc_msg_free(&msg);
	return 0;
}
