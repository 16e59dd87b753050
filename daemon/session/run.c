/* run.c: a session's container run (sandbox/container.h): start, running,
 * re-adoption after a restart, the end, removal and stop.  The session
 * decides; the container module only reports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cache.h"
#include "container.h"
#include "image.h"
#include "jsonrpc.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "parts.h"
#include "podman.h"
#include "rundir.h"
#include "session.h"
#include "spare.h"
#include "strv.h"
#include "transcript.h"
#include "xalloc.h"

#define SESSION_TAIL_SCAN 4096          /* output scanned for podman's error line */

static int session_on_created(struct container *c, const char *id, void *owner, struct mino_error **err);
static int session_before_start(struct container *c, const struct container_info *info, void *owner,
    struct mino_error **err);
static void session_on_running(struct container *c, void *owner);
static void session_on_output(struct container *c, enum pty_stream st, const char *data, size_t len,
    void *owner);
static void session_on_input_low(struct container *c, void *owner);
static void session_on_exit(struct container *c, const struct container_end *end, void *owner);
static void session_fail(struct session *s, int exit_code, const char *error);
static void session_stop_cb(struct podman_result *res, void *arg);

void
session_open_transcript(struct session *s)
{
	struct mino_error *err = NULL;

	if (s->transcript != NULL)
		return;
	s->transcript = transcript_open(s->spec.name, &err);
	if (s->transcript == NULL) {
		log_warn("session %s: %s", s->spec.name, err->msg);
		mino_error_release(&err);
	}
}

/* After a restart the replay ring starts from the transcript's tail (both
 * streams of a non-tty session come back as stdout). */
void
session_seed_ring(struct session *s)
{
	_cleanup_free_ char *data = NULL;
	struct mino_error *err = NULL;
	size_t len = 0;

	if (s->ring_len > 0)
		return;
	if (transcript_tail(s->spec.name, 0, SESSION_RING_MAX, &data, &len, &err) < 0) {
		mino_error_release(&err);
		return;
	}
	if (len > 0)
		session_ring_append(s, s->spec.tty ? PTY_STREAM_PTY : PTY_STREAM_STDOUT, data, len);
}

/* ---------- starting ---------- */

/* A fresh run directory, before the parts contribute (a part may listen
 * on a socket in it). */
static int
session_make_rundir(struct session *s, struct mino_error **err)
{
	if (minod.entry_path == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, ENOENT, "mino-entry not found in `%s`",
		    minod.helper_dir);
	free(s->rundir);
	s->rundir = NULL;
	return rundir_create(s->spec.id, &s->rundir, err);
}

/* The run directory's environment file and the parts' files: the only way
 * values of spec.env (and of parts) reach the container, never podman's
 * argv or stored config. */
static int
session_prepare_rundir(struct session *s, char *const *part_env, char *const *files,
    struct mino_error **err)
{
	_cleanup_free_ char **env = NULL;
	size_t n = strv_len(s->spec.env), m = strv_len(part_env);

	env = xcalloc(n + m + 1, sizeof *env);
	if (n > 0)
		memcpy(env, s->spec.env, n * sizeof *env);
	if (m > 0)
		memcpy(env + n, part_env, m * sizeof *env);
	for (; files != NULL && files[0] != NULL && files[1] != NULL; files += 2)
		if (rundir_write(s->rundir, files[0], files[1], strlen(files[1]), err) < 0)
			return -1;
	return rundir_write_env(s->rundir, RUNDIR_ENV_FILE, env, err);
}

/* The claimed spare's run directory becomes a link to the session's, so
 * that its bind mount (made at start) is the session's directory. */
static int
session_link_spare(struct session *s, const char *spare_dir, struct mino_error **err)
{
	if (rmdir(spare_dir) < 0 || symlink(s->rundir, spare_dir) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "linking `%s` to the run directory", spare_dir);
	free(s->spare_link);
	s->spare_link = xstrdup(spare_dir);
	return 0;
}

/* Warm start (spare.h): keeps the sandbox's spare template (a spare is
 * offered at the end) and claims a ready spare of it.  NULL: start cold.
 * Only for sandboxes without before_start work (network rules need the
 * init step of a fresh create). */
static char *
session_claim_spare(struct session *s, const struct sandbox_spec *run_spec, char *const *extra,
    unsigned flags)
{
	struct sandbox_spec t = *run_spec; /* shallow */
	struct podman_mounts m = { .rundir = SPARE_PLACEHOLDER, .entry = minod.entry_path };
	_cleanup_free_ char *key = NULL, *dir = NULL;
	struct mino_error *err = NULL;
	char *id = NULL;
	size_t len;

	t.id = (char *)SPARE_PLACEHOLDER;
	podman_argv_free(s->spare_tmpl);
	s->spare_tmpl = podman_create_argv(&t, &m, extra, flags | PODMAN_ARGV_SPARE);
	key = spare_key(s->spare_tmpl, &len);
	if (!spare_claim(key, len, &id, &dir))
		return NULL;
	if (rundir_write_env(s->rundir, RUNDIR_CMD_FILE, s->spec.command, &err) < 0 ||
	    session_link_spare(s, dir, &err) < 0) {
		log_warn("session %s: %s; starting without the spare", s->spec.name, err->msg);
		mino_error_release(&err);
		(void)rmdir(dir);
		container_remove(id, NULL, NULL);
		free(id);
		return NULL;
	}
	log_info("session %s: warm start in spare container %.12s", s->spec.name, id);
	return id;
}

static const struct container_opts session_container_opts = {
	.stdio = CONTAINER_STDIO_ATTACH,
	.on_created = session_on_created,
	.before_start = session_before_start,
	.on_running = session_on_running,
	.on_output = session_on_output,
	.on_input_low = session_on_input_low,
	.on_exit = session_on_exit,
};

/* Builds the create options (spec + parts), writes the run directory and
 * begins the container run: create, [init, before_start], start. */
int
session_start(struct session *s, struct mino_error **err)
{
	struct part_opts po = { 0 };
	struct sandbox_spec run_spec;
	struct podman_mounts mounts;
	struct container_opts o = session_container_opts;
	char **args = NULL;
	_cleanup_free_ char *spare_id = NULL;
	unsigned flags = podman_limits_ignored() ? PODMAN_ARGV_NO_PIDS_LIMIT : 0;
	_cleanup_free_ char *pidfile = NULL;
	int r = -1;

	if (session_make_rundir(s, err) < 0)
		goto out;
	if (s->parts != NULL && parts_contribute(s->parts, &po, err) < 0)
		goto out;
	if (session_prepare_rundir(s, po.env, po.files, err) < 0)
		goto out;
	mounts.rundir = s->rundir;
	mounts.entry = minod.entry_path;
	run_spec = s->spec; /* shallow: the parts may name another image (a composed one) */
	if (po.image != NULL)
		run_spec.image = po.image;
	o.init_first = s->parts != NULL && parts_want_container(s->parts);
	if (o.init_first) {
		/* removed once read, before the command runs (the directory is mounted) */
		pidfile = xasprintf("%s/container.pid", s->rundir);
		strv_push(&po.args, xasprintf("--pidfile=%s", pidfile));
		o.pidfile = pidfile;
	}
	if (!o.init_first && spare_enabled())
		spare_id = session_claim_spare(s, &run_spec, po.args, flags);
	s->warm = spare_id != NULL;
	if (spare_id == NULL)
		args = podman_create_argv(&run_spec, &mounts, po.args, flags);
	o.create_args = args;
	o.created_id = spare_id;
	o.name = s->spec.name;
	o.tty = s->spec.tty;
	o.want_stdin = true;
	/* An attached non-interactive run: its output straight to minod
	 * (a detached one keeps conmon, so that it survives a minod restart;
	 * a spare was created with conmon's attach). */
	if (!s->spec.tty && !s->spec.detach && spare_id == NULL) {
		o.stdio = CONTAINER_STDIO_PASSTHROUGH;
		o.one_step = !o.init_first;   /* no hook between create and start */
	}
	o.rows = s->main.rows;
	o.cols = s->main.cols;
	o.owner = s;
	session_open_transcript(s);
	s->ctr = container_run(&o, err);
	if (s->ctr == NULL)
		goto out;
	session_ref(s); /* held by the run until on_exit */
	s->main.paused = false;
	/* One step: answered now, with no container id in the answer; the
	 * command's output follows it. */
	if (o.one_step && !s->reply_when_running)
		session_answer_create(s);
	notify_status();
	r = 0;
out:
	podman_argv_free(args);
	part_opts_free(&po);
	if (r < 0)
		mino_error_wrap(err, "starting session `%s`", s->spec.name);
	return r;
}

static int
session_on_created(struct container *c, const char *id, void *owner, struct mino_error **err)
{
	struct session *s = owner;

	free(s->container_id);
	s->container_id = xstrdup(id);
	if (session_save_checked(s, err) < 0)
		return -1;
	/* An attached create is answered now: its container exists. */
	if (!s->reply_when_running)
		session_answer_create(s);
	return 0;
}

static int
session_before_start(struct container *c, const struct container_info *info, void *owner,
    struct mino_error **err)
{
	struct session *s = owner;

	return s->parts != NULL ? parts_before_start(s->parts, info, s->rundir, err) : 0;
}

/* A warm session that still runs a moment later takes the session's
 * container name (spare.h). */
static void
session_name_spare(struct session *s, struct container *c)
{
	_cleanup_free_ char *name = NULL;

	if (!s->warm || container_proc(c) == NULL)
		return;
	name = podman_container_name(s->spec.name);
	spare_rename_later(s->container_id, name);
}

static void
session_on_running(struct container *c, void *owner)
{
	struct session *s = owner;
	json_t *a;

	if (s->phase != SESSION_CREATING)
		return;
	session_set_phase(s, SESSION_PH_RUNNING);
	s->started_at = time(NULL);
	session_save(s);
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "container_id", json_string(s->container_id));
	json_object_set_new(a, "warm", json_boolean(s->warm));
	audit_event_if(!s->spec.no_audit, "session.started", a);
	session_name_spare(s, c);
	log_info("session %s: running (container %.12s)", s->spec.name, s->container_id);
	session_spawner_start(s);
	notify_status();
	session_answer_create(s);
}

static void
session_on_output(struct container *c, enum pty_stream st, const char *data, size_t len, void *owner)
{
	struct session *s = owner;

	if (s->phase != SESSION_ABANDONED)
		session_main_output(s, st, data, len);
}

static void
session_on_input_low(struct container *c, void *owner)
{
	struct session *s = owner;

	session_io_release_held(&s->main, true);
}

/* Re-adoption: `podman attach` to a running container. */
int
session_adopt(struct session *s, struct mino_error **err)
{
	struct container_opts o = session_container_opts;

	if (s->container_id == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "session `%s` has no container id", s->spec.name);
	if (s->phase == SESSION_NEW)
		session_set_phase(s, SESSION_PH_RUNNING);
	if (s->started_at == 0)
		s->started_at = time(NULL);
	o.id = s->container_id;
	o.name = s->spec.name;
	o.tty = s->spec.tty;
	o.want_stdin = s->spec.tty;
	o.rows = s->main.rows;
	o.cols = s->main.cols;
	o.owner = s;
	session_seed_ring(s);
	session_open_transcript(s);
	s->ctr = container_run(&o, err);
	if (s->ctr == NULL)
		return mino_error_wrap(err, "re-attaching session `%s`", s->spec.name);
	session_ref(s);
	log_info("session %s: re-adopted", s->spec.name);
	session_spawner_start(s);       /* the old one ended with its channel */
	return 0;
}

/* ---------- the end ---------- */

static bool
session_looks_failed(struct session *s, int code, char **error)
{
	_cleanup_free_ char *tail = NULL;
	size_t len = 0;

	if (code != 125 && code != 126 && code != 127)
		return false;
	tail = session_ring_tail(s, SESSION_TAIL_SCAN, &len);
	*error = podman_error_line_in(tail, len, code != 125);
	if (*error == NULL && code == 125)
		*error = xstrdup("podman failed (exit status 125)");
	return *error != NULL;
}

static void
session_on_exit(struct container *c, const struct container_end *end, void *owner)
{
	struct session *s = owner;
	_cleanup_free_ char *error = NULL;

	s->ctr = NULL;
	s->main.paused = false;
	session_io_release_held(&s->main, true);
	if (session_has_ended(s)) {
		session_unref(s);
		return;
	}
	if (!end->started) {
		if (s->stop_requested)
			session_end(s, false, 0, 0, NULL);
		else
			session_fail(s, 125, end->error ? end->error : "the container did not start");
	} else if (end->lost) {
		session_end(s, false, 0, 0, end->error);
	} else if (end->have_code && session_looks_failed(s, end->code, &error)) {
		session_fail(s, end->code, error);
	} else {
		session_end(s, end->have_code, end->code, end->sig, end->error);
	}
	session_unref(s);
}

/* A create that failed: the caller hears why, the session is forgotten. */
static void
session_fail(struct session *s, int exit_code, const char *error)
{
	struct mino_error *err = NULL;
	json_t *a;

	session_set_phase(s, SESSION_ENDED);
	s->status = SESSION_FAILED;
	s->ended_at = time(NULL);
	log_warn("session %s failed: %s", s->spec.name, error);
	if (strstr(error, "image not known") != NULL)
		image_forget(s->spec.image);
	if (s->parts != NULL)
		parts_ended(s->parts);
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "error", json_string(error));
	audit_event_if(!s->spec.no_audit, "session.failed", a);
	session_io_send_exit(&s->main, true, exit_code, 0, "failed", error);
	session_detach_all(s);
	if (s->create_reply != NULL) {
		mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "session `%s` failed: %s", s->spec.name, error);
		rpc_deferred_error(s->create_reply, err);
		mino_error_release(&err);
		s->create_reply = NULL;
	}
	session_stop_reply_all(s);
	session_release_owner(s);
	session_remove_container(s);
	session_remove(s, true);
}

/* Found at start without ever having seen it run (minod died during its
 * create, or the container is gone): kept in the list as failed. */
void
session_fail_recorded(struct session *s, const char *error)
{
	if (session_has_ended(s))
		return;
	session_set_phase(s, SESSION_ENDED);
	s->status = SESSION_FAILED;
	s->ended_at = time(NULL);
	free(s->error);
	s->error = xstrdup(error);
	log_warn("session %s: %s", s->spec.name, error);
	session_save(s);
	session_remove_container(s);
	notify_status();
}

void
session_end(struct session *s, bool have_code, int code, int sig, const char *error)
{
	json_t *a;

	if (session_has_ended(s))
		return;
	session_set_phase(s, SESSION_ENDED);
	session_spawner_close(s);
	/* An end not seen (its conmon died, minod cannot attach) is a failure. */
	if (error != NULL && !have_code)
		s->status = SESSION_FAILED;
	else
		s->status = s->stop_requested ? SESSION_STOPPED : SESSION_EXITED;
	s->have_exit_code = have_code;
	s->exit_code = have_code ? code : 0;
	s->ended_at = time(NULL);
	if (error != NULL) {
		free(s->error);
		s->error = xstrdup(error);
	}
	session_save(s);
	if (s->parts != NULL) {
		parts_set_exit(s->parts, have_code && code == 0 && s->status == SESSION_EXITED);
		parts_ended(s->parts);
	} else {
		/* re-adopted after a restart: its caches from its record */
		cache_adopted_ended(s->spec.name, have_code && code == 0 && s->status == SESSION_EXITED);
	}
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "exit_code", have_code ? json_integer(code) : json_null());
	audit_event_if(!s->spec.no_audit, "session.stopped", a);
	log_info("session %s: %s (exit code %d, signal %d)", s->spec.name,
	    session_status_name(s->status), have_code ? code : -1, sig);
	session_io_send_exit(&s->main, have_code, code, sig, session_status_name(s->status), error);
	session_detach_all(s);
	session_answer_create(s);
	session_release_owner(s);
	transcript_close(s->transcript);
	s->transcript = NULL;
	/* Stop's callers hear once the container is gone (session_rm_cb). */
	session_remove_container(s);
	notify_status();
}

/* ---------- removal (by the id it was created with, never by name) ---------- */

struct session_rm {
	struct session *s;  /* ref held */
	char *name;
};

static void
session_rm_cb(struct podman_result *res, void *arg)
{
	struct session_rm *rm = arg;

	if (res->exit_status != 0)
		log_debug("podman rm of session %s: %s", rm->name, res->err.data ? res->err.data : "failed");
	/* The next session with these settings may start warm (spare.h). */
	if (rm->s->spare_tmpl != NULL && rm->s->status != SESSION_FAILED)
		spare_offer(rm->s->spare_tmpl);
	session_stop_reply_all(rm->s);
	session_rm_done(rm->name);
	session_unref(rm->s);
	free(rm->name);
	free(rm);
}

void
session_remove_container(struct session *s)
{
	struct session_rm *rm;

	rundir_remove(s->spec.id);
	if (s->warm && s->container_id != NULL)
		spare_rename_cancel(s->container_id);
	if (s->spare_link != NULL) {
		(void)unlink(s->spare_link);
		free(s->spare_link);
		s->spare_link = NULL;
	}
	if (s->container_id == NULL) {
		session_stop_reply_all(s);
		return;
	}
	rm = xcalloc(1, sizeof *rm);
	rm->s = s;
	rm->name = xstrdup(s->spec.name);
	session_ref(s);
	session_rm_pending_add(s->spec.name);
	container_remove(s->container_id, session_rm_cb, rm);
}

/* ---------- stop ---------- */

void
session_stop_reply_all(struct session *s)
{
	size_t i;
	json_t *r;

	for (i = 0; i < s->nstop_waiters; i++) {
		r = json_object();
		json_object_set_new(r, "name", json_string(s->spec.name));
		json_object_set_new(r, "status", json_string(session_status_name(s->status)));
		json_object_set_new(r, "exit_code", s->have_exit_code ? json_integer(s->exit_code) : json_null());
		rpc_deferred_reply(s->stop_waiters[i], r);
	}
	free(s->stop_waiters);
	s->stop_waiters = NULL;
	s->nstop_waiters = 0;
}

/* After `podman stop` of a container without a client of ours: its end is
 * not seen otherwise. */
static void
session_stopped_state_cb(struct podman_result *res, void *arg)
{
	struct session *s = arg;
	char state[32];
	int code;

	if (!session_has_ended(s) && s->ctr == NULL) {
		if (res->exit_status == 0 && sscanf(res->out.data, "%31s %d", state, &code) == 2 &&
		    strcmp(state, "running") != 0 && strcmp(state, "paused") != 0)
			session_end(s, true, code, 0, NULL);
		else if (res->exit_status != 0)
			session_end(s, false, 0, 0, NULL);
	}
	session_unref(s);
}

static void
session_stop_cb(struct podman_result *res, void *arg)
{
	struct session *s = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	if (res->exit_status != 0) {
		line = podman_error_line(res);
		log_info("session %s: podman stop: %s", s->spec.name, line ? line : "failed");
	}
	if (!session_has_ended(s) && s->ctr == NULL && s->container_id != NULL) {
		if (container_inspect_state(s->container_id, session_stopped_state_cb, s, &err) == 0)
			return; /* reference passed on */
		mino_error_release(&err);
		session_end(s, false, 0, 0, NULL);
	}
	session_unref(s);
}

/* Ends the session's container: before it exists, its create is cancelled. */
static void
session_halt(struct session *s, bool force)
{
	struct mino_error *err = NULL;

	if (s->phase == SESSION_PREPARING) {
		parts_cancel(s->parts); /* create.c ends it as stopped */
		return;
	}
	if (s->ctr != NULL && !container_is_running(s->ctr) && s->phase == SESSION_CREATING) {
		container_cancel(s->ctr);
		return;
	}
	if (s->container_id == NULL)
		return;
	session_ref(s);
	if (container_stop(s->container_id, force, session_stop_cb, s, &err) < 0) {
		log_warn("session %s: %s", s->spec.name, err->msg);
		mino_error_release(&err);
		session_unref(s);
	}
}

void
session_stop(struct session *s, struct rpc_deferred *d, bool force)
{
	json_t *a;

	s->stop_waiters = xreallocarray(s->stop_waiters, s->nstop_waiters + 1, sizeof *s->stop_waiters);
	s->stop_waiters[s->nstop_waiters++] = d;
	if (s->stop_requested && s->nstop_waiters > 1 && !force)
		return;
	s->stop_requested = true;
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "force", json_boolean(force));
	audit_event_if(!s->spec.no_audit, "session.stop", a);
	session_halt(s, force);
}

/* Its owner (a non-tty, non-detached client) went away: stop it. */
void
session_owner_left(struct session *s)
{
	session_release_owner(s);
	if (!session_is_live(s) || session_has_ended(s))
		return;
	log_info("session %s: its client went away; stopping it", s->spec.name);
	s->stop_requested = true;
	session_halt(s, true);
}
