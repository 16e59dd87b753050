/* session.c: the registry of sessions (the list, lookup, lifetime),
 * connection events, counts, cleanup and shutdown.  Where the rest lives:
 * phase.c (the state machine), record.c (records), io.c (output and
 * clients), run.c (its container: start, end, stop), exec.c, create.c. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "image.h"
#include "jsonrpc.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "parts.h"
#include "podman.h"
#include "rundir.h"
#include "spare.h"
#include "cache.h"
#include "session.h"
#include "state.h"
#include "transcript.h"
#include "xalloc.h"

#define SESSION_HANGUP_GRACE_MS 3000
#define SESSION_SHUTDOWN_MAX_MS 8000

struct session_list session_all = TAILQ_HEAD_INITIALIZER(session_all);

/* ---------- the list ---------- */

struct session *
session_find(const char *name)
{
	struct session *s;

	TAILQ_FOREACH(s, &session_all, link)
		if (strcmp(s->spec.name, name) == 0)
			return s;
	return NULL;
}

struct session *
session_find_rpc(json_t *params, struct mino_error **err)
{
	const char *name = NULL;
	struct session *s;

	if (rpc_param_string(params, "session", true, &name, err) < 0)
		return NULL;
	s = session_find(name);
	if (s == NULL)
		mino_make_error(err, MINO_E_SESSION_NOT_FOUND, 0, "no session `%s`", name);
	return s;
}

struct session *
session_most_recent_running(void)
{
	struct session *s, *best = NULL;

	TAILQ_FOREACH(s, &session_all, link) {
		if (s->status != SESSION_RUNNING)
			continue;
		if (best == NULL || s->started_at >= best->started_at)
			best = s;
	}
	return best;
}

bool
session_is_live(const struct session *s)
{
	return s->status == SESSION_STARTING || s->status == SESSION_RUNNING;
}

bool
session_has_ended(const struct session *s)
{
	return s->phase == SESSION_ENDED || s->phase == SESSION_ABANDONED || s->phase == SESSION_REMOVED;
}

struct session *
session_new(struct sandbox_spec *spec)
{
	struct session *s = xcalloc(1, sizeof *s);

	s->refs = 1;
	s->spec = *spec;
	memset(spec, 0, sizeof *spec);
	s->phase = SESSION_NEW;
	s->status = SESSION_STARTING;
	s->main.s = s;
	s->main.tty = s->spec.tty;
	s->main.rows = s->spec.rows ? s->spec.rows : SESSION_DEFAULT_ROWS;
	s->main.cols = s->spec.cols ? s->spec.cols : SESSION_DEFAULT_COLS;
	s->next_exec_id = 1;
	LIST_INIT(&s->execs);
	return s;
}

void
session_ref(struct session *s)
{
	s->refs++;
}

void
session_ring_clear(struct session *s)
{
	struct session_chunk *c, *next;

	for (c = s->ring_head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	s->ring_head = s->ring_tail = NULL;
	s->ring_len = 0;
}

static void
session_free(struct session *s)
{
	log_debug("%s: %s", __func__, s->spec.name);
	session_io_release(&s->main);
	session_ring_clear(s);
	transcript_close(s->transcript);
	if (s->owner != NULL)
		conn_unref(s->owner);
	parts_free(s->parts);
	session_spawner_close(s);
	free(s->stop_waiters);
	free(s->rundir);
	podman_argv_free(s->spare_tmpl);
	if (s->spare_link != NULL)
		unlink(s->spare_link);
	free(s->spare_link);
	free(s->name_json);
	free(s->container_id);
	free(s->error);
	sandbox_spec_free(&s->spec);
	free(s);
}

void
session_unref(struct session *s)
{
	if (--s->refs == 0)
		session_free(s);
}

void
session_insert(struct session *s)
{
	TAILQ_INSERT_TAIL(&session_all, s, link);
}

void
session_remove(struct session *s, bool delete_files)
{
	if (s->phase == SESSION_REMOVED)
		return;
	session_set_phase(s, SESSION_REMOVED);
	TAILQ_REMOVE(&session_all, s, link);
	transcript_close(s->transcript);
	s->transcript = NULL;
	if (delete_files) {
		rundir_remove(s->spec.id);
		state_remove_record(s->spec.name);
		transcript_remove(s->spec.name);
	}
	notify_status();
	session_unref(s);
}

void
session_detach_all(struct session *s)
{
	session_io_release(&s->main);
	s->main.paused = false;
}

void
session_release_owner(struct session *s)
{
	if (s->owner != NULL) {
		conn_unref(s->owner);
		s->owner = NULL;
	}
}

/* A session that never got going: forget it entirely. */
void
session_discard(struct session *s)
{
	session_detach_all(s);
	session_release_owner(s);
	session_remove(s, true);
}

/* ---------- connections ---------- */

void
session_conn_closed(struct conn *c)
{
	struct session *s, *snext;

	for (s = TAILQ_FIRST(&session_all); s != NULL; s = snext) {
		session_ref(s);
		session_io_detach(&s->main, c);
		session_io_unhold(&s->main, c);
		session_exec_conn_closed(s, c);
		if (s->owner == c)
			session_owner_left(s);
		snext = TAILQ_NEXT(s, link);
		session_unref(s);
	}
}

void
session_conn_drained(struct conn *c)
{
	struct session *s;
	struct session_exec *ex;

	TAILQ_FOREACH(s, &session_all, link) {
		session_io_check_resume(&s->main);
		LIST_FOREACH(ex, &s->execs, link)
			session_io_check_resume(&ex->io);
	}
}

/* ---------- counts, cleanup, shutdown ---------- */

unsigned
sessions_count_running(void)
{
	struct session *s;
	unsigned n = 0;

	TAILQ_FOREACH(s, &session_all, link)
		if (session_is_live(s))
			n++;
	return n;
}

unsigned
sessions_count_total(void)
{
	struct session *s;
	unsigned n = 0;

	TAILQ_FOREACH(s, &session_all, link)
		n++;
	return n;
}

void
session_cleanup_old(void)
{
	struct session *s, *next;
	time_t now = time(NULL), t;
	long long hours = cfg_int(&minod.cfg, "session.auto_cleanup_hours");

	if (hours <= 0)
		return;
	for (s = TAILQ_FIRST(&session_all); s != NULL; s = next) {
		next = TAILQ_NEXT(s, link);
		if (session_is_live(s) || s->phase != SESSION_ENDED)
			continue;
		t = s->ended_at ? s->ended_at : s->created_at;
		if (now - t < hours * 3600)
			continue;
		log_info("session %s: ended more than %lld hours ago; removing it", s->spec.name, hours);
		session_remove(s, true);
	}
}

static struct {
	uv_timer_t timer;
	void (*done)(void);
	uint64_t started;
	bool killed;
} session_shutdown_state;

static void
session_shutdown_close_cb(uv_handle_t *h)
{
	struct session *s;

	while ((s = TAILQ_FIRST(&session_all)) != NULL)
		session_remove(s, false);
	image_forget_all();
	session_shutdown_state.done();
}

static void
session_shutdown_poll_cb(uv_timer_t *t)
{
	uint64_t elapsed = uv_now(minod.loop) - session_shutdown_state.started;

	if (pty_proc_count() == 0 && podman_capture_count() == 0) {
		uv_timer_stop(t);
		uv_close((uv_handle_t *)t, session_shutdown_close_cb);
		return;
	}
	if (elapsed > SESSION_SHUTDOWN_MAX_MS / 2 && !session_shutdown_state.killed) {
		log_warn("shutdown: %u podman commands still running; killing them", podman_capture_count());
		podman_capture_kill_all(SIGKILL);
		session_shutdown_state.killed = true;
	}
}

/* First: nothing that happens to the podman clients now is the session's
 * end, and nobody waits for an answer any more. */
static void
session_abandon(struct session *s, const struct mino_error *err)
{
	if (s->phase != SESSION_REMOVED && !session_has_ended(s))
		session_set_phase(s, SESSION_ABANDONED);
	if (s->parts != NULL && parts_preparing(s->parts))
		parts_cancel(s->parts);
	if (s->create_reply != NULL) {
		rpc_deferred_error(s->create_reply, err);
		s->create_reply = NULL;
	}
	for (size_t i = 0; i < s->nstop_waiters; i++)
		rpc_deferred_error(s->stop_waiters[i], err);
	free(s->stop_waiters);
	s->stop_waiters = NULL;
	s->nstop_waiters = 0;
}

void
sessions_shutdown(void (*done)(void))
{
	struct session *s;
	struct mino_error *err = NULL;

	log_info("sessions: leaving %u running sessions to re-adopt later", sessions_count_running());
	reconcile_stop();
	cache_gc_stop();
	spare_shutdown();
	session_io_stall_stop();
	transcript_stop_timer();
	mino_make_error(&err, MINO_E_SHUTTING_DOWN, 0, "minod is stopping");
	TAILQ_FOREACH(s, &session_all, link)
		session_abandon(s, err);
	mino_error_release(&err);
	TAILQ_FOREACH(s, &session_all, link) {
		/* A starting container's client is let go once it runs. */
		if (s->ctr != NULL)
			container_abandon(s->ctr);
		session_exec_hangup_all(s);
		session_detach_all(s);
		session_release_owner(s);
	}
	session_shutdown_state.done = done;
	session_shutdown_state.started = uv_now(minod.loop);
	uv_timer_init(minod.loop, &session_shutdown_state.timer);
	uv_timer_start(&session_shutdown_state.timer, session_shutdown_poll_cb, 0, 10);
}
