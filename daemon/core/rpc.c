/* rpc.c: the method table, the dispatcher and deferred replies.
 * struct mino_error becomes a JSON-RPC error here and nowhere else
 * (rpc_reply_error). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "log.h"
#include "mino-protocol.h"
#include "minod.h"
#include "server.h"
#include "xalloc.h"

/* Sorted by name (strcmp); checked once at first use. */
static const struct rpc_method *const rpc_method_table[] = {
	&rpc_cancel_request_method,     /* $/cancelRequest */
	&rpc_cache_clear_method,        /* cache/clear */
	&rpc_cache_gc_method,           /* cache/gc */
	&rpc_cache_info_method,         /* cache/info */
	&rpc_cache_list_method,         /* cache/list */
	&rpc_config_resolve_method,     /* config/resolve */
	&rpc_config_trust_method,       /* config/trust */
	&rpc_daemon_shutdown_method,    /* daemon/shutdown */
	&rpc_daemon_status_method,      /* daemon/status */
	&rpc_image_build_method,        /* image/build */
	&rpc_image_layers_method,       /* image/layers */
	&rpc_image_list_method,         /* image/list */
	&rpc_image_rm_method,           /* image/rm */
	&rpc_mino_hello_method,         /* mino/hello */
	&rpc_session_attach_method,     /* session/attach */
	&rpc_session_create_method,     /* session/create */
	&rpc_session_detach_method,     /* session/detach */
	&rpc_session_exec_method,       /* session/exec */
	&rpc_session_input_method,      /* session/input */
	&rpc_session_list_method,       /* session/list */
	&rpc_session_logs_method,       /* session/logs */
	&rpc_session_network_method,    /* session/network */
	&rpc_session_resize_method,     /* session/resize */
	&rpc_session_signal_method,     /* session/signal */
	&rpc_session_stop_method,       /* session/stop */
};
#define RPC_NMETHODS (sizeof rpc_method_table / sizeof rpc_method_table[0])

struct rpc_deferred {
	struct conn *conn;       /* referenced */
	json_t *id;              /* owned copy; NULL for a notification */
	char *method;
	bool cancelled;          /* answered -32800; later replies are dropped */
	void (*on_cancel)(void *arg); /* told after the -32800 answer */
	void *cancel_arg;
	struct rpc_deferred *prev, *next;
};

static const struct rpc_method *rpc_lookup(const char *);
static void rpc_dispatch(struct conn *, struct rpc_msg *);
static void rpc_reply_result(struct conn *, json_t *, json_t *);
static void rpc_reply_error_data(struct conn *, json_t *, const struct mino_error *, json_t *);
static void rpc_deferred_free(struct rpc_deferred *);
static char *rpc_id_string(const json_t *);
static bool rpc_body_is_notification(const char *, size_t, const struct mino_error *);

static struct rpc_deferred *rpc_deferred_list;

static const struct rpc_method *
rpc_lookup(const char *name)
{
	static bool checked;
	size_t lo = 0, hi = RPC_NMETHODS, mid;
	int cmp;

	if (!checked) {
		for (size_t i = 1; i < RPC_NMETHODS; i++)
			if (strcmp(rpc_method_table[i - 1]->name, rpc_method_table[i]->name) >= 0)
				fatal("rpc_method_table is not sorted at %s", rpc_method_table[i]->name);
		checked = true;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(name, rpc_method_table[mid]->name);
		if (cmp == 0)
			return rpc_method_table[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* A short printable rendering of an id for logs; caller frees. */
static char *
rpc_id_string(const json_t *id)
{
	_cleanup_free_ char *dump = NULL;

	if (id == NULL)
		return xstrdup("-");
	dump = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
	if (dump == NULL)
		return xstrdup("?");
	return log_sanitize(dump, strlen(dump));
}

/* An invalid message that is still recognisably a notification (an
 * object with a string "method" and no "id") gets no reply either. */
static bool
rpc_body_is_notification(const char *body, size_t len, const struct mino_error *err)
{
	_cleanup_json_ json_t *root = NULL;

	if (err->code != RPC_INVALID_REQUEST && err->code != RPC_INVALID_PARAMS)
		return false;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	return json_is_object(root) && json_is_string(json_object_get(root, "method")) &&
	    json_object_get(root, "id") == NULL;
}

/* One framed message body from a conn. */
void
rpc_handle_body(struct conn *c, const char *body, size_t len)
{
	struct rpc_msg msg;
	struct mino_error *err = NULL;
	json_t *bad_id = NULL;

	memset(&msg, 0, sizeof msg);
	if (rpc_parse(body, len, &msg, &bad_id, &err) < 0) {
		log_debug("conn %" PRIu64 " <- invalid message: %s", conn_id(c),
			err != NULL && err->msg != NULL ? err->msg : "?");
		if (err == NULL)
			mino_make_error(&err, RPC_PARSE_ERROR, 0, "invalid message");
		if (bad_id != NULL || !rpc_body_is_notification(body, len, err))
			rpc_reply_error(c, bad_id, err);
		json_decref(bad_id);
		mino_error_release(&err);
		return;
	}
	if (msg.kind == RPC_KIND_RESPONSE)
		log_debug("conn %" PRIu64 " <- unexpected response, dropped", conn_id(c));
	else
		rpc_dispatch(c, &msg);
	rpc_msg_free(&msg);
}

static int
rpc_check(struct conn *c, const struct rpc_method *m, const struct rpc_msg *msg,
	struct mino_error **err)
{
	if (m == NULL)
		return mino_make_error(err, RPC_METHOD_NOT_FOUND, 0, "unknown method `%.100s`", msg->method);
	if (!(m->flags & RPC_NO_HELLO) && !conn_hello_done(c))
		return mino_make_error(err, MINO_E_HELLO_REQUIRED, 0, "call mino/hello first");
	if ((m->flags & RPC_MUTATING) && minod.shutting_down)
		return mino_make_error(err, MINO_E_SHUTTING_DOWN, 0, "minod is shutting down");
	if (msg->params != NULL && !json_is_object(msg->params))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "params must be an object");
	return 0;
}

static void
rpc_dispatch(struct conn *c, struct rpc_msg *msg)
{
	const struct rpc_method *m = rpc_lookup(msg->method);
	struct mino_error *err = NULL;
	_cleanup_free_ char *ids = NULL;
	_cleanup_json_ json_t *params = NULL;
	json_t *result = NULL;
	struct rpc_call call;
	int r;

	if (log_is_verbose()) {
		ids = rpc_id_string(msg->id);
		log_debug("conn %" PRIu64 " <- %.100s id %s", conn_id(c), msg->method, ids);
	}
	memset(&call, 0, sizeof call);
	r = rpc_check(c, m, msg, &err);
	if (r == 0) {
		params = msg->params != NULL ? json_incref(msg->params) : json_object();
		call.conn = c;
		call.id = msg->id;
		call.method = m->name;
		call.params = params;
		r = m->exec(&call, &result, &err);
	}
	if (r == RPC_DEFERRED) {
		json_decref(call.error_data);
		return;
	}
	if (r < 0) {
		if (err == NULL)
			mino_make_error(&err, MINO_E_INTERNAL, 0, "%s failed without an error", msg->method);
		if (msg->id != NULL)
			rpc_reply_error_data(c, msg->id, err, call.error_data);
		else
			log_debug("conn %" PRIu64 ": notification %.100s: %s", conn_id(c), msg->method, err->msg);
		mino_error_release(&err);
		json_decref(call.error_data);
		return;
	}
	json_decref(call.error_data);
	if (msg->id != NULL)
		rpc_reply_result(c, msg->id, result);
	else
		json_decref(result);
	if (call.after_reply != NULL)
		call.after_reply(c, call.after_arg);
}

/* `result` is stolen; NULL means {}. */
static void
rpc_reply_result(struct conn *c, json_t *id, json_t *result)
{
	json_t *msg;

	if (result == NULL)
		result = json_object();
	msg = rpc_result_new(id, result);
	conn_send_json(c, msg);
	json_decref(msg);
}

/* The one place where a struct mino_error becomes a JSON-RPC error.
 * `id` NULL answers with id null. */
void
rpc_reply_error(struct conn *c, json_t *id, const struct mino_error *err)
{
	rpc_reply_error_data(c, id, err, NULL);
}

/* With `extra` (borrowed, may be NULL) merged into the error's data. */
static void
rpc_reply_error_data(struct conn *c, json_t *id, const struct mino_error *err, json_t *extra)
{
	json_t *msg, *data;

	msg = rpc_error_from(id != NULL ? id : json_null(), err);
	if (msg != NULL && json_is_object(extra)) {
		data = json_object_get(json_object_get(msg, "error"), "data");
		if (json_is_object(data))
			json_object_update_missing(data, extra);
	}
	if (msg == NULL) {
		log_err("conn %" PRIu64 ": cannot build an error reply", conn_id(c));
		return;
	}
	conn_send_json(c, msg);
	json_decref(msg);
}

struct rpc_deferred *
rpc_defer(struct rpc_call *call)
{
	struct rpc_deferred *d;

	d = xcalloc(1, sizeof *d);
	d->conn = call->conn;
	conn_ref(d->conn);
	d->id = call->id != NULL ? json_deep_copy(call->id) : NULL;
	d->method = xstrdup(call->method);
	d->next = rpc_deferred_list;
	if (rpc_deferred_list != NULL)
		rpc_deferred_list->prev = d;
	rpc_deferred_list = d;
	return d;
}

static bool
rpc_deferred_wanted(const struct rpc_deferred *d)
{
	if (d->id == NULL || d->cancelled || conn_is_dead(d->conn)) {
		log_debug("conn %" PRIu64 ": %s: reply dropped (%s)", conn_id(d->conn), d->method,
			d->id == NULL ? "notification" : d->cancelled ? "cancelled" : "connection gone");
		return false;
	}
	return true;
}

void
rpc_deferred_reply(struct rpc_deferred *d, json_t *result)
{
	if (rpc_deferred_wanted(d))
		rpc_reply_result(d->conn, d->id, result);
	else
		json_decref(result);
	rpc_deferred_free(d);
}

void
rpc_deferred_on_cancel(struct rpc_deferred *d, void (*cb)(void *arg), void *arg)
{
	d->on_cancel = cb;
	d->cancel_arg = arg;
}

struct conn *
rpc_deferred_conn(const struct rpc_deferred *d)
{
	return d->conn;
}

void
rpc_deferred_error(struct rpc_deferred *d, const struct mino_error *err)
{
	if (rpc_deferred_wanted(d))
		rpc_reply_error(d->conn, d->id, err);
	rpc_deferred_free(d);
}

void
rpc_deferred_finish(json_t *result, const struct mino_error *err, void *d)
{
	if (err != NULL)
		rpc_deferred_error(d, err);
	else
		rpc_deferred_reply(d, result);
}

static void
rpc_deferred_free(struct rpc_deferred *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		rpc_deferred_list = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	conn_unref(d->conn);
	json_decref(d->id);
	free(d->method);
	free(d);
}

/* $/cancelRequest: answer a pending request of this conn with -32800. */
int
rpc_cancel(struct conn *c, json_t *id)
{
	struct rpc_deferred *d;
	struct mino_error *err = NULL;

	for (d = rpc_deferred_list; d != NULL; d = d->next) {
		if (d->conn != c || d->id == NULL || d->cancelled || !json_equal(d->id, id))
			continue;
		d->cancelled = true;
		mino_make_error(&err, RPC_REQUEST_CANCELLED, 0, "request cancelled");
		rpc_reply_error(c, d->id, err);
		mino_error_release(&err);
		if (d->on_cancel != NULL)
			d->on_cancel(d->cancel_arg); /* may answer (and free) d */
		return 0;
	}
	return -1;
}

/* After sessions_shutdown(): nobody will answer what is left. */
void
rpc_fini(void)
{
	struct mino_error *err = NULL;

	mino_make_error(&err, MINO_E_SHUTTING_DOWN, 0, "minod is shutting down");
	while (rpc_deferred_list != NULL) {
		log_warn("%s: %s still pending at shutdown", __func__, rpc_deferred_list->method);
		rpc_deferred_error(rpc_deferred_list, err);
	}
	mino_error_release(&err);
}
