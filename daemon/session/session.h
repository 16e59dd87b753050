/* session.h: sessions (containers), their processes and attached clients.
 * Owner: session side.  Shared by session.c, reconcile.c, state.c and the
 * rpc-session-*.c methods. */
#ifndef MINOD_SESSION_H
#define MINOD_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>
#include <jansson.h>

#include "minod.h"
#include "pty.h"

#define SESSION_RING_MAX (64u * 1024)   /* replayed on attach */
#define SESSION_MAX 256                 /* records kept (live and ended) */
#define SESSION_EXEC_MAX 64             /* execs per session */
#define SESSION_DEFAULT_ROWS 24
#define SESSION_DEFAULT_COLS 80

enum session_status {
	SESSION_STARTING,
	SESSION_RUNNING,
	SESSION_EXITED,
	SESSION_STOPPED,
	SESSION_FAILED,
};

/* What a session was created with.  All strings owned; vectors
 * NULL-terminated and owned. */
struct session_spec {
	char *name;
	char *id;
	char *project_dir;
	char *image;
	char **command;
	char **env;        /* KEY=VALUE: never logged, never persisted */
	char **volumes;
	char *network;
	char *workdir;
	char *shell;       /* session.shell: exec's default command; NULL: minod's */
	bool no_audit;     /* general.audit_log = false for this session */
	char **warnings;   /* create's result `warnings` (not persisted) */
	bool tty;
	bool detach;
	unsigned rows, cols;
};

void session_spec_free(struct session_spec *spec);
char **session_strv_from_json(const json_t *arr); /* array of strings; NULL if none */
/* params[key], an optional array of strings without NUL bytes, each checked
 * with `check` (may be NULL); *out untouched when absent. */
int session_strv_param(json_t *params, const char *key, int (*check)(const char *, struct mino_error **),
    char ***out, struct mino_error **err);
void session_strv_free(char **v);
json_t *session_strv_to_json(char *const *v);

/* A stream of output to clients: the session's main process or an exec. */
#define SESSION_IO_MAX_HELD 8

struct session_io {
	struct session *s;
	unsigned exec_id;        /* 0: the session itself */
	struct pty_proc *pp;     /* NULL when no process runs */
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

/* session/input: pause the sender while the process's input backlog is
 * above PTY_INPUT_HIGH; it is resumed when the backlog drains, the process
 * ends or the session goes away. */
void session_io_hold_input(struct session_io *io, struct conn *c);

struct session_exec {
	struct session_io io;
	struct conn *owner;      /* ref held */
	char *marker;            /* "MINO_EXEC=<nonce>" in its environment */
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

struct session {
	TAILQ_ENTRY(session) link;
	unsigned refs;
	struct session_spec spec;
	enum session_status status;
	char *container_id;
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
	struct rpc_deferred *create_reply; /* detached create: answered once running */
	struct rpc_deferred **stop_waiters;
	size_t nstop_waiters;

	char *name_json;             /* the name, JSON-escaped (output frames) */
	char *cidfile;
	char *pidfile;               /* written once the container's process exists */
	uv_timer_t *cid_timer;       /* polls the cidfile while starting */
	unsigned cid_polls;

	bool create_wait_running;    /* create_reply waits for "running" */
	bool wait_image;             /* create: `podman image exists` pending */
	bool wait_rm;                /* create: the old container of that name is being removed */
	bool owner_left;             /* its owner left before it was spawned */
	bool stop_requested;         /* end status is "stopped" */
	bool kill_when_started;      /* its owner left while it was starting */
	bool loaded;                 /* from a record or labels at start (reconcile) */
	bool adopted;                /* a `podman attach` client, not `podman run` */
	unsigned adopt_attempts;
	bool abandoned;              /* minod is stopping: its end is not recorded */
	bool ended;                  /* end recorded (or being resolved) */
	bool removed;                /* no longer in the list */
};

TAILQ_HEAD(session_list, session);
extern struct session_list session_all;

/* Lookup. */
struct session *session_find(const char *name);
struct session *session_find_rpc(json_t *params, struct mino_error **err); /* params.session */
struct session *session_most_recent_running(void);
bool session_is_live(const struct session *s);
const char *session_status_name(enum session_status st);
int session_status_from_name(const char *name, enum session_status *out);

/* Lifetime: the list holds one reference. */
struct session *session_new(struct session_spec *spec /* contents stolen */);
void session_ref(struct session *s);
void session_unref(struct session *s);
void session_insert(struct session *s);
void session_remove(struct session *s, bool delete_files);

/* Records (PROTOCOL.md session record; also the state file). */
json_t *session_record_json(const struct session *s);
struct session *session_from_record(const json_t *rec, struct mino_error **err);
void session_save(struct session *s);

/* Time as RFC 3339 UTC ("2026-03-09T12:00:00Z"), or json null for 0. */
json_t *session_time_json(time_t t);
void session_format_time(time_t t, char *buf, size_t size);
time_t session_parse_time(const char *s);

/* session/create after validation: `s` (new, not listed) is listed,
 * attached to the caller if `attach`, checked (image, pending removal of an
 * old container of that name) and started.  Returns 0 with *result,
 * RPC_DEFERRED, or -1 (s is then freed). */
int session_create(struct rpc_call *call, struct session *s, bool attach, json_t **result,
    struct mino_error **err);
bool session_rm_pending(const char *name);

/* Lifecycle. */
int session_start(struct session *s, struct mino_error **err);
int session_adopt(struct session *s, struct mino_error **err);
/* The session's container ended: record it, tell clients, remove the
 * container.  have_code false: unknown exit code. */
void session_end(struct session *s, bool have_code, int code, int sig, const char *error);
void session_remove_container(struct session *s);

/* Clients. */
int session_io_attach(struct session_io *io, struct conn *c);
bool session_io_detach(struct session_io *io, struct conn *c);
void session_replay(struct session *s, struct conn *c);
struct session_io *session_io_find(struct session *s, json_t *params, struct mino_error **err);
int session_exec_start(struct session *s, struct conn *c, char **cmd, char **env, bool tty,
    unsigned rows, unsigned cols, unsigned *exec_id, struct mino_error **err);

/* Stop: the deferred reply is answered when the container has ended. */
void session_stop(struct session *s, struct rpc_deferred *d, bool force);
void session_stop_reply_all(struct session *s);

/* Image cache: images known to exist locally. */
bool session_image_cached(const char *image);
void session_image_remember(const char *image);
void session_image_forget(const char *image);

/* Daily cleanup of ended sessions (session.auto_cleanup_hours). */
void session_cleanup_old(void);

/* reconcile.c: stop its timers (shutdown). */
void reconcile_stop(void);

/* Random hex id of 2*nbytes characters; caller frees. */
char *session_new_id(size_t nbytes);

#endif
