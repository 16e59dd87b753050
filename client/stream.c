/* stream.c: the libuv loop shared by run, exec, attach and logs -f.
 *
 * minod's session/output comes as binary frames (asked for at hello,
 * common/outframe.h): large ones are written out straight from the read
 * buffer, small ones gathered in one buffer per output fd and written once
 * per socket read; JSON ones (base64) are decoded into that buffer.  stdin is read and
 * sent as session/input; signals restore the terminal and end the loop.
 * Nothing here exits the process: the loop is wound down (every handle
 * closed) and stream_run() returns the exit status. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "b64.h"
#include "client.h"
#include "jsonrpc.h"
#include "log.h"
#include "mino-protocol.h"
#include "outframe.h"
#include "xalloc.h"

#define STREAM_READ_SIZE (256u * 1024)   /* socket reads */
#define STREAM_INPUT_SIZE (64u * 1024)   /* stdin reads */
#define STREAM_DIRECT_MIN (32u * 1024)   /* binary output this large is written without a copy */
#define STREAM_DETACH_1 0x10             /* ctrl-p */
#define STREAM_DETACH_2 0x11             /* ctrl-q */
#define STREAM_EXIT_EPIPE (128 + SIGPIPE)

static const int stream_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };
#define STREAM_NSIGNALS (sizeof stream_signals / sizeof stream_signals[0])

enum stream_write_kind {
	STREAM_WRITE_INPUT,
	STREAM_WRITE_DETACH,
};

struct stream_write {
	uv_write_t req;
	struct stream *s;
	enum stream_write_kind kind;
	char *data; /* owned framed message */
};

struct stream {
	uv_loop_t loop;
	struct client *c;
	const struct stream_opts *o;

	uv_pipe_t sock;
	union {
		uv_tty_t tty;
		uv_pipe_t pipe;
	} in;
	uv_stream_t *in_stream;    /* stdin as a libuv stream, or NULL */
	uv_fs_t in_req;            /* stdin as a file (regular file, /dev/null) */
	bool in_fs_busy;
	bool in_paused;            /* input backpressure */
	bool in_done;
	char in_buf[STREAM_INPUT_SIZE];
	bool ctrl_p;               /* saw ctrl-p, waiting for the next byte */

	uv_signal_t sig[STREAM_NSIGNALS];

	struct buf out;            /* decoded output not yet written */
	int out_fd;                /* which fd `out` belongs to */
	bool stdout_gone;

	bool done;
	int exit_code;
	char *message;             /* printed on stderr after the terminal is restored */
};

static size_t stream_b64_encode(const unsigned char *src, size_t len, char *out);
static void stream_finish(struct stream *s, int code, char *message);
static void stream_close_cb(uv_handle_t *h);
static void stream_close_walk_cb(uv_handle_t *h, void *arg);
static int stream_flush(struct stream *s);
static void stream_emit(struct stream *s, int fd, const char *b64, size_t len);
static bool stream_is_ours(struct stream *s, json_t *params);
static void stream_handle(struct stream *s, const char *method, json_t *params, const char *b64,
	size_t b64len);
static int stream_fast_output(struct stream *s, const char *body, size_t len);
static void stream_handle_body(struct stream *s, const char *body, size_t len);
static void stream_drain_reader(struct stream *s);
static void stream_sock_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void stream_sock_read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf);
static void stream_send(struct stream *s, json_t *msg, enum stream_write_kind kind);
static void stream_write_cb(uv_write_t *req, int status);
static void stream_send_input(struct stream *s, const char *data, size_t len);
static void stream_send_eof(struct stream *s);
static void stream_send_resize(struct stream *s);
static void stream_detach(struct stream *s);
static void stream_input(struct stream *s, const char *data, size_t len);
static void stream_input_end(struct stream *s);
static void stream_input_pause(struct stream *s);
static void stream_input_resume(struct stream *s);
static void stream_in_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void stream_in_read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf);
static void stream_in_fs_read(struct stream *s);
static void stream_in_fs_cb(uv_fs_t *req);
static void stream_in_start(struct stream *s);
static void stream_signal_cb(uv_signal_t *h, int signum);
static json_t *stream_params(struct stream *s);

/* ---------- base64 ---------- */

/* Standard base64 with padding; out has room for ((len + 2) / 3) * 4
 * bytes.  (Our own, so mino does not load libcrypto just for this.) */
static size_t
stream_b64_encode(const unsigned char *src, size_t len, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = out;
	uint32_t v;
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (i < len) {
		v = (uint32_t)src[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)src[i + 1] << 8;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	return (size_t)(o - out);
}

/* ---------- output ---------- */

int
stream_write_all(int fd, const char *data, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				(void)poll(&pfd, 1, -1);
				continue;
			}
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes to out_fd; a reader of stdout that went away ends the stream. */
static int
stream_write_out(struct stream *s, const char *data, size_t len)
{
	int rc;

	if (s->out_fd == STDOUT_FILENO && s->stdout_gone)
		return 0;
	rc = stream_write_all(s->out_fd, data, len);
	if (rc < 0 && s->out_fd == STDOUT_FILENO) {
		/* the reader went away (EPIPE): stop quietly */
		s->stdout_gone = true;
		stream_finish(s, STREAM_EXIT_EPIPE, NULL);
		return -1;
	}
	return 0;
}

static int
stream_flush(struct stream *s)
{
	size_t len = s->out.len;

	if (len == 0)
		return 0;
	s->out.len = 0;
	return stream_write_out(s, s->out.data, len);
}

/* Binary output: small pieces gathered, large ones written as they are. */
static void
stream_emit_raw(struct stream *s, int fd, const char *data, size_t len)
{
	if (s->out_fd != fd || len >= STREAM_DIRECT_MIN) {
		if (stream_flush(s) < 0)
			return;
		s->out_fd = fd;
	}
	if (len < STREAM_DIRECT_MIN)
		buf_append(&s->out, data, len);
	else
		(void)stream_write_out(s, data, len);
}

/* Decodes base64 straight into the output buffer of `fd`. */
static void
stream_emit(struct stream *s, int fd, const char *b64, size_t len)
{
	long n;

	if (s->out_fd != fd) {
		if (stream_flush(s) < 0)
			return;
		s->out_fd = fd;
	}
	buf_reserve(&s->out, len / 4 * 3 + 3);
	n = b64_decode_into(b64, len, (unsigned char *)s->out.data + s->out.len);
	if (n < 0) {
		log_warn("ignoring output that is not valid base64");
		return;
	}
	s->out.len += (size_t)n;
}

/* ---------- messages from minod ---------- */

static bool
stream_is_ours(struct stream *s, json_t *params)
{
	const char *session = json_string_value(json_object_get(params, "session"));
	json_t *exec = json_object_get(params, "exec");

	if (session == NULL || strcmp(session, s->o->session) != 0)
		return false;
	if (s->o->exec < 0)
		return exec == NULL || json_is_null(exec);
	return json_is_integer(exec) && json_integer_value(exec) == s->o->exec;
}

static void
stream_handle(struct stream *s, const char *method, json_t *params, const char *b64, size_t b64len)
{
	const char *stream_name, *reason;
	json_t *code, *sig;

	if (s->done || method == NULL)
		return;
	if (strcmp(method, "session/output") == 0) {
		if (!stream_is_ours(s, params))
			return;
		stream_name = json_string_value(json_object_get(params, "stream"));
		if (b64 == NULL) {
			b64 = json_string_value(json_object_get(params, "data"));
			b64len = b64 != NULL ? json_string_length(json_object_get(params, "data")) : 0;
		}
		if (b64 != NULL)
			stream_emit(s, stream_name != NULL && strcmp(stream_name, "stderr") == 0 ?
				STDERR_FILENO : STDOUT_FILENO, b64, b64len);
	} else if (strcmp(method, "session/exit") == 0) {
		if (!stream_is_ours(s, params))
			return;
		if (stream_flush(s) < 0)
			return;
		code = json_object_get(params, "code");
		sig = json_object_get(params, "signal");
		/* a session that failed before its command ran says why */
		if (json_is_string(json_object_get(params, "error")) &&
		    json_is_string(json_object_get(params, "status")) &&
		    strcmp(json_string_value(json_object_get(params, "status")), "failed") == 0)
			fprintf(stderr, "mino: session %s failed: %s\n", s->o->session,
			    json_string_value(json_object_get(params, "error")));
		if (s->o->exit_zero)
			stream_finish(s, 0, NULL);
		else if (json_is_integer(code))
			stream_finish(s, (int)(json_integer_value(code) & 0xff), NULL);
		else if (json_is_integer(sig))
			stream_finish(s, 128 + (int)(json_integer_value(sig) & 0x7f), NULL);
		else
			stream_finish(s, 1, xasprintf("session %s ended without an exit status",
				s->o->session));
	} else if (strcmp(method, "session/detached") == 0) {
		if (!stream_is_ours(s, params))
			return;
		reason = json_string_value(json_object_get(params, "reason"));
		(void)stream_flush(s);
		stream_finish(s, 1, xasprintf("minod detached this client from session %s: %s",
			s->o->session, reason != NULL ? reason : "no reason given"));
	} else if (strcmp(method, "daemon/stopping") == 0) {
		(void)stream_flush(s);
		stream_finish(s, 1, xasprintf("minod is shutting down (session %s keeps running)",
			s->o->session));
	}
}

/* The fast path for session/output: the base64 payload is located with
 * memmem/memchr and decoded in place; only the rest of the message (with
 * "data":"") goes through the JSON parser.  Returns 1 if handled, 0 to fall
 * back to the full parse. */
static int
stream_fast_output(struct stream *s, const char *body, size_t len)
{
	static const char key[] = "\"data\":\"";
	const char *start, *end;
	_cleanup_free_ char *rest = NULL;
	struct mino_error *err = NULL;
	struct rpc_msg msg;
	size_t head, tail;
	json_t *data;
	int handled = 0;

	start = memmem(body, len, key, sizeof key - 1);
	if (start == NULL)
		return 0;
	start += sizeof key - 1;
	end = memchr(start, '"', len - (size_t)(start - body));
	if (end == NULL || memchr(start, '\\', (size_t)(end - start)) != NULL)
		return 0;
	head = (size_t)(start - body);
	tail = len - (size_t)(end - body);
	rest = xmalloc(head + tail);
	memcpy(rest, body, head);
	memcpy(rest + head, end, tail);
	if (rpc_parse(rest, head + tail, &msg, NULL, &err) < 0) {
		mino_error_release(&err);
		return 0;
	}
	data = json_object_get(msg.params, "data");
	if (msg.kind == RPC_KIND_NOTIFICATION && strcmp(msg.method, "session/output") == 0 &&
	    json_is_string(data) && json_string_length(data) == 0) {
		stream_handle(s, msg.method, msg.params, start, (size_t)(end - start));
		handled = 1;
	}
	rpc_msg_free(&msg);
	return handled;
}

static void
stream_handle_binary(struct stream *s, const char *body, size_t len)
{
	_cleanup_json_ json_t *head = NULL;
	const char *data, *name;
	size_t dlen;

	if (outframe_parse(body, len, &head, &data, &dlen) < 0) {
		stream_finish(s, 1, xstrdup("bad message from minod: a malformed binary output frame"));
		return;
	}
	if (s->done || !stream_is_ours(s, head) || dlen == 0)
		return;
	name = json_string_value(json_object_get(head, "stream"));
	stream_emit_raw(s, strcmp(name, "stderr") == 0 ? STDERR_FILENO : STDOUT_FILENO, data, dlen);
}

static void
stream_handle_body(struct stream *s, const char *body, size_t len)
{
	struct mino_error *err = NULL;
	struct rpc_msg msg;

	if (stream_fast_output(s, body, len))
		return;
	if (rpc_parse(body, len, &msg, NULL, &err) < 0) {
		stream_finish(s, 1, xasprintf("bad message from minod: %s", err->msg));
		mino_error_release(&err);
		return;
	}
	if (msg.kind == RPC_KIND_NOTIFICATION)
		stream_handle(s, msg.method, msg.params, NULL, 0);
	rpc_msg_free(&msg);
}

static void
stream_drain_reader(struct stream *s)
{
	struct mino_error *err = NULL;
	const char *body;
	size_t len;
	int rc;

	while (!s->done) {
		rc = frame_reader_next(&s->c->reader, &body, &len, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			stream_finish(s, 1, xasprintf("bad message from minod: %s", err->msg));
			mino_error_release(&err);
			return;
		}
		if (s->c->reader.binary)
			stream_handle_binary(s, body, len);
		else
			stream_handle_body(s, body, len);
	}
	if (!s->done)
		(void)stream_flush(s);
}

static void
stream_sock_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct stream *s = h->data;
	size_t room;

	buf->base = frame_reader_space(&s->c->reader, STREAM_READ_SIZE, &room);
	buf->len = room;
}

static void
stream_sock_read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
	struct stream *s = h->data;

	if (nread > 0) {
		frame_reader_commit(&s->c->reader, (size_t)nread);
		stream_drain_reader(s);
		return;
	}
	if (nread == 0 || s->done)
		return;
	(void)stream_flush(s);
	if (nread == UV_EOF)
		stream_finish(s, 1, xstrdup("minod closed the connection"));
	else
		stream_finish(s, 1, xasprintf("reading from minod: %s", uv_strerror((int)nread)));
}

/* ---------- messages to minod ---------- */

static json_t *
stream_params(struct stream *s)
{
	json_t *p = json_pack("{s:s}", "session", s->o->session);

	if (s->o->exec >= 0)
		json_object_set_new(p, "exec", json_integer(s->o->exec));
	return p;
}

static void
stream_send(struct stream *s, json_t *msg, enum stream_write_kind kind)
{
	struct stream_write *w;
	uv_buf_t b;
	size_t len;
	int rc;

	if (s->done) {
		json_decref(msg);
		return;
	}
	w = xcalloc(1, sizeof *w);
	w->s = s;
	w->kind = kind;
	w->data = rpc_encode(msg, &len);
	json_decref(msg);
	if (w->data == NULL)
		fatal("stream_send: encoding failed");
	b = uv_buf_init(w->data, (unsigned)len);
	rc = uv_write(&w->req, (uv_stream_t *)&s->sock, &b, 1, stream_write_cb);
	if (rc < 0) {
		free(w->data);
		free(w);
		stream_finish(s, 1, xasprintf("writing to minod: %s", uv_strerror(rc)));
		return;
	}
	if (uv_stream_get_write_queue_size((uv_stream_t *)&s->sock) > MINO_WRITE_HIGH_WATER)
		stream_input_pause(s);
}

static void
stream_write_cb(uv_write_t *req, int status)
{
	struct stream_write *w = (struct stream_write *)req;
	struct stream *s = w->s;
	enum stream_write_kind kind = w->kind;

	free(w->data);
	free(w);
	if (s->done)
		return;
	if (status < 0) {
		stream_finish(s, 1, xasprintf("writing to minod: %s", uv_strerror(status)));
		return;
	}
	if (kind == STREAM_WRITE_DETACH) {
		stream_finish(s, 0, xasprintf("\r\nmino: detached from session %s (mino attach %s to return)",
			s->o->session, s->o->session));
		return;
	}
	if (uv_stream_get_write_queue_size((uv_stream_t *)&s->sock) < MINO_WRITE_LOW_WATER)
		stream_input_resume(s);
}

static void
stream_send_input(struct stream *s, const char *data, size_t len)
{
	json_t *params;
	char *b64;
	size_t n;

	if (len == 0)
		return;
	b64 = xmalloc((len + 2) / 3 * 4);
	n = stream_b64_encode((const unsigned char *)data, len, b64);
	params = stream_params(s);
	json_object_set_new(params, "data", json_stringn(b64, n));
	free(b64);
	stream_send(s, rpc_notification_new("session/input", params), STREAM_WRITE_INPUT);
}

static void
stream_send_eof(struct stream *s)
{
	json_t *params = stream_params(s);

	json_object_set_new(params, "eof", json_true());
	stream_send(s, rpc_notification_new("session/input", params), STREAM_WRITE_INPUT);
}

static void
stream_send_resize(struct stream *s)
{
	json_t *params = stream_params(s);
	int rows, cols;

	term_size(&rows, &cols);
	json_object_set_new(params, "rows", json_integer(rows));
	json_object_set_new(params, "cols", json_integer(cols));
	stream_send(s, rpc_notification_new("session/resize", params), STREAM_WRITE_INPUT);
}

static void
stream_detach(struct stream *s)
{
	stream_send(s, rpc_notification_new("session/detach",
		json_pack("{s:s}", "session", s->o->session)), STREAM_WRITE_DETACH);
	stream_input_end(s);
}

/* ---------- stdin ---------- */

/* Forwards input, watching for ctrl-p ctrl-q; a ctrl-p followed by
 * anything else is forwarded with it. */
static void
stream_input(struct stream *s, const char *data, size_t len)
{
	_cleanup_free_ char *out = NULL;
	size_t i, n = 0;
	unsigned char ch;

	if (!s->o->detach_keys) {
		stream_send_input(s, data, len);
		return;
	}
	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		ch = (unsigned char)data[i];
		if (s->ctrl_p) {
			s->ctrl_p = false;
			if (ch == STREAM_DETACH_2) {
				stream_send_input(s, out, n);
				stream_detach(s);
				return;
			}
			out[n++] = STREAM_DETACH_1;
		}
		if (ch == STREAM_DETACH_1) {
			s->ctrl_p = true;
			continue;
		}
		out[n++] = (char)ch;
	}
	stream_send_input(s, out, n);
}

/* stdin is finished (EOF, error, or detaching). */
static void
stream_input_end(struct stream *s)
{
	if (s->in_done)
		return;
	s->in_done = true;
	if (s->in_stream != NULL && !uv_is_closing((uv_handle_t *)s->in_stream))
		uv_close((uv_handle_t *)s->in_stream, stream_close_cb);
}

static void
stream_input_pause(struct stream *s)
{
	if (s->in_paused)
		return;
	s->in_paused = true;
	if (s->in_stream != NULL && !s->in_done)
		uv_read_stop(s->in_stream);
}

static void
stream_input_resume(struct stream *s)
{
	if (!s->in_paused)
		return;
	s->in_paused = false;
	if (s->in_done || s->done)
		return;
	if (s->in_stream != NULL)
		uv_read_start(s->in_stream, stream_in_alloc_cb, stream_in_read_cb);
	else if (!s->in_fs_busy)
		stream_in_fs_read(s);
}

static void
stream_in_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct stream *s = h->data;

	buf->base = s->in_buf;
	buf->len = sizeof s->in_buf;
}

static void
stream_in_read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
	struct stream *s = h->data;

	if (s->done || s->in_done)
		return;
	if (nread > 0) {
		stream_input(s, buf->base, (size_t)nread);
		return;
	}
	if (nread == 0)
		return;
	/* EOF, or an error such as EIO on a hung-up terminal */
	if (s->o->send_eof)
		stream_send_eof(s);
	stream_input_end(s);
}

static void
stream_in_fs_read(struct stream *s)
{
	uv_buf_t b = uv_buf_init(s->in_buf, sizeof s->in_buf);
	int rc;

	rc = uv_fs_read(&s->loop, &s->in_req, STDIN_FILENO, &b, 1, -1, stream_in_fs_cb);
	if (rc < 0) {
		if (s->o->send_eof)
			stream_send_eof(s);
		s->in_done = true;
		return;
	}
	s->in_fs_busy = true;
}

static void
stream_in_fs_cb(uv_fs_t *req)
{
	struct stream *s = req->data;
	ssize_t n = req->result;

	s->in_fs_busy = false;
	uv_fs_req_cleanup(req);
	if (s->done || s->in_done)
		return;
	if (n > 0) {
		stream_input(s, s->in_buf, (size_t)n);
		if (!s->in_paused && !s->done && !s->in_done)
			stream_in_fs_read(s);
		return;
	}
	if (s->o->send_eof)
		stream_send_eof(s);
	s->in_done = true;
}

static void
stream_in_start(struct stream *s)
{
	uv_handle_type type = uv_guess_handle(STDIN_FILENO);
	int rc = UV_EINVAL;

	s->in_req.data = s;
	if (type == UV_TTY) {
		rc = uv_tty_init(&s->loop, &s->in.tty, STDIN_FILENO, 1);
		if (rc == 0)
			s->in_stream = (uv_stream_t *)&s->in.tty;
	} else if (type == UV_NAMED_PIPE || type == UV_TCP) {
		rc = uv_pipe_init(&s->loop, &s->in.pipe, 0);
		if (rc == 0) {
			rc = uv_pipe_open(&s->in.pipe, STDIN_FILENO);
			if (rc == 0)
				s->in_stream = (uv_stream_t *)&s->in.pipe;
			else
				uv_close((uv_handle_t *)&s->in.pipe, NULL);
		}
	}
	if (s->in_stream != NULL) {
		s->in_stream->data = s;
		rc = uv_read_start(s->in_stream, stream_in_alloc_cb, stream_in_read_cb);
		if (rc == 0)
			return;
		stream_input_end(s);
		s->in_done = false;
		s->in_stream = NULL;
	}
	if (type == UV_FILE || (type != UV_UNKNOWN_HANDLE && rc < 0)) {
		stream_in_fs_read(s); /* regular files, /dev/null, ... */
		return;
	}
	/* stdin is closed */
	if (s->o->send_eof)
		stream_send_eof(s);
	s->in_done = true;
}

/* ---------- signals, shutdown ---------- */

static void
stream_signal_cb(uv_signal_t *h, int signum)
{
	struct stream *s = h->data;

	if (signum == SIGWINCH) {
		if (s->o->interactive)
			stream_send_resize(s);
		return;
	}
	term_restore();
	(void)stream_flush(s);
	stream_finish(s, 128 + signum, NULL);
}

static void
stream_close_cb(uv_handle_t *h)
{
}

static void
stream_close_walk_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, stream_close_cb);
}

/* Winds the loop down; the first outcome wins.  Takes `message`. */
static void
stream_finish(struct stream *s, int code, char *message)
{
	if (s->done) {
		free(message);
		return;
	}
	s->done = true;
	s->exit_code = code;
	s->message = message;
	uv_walk(&s->loop, stream_close_walk_cb, NULL);
}

int
stream_run(struct client *c, const struct stream_opts *o)
{
	struct mino_error *err = NULL;
	struct stream *s;
	size_t i, n;
	int rc, code;

	term_fds_in_use_by_loop();
	s = xcalloc(1, sizeof *s);
	s->c = c;
	s->o = o;
	s->out_fd = STDOUT_FILENO;
	buf_init(&s->out);
	if (uv_loop_init(&s->loop) < 0)
		fatal("uv_loop_init failed");
	s->loop.data = s;

	uv_pipe_init(&s->loop, &s->sock, 0);
	s->sock.data = s;
	rc = uv_pipe_open(&s->sock, c->fd);
	if (rc < 0)
		fatal("uv_pipe_open: %s", uv_strerror(rc));
	c->fd = -1; /* the handle owns it now */

	for (i = 0; i < STREAM_NSIGNALS; i++) {
		uv_signal_init(&s->loop, &s->sig[i]);
		s->sig[i].data = s;
		uv_signal_start(&s->sig[i], stream_signal_cb, stream_signals[i]);
	}
	if (o->interactive && term_raw(&err) < 0) {
		stream_finish(s, 1, xstrdup(err->msg));
		mino_error_release(&err);
	}

	/* what arrived with or before the last reply */
	n = json_array_size(c->backlog);
	for (i = 0; i < n && !s->done; i++) {
		json_t *m = json_array_get(c->backlog, i);

		stream_handle(s, json_string_value(json_object_get(m, "method")),
			json_object_get(m, "params"), NULL, 0);
	}
	json_array_clear(c->backlog);
	if (!s->done)
		stream_drain_reader(s);
	if (!s->done && o->resize_now)
		stream_send_resize(s);
	if (!s->done && o->forward_stdin)
		stream_in_start(s);
	if (!s->done) {
		rc = uv_read_start((uv_stream_t *)&s->sock, stream_sock_alloc_cb, stream_sock_read_cb);
		if (rc < 0)
			stream_finish(s, 1, xasprintf("reading from minod: %s", uv_strerror(rc)));
	}

	uv_run(&s->loop, UV_RUN_DEFAULT);
	if (!s->done) /* the loop ran out of handles: cannot happen, the socket is one */
		stream_finish(s, 1, xstrdup("internal error: the stream ended early"));
	uv_run(&s->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&s->loop);
	if (rc != 0)
		log_debug("uv_loop_close: %s", uv_strerror(rc));

	term_restore();
	if (s->message != NULL)
		fprintf(stderr, "%s%s\n", s->message[0] == '\r' ? "" : "mino: ", s->message);
	code = s->exit_code;
	free(s->message);
	buf_free(&s->out);
	free(s);
	return code;
}
