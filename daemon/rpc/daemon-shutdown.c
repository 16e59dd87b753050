/* rpc-daemon-shutdown.c: daemon/shutdown -> {}; then stop as on SIGTERM. */
#include <inttypes.h>
#include <stddef.h>

#include "log.h"
#include "minod.h"
#include "server.h"

static int rpc_daemon_shutdown_exec(struct rpc_call *, json_t **, struct mino_error **);
static void rpc_daemon_shutdown_after(struct conn *, void *);

const struct rpc_method rpc_daemon_shutdown_method = {
	.name = "daemon/shutdown",
	.flags = 0,
	.exec = rpc_daemon_shutdown_exec,
};

static int
rpc_daemon_shutdown_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	log_info("shutdown requested by conn %" PRIu64, conn_id(call->conn));
	call->after_reply = rpc_daemon_shutdown_after;
	*result = json_object();
	return 0;
}

static void
rpc_daemon_shutdown_after(struct conn *c, void *arg)
{
	server_shutdown_soon();
}
