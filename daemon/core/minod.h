/* minod.h: what the parts of minod share.
 *
 * Parts and owners:
 *   main.c, server.c, conn.c, rpc.c, notify.c, rpc-mino-hello.c,
 *   rpc-daemon-*.c, rpc-cancel.c          the loop, socket, connections, dispatch
 *   session.c, pty.c, podman.c, state.c, audit.c, transcript.c,
 *   reconcile.c, rpc-session-*.c           sessions and their containers
 * One libuv loop (minod.loop) owns all state; nothing blocks in a callback.
 */
#ifndef MINOD_H
#define MINOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include <uv.h>

#include "error.h"
#include "cfgkeys.h"

/* ---------- global daemon state (main.c) ---------- */
struct minod {
	uv_loop_t *loop;
	char *socket_path;   /* owned */
	char *state_dir;     /* owned: $XDG_STATE_HOME/mino */
	char *helper_dir;    /* owned: where mino-pty-exec lives */
	char *entry_path;    /* owned: mino-entry (mounted into containers), NULL if not found */
	char *podman_path;   /* owned: absolute path of podman, NULL if not found */
	struct cfg cfg;      /* defaults < global config file, at start / SIGHUP */
	time_t started;
	bool auto_started;   /* started by a mino client (--ready-fd) */
	bool shutting_down;
	unsigned nclients;
	char **child_env;    /* owned NULL-terminated allow-listed env for children */
};
extern struct minod minod;

/* Tell the service manager about counts (STATUS=...); harmless without one. */
void notify_status(void);

/* ---------- connections (conn.c) ---------- */
struct conn;

uint64_t conn_id(const struct conn *c);
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);
bool conn_is_dead(const struct conn *c);
/* mino/hello {output:"binary"}: session/output goes to it as binary frames
 * (common/outframe.h) instead of JSON with base64. */
void conn_set_binary_output(struct conn *c);
bool conn_binary_output(const struct conn *c);
/* Queue one message (borrowed) or a framed buffer (ownership taken).
 * Fails (-1) if the connection is dead; never blocks. */
int conn_send_json(struct conn *c, const json_t *msg);
int conn_send_framed(struct conn *c, char *framed, size_t len);
/* Notification helper: method + params (params stolen). */
int conn_notify(struct conn *c, const char *method, json_t *params);
size_t conn_write_queue_size(const struct conn *c);
/* Mark dead; closed and freed at a safe point (uv_check), after
 * session_conn_closed() has been called for it. */
void conn_kill(struct conn *c, const char *why);
/* Stop / restart reading requests from a peer whose input a session cannot
 * take yet (its stdin backlog is high): backpressure instead of loss. */
void conn_pause_input(struct conn *c);
void conn_resume_input(struct conn *c);

/* ---------- dispatch (rpc.c) ---------- */
struct rpc_call {
	struct conn *conn;   /* borrowed for the duration of exec */
	json_t *id;          /* borrowed; NULL for a notification */
	const char *method;
	json_t *params;      /* borrowed; an empty object if absent */
	/* Set by exec to run right after the reply has been queued (e.g. to
	 * replay output after session/attach's result). */
	void (*after_reply)(struct conn *c, void *arg);
	void *after_arg;
	/* Set by exec when it fails: extra fields of the error's `data`
	 * (e.g. 1017's {path, sha256, keys}); owned, merged by rpc.c. */
	json_t *error_data;
};

/* exec returns 0: *result (new reference, may be NULL for {}) is the reply;
 * -1: *err is the reply; RPC_DEFERRED: the method called rpc_defer() and
 * will answer later. */
#define RPC_DEFERRED 1
typedef int (*rpc_exec_fn)(struct rpc_call *call, json_t **result, struct mino_error **err);

struct rpc_method {
	const char *name;
	unsigned flags;
#define RPC_NO_HELLO 0x1      /* allowed before mino/hello */
#define RPC_MUTATING 0x4      /* refused with 1012 while shutting down */
	rpc_exec_fn exec;
};

/* A pending reply.  Holds a reference on the conn and a copy of the id. */
struct rpc_deferred;
struct rpc_deferred *rpc_defer(struct rpc_call *call);
void rpc_deferred_reply(struct rpc_deferred *d, json_t *result /* stolen, NULL = {} */);
void rpc_deferred_error(struct rpc_deferred *d, const struct mino_error *err);
/* The error if any, else the result (stolen): a done callback whose arg is d. */
void rpc_deferred_finish(json_t *result, const struct mino_error *err, void *d);
/* Frees d after either of the above; also answers -32800 if cancelled. */
/* $/cancelRequest for it runs cb(arg) after the -32800 answer (the method
 * stops its work; its later reply is dropped). */
void rpc_deferred_on_cancel(struct rpc_deferred *d, void (*cb)(void *arg), void *arg);
struct conn *rpc_deferred_conn(const struct rpc_deferred *d);

/* ---------- sessions (session.c and friends) ---------- */
/* Called once after the socket listens: loads records, reconciles with
 * podman (adopting live mino containers), starts the cleanup timer. */
int sessions_init(struct mino_error **err);
/* A connection is going away: detach it everywhere, stop non-tty sessions
 * it owned, kill its execs.  Called exactly once per conn. */
void session_conn_closed(struct conn *c);
/* A connection's write queue dropped below MINO_WRITE_LOW_WATER. */
void session_conn_drained(struct conn *c);
/* Shutdown: stop reading PTYs, let podman children go (containers keep
 * running), close every session handle; `done` runs when all are closed. */
void sessions_shutdown(void (*done)(void));
unsigned sessions_count_running(void);
unsigned sessions_count_total(void);

/* Method descriptors (one per rpc-*.c file) gathered in rpc.c's table. */
extern const struct rpc_method rpc_mino_hello_method;
extern const struct rpc_method rpc_cancel_request_method;
extern const struct rpc_method rpc_daemon_status_method;
extern const struct rpc_method rpc_daemon_shutdown_method;
extern const struct rpc_method rpc_session_create_method;
extern const struct rpc_method rpc_session_attach_method;
extern const struct rpc_method rpc_session_detach_method;
extern const struct rpc_method rpc_session_input_method;
extern const struct rpc_method rpc_session_resize_method;
extern const struct rpc_method rpc_session_signal_method;
extern const struct rpc_method rpc_session_exec_method;
extern const struct rpc_method rpc_session_list_method;
extern const struct rpc_method rpc_session_stop_method;
extern const struct rpc_method rpc_session_logs_method;
extern const struct rpc_method rpc_session_network_method;
extern const struct rpc_method rpc_config_resolve_method;
extern const struct rpc_method rpc_config_trust_method;
extern const struct rpc_method rpc_cache_list_method;
extern const struct rpc_method rpc_cache_info_method;
extern const struct rpc_method rpc_cache_gc_method;
extern const struct rpc_method rpc_cache_clear_method;
extern const struct rpc_method rpc_image_build_method;
extern const struct rpc_method rpc_image_list_method;
extern const struct rpc_method rpc_image_rm_method;
extern const struct rpc_method rpc_image_layers_method;

#endif
