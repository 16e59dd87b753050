/* create.c: the create pipeline after validation.  A new session is
 * listed (PREPARING), its record written (a session whose record cannot be
 * written does not start), its parts prepared in table order (the image
 * check first; an old container of its name still being removed is waited
 * for), then its container run begins (CREATING, run.c).  A part that fails
 * ends the create with its error; the parts already prepared are undone
 * (parts.c) and nothing of the session is left. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "jsonrpc.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "parts.h"
#include "session.h"
#include "strv.h"
#include "xalloc.h"

static char **session_rm_names;
static size_t session_rm_count;

static void session_create_continue(struct session *s);
static void session_parts_prepared(struct parts *p, const struct mino_error *err, void *owner);

/* ---------- removals in flight, by session name ---------- */

void
session_rm_pending_add(const char *name)
{
	session_rm_names = xreallocarray(session_rm_names, session_rm_count + 1, sizeof *session_rm_names);
	session_rm_names[session_rm_count++] = xstrdup(name);
}

static bool
session_rm_pending_del(const char *name)
{
	size_t i;

	for (i = 0; i < session_rm_count; i++)
		if (strcmp(session_rm_names[i], name) == 0) {
			free(session_rm_names[i]);
			session_rm_names[i] = session_rm_names[--session_rm_count];
			if (session_rm_count == 0) {
				free(session_rm_names);
				session_rm_names = NULL;
			}
			return true;
		}
	return false;
}

bool
session_rm_pending(const char *name)
{
	size_t i;

	for (i = 0; i < session_rm_count; i++)
		if (strcmp(session_rm_names[i], name) == 0)
			return true;
	return false;
}

void
session_rm_done(const char *name)
{
	struct session *s;

	session_rm_pending_del(name);
	s = session_find(name);
	if (s != NULL && s->phase == SESSION_PREPARING && !session_rm_pending(name))
		session_create_continue(s);
}

/* ---------- the answer ---------- */

json_t *
session_create_result(const struct session *s)
{
	json_t *r = json_object();

	json_object_set_new(r, "name", json_string(s->spec.name));
	json_object_set_new(r, "id", json_string(s->spec.id));
	json_object_set_new(r, "container", json_sprintf("mino-%s", s->spec.name));
	json_object_set_new(r, "workdir", json_string(s->spec.workdir));
	json_object_set_new(r, "image", json_string(s->spec.image));
	json_object_set_new(r, "tty", json_boolean(s->spec.tty));
	json_object_set_new(r, "warnings", strv_to_json(s->spec.warnings));
	return r;
}

void
session_answer_create(struct session *s)
{
	struct rpc_deferred *d = s->create_reply;

	if (d == NULL)
		return;
	s->create_reply = NULL;
	rpc_deferred_reply(d, session_create_result(s));
}

/* It will not run: the caller hears `err`; a stop asked for meanwhile
 * is recorded, anything else is forgotten. */
static void
session_create_fail(struct session *s, const struct mino_error *err)
{
	json_t *a;

	if (s->create_reply != NULL) {
		rpc_deferred_error(s->create_reply, err);
		s->create_reply = NULL;
	}
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "error", json_string(err->msg));
	audit_event_if(!s->spec.no_audit, "session.failed", a);
	if (s->stop_requested) {
		session_end(s, false, 0, 0, NULL);
		return;
	}
	session_discard(s);
}

/* ---------- the pipeline ---------- */

static void
session_launch(struct session *s)
{
	struct mino_error *err = NULL;

	session_set_phase(s, SESSION_CREATING);
	if (session_start(s, &err) < 0) {
		if (s->parts != NULL)
			parts_undo(s->parts);
		session_create_fail(s, err);
		mino_error_release(&err);
	}
}

static void
session_create_continue(struct session *s)
{
	if (s->phase != SESSION_PREPARING || parts_preparing(s->parts) || session_rm_pending(s->spec.name))
		return;
	session_launch(s);
}

static void
session_parts_prepared(struct parts *p, const struct mino_error *err, void *owner)
{
	struct session *s = owner;
	struct mino_error *why = NULL;

	if (s->phase != SESSION_PREPARING)
		return; /* abandoned, or discarded meanwhile */
	if (err != NULL) {
		if (s->stop_requested)
			mino_make_error(&why, MINO_E_NOT_RUNNING, 0, "session `%s` was stopped before it started",
			    s->spec.name);
		session_create_fail(s, why != NULL ? why : err);
		mino_error_release(&why);
		return;
	}
	session_create_continue(s);
}

/* podman's line as a JSON string: bytes that are not UTF-8 become '?'. */
static json_t *
session_progress_text(const char *line)
{
	json_t *j = json_string(line);
	char *copy;

	if (j != NULL)
		return j;
	copy = xstrdup(line);
	for (char *c = copy; *c != '\0'; c++)
		if ((unsigned char)*c >= 0x80 || (unsigned char)*c < 0x20)
			*c = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* A part's progress (an image build or pull, line by line) to the
 * creator: session/progress (PROTOCOL.md). */
static void
session_parts_progress(struct parts *p, const char *part, const char *message, void *owner)
{
	struct session *s = owner;
	json_t *params;

	(void)p;
	if (s->create_reply == NULL)
		return;
	params = json_object();
	json_object_set_new(params, "session", json_string(s->spec.name));
	json_object_set_new(params, "part", json_string(part));
	json_object_set_new(params, "line", session_progress_text(message));
	conn_notify(rpc_deferred_conn(s->create_reply), "session/progress", params);
}

/* $/cancelRequest for the create: a prepare in flight stops (a build
 * shared with another session goes on for it). */
static void
session_create_cancelled(void *arg)
{
	struct session *s = arg;

	if (s->phase == SESSION_PREPARING && s->parts != NULL && parts_preparing(s->parts))
		parts_cancel(s->parts);
}

/* A part goes on without something: create's `warnings` say so. */
static void
session_parts_warning(struct parts *p, const char *part, const char *message, void *owner)
{
	struct session *s = owner;
	size_t n = strv_len(s->spec.warnings);

	log_warn("session %s: %s", s->spec.name, message);
	s->spec.warnings = xreallocarray(s->spec.warnings, n + 2, sizeof *s->spec.warnings);
	s->spec.warnings[n] = xstrdup(message);
	s->spec.warnings[n + 1] = NULL;
}

/* A running part's record changed (a credential refresh): save it. */
static void
session_parts_changed(struct parts *p, void *owner)
{
	session_save(owner);
}

static const struct parts_callbacks session_parts_callbacks = {
	.on_prepared = session_parts_prepared,
	.on_progress = session_parts_progress,
	.on_warning = session_parts_warning,
	.on_changed = session_parts_changed,
};

static int
session_make_room(struct mino_error **err)
{
	struct session *s, *oldest = NULL;

	if (sessions_count_total() < SESSION_MAX)
		return 0;
	TAILQ_FOREACH(s, &session_all, link)
		if (!session_is_live(s) && (oldest == NULL || s->ended_at < oldest->ended_at))
			oldest = s;
	if (oldest == NULL)
		return mino_make_error(err, MINO_E_LIMIT, 0, "too many sessions (%u)", SESSION_MAX);
	session_remove(oldest, true);
	return 0;
}

int
session_create(struct rpc_call *call, struct session *s, bool attach, json_t **result,
    struct mino_error **err)
{
	struct session *old = session_find(s->spec.name);
	json_t *a;

	if (old != NULL && session_is_live(old)) {
		session_unref(s);
		return mino_make_error(err, MINO_E_NAME_TAKEN, 0, "session `%s` already exists", old->spec.name);
	}
	if (old != NULL)
		session_remove(old, true);
	if (session_make_room(err) < 0) {
		session_unref(s);
		return -1;
	}
	s->origin = SESSION_FROM_CREATE;
	s->created_at = time(NULL);
	session_set_phase(s, SESSION_PREPARING);
	session_insert(s);
	/* Not writable: not started. */
	if (session_save_checked(s, err) < 0) {
		session_remove(s, true);
		return -1;
	}
	if (attach)
		session_io_attach(&s->main, call->conn);
	if (!s->spec.tty && !s->spec.detach) {
		conn_ref(call->conn);
		s->owner = call->conn;
	}
	s->reply_when_running = s->spec.detach && !attach;
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "project_dir", json_string(s->spec.project_dir));
	json_object_set_new(a, "image", json_string(s->spec.image));
	json_object_set_new(a, "command", strv_to_json(s->spec.command));
	audit_event_if(!s->spec.no_audit, "session.created", a);
	s->create_reply = rpc_defer(call);
	rpc_deferred_on_cancel(s->create_reply, session_create_cancelled, s);
	s->parts = parts_new(parts_table, &s->spec, &session_parts_callbacks, s);
	session_ref(s);
	if (parts_prepare(s->parts, err) < 0) {
		rpc_deferred_error(s->create_reply, *err);
		s->create_reply = NULL;
		mino_error_release(err);
		session_discard(s);
	}
	session_unref(s);
	(void)result;
	return RPC_DEFERRED;
}
