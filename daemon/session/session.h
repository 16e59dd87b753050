/* session.h: sessions, their container runs, execs and attached clients.
 * Owner: session side.  Implemented by the files of daemon/session (session.c the
 * registry, phase.c, record.c, io.c, run.c, exec.c, create.c, reconcile.c);
 * used by the rpc/session-*.c methods. */
#ifndef MINOD_SESSION_H
#define MINOD_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>
#include <jansson.h>

#include "minod.h"
#include "pty.h"
#include "spec.h"

#define SESSION_RING_MAX (64u * 1024)   /* replayed on attach */
#define SESSION_MAX 256                 /* records kept (live and ended) */
#define SESSION_EXEC_MAX 64             /* execs per session */
#define SESSION_DEFAULT_ROWS 24
#define SESSION_DEFAULT_COLS 80

/* What the record and clients see. */
enum session_status {
	SESSION_STARTING,
	SESSION_RUNNING,
	SESSION_EXITED,
	SESSION_STOPPED,
	SESSION_FAILED,
};

/* Where a session is in its life; every change goes through
 * session_set_phase (phase.c), which allows only these:
 *   NEW       -> PREPARING (create) | RUNNING (re-adopted) | ENDED (loaded ended) | ABANDONED | REMOVED
 *   PREPARING -> CREATING | ENDED | ABANDONED | REMOVED
 *   CREATING  -> RUNNING | ENDED | ABANDONED | REMOVED
 *   RUNNING   -> ENDED | ABANDONED
 *   ENDED     -> REMOVED
 *   ABANDONED -> REMOVED
 * PREPARING: its parts prepare (image check) or an old container of its
 * name is being removed; CREATING: its container run has begun (create,
 * before-start hooks, start); ENDED: its end is recorded (or a failed
 * create is being discarded); ABANDONED: minod is stopping, nothing more
 * is recorded; REMOVED: out of the list. */
enum session_phase {
	SESSION_NEW,
	SESSION_PREPARING,
	SESSION_CREATING,
	SESSION_PH_RUNNING,
	SESSION_ENDED,
	SESSION_ABANDONED,
	SESSION_REMOVED,
};
#define SESSION_NPHASES (SESSION_REMOVED + 1)

const char *session_phase_name(enum session_phase ph);
bool session_phase_allowed(enum session_phase from, enum session_phase to);
/* Moves `s` to `to`; an illegal transition is a bug (fatal). */
struct session;
void session_set_phase(struct session *s, enum session_phase to);

/* Where a session's record came from. */
enum session_origin {
	SESSION_FROM_CREATE,   /* session/create of this minod */
	SESSION_FROM_RECORD,   /* its record, at start */
	SESSION_FROM_LABELS,   /* rebuilt from its container's labels, at start */
};

/* params[key], an optional array of strings without NUL bytes, each checked
 * with `check` (may be NULL); *out untouched when absent. */
int session_strv_param(json_t *params, const char *key, int (*check)(const char *, struct mino_error **),
    char ***out, struct mino_error **err);

/* A stream of output to clients: the session's main process or an exec. */
#define SESSION_IO_MAX_HELD 8

struct session_io {
	struct session *s;
	unsigned exec_id;        /* 0: the session itself */
	struct pty_proc *pp;     /* an exec's process; NULL when none runs (see session_io_proc) */
	struct conn **att;       /* attached connections (each holds a ref) */
	size_t natt, catt;
	uint64_t seq;
	bool paused;
	uint64_t paused_at;      /* uv_now() when paused */
	bool tty;
	unsigned rows, cols;
	/* Connections whose reading is paused until the child's stdin backlog
	 * drains (each holds a ref). */
	struct conn *held[SESSION_IO_MAX_HELD];
	size_t nheld;
};

/* The process behind `io`: an exec's, or the session's container client. */
struct pty_proc *session_io_proc(const struct session_io *io);

/* session/input: pause the sender while the process's input backlog is
 * above PTY_INPUT_HIGH; it is resumed when the backlog drains, the process
 * ends or the session goes away. */
void session_io_hold_input(struct session_io *io, struct conn *c);

struct session_exec {
	struct session_io io;
	struct conn *owner;      /* ref held */
	char *marker;            /* "MINO_EXEC=<nonce>" in its environment */
	char *env_file;          /* its env file in the session's run directory */
	bool via_spawner;        /* started through the session's spawner (spawner.c) */
	LIST_ENTRY(session_exec) link;
};

struct session_chunk {
	struct session_chunk *next;
	enum pty_stream stream;
	size_t len;
	char data[];
};

struct transcript;
struct rpc_deferred;

struct container;
struct parts;

struct session {
	TAILQ_ENTRY(session) link;
	unsigned refs;
	struct sandbox_spec spec;
	enum session_phase phase;
	enum session_status status;  /* the record's; follows the phase */
	enum session_origin origin;
	char *container_id;
	char *error;                 /* why it failed or was lost (recorded) */
	bool have_exit_code;
	int exit_code;
	time_t created_at, started_at, ended_at;

	struct session_io main;
	LIST_HEAD(, session_exec) execs;
	unsigned next_exec_id;

	/* replay ring */
	struct session_chunk *ring_head, *ring_tail;
	size_t ring_len;
	struct transcript *transcript;

	struct conn *owner;          /* non-tty, non-detached: its creator (ref held) */
	struct rpc_deferred *create_reply; /* deferred create: answered once launched or running */
	bool reply_when_running;     /* create_reply waits for "running" (detached) */
	bool stop_requested;         /* its end is "stopped" */
	struct rpc_deferred **stop_waiters;
	size_t nstop_waiters;

	struct parts *parts;         /* its parts (sandbox/parts.h) */
	struct container *ctr;       /* its container run, NULL when none */
	char *rundir;                /* its run directory (rundir.h), once created */
	char **spare_tmpl;           /* its spare template (spare.h): one is offered at its end */
	char *spare_link;            /* warm start: the claimed spare's run directory, a link to ours */
	bool warm;                   /* it started in a spare */
	char *name_json;             /* the name, JSON-escaped (output frames) */
	struct session_spawner *spawner; /* its exec spawner (spawner.c), NULL when none */
};

TAILQ_HEAD(session_list, session);
extern struct session_list session_all;

/* Lookup. */
struct session *session_find(const char *name);
struct session *session_find_rpc(json_t *params, struct mino_error **err); /* params.session */
struct session *session_most_recent_running(void);
bool session_is_live(const struct session *s);
bool session_has_ended(const struct session *s); /* ENDED, ABANDONED or REMOVED */
const char *session_status_name(enum session_status st);
int session_status_from_name(const char *name, enum session_status *out);

/* Lifetime: the list holds one reference. */
struct session *session_new(struct sandbox_spec *spec /* contents stolen */);
void session_ref(struct session *s);
void session_unref(struct session *s);
void session_insert(struct session *s);
void session_remove(struct session *s, bool delete_files);

/* Records (PROTOCOL.md session record; also the state file). */
json_t *session_record_json(const struct session *s);
struct session *session_from_record(const json_t *rec, struct mino_error **err);
void session_save(struct session *s);                 /* logs a failure */
int session_save_checked(struct session *s, struct mino_error **err);

/* Time as RFC 3339 UTC ("2026-03-09T12:00:00Z"), or json null for 0. */
json_t *session_time_json(time_t t);
void session_format_time(time_t t, char *buf, size_t size);
time_t session_parse_time(const char *s);

/* session/create after validation (create.c): `s` (new, not listed) is
 * listed, attached to the caller if `attach`, its parts prepared (image
 * check; a pending removal of an old container of that name is waited
 * for) and its container run begun.  Returns 0 with *result,
 * RPC_DEFERRED, or -1 (s is then freed). */
int session_create(struct rpc_call *call, struct session *s, bool attach, json_t **result,
    struct mino_error **err);
bool session_rm_pending(const char *name);
void session_rm_pending_add(const char *name);
void session_rm_done(const char *name);   /* create.c: a waiting create goes on */
json_t *session_create_result(const struct session *s);
void session_answer_create(struct session *s);

/* Lifecycle (run.c). */
int session_start(struct session *s, struct mino_error **err);  /* its container run */
int session_adopt(struct session *s, struct mino_error **err);  /* re-attach after a restart */
/* The session's container ended: record it, tell clients, remove the
 * container.  have_code false: unknown exit code; error: why it was lost. */
void session_end(struct session *s, bool have_code, int code, int sig, const char *error);
/* It never ran (or was lost before minod saw it start): recorded failed. */
void session_fail_recorded(struct session *s, const char *error);
void session_remove_container(struct session *s);
void session_detach_all(struct session *s);
void session_release_owner(struct session *s);
void session_discard(struct session *s);
void session_owner_left(struct session *s);
void session_open_transcript(struct session *s);
void session_seed_ring(struct session *s);

/* Output (io.c). */
void session_main_output(struct session *s, enum pty_stream st, const char *data, size_t len);
void session_io_fanout(struct session_io *io, enum pty_stream st, const char *data, size_t len);
void session_io_check_resume(struct session_io *io);
void session_io_release(struct session_io *io);
void session_io_release_held(struct session_io *io, bool resume);
void session_io_unhold(struct session_io *io, struct conn *c);
void session_io_send_exit(struct session_io *io, bool have_code, int code, int sig, const char *status,
    const char *error);
char *session_ring_tail(const struct session *s, size_t max, size_t *outlen);
void session_ring_append(struct session *s, enum pty_stream st, const char *data, size_t len);
void session_ring_clear(struct session *s);
void session_io_stall_stop(void);

/* Clients. */
int session_io_attach(struct session_io *io, struct conn *c);
bool session_io_detach(struct session_io *io, struct conn *c);
void session_replay(struct session *s, struct conn *c);
struct session_io *session_io_find(struct session *s, json_t *params, struct mino_error **err);
int session_exec_start(struct session *s, struct conn *c, char **cmd, char **env, bool tty,
    unsigned rows, unsigned cols, unsigned *exec_id, struct mino_error **err);
/* The exec's path, for session/exec's result: "spawner" or "podman". */
const char *session_exec_via(const struct session *s, unsigned exec_id);

/* The exec spawner (spawner.c): made when the container runs (or is
 * re-adopted), launched five seconds later or at its first exec, closed
 * when the session ends.  session_spawner_open: 1 and
 * *client_fd (the client's fd 3; the caller closes its copy) if this exec
 * can go through it, 0 for podman exec. */
void session_spawner_start(struct session *s);
void session_spawner_close(struct session *s);
int session_spawner_open(struct session *s, int *client_fd);
/* `mino-entry --spawn-client [--tty] --entry-at K -- PODMAN-ARGV...`;
 * NULL if PODMAN-ARGV does not run mino-entry.  Free with podman_argv_free. */
char **session_spawner_client_argv(char *const *podman_argv, bool tty);

void session_exec_conn_closed(struct session *s, struct conn *c); /* exec.c */
void session_exec_hangup_all(struct session *s);

/* Stop: the deferred reply is answered when the container has ended and
 * has been removed. */
void session_stop(struct session *s, struct rpc_deferred *d, bool force);
void session_stop_reply_all(struct session *s);


/* Daily cleanup of ended sessions (session.auto_cleanup_hours). */
void session_cleanup_old(void);

/* reconcile.c: stop its timers (shutdown). */
void reconcile_stop(void);

/* Random hex id of 2*nbytes characters; caller frees. */
char *session_new_id(size_t nbytes);

#endif
