/* image-build.c: image/build {layers, project?, trust_local?}
 * (PROTOCOL.md): composes the layers on the base image as a session would
 * (resolution and trust gate of layers.h, the build of compose.h), its
 * output as image/progress notifications; $/cancelRequest stops it. */
#include <stdlib.h>
#include <string.h>

#include "cfgresolve.h"
#include "compose.h"
#include "image.h"
#include "jsonrpc.h"
#include "layers.h"
#include "minod.h"
#include "mino-protocol.h"
#include "podman.h"
#include "strv.h"
#include "trust.h"
#include "xalloc.h"

static int rpc_image_build_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_image_build_method = {
	.name = "image/build",
	.flags = RPC_MUTATING,
	.exec = rpc_image_build_exec,
};

struct rpc_image_build {
	struct rpc_deferred *d;
	struct layer_set layers;
	char *base;
	char **warnings;
	struct compose_waiter *cw;
	bool inspecting, cancelled, answered;
};

static void
rpc_image_build_free(struct rpc_image_build *b)
{
	layers_set_free(&b->layers);
	free(b->base);
	strv_free(b->warnings);
	free(b);
}

static void
rpc_image_build_fail(struct rpc_image_build *b, const struct mino_error *err)
{
	rpc_deferred_error(b->d, err);
	rpc_image_build_free(b);
}

static void
rpc_image_build_line(const char *line, void *arg)
{
	struct rpc_image_build *b = arg;
	json_t *s = json_string(line);

	if (s != NULL)
		conn_notify(rpc_deferred_conn(b->d), "image/progress", json_pack("{s:o}", "line", s));
}

static void
rpc_image_build_done(const char *image, const struct mino_error *err, void *arg)
{
	struct rpc_image_build *b = arg;

	b->cw = NULL;
	if (err != NULL) {
		rpc_image_build_fail(b, err);
		return;
	}
	rpc_deferred_reply(b->d, json_pack("{s:s, s:o}", "image", image, "warnings", strv_to_json(b->warnings)));
	rpc_image_build_free(b);
}

static void
rpc_image_build_inspected(struct podman_result *res, void *arg)
{
	static const struct compose_callbacks cb = {
		.on_line = rpc_image_build_line,
		.on_done = rpc_image_build_done,
	};
	struct rpc_image_build *b = arg;
	_cleanup_json_ json_t *root = NULL;
	const char *id, *user, *home, *uid;
	struct compose_base base;
	struct mino_error *err = NULL;

	b->inspecting = false;
	if (b->cancelled)
		mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled");
	else if (res->exit_status != 0 || image_inspect_parse(res->out.data, &id, &user, &home, &uid, &root) < 0)
		mino_make_error(&err, MINO_E_IMAGE_MISSING, 0, "base image `%s` not found%s", b->base,
		    strcmp(b->base, LAYERS_DEFAULT_BASE) == 0 ? "; build it with `mino image build base`" : "");
	if (err == NULL) {
		base.name = b->base;
		base.id = id;
		base.user = user ? user : "";
		if (compose_start(&b->layers, &base, &cb, b, &b->cw, &err) == 0)
			return;
	}
	rpc_image_build_fail(b, err);
	mino_error_release(&err);
}

static void
rpc_image_build_cancel(void *arg)
{
	struct rpc_image_build *b = arg;
	struct mino_error *err = NULL;

	b->cancelled = true;
	if (b->cw == NULL)
		return; /* the inspect's callback answers */
	compose_cancel(b->cw);
	b->cw = NULL;
	mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled");
	rpc_image_build_fail(b, err);
	mino_error_release(&err);
}

static int
rpc_image_build_resolve(json_t *params, struct rpc_image_build *b, struct mino_error **err)
{
	const char *project = NULL, *base = getenv("MINO_BASE_IMAGE");
	_cleanup_free_ char *user = layers_user_dir();
	_cleanup_free_ char *builtin = layers_builtin_dir();
	_cleanup_free_ char *store = cfgresolve_trust_store();
	struct trust_store ts = { 0 };
	struct layers_where w = { 0 };
	json_t *arr = NULL;
	char **names;
	bool trust_local = false;
	int r;

	if (rpc_param_strv(params, "layers", true, &arr, err) < 0 ||
	    rpc_param_string(params, "project", false, &project, err) < 0 ||
	    rpc_param_bool(params, "trust_local", false, &trust_local, err) < 0)
		return -1;
	if (json_array_size(arr) == 0 || json_array_size(arr) > LAYERS_MAX)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`layers`: 1 to %d layer names", LAYERS_MAX);
	if (project != NULL && project[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "project `%s` is not an absolute path",
		    project);
	if (trust_store_load(&ts, store, err) < 0)
		return -1;
	b->base = xstrdup(base != NULL && base[0] != '\0' ? base : LAYERS_DEFAULT_BASE);
	w.project_dir = project;
	w.user_dir = user;
	w.builtin_dir = builtin;
	w.trust = &ts;
	w.trust_local = trust_local;
	names = strv_from_json(arr);
	r = layers_resolve(names, &w, &b->layers, &b->warnings, err);
	strv_free(names);
	trust_store_free(&ts);
	return r;
}

static int
rpc_image_build_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct rpc_image_build *b = xcalloc(1, sizeof *b);

	(void)result;
	if (rpc_image_build_resolve(call->params, b, err) < 0) {
		rpc_image_build_free(b);
		return -1;
	}
	{
		const char *argv[] = { "image", "inspect", b->base, NULL };

		b->d = rpc_defer(call);
		rpc_deferred_on_cancel(b->d, rpc_image_build_cancel, b);
		if (podman_capture(argv, rpc_image_build_inspected, b, err) < 0) {
			rpc_image_build_fail(b, *err);
			mino_error_release(err);
			return RPC_DEFERRED;
		}
		b->inspecting = true;
	}
	return RPC_DEFERRED;
}
