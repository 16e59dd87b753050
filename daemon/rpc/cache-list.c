/* cache-list.c: cache/list (PROTOCOL.md): every mino cache and home
 * volume with its state, size (podman's own) and last use. */
#include "cache.h"
#include "minod.h"

static int rpc_cache_list_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_cache_list_method = {
	.name = "cache/list",
	.flags = 0,
	.exec = rpc_cache_list_exec,
};

static int
rpc_cache_list_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct rpc_deferred *d = rpc_defer(call);

	(void)result;
	if (cache_list(rpc_deferred_finish, d, err) < 0) {
		rpc_deferred_error(d, *err);
		mino_error_release(err);
	}
	return RPC_DEFERRED;
}
