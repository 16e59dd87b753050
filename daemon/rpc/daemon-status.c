/* rpc-daemon-status.c: daemon/status -> counts, paths and podman facts. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mino-build.h"
#include "mino-protocol.h"
#include "minod.h"
#include "layers.h"
#include "podman.h"
#include "xalloc.h"

static int rpc_daemon_status_exec(struct rpc_call *, json_t **, struct mino_error **);

const struct rpc_method rpc_daemon_status_method = {
	.name = "daemon/status",
	.flags = 0,
	.exec = rpc_daemon_status_exec,
};

static json_t *
rpc_daemon_status_podman(void)
{
	if (!podman_facts.probed)
		return json_null();
	return json_pack("{s:s?, s:s?, s:b, s:s?}",
		"path", minod.podman_path,
		"version", podman_facts.version,
		"rootless", podman_facts.rootless,
		"runtime", podman_facts.runtime);
}

static json_t *
rpc_daemon_status_result(void)
{
	time_t now = time(NULL);

	return json_pack("{s:s, s:i, s:I, s:I, s:s?, s:s?, s:I, s:{s:I, s:I}, s:o?}",
		"version", MINO_VERSION,
		"protocol", MINO_PROTOCOL_VERSION,
		"pid", (json_int_t)getpid(),
		"uptime_s", (json_int_t)(now > minod.started ? now - minod.started : 0),
		"socket", minod.socket_path,
		"state_dir", minod.state_dir,
		"clients", (json_int_t)minod.nclients,
		"sessions",
		"running", (json_int_t)sessions_count_running(),
		"total", (json_int_t)sessions_count_total(),
		"podman", rpc_daemon_status_podman());
}

/* The answer waits for the podman probe right after start (so a fresh
 * daemon never reports podman as missing) and for `podman image exists`
 * of the base image (`base_image`: {name, present}). */
struct rpc_daemon_status_wait {
	struct rpc_deferred *d;
	unsigned pending;
	int base_present;            /* -1 unknown */
};

static void
rpc_daemon_status_step(struct rpc_daemon_status_wait *w)
{
	const char *base = getenv("MINO_BASE_IMAGE");
	json_t *result;
	struct mino_error *err = NULL;

	if (--w->pending > 0)
		return;
	result = rpc_daemon_status_result();
	if (result == NULL) {
		mino_make_error(&err, MINO_E_INTERNAL, 0, "cannot build the reply");
		rpc_deferred_error(w->d, err);
		mino_error_release(&err);
		free(w);
		return;
	}
	if (w->base_present >= 0)
		json_object_set_new(result, "base_image", json_pack("{s:s, s:b}", "name",
		    base != NULL && base[0] != '\0' ? base : LAYERS_DEFAULT_BASE, "present", w->base_present));
	rpc_deferred_reply(w->d, result);
	free(w);
}

static void
rpc_daemon_status_probed_cb(void *arg)
{
	rpc_daemon_status_step(arg);
}

static void
rpc_daemon_status_base_cb(struct podman_result *res, void *arg)
{
	struct rpc_daemon_status_wait *w = arg;

	w->base_present = res->exit_status == 0 ? 1 : res->exit_status == 1 ? 0 : -1;
	rpc_daemon_status_step(w);
}

static int
rpc_daemon_status_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	const char *base = getenv("MINO_BASE_IMAGE");
	const char *argv[] = { "image", "exists", base != NULL && base[0] != '\0' ? base : LAYERS_DEFAULT_BASE,
		NULL };
	struct rpc_daemon_status_wait *w;
	struct mino_error *perr = NULL;

	if (minod.podman_path != NULL && call->id != NULL) {
		w = xcalloc(1, sizeof *w);
		w->d = rpc_defer(call);
		w->base_present = -1;
		w->pending = 1;
		if (podman_capture(argv, rpc_daemon_status_base_cb, w, &perr) == 0)
			w->pending++;
		mino_error_release(&perr);
		if (!podman_facts.probed) {
			w->pending++;
			podman_probe_wait(rpc_daemon_status_probed_cb, w);
		}
		rpc_daemon_status_step(w); /* this call's own share */
		return RPC_DEFERRED;
	}
	*result = rpc_daemon_status_result();
	if (*result == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "cannot build the reply");
	return 0;
}
