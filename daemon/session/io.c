/* io.c: a session's output and its clients: the replay ring, the
 * session/output frames, fan-out and flow control, attach / detach.
 *
 * Every chunk of a session's output goes to its transcript, its 64 KiB
 * replay ring and every attached connection as a session/output
 * notification framed by hand (the hot path).  The session's reads pause
 * only when every attached connection's write queue is past
 * MINO_WRITE_HIGH_WATER (nobody can take more: backpressure to the
 * container), and resume when the fastest is back under
 * MINO_WRITE_LOW_WATER.  A connection that falls behind the others grows
 * to MINO_WRITE_HARD_CAP and is then detached, so no client can stall a
 * container for the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "container.h"
#include "jsonrpc.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "outframe.h"
#include "session.h"
#include "transcript.h"
#include "xalloc.h"

#define SESSION_STALL_MS 30000          /* paused this long: detach who is not reading */

static uv_timer_t session_stall_timer;
static bool session_stall_timer_init;

static void session_stall_watch(void);

struct pty_proc *
session_io_proc(const struct session_io *io)
{
	if (io->exec_id != 0)
		return io->pp;
	return io->s->ctr != NULL ? container_proc(io->s->ctr) : NULL;
}

void
session_io_stall_stop(void)
{
	if (session_stall_timer_init) {
		session_stall_timer_init = false;
		uv_close((uv_handle_t *)&session_stall_timer, NULL);
	}
}

/* ---------- output: ring, frames, fan-out, flow control ---------- */

void
session_ring_append(struct session *s, enum pty_stream st, const char *data, size_t len)
{
	struct session_chunk *c;

	if (len > SESSION_RING_MAX) {
		data += len - SESSION_RING_MAX;
		len = SESSION_RING_MAX;
	}
	while (s->ring_head != NULL && s->ring_len + len > SESSION_RING_MAX) {
		c = s->ring_head;
		s->ring_head = c->next;
		if (s->ring_head == NULL)
			s->ring_tail = NULL;
		s->ring_len -= c->len;
		free(c);
	}
	c = xmalloc(sizeof *c + len);
	c->next = NULL;
	c->stream = st;
	c->len = len;
	memcpy(c->data, data, len);
	if (s->ring_tail != NULL)
		s->ring_tail->next = c;
	else
		s->ring_head = c;
	s->ring_tail = c;
	s->ring_len += len;
}

/* The last bytes of output (up to `max`) as one string, for error lines. */
char *
session_ring_tail(const struct session *s, size_t max, size_t *outlen)
{
	const struct session_chunk *c;
	struct buf b;
	size_t skip = s->ring_len > max ? s->ring_len - max : 0;

	buf_init(&b);
	for (c = s->ring_head; c != NULL; c = c->next) {
		if (skip >= c->len) {
			skip -= c->len;
			continue;
		}
		buf_append(&b, c->data + skip, c->len - skip);
		skip = 0;
	}
	return buf_steal(&b, outlen);
}

static const char *
session_stream_name(enum pty_stream st)
{
	switch (st) {
	case PTY_STREAM_STDOUT:
		return "stdout";
	case PTY_STREAM_STDERR:
		return "stderr";
	default:
		return "pty";
	}
}

/* The session's name as a JSON string, escaped once. */
static const char *
session_name_json(struct session *s)
{
	json_t *j;

	if (s->name_json == NULL) {
		j = json_string(s->spec.name);
		s->name_json = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
		json_decref(j);
		if (s->name_json == NULL)
			s->name_json = xstrdup("\"\"");
	}
	return s->name_json;
}

/* A binary session/output frame (common/outframe.h): the head, then the
 * bytes as they are. */
static char *
session_output_binary(struct session_io *io, enum pty_stream st, const char *data, size_t len,
    unsigned long long seq, size_t *outlen)
{
	char *frame = xmalloc(OUTFRAME_HEAD_MAX + len);
	size_t n;

	n = outframe_head(frame, session_name_json(io->s), io->exec_id, session_stream_name(st), seq, len);
	memcpy(frame + n, data, len);
	*outlen = n + len;
	return frame;
}

/* A whole framed session/output notification, built by hand: the only
 * JSON-escaped part is the session name.  Binary for a connection that
 * asked for it at hello. */
static char *
session_output_frame(struct session_io *io, enum pty_stream st, const char *data, size_t len,
    unsigned long long seq, bool binary, size_t *outlen)
{
	const char *name = session_name_json(io->s);
	char prefix[512], exec[32] = "", header[64];
	int plen, hlen;
	size_t blen, body;
	char *frame, *p;
	static const char suffix[] = "\"}}";

	if (binary)
		return session_output_binary(io, st, data, len, seq, outlen);
	if (io->exec_id != 0)
		snprintf(exec, sizeof exec, ",\"exec\":%u", io->exec_id);
	plen = snprintf(prefix, sizeof prefix,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"session/output\",\"params\":{\"session\":%s%s,"
	    "\"stream\":\"%s\",\"seq\":%llu,\"data\":\"",
	    name, exec, session_stream_name(st), seq);
	blen = B64_ENCODED_LEN(len);
	body = (size_t)plen + blen + sizeof suffix - 1;
	hlen = snprintf(header, sizeof header, "Content-Length: %zu\r\n\r\n", body);
	frame = xmalloc((size_t)hlen + body + 1);
	p = frame;
	memcpy(p, header, (size_t)hlen);
	p += hlen;
	memcpy(p, prefix, (size_t)plen);
	p += plen;
	p += b64_encode_into(p, data, len);
	memcpy(p, suffix, sizeof suffix - 1);
	p += sizeof suffix - 1;
	*outlen = (size_t)(p - frame);
	return frame;
}

static void
session_io_remove_at(struct session_io *io, size_t i)
{
	struct conn *c = io->att[i];

	memmove(&io->att[i], &io->att[i + 1], (io->natt - i - 1) * sizeof *io->att);
	io->natt--;
	conn_unref(c);
}

static json_t *
session_io_params(const struct session_io *io)
{
	json_t *p = json_object();

	json_object_set_new(p, "session", json_string(io->s->spec.name));
	if (io->exec_id != 0)
		json_object_set_new(p, "exec", json_integer(io->exec_id));
	return p;
}

static void
session_io_kick(struct session_io *io, size_t i, const char *reason)
{
	struct conn *c = io->att[i];
	json_t *p = session_io_params(io);

	log_info("session %s: detaching client %llu: %s", io->s->spec.name,
	    (unsigned long long)conn_id(c), reason);
	json_object_set_new(p, "reason", json_string(reason));
	conn_notify(c, "session/detached", p);
	session_io_remove_at(io, i);
}

/* Sends one chunk to every live connection: each kind of frame (JSON,
 * binary) is built once, the last connection of a kind gets that buffer
 * and the others a copy. */
void
session_io_fanout(struct session_io *io, enum pty_stream st, const char *data, size_t len)
{
	struct pty_proc *pp;
	char *frame[2] = { NULL, NULL };
	size_t flen[2] = { 0, 0 }, last[2] = { 0, 0 }, i;
	bool any[2] = { false, false }, all_high = true;
	unsigned long long seq;
	int k;

	for (i = 0; i < io->natt;) {
		if (conn_is_dead(io->att[i])) {
			session_io_remove_at(io, i);
			continue;
		}
		if (conn_write_queue_size(io->att[i]) > MINO_WRITE_HARD_CAP) {
			session_io_kick(io, i, "output backlog over the limit");
			continue;
		}
		k = conn_binary_output(io->att[i]);
		any[k] = true;
		last[k] = i;
		i++;
	}
	if (!any[0] && !any[1])
		return;
	seq = io->seq++;
	for (k = 0; k < 2; k++)
		if (any[k])
			frame[k] = session_output_frame(io, st, data, len, seq, k == 1, &flen[k]);
	for (i = 0; i < io->natt; i++) {
		char *f;

		k = conn_binary_output(io->att[i]);
		if (i == last[k]) {
			f = frame[k];
			frame[k] = NULL;
		} else {
			f = xmalloc(flen[k]);
			memcpy(f, frame[k], flen[k]);
		}
		conn_send_framed(io->att[i], f, flen[k]);
		if (conn_write_queue_size(io->att[i]) <= MINO_WRITE_HIGH_WATER)
			all_high = false;
	}
	pp = session_io_proc(io);
	if (all_high && pp != NULL && !io->paused) {
		io->paused = true;
		io->paused_at = uv_now(minod.loop);
		pty_proc_pause(pp);
		session_stall_watch();
	}
}

/* A client that does not read for SESSION_STALL_MS is detached so that it
 * cannot stall the container for the others. */
static void
session_io_check_stall(struct session_io *io, uint64_t now)
{
	size_t i;

	if (!io->paused || now - io->paused_at < SESSION_STALL_MS)
		return;
	for (i = 0; i < io->natt;) {
		if (conn_write_queue_size(io->att[i]) > MINO_WRITE_LOW_WATER)
			session_io_kick(io, i, "not reading its output");
		else
			i++;
	}
	session_io_check_resume(io);
}

static void
session_stall_cb(uv_timer_t *t)
{
	struct session *s;
	struct session_exec *ex;
	uint64_t now = uv_now(minod.loop);
	bool any = false;

	TAILQ_FOREACH(s, &session_all, link) {
		session_io_check_stall(&s->main, now);
		any |= s->main.paused;
		LIST_FOREACH(ex, &s->execs, link) {
			session_io_check_stall(&ex->io, now);
			any |= ex->io.paused;
		}
	}
	if (!any)
		uv_timer_stop(t);
}

static void
session_stall_watch(void)
{
	if (minod.shutting_down)
		return;
	if (!session_stall_timer_init) {
		uv_timer_init(minod.loop, &session_stall_timer);
		session_stall_timer_init = true;
	}
	if (!uv_is_active((uv_handle_t *)&session_stall_timer))
		uv_timer_start(&session_stall_timer, session_stall_cb, 1000, 1000);
}

void
session_io_check_resume(struct session_io *io)
{
	struct pty_proc *pp;
	size_t i;

	if (!io->paused)
		return;
	/* Resume as soon as one live reader has drained (or none is left). */
	for (i = 0; i < io->natt; i++)
		if (!conn_is_dead(io->att[i]) && conn_write_queue_size(io->att[i]) <= MINO_WRITE_LOW_WATER)
			break;
	if (io->natt > 0 && i == io->natt)
		return;
	io->paused = false;
	if ((pp = session_io_proc(io)) != NULL)
		pty_proc_resume(pp);
}

void
session_main_output(struct session *s, enum pty_stream st, const char *data, size_t len)
{
	transcript_write(s->transcript, data, len);
	session_ring_append(s, st, data, len);
	session_io_fanout(&s->main, st, data, len);
}

/* ---------- attach / detach / replay ---------- */

int
session_io_attach(struct session_io *io, struct conn *c)
{
	size_t i;

	for (i = 0; i < io->natt; i++)
		if (io->att[i] == c)
			return 0;
	if (io->natt == io->catt) {
		io->catt = io->catt ? io->catt * 2 : 4;
		io->att = xreallocarray(io->att, io->catt, sizeof *io->att);
	}
	conn_ref(c);
	io->att[io->natt++] = c;
	return 0;
}

bool
session_io_detach(struct session_io *io, struct conn *c)
{
	size_t i;

	for (i = 0; i < io->natt; i++)
		if (io->att[i] == c) {
			session_io_remove_at(io, i);
			session_io_check_resume(io);
			return true;
		}
	return false;
}

void
session_io_hold_input(struct session_io *io, struct conn *c)
{
	size_t i;

	for (i = 0; i < io->nheld; i++)
		if (io->held[i] == c)
			return;
	if (io->nheld == SESSION_IO_MAX_HELD)
		return; /* PTY_INPUT_MAX still bounds the backlog */
	conn_ref(c);
	conn_pause_input(c);
	io->held[io->nheld++] = c;
}

void
session_io_release_held(struct session_io *io, bool resume)
{
	while (io->nheld > 0) {
		struct conn *c = io->held[--io->nheld];

		if (resume)
			conn_resume_input(c);
		conn_unref(c);
	}
}

/* `c` is going away: forget it without resuming. */
void
session_io_unhold(struct session_io *io, struct conn *c)
{
	size_t i;

	for (i = 0; i < io->nheld; i++)
		if (io->held[i] == c) {
			io->held[i] = io->held[--io->nheld];
			conn_unref(c);
			return;
		}
}

void
session_io_release(struct session_io *io)
{
	session_io_release_held(io, true);
	while (io->natt > 0)
		session_io_remove_at(io, io->natt - 1);
	free(io->att);
	io->att = NULL;
	io->catt = 0;
}

void
session_replay(struct session *s, struct conn *c)
{
	const struct session_chunk *ch;
	char *frame;
	size_t flen;

	for (ch = s->ring_head; ch != NULL; ch = ch->next) {
		if (conn_is_dead(c))
			return;
		frame = session_output_frame(&s->main, ch->stream, ch->data, ch->len, s->main.seq++,
		    conn_binary_output(c), &flen);
		conn_send_framed(c, frame, flen);
	}
}

struct session_io *
session_io_find(struct session *s, json_t *params, struct mino_error **err)
{
	json_t *ej = json_object_get(params, "exec");
	struct session_exec *ex;
	json_int_t id;

	if (ej == NULL || json_is_null(ej) || (json_is_integer(ej) && json_integer_value(ej) == 0))
		return &s->main;
	if (!json_is_integer(ej)) {
		mino_make_error(err, RPC_INVALID_PARAMS, 0, "`exec` must be an integer");
		return NULL;
	}
	id = json_integer_value(ej);
	LIST_FOREACH(ex, &s->execs, link)
		if ((json_int_t)ex->io.exec_id == id)
			return &ex->io;
	mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` has no exec %lld", s->spec.name, (long long)id);
	return NULL;
}

void
session_io_send_exit(struct session_io *io, bool have_code, int code, int sig, const char *status,
    const char *error)
{
	size_t i;
	json_t *p;

	for (i = 0; i < io->natt; i++) {
		if (conn_is_dead(io->att[i]))
			continue;
		p = session_io_params(io);
		json_object_set_new(p, "code", have_code ? json_integer(code) : json_null());
		json_object_set_new(p, "signal", sig ? json_integer(sig) : json_null());
		json_object_set_new(p, "status", json_string(status));
		if (error != NULL)
			json_object_set_new(p, "error", json_string(error));
		conn_notify(io->att[i], "session/exit", p);
	}
}

