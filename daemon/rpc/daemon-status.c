/* rpc-daemon-status.c: daemon/status -> counts, paths and podman facts. */
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "mino-build.h"
#include "mino-protocol.h"
#include "minod.h"
#include "podman.h"

static int rpc_daemon_status_exec(struct rpc_call *, json_t **, struct mino_error **);

/* Requests that wait for the podman probe are not in any write queue, so the
 * output cap cannot push back on them: beyond this many, refuse (1011). */
#define RPC_DAEMON_STATUS_MAX_WAITING 64
static unsigned rpc_daemon_status_waiting;

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

	return json_pack("{s:s, s:i, s:I, s:I, s:s?, s:s?, s:I, s:{s:I, s:I}, s:o?, s:o}",
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
		"podman", rpc_daemon_status_podman(),
		"audit", audit_status());
}

/* Right after start the podman probe may still be running: answer once it
 * has finished, so a fresh daemon never reports podman as missing. */
static void
rpc_daemon_status_probed_cb(void *arg)
{
	struct rpc_deferred *d = arg;
	json_t *result = rpc_daemon_status_result();
	struct mino_error *err = NULL;

	rpc_daemon_status_waiting--;
	if (result == NULL) {
		mino_make_error(&err, MINO_E_INTERNAL, 0, "cannot build the reply");
		rpc_deferred_error(d, err);
		mino_error_release(&err);
		return;
	}
	rpc_deferred_reply(d, result);
}

static int
rpc_daemon_status_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	if (!podman_facts.probed && minod.podman_path != NULL && call->id != NULL) {
		if (rpc_daemon_status_waiting >= RPC_DAEMON_STATUS_MAX_WAITING)
			return mino_make_error(err, MINO_E_LIMIT, 0,
				"%u daemon/status requests already wait for minod's podman probe; retry",
				rpc_daemon_status_waiting);
		rpc_daemon_status_waiting++;
		podman_probe_wait(rpc_daemon_status_probed_cb, rpc_defer(call));
		return RPC_DEFERRED;
	}
	*result = rpc_daemon_status_result();
	if (*result == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "cannot build the reply");
	return 0;
}
