/* reconcile.c: sessions_init.  Loads the records, then asks podman which
 * mino containers exist (`podman ps -a --filter label=mino.project`: the
 * sessions', and warm-start spares, sandbox/spare.h, which a record claims
 * by container id or which are removed):
 * running ones are re-adopted (a `podman attach` client on a fresh PTY or
 * pipes, so output flows again and their end is seen), ended ones get their
 * real exit code and are removed, running ones whose stdio went straight
 * to the minod that ended (mino.stdio=passthrough) are stopped, records that say running without a
 * container become "exited" with an unknown exit code, and containers
 * without a record get one rebuilt from their labels.  So `kill -9 minod`
 * and a restart lose no session. */
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "cache.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "names.h"
#include "parts.h"
#include "podman.h"
#include "rundir.h"
#include "session.h"
#include "spare.h"
#include "state.h"
#include "strv.h"
#include "xalloc.h"

#define RECONCILE_CLEANUP_MS (3600u * 1000)
#define RECONCILE_PASSTHROUGH_LOST "minod ended while it ran attached (its output went straight to minod); stopped"


static uv_timer_t reconcile_cleanup_timer;
static bool reconcile_timer_live;

static void reconcile_ps_cb(struct podman_result *res, void *arg);

static void
reconcile_cleanup_cb(uv_timer_t *t)
{
	session_cleanup_old();
}

void
reconcile_stop(void)
{
	if (!reconcile_timer_live)
		return;
	reconcile_timer_live = false;
	uv_timer_stop(&reconcile_cleanup_timer);
	uv_close((uv_handle_t *)&reconcile_cleanup_timer, NULL);
}

static void
reconcile_load_records(void)
{
	json_t *recs = state_load_records(), *rec;
	struct mino_error *err = NULL;
	struct session *s;
	size_t i;

	json_array_foreach(recs, i, rec) {
		s = session_from_record(rec, &err);
		if (s == NULL) {
			log_warn("state: %s", err->msg);
			mino_error_release(&err);
			continue;
		}
		if (session_find(s->spec.name) != NULL) {
			session_unref(s);
			continue;
		}
		session_insert(s);
		/* a re-adopted session has no cache part: its record's caches are
		 * in use (before the GC's first pass) until its end finalizes them */
		if (session_is_live(s))
			cache_adopt(s->spec.name, rec);
	}
	json_decref(recs);
	log_info("sessions: %u records loaded", sessions_count_total());
}

int
sessions_init(struct mino_error **err)
{
	static const char *const ps_argv[] = {
		/* every container of mino's: sessions and spares (spare.h) */
		"ps", "-a", "--filter", "label=mino.project", "--format", "json", NULL,
	};
	if (state_init(err) < 0)
		return -1;
	reconcile_load_records();
	spare_init();
	uv_timer_init(minod.loop, &reconcile_cleanup_timer);
	reconcile_timer_live = true;
	uv_timer_start(&reconcile_cleanup_timer, reconcile_cleanup_cb, 1000, RECONCILE_CLEANUP_MS);
	if (minod.podman_path == NULL) {
		log_warn("podman not found: sessions cannot be reconciled");
		return 0;
	}
	podman_probe();
	/* Until the list answers, live records stay as they are. */
	if (podman_capture(ps_argv, reconcile_ps_cb, NULL, err) < 0) {
		mino_error_wrap(err, "listing mino containers");
		log_warn("%s", (*err)->msg);
		mino_error_release(err);
	}
	return 0;
}

static const char *
reconcile_label(const json_t *c, const char *key)
{
	return json_string_value(json_object_get(json_object_get(c, "Labels"), key));
}

/* Created with its stdio passed through to the start client (a non-tty,
 * attached run): it cannot be attached to again. */
static bool
reconcile_is_passthrough(const json_t *c)
{
	const char *v = reconcile_label(c, "mino.stdio");

	return v != NULL && strcmp(v, "passthrough") == 0;
}

/* The user's command of a container: after mino-entry's `--`. */
static char **
reconcile_command(const json_t *c)
{
	const json_t *cmd = json_object_get(c, "Command");
	const char *first = json_string_value(json_array_get(cmd, 0));
	size_t i, n = json_array_size(cmd);
	json_t *rest;
	char **v;

	if (first == NULL || strcmp(first, RUNDIR_ENTRY) != 0)
		return strv_from_json(cmd);
	for (i = 1; i < n; i++)
		if (strcmp(json_string_value(json_array_get(cmd, i)) ? json_string_value(json_array_get(cmd, i)) : "",
		    "--") == 0)
			break;
	rest = json_array();
	for (i++; i < n; i++)
		json_array_append(rest, json_array_get(cmd, i));
	v = strv_from_json(rest);
	json_decref(rest);
	return v;
}

/* A record rebuilt from a container's labels: what it was created with,
 * never the global configuration. */
static struct session *
reconcile_rebuild(const json_t *c, const char *name)
{
	struct sandbox_spec spec = { 0 };
	const char *v;
	struct session *s;

	spec.name = xstrdup(name);
	v = reconcile_label(c, "mino.id");
	spec.id = v ? xstrdup(v) : session_new_id(8);
	v = reconcile_label(c, "mino.project");
	spec.project_dir = xstrdup(v ? v : "");
	v = json_string_value(json_object_get(c, "Image"));
	spec.image = xstrdup(v ? v : "");
	spec.command = reconcile_command(c);
	spec.network = xstrdup("bridge");
	v = reconcile_label(c, "mino.workdir");
	spec.workdir = v != NULL ? xstrdup(v) : workdir_for_project(spec.project_dir, NULL);
	v = reconcile_label(c, "mino.tty");
	spec.tty = v != NULL && strcmp(v, "1") == 0;
	v = reconcile_label(c, "mino.shell");
	spec.shell = v != NULL ? xstrdup(v) : NULL;
	v = reconcile_label(c, "mino.audit");
	spec.no_audit = v != NULL && strcmp(v, "0") == 0;
	spec.detach = true;
	s = session_new(&spec);
	s->origin = SESSION_FROM_LABELS;
	s->status = SESSION_RUNNING;
	s->created_at = (time_t)json_integer_value(json_object_get(c, "Created"));
	log_info("session %s: rebuilt its record from container labels", name);
	session_insert(s);
	return s;
}

/* What runs along a re-adopted session (credential refresh timers),
 * from its record's spec: the parts that can resume do. */
static void
reconcile_parts_changed(struct parts *p, void *owner)
{
	session_save(owner);
}

static void
reconcile_resume_parts(struct session *s)
{
	static const struct parts_callbacks cb = { .on_changed = reconcile_parts_changed };

	if (s->parts != NULL || !sandbox_creds_resumable(&s->spec.creds))
		return;
	s->parts = parts_new(parts_table, &s->spec, &cb, s);
	parts_resume(s->parts);
	log_info("session %s: credential refresh resumed", s->spec.name);
}

/* Never started: podman's states before "running". */
static bool
reconcile_never_started(const char *state)
{
	return strcmp(state, "created") == 0 || strcmp(state, "configured") == 0 ||
	    strcmp(state, "initialized") == 0;
}

/* A container without a session label: a spare a session claimed (its
 * record holds the id), else one left by a minod that died. */
static const char *
reconcile_unlabelled(const json_t *c, const char *id, const char *owner)
{
	struct session *s;

	TAILQ_FOREACH(s, &session_all, link)
		if (s->container_id != NULL && strcmp(s->container_id, id) == 0)
			return s->spec.name;
	if (reconcile_label(c, SPARE_LABEL) != NULL && owner != NULL && strcmp(owner, minod.state_dir) == 0) {
		log_info("removing the leftover spare container %.12s", id);
		container_remove(id, NULL, NULL);
	}
	return NULL;
}

static void
reconcile_container(const json_t *c)
{
	const char *name = reconcile_label(c, "mino.session");
	const char *state = json_string_value(json_object_get(c, "State"));
	const char *id = json_string_value(json_object_get(c, "Id"));
	const char *owner = reconcile_label(c, "mino.state");
	const char *mino_id = reconcile_label(c, "mino.id");
	json_int_t started = json_integer_value(json_object_get(c, "StartedAt"));
	json_int_t exited_at = json_integer_value(json_object_get(c, "ExitedAt"));
	struct mino_error *err = NULL;
	struct session *s;
	bool running;

	if (state == NULL || id == NULL)
		return;
	if (name == NULL && (name = reconcile_unlabelled(c, id, owner)) == NULL)
		return;
	if (!name_is_valid(name))
		return;
	if (owner != NULL && strcmp(owner, minod.state_dir) != 0)
		return; /* another minod's (another state directory) */
	running = strcmp(state, "running") == 0 || strcmp(state, "paused") == 0;
	s = session_find(name);
	if (s != NULL && s->origin == SESSION_FROM_CREATE)
		return; /* created by this minod meanwhile */
	/* Identity is the record's, not only the labels': another container
	 * that claims the name is not this session's. */
	if (s != NULL && ((s->container_id != NULL && strcmp(s->container_id, id) != 0) ||
	    (mino_id != NULL && strcmp(s->spec.id, mino_id) != 0))) {
		log_warn("session %s: container %.12s is not the one it was created with; leaving it", name, id);
		return;
	}
	if (s == NULL)
		s = reconcile_rebuild(c, name);
	if (s->container_id == NULL)
		s->container_id = xstrdup(id);
	if (s->started_at == 0 && started > 0)
		s->started_at = (time_t)started;
	if (session_has_ended(s) || !session_is_live(s)) {
		/* Ended earlier, but its container was not removed. */
		session_remove_container(s);
		return;
	}
	if (running && reconcile_is_passthrough(c)) {
		/* Its stdout and stderr were pipes to the minod that died, and
		 * the client that owned it is gone with that minod: stopped,
		 * as when a non-tty session's creator goes away. */
		session_end(s, false, 0, 0, RECONCILE_PASSTHROUGH_LOST);
		return;
	}
	if (running) {
		if (session_adopt(s, &err) < 0) {
			log_warn("%s", err->msg);
			mino_error_release(&err);
		} else
			reconcile_resume_parts(s);
		session_save(s);
		return;
	}
	if (reconcile_never_started(state)) {
		cache_adopted_ended(s->spec.name, false);
		session_fail_recorded(s, "minod restarted before the container started");
		return;
	}
	session_end(s, strcmp(state, "exited") == 0 || strcmp(state, "stopped") == 0,
	    (int)json_integer_value(json_object_get(c, "ExitCode")), 0, NULL);
	if (exited_at > 0) {
		s->ended_at = (time_t)exited_at;
		session_save(s);
	}
}

/* A run directory is kept while a live session has its id. */
static int
reconcile_keep_rundir(const char *id)
{
	struct session *s;

	TAILQ_FOREACH(s, &session_all, link)
		if (strcmp(s->spec.id, id) == 0 && !session_has_ended(s))
			return 1;
	return 0;
}

static void
reconcile_ps_cb(struct podman_result *res, void *arg)
{
	json_t *list = NULL, *c;
	json_error_t jerr;
	struct session *s, *next;
	size_t i;
	bool ok = false;

	if (res->exit_status != 0) {
		char *line = podman_error_line(res);

		log_warn("podman ps: %s", line ? line : "failed");
		free(line);
	} else {
		list = json_loadb(res->out.data, res->out.len, 0, &jerr);
		if (list == NULL || !json_is_array(list))
			log_warn("podman ps: unexpected output (%s)", list ? "not an array" : jerr.text);
		else
			ok = true;
	}
	if (ok) {
		json_array_foreach(list, i, c)
			reconcile_container(c);
	}
	/* Records that say live but whose container is gone. */
	for (s = TAILQ_FIRST(&session_all); s != NULL; s = next) {
		next = TAILQ_NEXT(s, link);
		if (!ok || s->origin != SESSION_FROM_RECORD || s->phase != SESSION_NEW || !session_is_live(s))
			continue;
		if (s->status == SESSION_STARTING) {
			cache_adopted_ended(s->spec.name, false);
			session_fail_recorded(s, "minod restarted before the container started");
		} else {
			log_info("session %s: its container is gone", s->spec.name);
			session_end(s, false, 0, 0, NULL);
		}
	}
	if (ok)
		rundir_sweep(reconcile_keep_rundir);
	json_decref(list);
	notify_status();
}
