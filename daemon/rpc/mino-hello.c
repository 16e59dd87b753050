/* rpc-mino-hello.c: mino/hello {protocol, client, output?} -> {protocol, daemon, pid, output}. */
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "mino-build.h"
#include "jsonrpc.h"
#include "log.h"
#include "mino-protocol.h"
#include "minod.h"
#include "server.h"
#include "xalloc.h"

static int rpc_mino_hello_exec(struct rpc_call *, json_t **, struct mino_error **);

const struct rpc_method rpc_mino_hello_method = {
	.name = "mino/hello",
	.flags = RPC_NO_HELLO,
	.exec = rpc_mino_hello_exec,
};

static int
rpc_mino_hello_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	json_int_t protocol = 0;
	const char *client = NULL, *output = "json";
	_cleanup_free_ char *who = NULL;

	if (rpc_param_int(call->params, "protocol", true, INT_MIN, INT_MAX, &protocol, err) < 0 ||
	    rpc_param_string(call->params, "client", true, &client, err) < 0 ||
	    rpc_param_string(call->params, "output", false, &output, err) < 0)
		return -1;
	if (strcmp(output, "json") != 0 && strcmp(output, "binary") != 0)
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`output` must be \"json\" or \"binary\"");
	if (protocol != MINO_PROTOCOL_VERSION)
		return mino_make_error(err, MINO_E_PROTOCOL_MISMATCH, 0,
			"protocol version mismatch (client %" JSON_INTEGER_FORMAT ", daemon %d)",
			protocol, MINO_PROTOCOL_VERSION);
	who = log_sanitize(client, strlen(client));
	log_debug("conn %" PRIu64 ": hello from %s", conn_id(call->conn), who);
	conn_set_hello(call->conn);
	if (strcmp(output, "binary") == 0)
		conn_set_binary_output(call->conn);
	*result = json_pack("{s:i, s:s, s:I, s:s}", "protocol", MINO_PROTOCOL_VERSION,
		"daemon", "minod " MINO_VERSION, "pid", (json_int_t)getpid(), "output", output);
	if (*result == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "cannot build the reply");
	return 0;
}
