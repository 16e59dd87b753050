/* cache-clear.c: cache/clear {volumes?, home?, images?} (PROTOCOL.md):
 * removes mino's cache volumes, home volumes and composed images
 * (localhost/mino-composed-*), never one a live session uses, never
 * anything else of the user's. */
#include "cache.h"
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"

static int rpc_cache_clear_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_cache_clear_method = {
	.name = "cache/clear",
	.flags = RPC_MUTATING,
	.exec = rpc_cache_clear_exec,
};

static int
rpc_cache_clear_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	bool volumes = false, home = false, images = false;
	unsigned what = 0;
	struct rpc_deferred *d;

	(void)result;
	if (rpc_param_bool(call->params, "volumes", false, &volumes, err) < 0 ||
	    rpc_param_bool(call->params, "home", false, &home, err) < 0 ||
	    rpc_param_bool(call->params, "images", false, &images, err) < 0)
		return -1;
	what = (volumes ? CACHE_CLEAR_VOLUMES : 0) | (home ? CACHE_CLEAR_HOME : 0) |
	    (images ? CACHE_CLEAR_IMAGES : 0);
	if (what == 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "nothing to clear: give volumes, home or images");
	d = rpc_defer(call);
	if (cache_clear(what, rpc_deferred_finish, d, err) < 0) {
		rpc_deferred_error(d, *err);
		mino_error_release(err);
	}
	return RPC_DEFERRED;
}
