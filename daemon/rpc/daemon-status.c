/* rpc-daemon-status.c: daemon/status -> counts, paths, podman facts, the
 * audit log's errors and whether the mino base image exists. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "layers.h"
#include "mino-build.h"
#include "mino-protocol.h"
#include "minod.h"
#include "part-creds.h"
#include "podman.h"
#include "server.h"
#include "spare.h"
#include "xalloc.h"

/* Requests that wait for the first facts are not in any write queue, so the
 * output cap cannot push back on them: beyond this many, refuse (1011). */
#define RPC_DAEMON_STATUS_MAX_WAITING 64
/* The base image's presence is checked again when older than this. */
#define RPC_DAEMON_STATUS_BASE_TTL_MS 5000

static int rpc_daemon_status_exec(struct rpc_call *, json_t **, struct mino_error **);

const struct rpc_method rpc_daemon_status_method = {
	.name = "daemon/status",
	.flags = 0,
	.exec = rpc_daemon_status_exec,
};

/* Deferred requests, answered once both facts are known. */
struct rpc_daemon_status_waiter {
	struct rpc_deferred *d;
	struct rpc_daemon_status_waiter *next;
};

/* `podman image exists BASE`: one check at a time, its answer kept for
 * RPC_DAEMON_STATUS_BASE_TTL_MS and shared by every request meanwhile. */
static struct {
	int present;                 /* 1, 0, or -1 unknown */
	bool checked;                /* a check has finished */
	bool inflight;
	uint64_t checked_at;         /* uv_now() */
} rpc_daemon_status_base = { .present = -1 };

static struct rpc_daemon_status_waiter *rpc_daemon_status_waiters;
static unsigned rpc_daemon_status_waiting;

static const char *
rpc_daemon_status_base_name(void)
{
	const char *base = getenv("MINO_BASE_IMAGE");

	return base != NULL && base[0] != '\0' ? base : LAYERS_DEFAULT_BASE;
}

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

/* Who started minod: the service manager (socket activation), a mino
 * client that found no minod (auto-start, --ready-fd), or someone by hand. */
static const char *
rpc_daemon_status_started_by(void)
{
#ifdef __APPLE__
	const char *manager = "launchd";
#else
	const char *manager = "systemd";
#endif
	if (server_socket_activated())
		return manager;
	return minod.auto_started ? "mino" : "manual";
}

/* Warm-start containers (spare.h). */
static json_t *
rpc_daemon_status_spares(void)
{
	struct spare_stats st;

	spare_get_stats(&st);
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "ready", (json_int_t)st.ready,
	    "creating", (json_int_t)st.creating, "created", (json_int_t)st.created,
	    "claimed", (json_int_t)st.claimed, "dropped", (json_int_t)st.dropped);
}

static json_t *
rpc_daemon_status_result(void)
{
	time_t now = time(NULL);
	json_t *r = json_pack("{s:s, s:i, s:I, s:I, s:s?, s:s?, s:I, s:{s:I, s:I}, s:o?, s:o}",
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

	if (r != NULL) {
		json_object_set_new(r, "started_by", json_string(rpc_daemon_status_started_by()));
		if (minod.state_dir != NULL)
			json_object_set_new(r, "audit_log", json_sprintf("%s/audit.log", minod.state_dir));
		json_object_set_new(r, "credentials", part_creds_status());
	}
	if (r != NULL && rpc_daemon_status_base.present >= 0)
		json_object_set_new(r, "base_image", json_pack("{s:s, s:b}", "name",
		    rpc_daemon_status_base_name(), "present", rpc_daemon_status_base.present));
	if (r != NULL)
		json_object_set_new(r, "spares", rpc_daemon_status_spares());
	return r;
}

static void
rpc_daemon_status_answer(struct rpc_deferred *d)
{
	json_t *result = rpc_daemon_status_result();
	struct mino_error *err = NULL;

	if (result == NULL) {
		mino_make_error(&err, MINO_E_INTERNAL, 0, "cannot build the reply");
		rpc_deferred_error(d, err);
		mino_error_release(&err);
		return;
	}
	rpc_deferred_reply(d, result);
}

static bool
rpc_daemon_status_ready(void)
{
	return podman_facts.probed && (rpc_daemon_status_base.checked || minod.podman_path == NULL);
}

/* Answers the waiting requests once both facts are in. */
static void
rpc_daemon_status_flush(void)
{
	struct rpc_daemon_status_waiter *w;

	if (!rpc_daemon_status_ready())
		return;
	while ((w = rpc_daemon_status_waiters) != NULL) {
		rpc_daemon_status_waiters = w->next;
		rpc_daemon_status_waiting--;
		rpc_daemon_status_answer(w->d);
		free(w);
	}
}

static void
rpc_daemon_status_probed_cb(void *arg)
{
	(void)arg;
	rpc_daemon_status_flush();
}

static void
rpc_daemon_status_base_cb(struct podman_result *res, void *arg)
{
	(void)arg;
	rpc_daemon_status_base.inflight = false;
	rpc_daemon_status_base.checked = true;
	rpc_daemon_status_base.checked_at = uv_now(minod.loop);
	rpc_daemon_status_base.present = res->exit_status == 0 ? 1 : res->exit_status == 1 ? 0 : -1;
	rpc_daemon_status_flush();
}

/* Starts a check of the base image unless one runs or the answer is fresh. */
static void
rpc_daemon_status_check_base(void)
{
	const char *argv[] = { "image", "exists", rpc_daemon_status_base_name(), NULL };
	struct mino_error *err = NULL;

	if (minod.podman_path == NULL || rpc_daemon_status_base.inflight ||
	    (rpc_daemon_status_base.checked &&
	     uv_now(minod.loop) - rpc_daemon_status_base.checked_at < RPC_DAEMON_STATUS_BASE_TTL_MS))
		return;
	if (podman_capture(argv, rpc_daemon_status_base_cb, NULL, &err) < 0) {
		mino_error_release(&err);
		rpc_daemon_status_base.checked = true;   /* unknown: answer without it */
		rpc_daemon_status_base.checked_at = uv_now(minod.loop);
		return;
	}
	rpc_daemon_status_base.inflight = true;
}

/* Right after start the podman probe and the first base check may still
 * run: answer once both have finished, so a fresh daemon never reports
 * podman as missing.  Later requests answer at once with the facts known
 * (a stale base-image answer is refreshed in the background). */
static int
rpc_daemon_status_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	struct rpc_daemon_status_waiter *w;

	rpc_daemon_status_check_base();
	if (!rpc_daemon_status_ready() && call->id != NULL) {
		if (rpc_daemon_status_waiting >= RPC_DAEMON_STATUS_MAX_WAITING)
			return mino_make_error(err, MINO_E_LIMIT, 0,
				"%u daemon/status requests already wait for minod's podman probe; retry",
				rpc_daemon_status_waiting);
		w = xcalloc(1, sizeof *w);
		w->d = rpc_defer(call);
		w->next = rpc_daemon_status_waiters;
		rpc_daemon_status_waiters = w;
		rpc_daemon_status_waiting++;
		podman_probe_wait(rpc_daemon_status_probed_cb, NULL);
		return RPC_DEFERRED;
	}
	*result = rpc_daemon_status_result();
	if (*result == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "cannot build the reply");
	return 0;
}
