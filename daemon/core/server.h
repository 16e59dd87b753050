/* server.h: what the core of minod (main, server, conn, rpc, notify)
 * shares beyond minod.h.  The session side uses minod.h only. */
#ifndef MINOD_SERVER_H
#define MINOD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <uv.h>

#include "error.h"

#define MINOD_MAX_CLIENTS 256

struct conn;

/* server.c: the listening socket and the shutdown sequence. */
int server_listen(struct mino_error **err);
bool server_socket_activated(void);
void server_shutdown(void);         /* SIGTERM/SIGINT; idempotent */
void server_shutdown_soon(void);    /* daemon/shutdown: next loop iteration */
void server_close_handles(void);    /* last step: signals, timers, loop walk */

/* conn.c */
struct conn *conn_accept(uv_stream_t *listener, int *uverr);
int conn_fd(const struct conn *c);
void conn_start(struct conn *c, const char *peer);
void conn_reject(struct conn *c, const char *peer, int code, const char *msg);
bool conn_hello_done(const struct conn *c);
/* At MINOD_MAX_CLIENTS: drops the oldest conn that has not said mino/hello
 * (out of minod.nclients at once); false if there is none. */
bool conn_evict_idle(void);
void conn_set_hello(struct conn *c);
void conn_broadcast(const char *method);
size_t conn_total_write_queue(void);
void conn_close_all(void);
void conn_init(void);
void conn_fini(void);

/* rpc.c */
void rpc_handle_body(struct conn *c, const char *body, size_t len);
void rpc_reply_error(struct conn *c, json_t *id, const struct mino_error *err);
int rpc_cancel(struct conn *c, json_t *id);
void rpc_fini(void);

/* notify.c (notify_status() is in minod.h) */
void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_watchdog_start(void);
void notify_watchdog_stop(void);

#endif
