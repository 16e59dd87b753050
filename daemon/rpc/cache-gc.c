/* cache-gc.c: cache/gc {days?, dry_run?} (PROTOCOL.md): one GC pass now,
 * with cache.gc_days unless `days` is given (0: every cache no live
 * session uses). */
#include "cache.h"
#include "jsonrpc.h"
#include "minod.h"

static int rpc_cache_gc_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_cache_gc_method = {
	.name = "cache/gc",
	.flags = RPC_MUTATING,
	.exec = rpc_cache_gc_exec,
};

static int
rpc_cache_gc_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	json_int_t days = -1;
	bool dry_run = false;
	struct rpc_deferred *d;

	(void)result;
	if (rpc_param_int(call->params, "days", false, 0, 3650, &days, err) < 0 ||
	    rpc_param_bool(call->params, "dry_run", false, &dry_run, err) < 0)
		return -1;
	d = rpc_defer(call);
	if (cache_gc_run(days, dry_run, rpc_deferred_finish, d, err) < 0) {
		rpc_deferred_error(d, *err);
		mino_error_release(err);
	}
	return RPC_DEFERRED;
}
