/* conn.c: one client connection: framed input, queued output, and
 * deferred destruction.
 *
 * Lifetime: a conn starts with one reference, owned by its open pipe
 * handle and dropped in conn_close_cb.  conn_kill() only marks it dead; a
 * prepare hook (run before the loop would block) later tells the session
 * side (session_conn_closed, exactly once, for conns that were started)
 * and closes the handle.  A "lingering" conn is dead too but closes only
 * once its write queue is empty (or after CONN_LINGER_MS), so a last error
 * reply gets out.  Memory is freed when the last reference goes, never
 * before close_cb. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "frame.h"
#include "jsonrpc.h"
#include "log.h"
#include "mino-protocol.h"
#include "minod.h"
#include "server.h"
#include "xalloc.h"

#define CONN_READ_SIZE (64u * 1024)
#define CONN_LINGER_MS 5000
/* A client says mino/hello at once; one that does not within this time
 * is closed, so idle connections cannot use up MINOD_MAX_CLIENTS. */
#define CONN_HELLO_TIMEOUT_MS 3000
/* A frame that was begun (a header or a body in part) and then left
 * without another byte for this long is a stuck or hostile peer. */
#define CONN_FRAME_TIMEOUT_MS 10000
#define CONN_DEADLINE_TICK_MS 500

struct conn {
	uv_pipe_t pipe;          /* pipe.data points back here */
	uint64_t id;
	unsigned refs;
	unsigned flags;
#define CONN_STARTED 0x1         /* accepted and counted in minod.nclients */
#define CONN_HELLO 0x2           /* mino/hello succeeded */
#define CONN_RAISE_CAP 0x4       /* raise the body cap after this frame */
#define CONN_DEAD 0x8            /* no more reads or sends */
#define CONN_LINGER 0x10         /* dead, but flush the write queue first */
#define CONN_NOTIFIED 0x20       /* session_conn_closed() was called */
#define CONN_CLOSING 0x40        /* uv_close() was called */
#define CONN_ABOVE_HIGH 0x80     /* write queue passed the high water mark */
#define CONN_READ_PAUSED 0x100   /* input paused: the peer does not read */
#define CONN_INPUT_HELD 0x200    /* input paused: a session's stdin is backed up */
#define CONN_UNCOUNTED 0x400     /* evicted: already taken out of minod.nclients */
#define CONN_BINARY_OUTPUT 0x800 /* mino/hello asked for binary session/output frames */
	uint64_t linger_until;   /* uv_now() deadline while lingering */
	uint64_t hello_until;    /* uv_now() deadline for mino/hello */
	uint64_t frame_until;    /* uv_now() deadline for the frame begun, 0: none */
	struct frame_reader fr;
	char peer[64];
	struct conn *prev, *next;
};

struct conn_write {
	uv_write_t req;
	char *data;
};

static void conn_alloc_cb(uv_handle_t *, size_t, uv_buf_t *);
static void conn_read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);
static void conn_write_cb(uv_write_t *, int);
static void conn_close_cb(uv_handle_t *);
static void conn_prepare_cb(uv_prepare_t *);
static void conn_linger_cb(uv_timer_t *);
static void conn_deadline_cb(uv_timer_t *);
static void conn_expire(struct conn *, uint64_t);
static void conn_restart_frame_clock(struct conn *);
static void conn_process(struct conn *);
static void conn_frame_error(struct conn *, struct mino_error *);
static void conn_linger(struct conn *, const char *);
static int conn_queue(struct conn *, char *, size_t);
static void conn_reap(bool);
static uv_stream_t *conn_stream(const struct conn *);
static void conn_log_out(const struct conn *, const json_t *);
static void conn_log_framed(const struct conn *, const char *, size_t);

static struct conn *conn_list;
static uint64_t conn_next_id = 1;
static unsigned conn_dying;      /* dead but not yet closed */
static uv_prepare_t conn_prepare;
static uv_timer_t conn_linger_timer;
static uv_timer_t conn_deadline_timer;

void
conn_init(void)
{
	uv_prepare_init(minod.loop, &conn_prepare);
	uv_prepare_start(&conn_prepare, conn_prepare_cb);
	uv_unref((uv_handle_t *)&conn_prepare);
	uv_timer_init(minod.loop, &conn_linger_timer);
	uv_timer_init(minod.loop, &conn_deadline_timer);
	uv_timer_start(&conn_deadline_timer, conn_deadline_cb, CONN_DEADLINE_TICK_MS,
		CONN_DEADLINE_TICK_MS);
	uv_unref((uv_handle_t *)&conn_deadline_timer);
}

void
conn_fini(void)
{
	if (!uv_is_closing((uv_handle_t *)&conn_prepare))
		uv_close((uv_handle_t *)&conn_prepare, NULL);
	if (!uv_is_closing((uv_handle_t *)&conn_linger_timer))
		uv_close((uv_handle_t *)&conn_linger_timer, NULL);
	if (!uv_is_closing((uv_handle_t *)&conn_deadline_timer))
		uv_close((uv_handle_t *)&conn_deadline_timer, NULL);
}

static uv_stream_t *
conn_stream(const struct conn *c)
{
	return (uv_stream_t *)&c->pipe;
}

uint64_t
conn_id(const struct conn *c)
{
	return c->id;
}

void
conn_ref(struct conn *c)
{
	c->refs++;
}

void
conn_unref(struct conn *c)
{
	if (c->refs == 0)
		fatal("conn %" PRIu64 ": reference count underflow", c->id);
	if (--c->refs > 0)
		return;
	if (!(c->flags & CONN_CLOSING))
		fatal("conn %" PRIu64 ": last reference dropped while open", c->id);
	log_debug("%s: conn %" PRIu64, __func__, c->id);
	free(c);
}

bool
conn_is_dead(const struct conn *c)
{
	return (c->flags & CONN_DEAD) != 0;
}

bool
conn_hello_done(const struct conn *c)
{
	return (c->flags & CONN_HELLO) != 0;
}

void
conn_set_hello(struct conn *c)
{
	/* The cap is raised after the current frame: the reader's buffer
	 * holds the body being dispatched. */
	c->flags |= CONN_HELLO | CONN_RAISE_CAP;
}

void
conn_set_binary_output(struct conn *c)
{
	c->flags |= CONN_BINARY_OUTPUT;
}

bool
conn_binary_output(const struct conn *c)
{
	return (c->flags & CONN_BINARY_OUTPUT) != 0;
}

int
conn_fd(const struct conn *c)
{
	uv_os_fd_t fd;

	if (uv_fileno((const uv_handle_t *)&c->pipe, &fd) < 0)
		return -1;
	return fd;
}

size_t
conn_write_queue_size(const struct conn *c)
{
	return uv_stream_get_write_queue_size(conn_stream(c));
}

/* Accepts a pending connection into a new conn (not yet reading). */
struct conn *
conn_accept(uv_stream_t *listener, int *uverr)
{
	struct conn *c;
	int r;

	c = xcalloc(1, sizeof *c);
	c->refs = 1;
	c->id = conn_next_id++;
	snprintf(c->peer, sizeof c->peer, "unknown peer");
	frame_reader_init(&c->fr, MINO_MAX_HEADER_BYTES, MINO_MAX_BODY_PREHELLO);
	uv_pipe_init(minod.loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = conn_list;
	if (conn_list != NULL)
		conn_list->prev = c;
	conn_list = c;

	r = uv_accept(listener, conn_stream(c));
	if (r < 0) {
		*uverr = r;
		c->flags |= CONN_DEAD | CONN_NOTIFIED | CONN_CLOSING;
		uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
		return NULL;
	}
	return c;
}

void
conn_start(struct conn *c, const char *peer)
{
	int r;

	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->flags |= CONN_STARTED;
	c->hello_until = uv_now(minod.loop) + CONN_HELLO_TIMEOUT_MS;
	minod.nclients++;
	log_debug("conn %" PRIu64 ": connected (%s), %u clients", c->id, c->peer, minod.nclients);
	notify_status();
	r = uv_read_start(conn_stream(c), conn_alloc_cb, conn_read_cb);
	if (r < 0)
		conn_kill(c, uv_strerror(r));
}

/* Refuses a connection with one error reply (id null), then closes it. */
void
conn_reject(struct conn *c, const char *peer, int code, const char *msg)
{
	struct mino_error *err = NULL;

	snprintf(c->peer, sizeof c->peer, "%s", peer);
	mino_make_error(&err, code, 0, "%s", msg);
	rpc_reply_error(c, NULL, err);
	mino_error_release(&err);
	conn_linger(c, msg);
}

void
conn_kill(struct conn *c, const char *why)
{
	if (c->flags & CONN_CLOSING)
		return;
	if (c->flags & CONN_DEAD) {
		c->flags &= ~CONN_LINGER; /* stop waiting for the flush */
		return;
	}
	log_debug("conn %" PRIu64 ": closing: %s", c->id, why);
	c->flags |= CONN_DEAD;
	conn_dying++;
	uv_read_stop(conn_stream(c));
}

/* Dead now, closed once what is queued has been written. */
static void
conn_linger(struct conn *c, const char *why)
{
	if (c->flags & CONN_DEAD)
		return;
	log_debug("conn %" PRIu64 ": closing after flush: %s", c->id, why);
	c->flags |= CONN_DEAD | CONN_LINGER;
	c->linger_until = uv_now(minod.loop) + CONN_LINGER_MS;
	conn_dying++;
	uv_read_stop(conn_stream(c));
	if (!uv_is_active((uv_handle_t *)&conn_linger_timer))
		uv_timer_start(&conn_linger_timer, conn_linger_cb, 1000, 1000);
}

static void
conn_linger_cb(uv_timer_t *t)
{
	/* Nothing to do: waking the loop runs conn_prepare_cb. */
}

static void
conn_prepare_cb(uv_prepare_t *p)
{
	conn_reap(false);
}

/* Closes dead conns: tells the session side once, then uv_close()s, unless
 * a lingering conn still has output to flush (and `force` is not set). */
static void
conn_reap(bool force)
{
	struct conn *c, *next;
	unsigned lingering = 0;
	uint64_t now;

	if (conn_dying == 0) {
		uv_timer_stop(&conn_linger_timer);
		return;
	}
	now = uv_now(minod.loop);
	for (c = conn_list; c != NULL; c = next) {
		next = c->next;
		if (!(c->flags & CONN_DEAD) || (c->flags & CONN_CLOSING))
			continue;
		if (!(c->flags & CONN_NOTIFIED)) {
			c->flags |= CONN_NOTIFIED;
			/* Refused conns never reached the session side. */
			if (c->flags & CONN_STARTED) {
				session_conn_closed(c);
				if (!(c->flags & CONN_UNCOUNTED))
					minod.nclients--;
				log_debug("conn %" PRIu64 ": gone, %u clients", c->id, minod.nclients);
				notify_status();
			}
		}
		if (!force && (c->flags & CONN_LINGER) && conn_write_queue_size(c) > 0 &&
		    now < c->linger_until) {
			lingering++;
			continue;
		}
		c->flags |= CONN_CLOSING;
		conn_dying--;
		uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
	}
	if (lingering == 0)
		uv_timer_stop(&conn_linger_timer);
}

static void
conn_close_cb(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conn_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	frame_reader_free(&c->fr);
	conn_unref(c);
}

void
conn_close_all(void)
{
	struct conn *c;

	for (c = conn_list; c != NULL; c = c->next)
		conn_kill(c, "minod is stopping");
	conn_reap(true);
}

static void
conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	size_t room = 0;
	char *p;

	p = frame_reader_space(&c->fr, CONN_READ_SIZE, &room);
	buf->base = p;
	buf->len = p != NULL ? room : 0;
}

static void
conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	struct mino_error *err = NULL;

	if (nread == 0 || (c->flags & CONN_DEAD))
		return;
	if (nread == UV_EOF) {
		conn_linger(c, "end of input");
		return;
	}
	if (nread == UV_ENOBUFS) {
		mino_make_error(&err, RPC_PARSE_ERROR, 0, "input buffer full");
		conn_frame_error(c, err);
		mino_error_release(&err);
		return;
	}
	if (nread < 0) {
		conn_kill(c, uv_strerror((int)nread));
		return;
	}
	frame_reader_commit(&c->fr, (size_t)nread);
	conn_process(c);
	conn_restart_frame_clock(c);
}

/* Progress (or reading again after a pause of ours) restarts the clock of
 * a frame in part. */
static void
conn_restart_frame_clock(struct conn *c)
{
	c->frame_until = frame_reader_pending(&c->fr) > 0 ?
		uv_now(minod.loop) + CONN_FRAME_TIMEOUT_MS : 0;
}

/* Closes a conn past its hello or frame deadline, with one error. */
static void
conn_expire(struct conn *c, uint64_t now)
{
	struct mino_error *err = NULL;

	if (!(c->flags & CONN_HELLO) && now >= c->hello_until) {
		log_warn("conn %" PRIu64 " (%s): no mino/hello within %d ms, closing", c->id, c->peer,
			CONN_HELLO_TIMEOUT_MS);
		mino_make_error(&err, MINO_E_HELLO_REQUIRED, 0, "no mino/hello within %d ms",
			CONN_HELLO_TIMEOUT_MS);
		rpc_reply_error(c, NULL, err);
		mino_error_release(&err);
		conn_linger(c, "hello timeout");
		return;
	}
	/* While we do not read, the rest of the frame is not late. */
	if (c->frame_until != 0 && !(c->flags & (CONN_READ_PAUSED | CONN_INPUT_HELD)) &&
	    now >= c->frame_until) {
		mino_make_error(&err, RPC_PARSE_ERROR, 0, "an incomplete frame and no input for %d ms",
			CONN_FRAME_TIMEOUT_MS);
		conn_frame_error(c, err);
		mino_error_release(&err);
	}
}

static void
conn_deadline_cb(uv_timer_t *t)
{
	uint64_t now = uv_now(minod.loop);
	struct conn *c, *next;

	for (c = conn_list; c != NULL; c = next) {
		next = c->next;
		if ((c->flags & CONN_STARTED) && !(c->flags & CONN_DEAD))
			conn_expire(c, now);
	}
}

bool
conn_evict_idle(void)
{
	struct conn *c, *oldest = NULL;
	struct mino_error *err = NULL;

	for (c = conn_list; c != NULL; c = c->next)
		if ((c->flags & CONN_STARTED) && !(c->flags & (CONN_DEAD | CONN_HELLO)))
			oldest = c; /* the list is newest first */
	if (oldest == NULL)
		return false;
	log_warn("conn %" PRIu64 " (%s): too many clients, dropping this one: no mino/hello yet",
		oldest->id, oldest->peer);
	mino_make_error(&err, MINO_E_LIMIT, 0, "too many clients, and this one had not said mino/hello");
	rpc_reply_error(oldest, NULL, err);
	mino_error_release(&err);
	conn_linger(oldest, "evicted");
	oldest->flags |= CONN_UNCOUNTED;
	minod.nclients--;
	return true;
}

static void
conn_process(struct conn *c)
{
	struct mino_error *err = NULL;
	const char *body;
	size_t len;
	int r;

	while (!(c->flags & CONN_DEAD)) {
		r = frame_reader_next(&c->fr, &body, &len, &err);
		if (r == 0)
			break;
		if (r < 0) {
			conn_frame_error(c, err);
			mino_error_release(&err);
			return;
		}
		rpc_handle_body(c, body, len);
		if (c->flags & CONN_RAISE_CAP) {
			c->flags &= ~CONN_RAISE_CAP;
			frame_reader_set_max_body(&c->fr, MINO_MAX_BODY_DEFAULT);
		}
	}
	if (c->flags & CONN_DEAD)
		return;
	if (frame_reader_pending(&c->fr) > MINO_MAX_HEADER_BYTES + c->fr.max_body) {
		mino_make_error(&err, RPC_PARSE_ERROR, 0, "too much buffered input");
		conn_frame_error(c, err);
		mino_error_release(&err);
		return;
	}
	/* A peer that sends requests but never reads the replies. */
	if (conn_write_queue_size(c) > MINO_WRITE_HARD_CAP) {
		log_debug("conn %" PRIu64 ": output backlog, pausing input", c->id);
		uv_read_stop(conn_stream(c));
		c->flags |= CONN_READ_PAUSED;
	}
}

/* One -32700 error (id null), a log line with a sanitised sample, then close. */
static void
conn_frame_error(struct conn *c, struct mino_error *err)
{
	size_t n = frame_reader_pending(&c->fr);
	_cleanup_free_ char *sample = NULL;

	if (n > 128)
		n = 128;
	sample = log_sanitize(c->fr.buf != NULL ? c->fr.buf + c->fr.start : "", c->fr.buf != NULL ? n : 0);
	log_warn("conn %" PRIu64 " (%s): %s; input \"%s\"", c->id, c->peer,
		err != NULL && err->msg != NULL ? err->msg : "?", sample != NULL ? sample : "");
	if (err != NULL) {
		err->code = RPC_PARSE_ERROR;
		rpc_reply_error(c, NULL, err);
	}
	conn_linger(c, "framing error");
}

static void
conn_log_out(const struct conn *c, const json_t *msg)
{
	json_t *method = json_object_get(msg, "method");
	json_t *id = json_object_get(msg, "id");
	json_t *error = json_object_get(msg, "error");
	_cleanup_free_ char *ids = NULL;

	if (id == NULL || json_is_null(id))
		ids = xstrdup("null");
	else
		ids = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
	if (json_is_string(method))
		log_debug("conn %" PRIu64 " -> %s", c->id, json_string_value(method));
	else if (error != NULL)
		log_debug("conn %" PRIu64 " -> id %s error %" JSON_INTEGER_FORMAT, c->id, ids ? ids : "?",
			json_integer_value(json_object_get(error, "code")));
	else
		log_debug("conn %" PRIu64 " -> id %s result", c->id, ids ? ids : "?");
}

/* The method of a pre-framed notification, from its first bytes. */
static void
conn_log_framed(const struct conn *c, const char *framed, size_t len)
{
	static const char key[] = "\"method\":\"";
	size_t n = len < 256 ? len : 256;
	const char *p, *q;

	p = memmem(framed, n, key, sizeof key - 1);
	if (p != NULL) {
		p += sizeof key - 1;
		q = memchr(p, '"', n - (size_t)(p - framed));
		if (q != NULL && q - p < 64) {
			log_debug("conn %" PRIu64 " -> %.*s (%zu bytes)", c->id, (int)(q - p), p, len);
			return;
		}
	}
	log_debug("conn %" PRIu64 " -> framed message (%zu bytes)", c->id, len);
}

int
conn_send_json(struct conn *c, const json_t *msg)
{
	char *framed;
	size_t len;

	if (c->flags & CONN_DEAD)
		return -1;
	framed = rpc_encode(msg, &len);
	if (framed == NULL) {
		log_err("conn %" PRIu64 ": cannot encode a message", c->id);
		return -1;
	}
	if (log_is_verbose())
		conn_log_out(c, msg);
	return conn_queue(c, framed, len);
}

int
conn_send_framed(struct conn *c, char *framed, size_t len)
{
	if (c->flags & CONN_DEAD) {
		free(framed);
		return -1;
	}
	if (log_is_verbose())
		conn_log_framed(c, framed, len);
	return conn_queue(c, framed, len);
}

int
conn_notify(struct conn *c, const char *method, json_t *params)
{
	json_t *msg;
	int r;

	if (c->flags & CONN_DEAD) {
		json_decref(params);
		return -1;
	}
	msg = rpc_notification_new(method, params);
	r = conn_send_json(c, msg);
	json_decref(msg);
	return r;
}

/* Takes `framed`: written at once if the queue is empty and the socket
 * takes it, else queued without a copy. */
static int
conn_queue(struct conn *c, char *framed, size_t len)
{
	struct conn_write *w;
	uv_buf_t b;
	size_t off = 0;
	int r;

	if (conn_write_queue_size(c) == 0) {
		b = uv_buf_init(framed, (unsigned)len);
		r = uv_try_write(conn_stream(c), &b, 1);
		if (r >= 0 && (size_t)r == len) {
			free(framed);
			return 0;
		}
		if (r >= 0)
			off = (size_t)r;
		else if (r != UV_EAGAIN) {
			free(framed);
			conn_kill(c, uv_strerror(r));
			return -1;
		}
	}
	w = xmalloc(sizeof *w);
	w->data = framed;
	b = uv_buf_init(framed + off, (unsigned)(len - off));
	r = uv_write(&w->req, conn_stream(c), &b, 1, conn_write_cb);
	if (r < 0) {
		free(framed);
		free(w);
		conn_kill(c, uv_strerror(r));
		return -1;
	}
	if (conn_write_queue_size(c) > MINO_WRITE_HIGH_WATER)
		c->flags |= CONN_ABOVE_HIGH;
	return 0;
}

static void
conn_write_cb(uv_write_t *req, int status)
{
	struct conn_write *w = (struct conn_write *)req;
	struct conn *c = req->handle->data;
	size_t queued;

	free(w->data);
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		conn_kill(c, uv_strerror(status));
	if (c->flags & CONN_DEAD)
		return;
	queued = conn_write_queue_size(c);
	if (queued >= MINO_WRITE_LOW_WATER)
		return;
	if (c->flags & CONN_READ_PAUSED) {
		c->flags &= ~CONN_READ_PAUSED;
		conn_restart_frame_clock(c);
		if (!(c->flags & CONN_INPUT_HELD) &&
		    uv_read_start(conn_stream(c), conn_alloc_cb, conn_read_cb) < 0)
			conn_kill(c, "cannot resume reading");
	}
	if (c->flags & CONN_ABOVE_HIGH) {
		c->flags &= ~CONN_ABOVE_HIGH;
		session_conn_drained(c);
	}
}

void
conn_broadcast(const char *method)
{
	struct conn *c;

	for (c = conn_list; c != NULL; c = c->next)
		if ((c->flags & CONN_STARTED) && !(c->flags & CONN_DEAD))
			conn_notify(c, method, json_object());
}

size_t
conn_total_write_queue(void)
{
	struct conn *c;
	size_t n = 0;

	for (c = conn_list; c != NULL; c = c->next)
		if (!(c->flags & CONN_CLOSING))
			n += conn_write_queue_size(c);
	return n;
}

void
conn_pause_input(struct conn *c)
{
	if (c->flags & (CONN_DEAD | CONN_INPUT_HELD))
		return;
	c->flags |= CONN_INPUT_HELD;
	if (!(c->flags & CONN_READ_PAUSED))
		uv_read_stop(conn_stream(c));
}

void
conn_resume_input(struct conn *c)
{
	if (!(c->flags & CONN_INPUT_HELD))
		return;
	c->flags &= ~CONN_INPUT_HELD;
	conn_restart_frame_clock(c);
	if (c->flags & (CONN_DEAD | CONN_READ_PAUSED))
		return;
	if (uv_read_start(conn_stream(c), conn_alloc_cb, conn_read_cb) < 0)
		conn_kill(c, "cannot resume reading");
}
