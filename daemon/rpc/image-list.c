/* image-list.c: image/list (PROTOCOL.md): mino's images (localhost/mino-*)
 * with their layers, base id, size and age, from `podman images`. */
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "podman.h"
#include "xalloc.h"

static int rpc_image_list_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_image_list_method = {
	.name = "image/list",
	.flags = 0,
	.exec = rpc_image_list_exec,
};

static const char *
rpc_image_list_label(json_t *img, const char *key)
{
	return json_string_value(json_object_get(json_object_get(img, "Labels"), key));
}

static json_t *
rpc_image_list_entry(json_t *img, const char *name)
{
	const char *layers = rpc_image_list_label(img, "mino.layers");
	const char *base = rpc_image_list_label(img, "mino.base.id");
	json_t *e = json_object();

	json_object_set_new(e, "name", json_string(name));
	json_object_set(e, "id", json_object_get(img, "Id"));
	json_object_set_new(e, "composed", json_boolean(rpc_image_list_label(img, "mino.composed") != NULL));
	json_object_set_new(e, "layers", layers ? json_string(layers) : json_null());
	json_object_set_new(e, "base_id", base ? json_string(base) : json_null());
	json_object_set(e, "size", json_object_get(img, "Size"));
	json_object_set(e, "created", json_object_get(img, "Created"));
	return e;
}

static void
rpc_image_list_done(struct podman_result *res, void *arg)
{
	struct rpc_deferred *d = arg;
	_cleanup_json_ json_t *all = NULL;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;
	json_t *out, *img, *n;
	size_t i, k;

	if (res->exit_status != 0 || (all = json_loads(res->out.data, 0, NULL)) == NULL) {
		line = podman_error_line(res);
		mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman images: %s", line ? line : "failed");
		rpc_deferred_error(d, err);
		mino_error_release(&err);
		return;
	}
	out = json_array();
	json_array_foreach(all, i, img)
		json_array_foreach(json_object_get(img, "Names"), k, n) {
			const char *name = json_string_value(n);

			if (name != NULL && strncmp(name, "localhost/mino-", 15) == 0 &&
			    strncmp(name, "localhost/mino-busybox", 22) != 0)
				json_array_append_new(out, rpc_image_list_entry(img, name));
		}
	rpc_deferred_reply(d, json_pack("{s:o}", "images", out));
}

static int
rpc_image_list_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	const char *argv[] = { "images", "--format", "json", NULL };
	struct rpc_deferred *d = rpc_defer(call);

	(void)result;
	if (podman_capture(argv, rpc_image_list_done, d, err) < 0) {
		rpc_deferred_error(d, *err);
		mino_error_release(err);
	}
	return RPC_DEFERRED;
}
