/* image-rm.c: image/rm {name} (PROTOCOL.md): removes one of mino's images
 * (localhost/mino-*), never another. */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "names.h"
#include "podman.h"
#include "xalloc.h"

static int rpc_image_rm_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_image_rm_method = {
	.name = "image/rm",
	.flags = RPC_MUTATING,
	.exec = rpc_image_rm_exec,
};

struct rpc_image_rm {
	struct rpc_deferred *d;
	char *name;
};

static void
rpc_image_rm_done(struct podman_result *res, void *arg)
{
	struct rpc_image_rm *r = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	image_forget(r->name);
	if (res->exit_status != 0) {
		line = podman_error_line(res);
		mino_make_error(&err, res->exit_status == 1 ? MINO_E_IMAGE_MISSING : MINO_E_PODMAN_FAILED, 0,
		    "removing image `%s`: %s", r->name, line ? line : "podman rmi failed");
		rpc_deferred_error(r->d, err);
		mino_error_release(&err);
	} else {
		rpc_deferred_reply(r->d, json_pack("{s:s}", "removed", r->name));
	}
	free(r->name);
	free(r);
}

static int
rpc_image_rm_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	const char *name = NULL;
	_cleanup_free_ char *full = NULL;
	struct rpc_image_rm *r;

	(void)result;
	if (rpc_param_string(call->params, "name", true, &name, err) < 0 || image_validate(name, err) < 0)
		return -1;
	full = strncmp(name, "localhost/", 10) == 0 ? xstrdup(name) : xasprintf("localhost/%s", name);
	if (strncmp(full, "localhost/mino-", 15) != 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "`%s` is not one of mino's images (localhost/mino-*); remove it with podman rmi", name);
	r = xcalloc(1, sizeof *r);
	r->name = steal_pointer(&full);
	{
		const char *argv[] = { "rmi", r->name, NULL };

		r->d = rpc_defer(call);
		if (podman_capture(argv, rpc_image_rm_done, r, err) < 0) {
			rpc_deferred_error(r->d, *err);
			mino_error_release(err);
			free(r->name);
			free(r);
		}
	}
	return RPC_DEFERRED;
}
