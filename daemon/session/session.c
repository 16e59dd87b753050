/* session.c: sessions, their processes, output fan-out and flow control.
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
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "audit.h"
#include "b64.h"
#include "fsutil.h"
#include "jsonrpc.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "names.h"
#include "paths.h"
#include "podman.h"
#include "session.h"
#include "state.h"
#include "transcript.h"
#include "xalloc.h"

#define SESSION_CID_POLL_MS 10
#define SESSION_CID_POLLS 3000          /* 30 s */
#define SESSION_TAIL_SCAN 4096          /* output scanned for podman's error line */
#define SESSION_IMAGE_CACHE 16
#define SESSION_HANGUP_GRACE_MS 3000
#define SESSION_SHUTDOWN_MAX_MS 8000
#define SESSION_STALL_MS 30000          /* paused this long: detach who is not reading */

struct session_list session_all = TAILQ_HEAD_INITIALIZER(session_all);

static uv_timer_t session_stall_timer;
static bool session_stall_timer_init;

static char *session_image_cache[SESSION_IMAGE_CACHE];
static unsigned session_image_next;

static void session_main_output(struct pty_proc *pp, enum pty_stream st, const char *data, size_t len);
static void session_main_done(struct pty_proc *pp, int64_t status, int sig);
static void session_exec_output(struct pty_proc *pp, enum pty_stream st, const char *data, size_t len);
static void session_exec_done(struct pty_proc *pp, int64_t status, int sig);
static void session_cid_timer_cb(uv_timer_t *t);
static void session_timer_close_cb(uv_handle_t *h);
static void session_rm_cb(struct podman_result *res, void *arg);
static void session_inspect_cb(struct podman_result *res, void *arg);
static void session_stop_cb(struct podman_result *res, void *arg);
static void session_io_check_resume(struct session_io *io);
static void session_stall_watch(void);
static char *session_exec_marker(char **env, char ***envm);
static void session_exec_kill(struct session_exec *ex);
static void session_io_release(struct session_io *io);
static void session_io_release_held(struct session_io *io, bool resume);
static void session_io_unhold(struct session_io *io, struct conn *c);
static void session_main_input_low(struct pty_proc *pp);
static void session_exec_input_low(struct pty_proc *pp);
static void session_fail(struct session *s, int exit_code, const char *error);
static void session_answer_create(struct session *s);
static void session_create_continue(struct session *s);
static void session_rm_pending_add(const char *name);
static bool session_rm_pending_del(const char *name);
static void session_kill_container(struct session *s);

/* ---------- small helpers ---------- */

void
session_strv_free(char **v)
{
	char **p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

char **
session_strv_from_json(const json_t *arr)
{
	char **v;
	size_t i, n;

	if (arr == NULL || !json_is_array(arr))
		return NULL;
	n = json_array_size(arr);
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++) {
		const char *str = json_string_value(json_array_get(arr, i));

		v[i] = xstrdup(str ? str : "");
	}
	return v;
}

int
session_strv_param(json_t *params, const char *key, int (*check)(const char *, struct mino_error **),
    char ***out, struct mino_error **err)
{
	json_t *arr = NULL, *v;
	size_t i;

	if (rpc_param_strv(params, key, false, &arr, err) < 0)
		return -1;
	if (arr == NULL)
		return 0;
	json_array_foreach(arr, i, v) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` contains a NUL byte", key);
		if (check != NULL && check(json_string_value(v), err) < 0)
			return -1;
	}
	*out = session_strv_from_json(arr);
	return 0;
}

json_t *
session_strv_to_json(char *const *v)
{
	json_t *arr = json_array();

	for (; v != NULL && *v != NULL; v++)
		json_array_append_new(arr, json_string(*v));
	return arr;
}

void
session_spec_free(struct session_spec *spec)
{
	free(spec->name);
	free(spec->id);
	free(spec->project_dir);
	free(spec->image);
	session_strv_free(spec->command);
	session_strv_free(spec->env);
	session_strv_free(spec->volumes);
	free(spec->network);
	free(spec->workdir);
	free(spec->shell);
	session_strv_free(spec->warnings);
	memset(spec, 0, sizeof *spec);
}

char *
session_new_id(size_t nbytes)
{
	unsigned char raw[32];
	char *hex;
	size_t i;
	int fd;

	if (nbytes > sizeof raw)
		nbytes = sizeof raw;
	if (RAND_bytes(raw, (int)nbytes) != 1) {
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, raw, nbytes) != (ssize_t)nbytes)
			fatal("no randomness for a session id");
		close(fd);
	}
	hex = xmalloc(nbytes * 2 + 1);
	for (i = 0; i < nbytes; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return hex;
}

void
session_format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *
session_time_json(time_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	session_format_time(t, buf, sizeof buf);
	return json_string(buf);
}

time_t
session_parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	return timegm(&tm);
}

static const char *const session_status_names[] = {
	[SESSION_STARTING] = "starting",
	[SESSION_RUNNING] = "running",
	[SESSION_EXITED] = "exited",
	[SESSION_STOPPED] = "stopped",
	[SESSION_FAILED] = "failed",
};

const char *
session_status_name(enum session_status st)
{
	return session_status_names[st];
}

int
session_status_from_name(const char *name, enum session_status *out)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof session_status_names / sizeof *session_status_names; i++)
		if (strcmp(name, session_status_names[i]) == 0) {
			*out = (enum session_status)i;
			return 0;
		}
	return -1;
}

bool
session_is_live(const struct session *s)
{
	return s->status == SESSION_STARTING || s->status == SESSION_RUNNING;
}

/* ---------- the list ---------- */

struct session *
session_find(const char *name)
{
	struct session *s;

	TAILQ_FOREACH(s, &session_all, link)
		if (strcmp(s->spec.name, name) == 0)
			return s;
	return NULL;
}

struct session *
session_find_rpc(json_t *params, struct mino_error **err)
{
	const char *name = NULL;
	struct session *s;

	if (rpc_param_string(params, "session", true, &name, err) < 0)
		return NULL;
	s = session_find(name);
	if (s == NULL)
		mino_make_error(err, MINO_E_SESSION_NOT_FOUND, 0, "no session `%s`", name);
	return s;
}

struct session *
session_most_recent_running(void)
{
	struct session *s, *best = NULL;

	TAILQ_FOREACH(s, &session_all, link) {
		if (s->status != SESSION_RUNNING)
			continue;
		if (best == NULL || s->started_at >= best->started_at)
			best = s;
	}
	return best;
}

struct session *
session_new(struct session_spec *spec)
{
	struct session *s = xcalloc(1, sizeof *s);

	s->refs = 1;
	s->spec = *spec;
	memset(spec, 0, sizeof *spec);
	s->main.s = s;
	s->main.tty = s->spec.tty;
	s->main.rows = s->spec.rows ? s->spec.rows : SESSION_DEFAULT_ROWS;
	s->main.cols = s->spec.cols ? s->spec.cols : SESSION_DEFAULT_COLS;
	s->next_exec_id = 1;
	LIST_INIT(&s->execs);
	return s;
}

void
session_ref(struct session *s)
{
	s->refs++;
}

static void
session_ring_clear(struct session *s)
{
	struct session_chunk *c, *next;

	for (c = s->ring_head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	s->ring_head = s->ring_tail = NULL;
	s->ring_len = 0;
}

static void
session_stop_cid_timer(struct session *s)
{
	if (s->cid_timer == NULL)
		return;
	uv_timer_stop(s->cid_timer);
	uv_close((uv_handle_t *)s->cid_timer, session_timer_close_cb);
	s->cid_timer = NULL;
}

static void
session_free(struct session *s)
{
	log_debug("%s: %s", __func__, s->spec.name);
	session_io_release(&s->main);
	session_ring_clear(s);
	transcript_close(s->transcript);
	if (s->owner != NULL)
		conn_unref(s->owner);
	free(s->stop_waiters);
	free(s->cidfile);
	free(s->pidfile);
	free(s->name_json);
	free(s->container_id);
	session_spec_free(&s->spec);
	free(s);
}

void
session_unref(struct session *s)
{
	if (--s->refs == 0)
		session_free(s);
}

void
session_insert(struct session *s)
{
	TAILQ_INSERT_TAIL(&session_all, s, link);
}

void
session_remove(struct session *s, bool delete_files)
{
	if (s->removed)
		return;
	s->removed = true;
	TAILQ_REMOVE(&session_all, s, link);
	session_stop_cid_timer(s);
	transcript_close(s->transcript);
	s->transcript = NULL;
	if (delete_files) {
		state_remove_record(s->spec.name);
		transcript_remove(s->spec.name);
	}
	notify_status();
	session_unref(s);
}

/* ---------- records ---------- */

json_t *
session_record_json(const struct session *s)
{
	json_t *r = json_object();

	json_object_set_new(r, "name", json_string(s->spec.name));
	json_object_set_new(r, "id", json_string(s->spec.id));
	json_object_set_new(r, "project_dir", json_string(s->spec.project_dir));
	json_object_set_new(r, "image", json_string(s->spec.image));
	json_object_set_new(r, "command", session_strv_to_json(s->spec.command));
	json_object_set_new(r, "container_id", s->container_id ? json_string(s->container_id) : json_null());
	json_object_set_new(r, "container_name", json_sprintf("mino-%s", s->spec.name));
	json_object_set_new(r, "workdir", json_string(s->spec.workdir));
	json_object_set_new(r, "network", json_string(s->spec.network));
	json_object_set_new(r, "status", json_string(session_status_name(s->status)));
	json_object_set_new(r, "exit_code", s->have_exit_code ? json_integer(s->exit_code) : json_null());
	json_object_set_new(r, "created_at", session_time_json(s->created_at));
	json_object_set_new(r, "started_at", session_time_json(s->started_at));
	json_object_set_new(r, "ended_at", session_time_json(s->ended_at));
	json_object_set_new(r, "detached", json_boolean(s->spec.detach));
	json_object_set_new(r, "tty", json_boolean(s->spec.tty));
	if (s->spec.shell != NULL)
		json_object_set_new(r, "shell", json_string(s->spec.shell));
	json_object_set_new(r, "audit_log", json_boolean(!s->spec.no_audit));
	return r;
}

static char *
session_rec_str(const json_t *rec, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(rec, key));

	if (v == NULL)
		v = dflt;
	return v ? xstrdup(v) : NULL;
}

struct session *
session_from_record(const json_t *rec, struct mino_error **err)
{
	struct session_spec spec = { 0 };
	struct session *s;
	const char *name = json_string_value(json_object_get(rec, "name"));
	json_t *code;

	if (name == NULL || !name_is_valid(name)) {
		mino_make_error(err, MINO_E_INTERNAL, 0, "record without a valid name");
		return NULL;
	}
	spec.name = xstrdup(name);
	spec.id = session_rec_str(rec, "id", "");
	spec.project_dir = session_rec_str(rec, "project_dir", "");
	spec.image = session_rec_str(rec, "image", "");
	spec.command = session_strv_from_json(json_object_get(rec, "command"));
	spec.network = session_rec_str(rec, "network", "bridge");
	spec.workdir = session_rec_str(rec, "workdir", "/workspace");
	spec.tty = json_is_true(json_object_get(rec, "tty"));
	spec.detach = json_is_true(json_object_get(rec, "detached"));
	spec.shell = session_rec_str(rec, "shell", NULL);
	spec.no_audit = json_is_false(json_object_get(rec, "audit_log"));
	s = session_new(&spec);
	if (session_status_from_name(json_string_value(json_object_get(rec, "status")), &s->status) < 0)
		s->status = SESSION_EXITED;
	s->container_id = session_rec_str(rec, "container_id", NULL);
	code = json_object_get(rec, "exit_code");
	if (json_is_integer(code)) {
		s->have_exit_code = true;
		s->exit_code = (int)json_integer_value(code);
	}
	s->created_at = session_parse_time(json_string_value(json_object_get(rec, "created_at")));
	s->started_at = session_parse_time(json_string_value(json_object_get(rec, "started_at")));
	s->ended_at = session_parse_time(json_string_value(json_object_get(rec, "ended_at")));
	s->ended = !session_is_live(s);
	s->loaded = true;
	return s;
}

void
session_save(struct session *s)
{
	_cleanup_json_ json_t *rec = NULL;
	struct mino_error *err = NULL;

	if (s->removed)
		return;
	rec = session_record_json(s);
	if (state_write_record(s->spec.name, rec, &err) < 0) {
		log_warn("session %s: saving record: %s", s->spec.name, err->msg);
		mino_error_release(&err);
	}
}

/* ---------- image cache ---------- */

bool
session_image_cached(const char *image)
{
	unsigned i;

	for (i = 0; i < SESSION_IMAGE_CACHE; i++)
		if (session_image_cache[i] != NULL && strcmp(session_image_cache[i], image) == 0)
			return true;
	return false;
}

void
session_image_remember(const char *image)
{
	if (session_image_cached(image))
		return;
	free(session_image_cache[session_image_next]);
	session_image_cache[session_image_next] = xstrdup(image);
	session_image_next = (session_image_next + 1) % SESSION_IMAGE_CACHE;
}

void
session_image_forget(const char *image)
{
	unsigned i;

	for (i = 0; i < SESSION_IMAGE_CACHE; i++)
		if (session_image_cache[i] != NULL && strcmp(session_image_cache[i], image) == 0) {
			free(session_image_cache[i]);
			session_image_cache[i] = NULL;
		}
}

/* ---------- output: ring, frames, fan-out, flow control ---------- */

static void
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
static char *
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

/* A whole framed session/output notification, built by hand: the only
 * JSON-escaped part is the session name. */
static char *
session_output_frame(struct session_io *io, enum pty_stream st, const char *data, size_t len,
    size_t *outlen)
{
	const char *name = session_name_json(io->s);
	char prefix[512], exec[32] = "", header[64];
	int plen, hlen;
	size_t blen, body;
	char *frame, *p;
	static const char suffix[] = "\"}}";

	if (io->exec_id != 0)
		snprintf(exec, sizeof exec, ",\"exec\":%u", io->exec_id);
	plen = snprintf(prefix, sizeof prefix,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"session/output\",\"params\":{\"session\":%s%s,"
	    "\"stream\":\"%s\",\"seq\":%llu,\"data\":\"",
	    name, exec, session_stream_name(st), (unsigned long long)io->seq++);
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

static void
session_io_fanout(struct session_io *io, enum pty_stream st, const char *data, size_t len)
{
	char *frame, *copy;
	size_t flen, i, last = 0;
	bool any = false, all_high = true;

	for (i = 0; i < io->natt;) {
		if (conn_is_dead(io->att[i])) {
			session_io_remove_at(io, i);
			continue;
		}
		if (conn_write_queue_size(io->att[i]) > MINO_WRITE_HARD_CAP) {
			session_io_kick(io, i, "output backlog over the limit");
			continue;
		}
		any = true;
		last = i;
		i++;
	}
	if (!any)
		return;
	frame = session_output_frame(io, st, data, len, &flen);
	for (i = 0; i < io->natt; i++) {
		if (i == last) {
			conn_send_framed(io->att[i], frame, flen);
			frame = NULL;
		} else {
			copy = xmalloc(flen);
			memcpy(copy, frame, flen);
			conn_send_framed(io->att[i], copy, flen);
		}
		if (conn_write_queue_size(io->att[i]) <= MINO_WRITE_HIGH_WATER)
			all_high = false;
	}
	free(frame);
	if (all_high && io->pp != NULL && !io->paused) {
		io->paused = true;
		io->paused_at = uv_now(minod.loop);
		pty_proc_pause(io->pp);
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

static void
session_io_check_resume(struct session_io *io)
{
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
	if (io->pp != NULL)
		pty_proc_resume(io->pp);
}

static void
session_main_output(struct pty_proc *pp, enum pty_stream st, const char *data, size_t len)
{
	struct session *s = pty_proc_data(pp);

	if (s->abandoned)
		return;
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

static void
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
static void
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

static void
session_main_input_low(struct pty_proc *pp)
{
	struct session *s = pty_proc_data(pp);

	session_io_release_held(&s->main, true);
}

static void
session_exec_input_low(struct pty_proc *pp)
{
	struct session_exec *ex = pty_proc_data(pp);

	session_io_release_held(&ex->io, true);
}

static void
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
		frame = session_output_frame(&s->main, ch->stream, ch->data, ch->len, &flen);
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

static void
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

/* ---------- starting ---------- */

static char *
session_cid_dir(void)
{
	static char *dir;
	struct mino_error *err = NULL;
	char *rt = NULL;

	if (dir != NULL)
		return dir;
	if (paths_runtime_dir(&rt, &err) == 0) {
		dir = xasprintf("%s/mino-run", rt);
		free(rt);
	} else {
		mino_error_release(&err);
		dir = xasprintf("%s/run", minod.state_dir);
	}
	if (fs_mkdir_p(dir, 0700, 1, &err) < 0) {
		log_warn("%s", err->msg);
		mino_error_release(&err);
	}
	return dir;
}

static void
session_open_transcript(struct session *s)
{
	struct mino_error *err = NULL;

	if (s->transcript != NULL)
		return;
	s->transcript = transcript_open(s->spec.name, &err);
	if (s->transcript == NULL) {
		log_warn("session %s: %s", s->spec.name, err->msg);
		mino_error_release(&err);
	}
}

static int
session_spawn(struct session *s, char **argv, bool want_stdin, struct mino_error **err)
{
	struct pty_spawn_opts o = {
		.argv = (const char *const *)argv,
		.tty = s->spec.tty,
		.want_stdin = want_stdin,
		.rows = s->main.rows,
		.cols = s->main.cols,
		.on_output = session_main_output,
		.on_done = session_main_done,
		.on_input_low = session_main_input_low,
		.data = s,
	};

	s->main.pp = pty_proc_spawn(&o, err);
	if (s->main.pp == NULL)
		return -1;
	s->main.paused = false;
	session_ref(s); /* held by the process */
	return 0;
}

int
session_start(struct session *s, struct mino_error **err)
{
	char **argv;
	_cleanup_free_ char *line = NULL;
	int r;

	free(s->cidfile);
	free(s->pidfile);
	s->cidfile = xasprintf("%s/%s.cid", session_cid_dir(), s->spec.name);
	s->pidfile = xasprintf("%s/%s.pid", session_cid_dir(), s->spec.name);
	if (unlink(s->cidfile) < 0 && errno != ENOENT)
		log_warn("removing `%s`: %s", s->cidfile, strerror(errno));
	if (unlink(s->pidfile) < 0 && errno != ENOENT)
		log_warn("removing `%s`: %s", s->pidfile, strerror(errno));
	argv = podman_run_argv(&s->spec, minod.podman_path, s->cidfile, s->pidfile,
	    podman_limits_ignored() ? PODMAN_ARGV_NO_PIDS_LIMIT : 0);
	line = podman_argv_loggable(argv);
	log_info("session %s: %s", s->spec.name, line);
	session_open_transcript(s);
	r = session_spawn(s, argv, true, err);
	podman_argv_free(argv);
	if (r < 0)
		return mino_error_wrap(err, "starting session `%s`", s->spec.name);

	s->cid_timer = xcalloc(1, sizeof *s->cid_timer);
	uv_timer_init(minod.loop, s->cid_timer);
	s->cid_timer->data = s;
	session_ref(s); /* held by the timer */
	s->cid_polls = 0;
	uv_timer_start(s->cid_timer, session_cid_timer_cb, SESSION_CID_POLL_MS, SESSION_CID_POLL_MS);
	notify_status();
	return 0;
}

static void
session_timer_close_cb(uv_handle_t *h)
{
	struct session *s = h->data;

	free(h);
	session_unref(s);
}

static json_t *
session_create_result(const struct session *s)
{
	json_t *r = json_object();

	json_object_set_new(r, "name", json_string(s->spec.name));
	json_object_set_new(r, "id", json_string(s->spec.id));
	json_object_set_new(r, "container", json_sprintf("mino-%s", s->spec.name));
	json_object_set_new(r, "workdir", json_string(s->spec.workdir));
	json_object_set_new(r, "image", json_string(s->spec.image));
	json_object_set_new(r, "tty", json_boolean(s->spec.tty));
	json_object_set_new(r, "warnings", session_strv_to_json(s->spec.warnings));
	return r;
}

static void
session_answer_create(struct session *s)
{
	struct rpc_deferred *d = s->create_reply;

	if (d == NULL)
		return;
	s->create_reply = NULL;
	rpc_deferred_reply(d, session_create_result(s));
}

/* Reads the cidfile: true once podman has created the container. */
static bool
session_read_cid(struct session *s)
{
	char buf[128];
	ssize_t n;
	int fd;

	if (s->container_id != NULL || s->cidfile == NULL)
		return s->container_id != NULL;
	fd = open(s->cidfile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 12)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	s->container_id = xstrdup(buf);
	return true;
}

static void
session_mark_running(struct session *s)
{
	json_t *a;

	s->status = SESSION_RUNNING;
	s->started_at = time(NULL);
	session_save(s);
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "container_id", json_string(s->container_id));
	audit_event_if(!s->spec.no_audit, "session.started", a);
	log_info("session %s: running (container %.12s)", s->spec.name, s->container_id);
	notify_status();
	session_answer_create(s);
	if (s->kill_when_started)
		session_kill_container(s);
}

/* The pidfile names the container's process once the runtime has created
 * it; it runs once that process is no longer the runtime's init waiting to
 * be started (comm "runc:[2:INIT]", or crun's).  A hangup of the podman
 * client between create and start would leave the container "initialized",
 * so only a started process counts.  A process already gone has run. */
static bool
session_read_pid(const struct session *s)
{
	char buf[64], path[64], comm[32];
	ssize_t n;
	long pid;
	int fd;

	if (s->pidfile == NULL || (fd = open(s->pidfile, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 0)
		return false;
	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return true;
	n = read(fd, comm, sizeof comm - 1);
	close(fd);
	if (n <= 0)
		return true;
	comm[n] = '\0';
	return strncmp(comm, "runc", 4) != 0 && strncmp(comm, "crun", 4) != 0;
}

static void
session_cid_timer_cb(uv_timer_t *t)
{
	struct session *s = t->data;

	if (s->status != SESSION_STARTING || s->ended) {
		session_stop_cid_timer(s);
		return;
	}
	if (session_read_cid(s) && session_read_pid(s)) {
		session_stop_cid_timer(s);
		session_mark_running(s);
		/* Stopping: the podman client was left to start it; now let it go. */
		if (s->abandoned && s->main.pp != NULL)
			pty_proc_hangup(s->main.pp, SESSION_HANGUP_GRACE_MS);
		return;
	}
	if (++s->cid_polls >= SESSION_CID_POLLS) {
		log_warn("session %s: not running after %d s", s->spec.name,
		    SESSION_CID_POLLS * SESSION_CID_POLL_MS / 1000);
		session_stop_cid_timer(s);
		if (s->abandoned && s->main.pp != NULL)
			pty_proc_hangup(s->main.pp, SESSION_HANGUP_GRACE_MS);
	}
}

/* After a restart the replay ring starts from the transcript's tail (both
 * streams of a non-tty session come back as stdout). */
static void
session_seed_ring(struct session *s)
{
	_cleanup_free_ char *data = NULL;
	struct mino_error *err = NULL;
	size_t len = 0;

	if (s->ring_len > 0)
		return;
	if (transcript_tail(s->spec.name, 0, SESSION_RING_MAX, &data, &len, &err) < 0) {
		mino_error_release(&err);
		return;
	}
	if (len > 0)
		session_ring_append(s, s->spec.tty ? PTY_STREAM_PTY : PTY_STREAM_STDOUT, data, len);
}

/* Re-adoption: `podman attach` to a running container. */
int
session_adopt(struct session *s, struct mino_error **err)
{
	char **argv;
	int r;

	s->adopted = true;
	s->adopt_attempts++;
	s->status = SESSION_RUNNING;
	if (s->started_at == 0)
		s->started_at = time(NULL);
	argv = podman_attach_argv(minod.podman_path, s->spec.name, s->spec.tty);
	session_seed_ring(s);
	session_open_transcript(s);
	r = session_spawn(s, argv, s->spec.tty, err);
	podman_argv_free(argv);
	if (r < 0)
		return mino_error_wrap(err, "re-attaching session `%s`", s->spec.name);
	log_info("session %s: re-adopted", s->spec.name);
	return 0;
}

/* ---------- the end ---------- */

static bool
session_looks_failed(struct session *s, int code, char **error)
{
	_cleanup_free_ char *tail = NULL;
	size_t len = 0;

	if (code != 125 && code != 126 && code != 127)
		return false;
	tail = session_ring_tail(s, SESSION_TAIL_SCAN, &len);
	*error = podman_error_line_in(tail, len, code != 125);
	if (*error == NULL && code == 125)
		*error = xstrdup("podman failed (exit status 125)");
	return *error != NULL;
}

static void
session_main_done(struct pty_proc *pp, int64_t status, int sig)
{
	struct session *s = pty_proc_data(pp);
	_cleanup_free_ char *error = NULL;
	const char *const *argv;

	s->main.pp = NULL;
	s->main.paused = false;
	session_io_release_held(&s->main, true);
	if (s->abandoned || s->ended) {
		session_unref(s);
		return;
	}
	if (s->adopted) {
		/* `podman attach` ended: ask podman how the container is. */
		static const char *fmt = "{{.State.Status}} {{.State.ExitCode}}";
		_cleanup_free_ char *cname = podman_container_name(s->spec.name);
		const char *av[] = { "inspect", "--format", fmt, cname, NULL };
		struct mino_error *err = NULL;

		argv = av;
		if (podman_capture(argv, session_inspect_cb, s, &err) < 0) {
			log_warn("session %s: %s", s->spec.name, err->msg);
			mino_error_release(&err);
			session_end(s, false, 0, 0, NULL);
			session_unref(s);
		}
		/* the process's reference passes to the capture */
		return;
	}
	if (s->status == SESSION_STARTING && session_read_cid(s)) {
		session_stop_cid_timer(s);
		session_mark_running(s);
	}
	if (sig == 0 && session_looks_failed(s, (int)status, &error))
		session_fail(s, (int)status, error);
	else
		session_end(s, sig == 0, (int)status, sig, NULL);
	session_unref(s);
}

static void
session_inspect_cb(struct podman_result *res, void *arg)
{
	struct session *s = arg;
	struct mino_error *err = NULL;
	char state[32];
	int code;

	if (s->abandoned || s->ended) {
		session_unref(s);
		return;
	}
	if (res->exit_status != 0 || sscanf(res->out.data, "%31s %d", state, &code) != 2) {
		/* The container is gone: its exit code is unknown. */
		session_end(s, false, 0, 0, NULL);
		session_unref(s);
		return;
	}
	if (strcmp(state, "running") == 0 || strcmp(state, "paused") == 0) {
		if (s->adopt_attempts < 3 && session_adopt(s, &err) == 0) {
			session_unref(s);
			return;
		}
		if (err != NULL) {
			log_warn("%s", err->msg);
			mino_error_release(&err);
		}
		log_warn("session %s: running, but minod cannot attach to it", s->spec.name);
		session_unref(s);
		return;
	}
	session_end(s, true, code, 0, NULL);
	session_unref(s);
}

static void
session_rm_cb(struct podman_result *res, void *arg)
{
	char *name = arg;
	struct session *s;

	if (res->exit_status != 0)
		log_debug("podman rm mino-%s: %s", name, res->err.data ? res->err.data : "failed");
	session_rm_pending_del(name);
	s = session_find(name);
	if (s != NULL && s->wait_rm && !session_rm_pending(name)) {
		s->wait_rm = false;
		session_create_continue(s);
	}
	free(name);
}

void
session_remove_container(struct session *s)
{
	_cleanup_free_ char *cname = podman_container_name(s->spec.name);
	const char *argv[] = { "rm", "-f", "-t", "0", cname, NULL };
	struct mino_error *err = NULL;
	char *name = xstrdup(s->spec.name);

	if (s->cidfile != NULL)
		unlink(s->cidfile);
	if (s->pidfile != NULL)
		unlink(s->pidfile);
	if (podman_capture(argv, session_rm_cb, name, &err) < 0) {
		log_warn("session %s: %s", s->spec.name, err->msg);
		mino_error_release(&err);
		free(name);
		return;
	}
	session_rm_pending_add(s->spec.name);
}

static void
session_kill_container(struct session *s)
{
	_cleanup_free_ char *cname = podman_container_name(s->spec.name);
	const char *argv[] = { "kill", cname, NULL };

	podman_run_quiet(argv);
}

static void
session_detach_all(struct session *s)
{
	session_io_release(&s->main);
	s->main.paused = false;
}

static void
session_release_owner(struct session *s)
{
	if (s->owner != NULL) {
		conn_unref(s->owner);
		s->owner = NULL;
	}
}

static void
session_fail(struct session *s, int exit_code, const char *error)
{
	json_t *a;
	struct mino_error *err = NULL;

	s->ended = true;
	session_stop_cid_timer(s);
	s->status = SESSION_FAILED;
	s->ended_at = time(NULL);
	log_warn("session %s failed: %s", s->spec.name, error);
	if (strstr(error, "image not known") != NULL)
		session_image_forget(s->spec.image);
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "error", json_string(error));
	audit_event_if(!s->spec.no_audit, "session.failed", a);
	session_io_send_exit(&s->main, true, exit_code, 0, "failed", error);
	session_detach_all(s);
	if (s->create_reply != NULL) {
		mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "session `%s` failed: %s", s->spec.name, error);
		rpc_deferred_error(s->create_reply, err);
		mino_error_release(&err);
		s->create_reply = NULL;
	}
	session_stop_reply_all(s);
	session_release_owner(s);
	session_remove_container(s);
	session_remove(s, true);
}

void
session_end(struct session *s, bool have_code, int code, int sig, const char *error)
{
	json_t *a;

	if (s->ended)
		return;
	s->ended = true;
	session_stop_cid_timer(s);
	s->status = s->stop_requested ? SESSION_STOPPED : SESSION_EXITED;
	s->have_exit_code = have_code;
	s->exit_code = have_code ? code : 0;
	s->ended_at = time(NULL);
	session_save(s);
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "exit_code", have_code ? json_integer(code) : json_null());
	audit_event_if(!s->spec.no_audit, "session.stopped", a);
	log_info("session %s: %s (exit code %d, signal %d)", s->spec.name,
	    session_status_name(s->status), have_code ? code : -1, sig);
	session_io_send_exit(&s->main, have_code, code, sig, session_status_name(s->status), error);
	session_detach_all(s);
	session_answer_create(s);
	session_stop_reply_all(s);
	session_release_owner(s);
	transcript_close(s->transcript);
	s->transcript = NULL;
	session_remove_container(s);
	notify_status();
}

/* ---------- stop ---------- */

void
session_stop_reply_all(struct session *s)
{
	size_t i;
	json_t *r;

	for (i = 0; i < s->nstop_waiters; i++) {
		r = json_object();
		json_object_set_new(r, "name", json_string(s->spec.name));
		json_object_set_new(r, "status", json_string(session_status_name(s->status)));
		json_object_set_new(r, "exit_code", s->have_exit_code ? json_integer(s->exit_code) : json_null());
		rpc_deferred_reply(s->stop_waiters[i], r);
	}
	free(s->stop_waiters);
	s->stop_waiters = NULL;
	s->nstop_waiters = 0;
}

static void
session_stop_cb(struct podman_result *res, void *arg)
{
	struct session *s = arg;
	_cleanup_free_ char *line = NULL;

	if (res->exit_status != 0) {
		line = podman_error_line(res);
		log_info("session %s: podman stop: %s", s->spec.name, line ? line : "failed");
	}
	/* Without a podman client of ours the end is not seen: ask podman. */
	if (!s->ended && !s->abandoned && s->main.pp == NULL && s->status == SESSION_RUNNING) {
		static const char *fmt = "{{.State.Status}} {{.State.ExitCode}}";
		_cleanup_free_ char *cname = podman_container_name(s->spec.name);
		const char *av[] = { "inspect", "--format", fmt, cname, NULL };
		struct mino_error *err = NULL;

		s->adopt_attempts = 3; /* do not re-attach */
		if (podman_capture(av, session_inspect_cb, s, &err) == 0)
			return; /* reference passed on */
		mino_error_release(&err);
		session_end(s, false, 0, 0, NULL);
	}
	session_unref(s);
}

void
session_stop(struct session *s, struct rpc_deferred *d, bool force)
{
	_cleanup_free_ char *cname = podman_container_name(s->spec.name);
	const char *stop_argv[] = { "stop", "-t", "10", cname, NULL };
	const char *kill_argv[] = { "kill", cname, NULL };
	struct mino_error *err = NULL;
	json_t *a;

	s->stop_waiters = xreallocarray(s->stop_waiters, s->nstop_waiters + 1, sizeof *s->stop_waiters);
	s->stop_waiters[s->nstop_waiters++] = d;
	if (s->stop_requested && s->nstop_waiters > 1 && !force)
		return;
	s->stop_requested = true;
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "force", json_boolean(force));
	audit_event_if(!s->spec.no_audit, "session.stop", a);
	if (s->status == SESSION_STARTING && s->container_id == NULL)
		s->kill_when_started = true;
	session_ref(s);
	if (podman_capture(force ? kill_argv : stop_argv, session_stop_cb, s, &err) < 0) {
		log_warn("session %s: %s", s->spec.name, err->msg);
		mino_error_release(&err);
		session_unref(s);
	}
}

/* ---------- execs ---------- */

static void
session_exec_output(struct pty_proc *pp, enum pty_stream st, const char *data, size_t len)
{
	struct session_exec *ex = pty_proc_data(pp);

	session_io_fanout(&ex->io, st, data, len);
}

static void
session_exec_done(struct pty_proc *pp, int64_t status, int sig)
{
	struct session_exec *ex = pty_proc_data(pp);
	struct session *s = ex->io.s;

	ex->io.pp = NULL;
	session_io_release_held(&ex->io, true);
	log_info("session %s: exec %u ended (status %lld, signal %d)", s->spec.name, ex->io.exec_id,
	    (long long)status, sig);
	if (!s->abandoned)
		session_io_send_exit(&ex->io, sig == 0, (int)status, sig, "exited", NULL);
	LIST_REMOVE(ex, link);
	session_io_release(&ex->io);
	if (ex->owner != NULL)
		conn_unref(ex->owner);
	free(ex->marker);
	free(ex);
	session_unref(s);
}

/* The caller's env plus MINO_EXEC=<nonce>, by which the exec's processes
 * are found inside the container when they must be killed.  *envm is a
 * borrowed-strings vector (free the array only); returns the marker. */
static char *
session_exec_marker(char **env, char ***envm)
{
	_cleanup_free_ char *nonce = session_new_id(8);
	char *marker = xasprintf("MINO_EXEC=%s", nonce);
	size_t n = 0, i;

	while (env != NULL && env[n] != NULL)
		n++;
	*envm = xcalloc(n + 2, sizeof **envm);
	for (i = 0; i < n; i++)
		(*envm)[i] = env[i];
	(*envm)[n] = marker;
	return marker;
}

/* The exec's caller left: end its podman client and its processes. */
static void
session_exec_kill(struct session_exec *ex)
{
	unsigned n;

	if (ex->io.pp == NULL)
		return;
	n = pty_kill_marked(ex->marker, SIGKILL);
	log_info("session %s: exec %u: its client went away; killed %u processes", ex->io.s->spec.name,
	    ex->io.exec_id, n);
	pty_proc_close_stdin(ex->io.pp, NULL);
	pty_proc_hangup(ex->io.pp, SESSION_HANGUP_GRACE_MS);
}

int
session_exec_start(struct session *s, struct conn *c, char **cmd, char **env, bool tty,
    unsigned rows, unsigned cols, unsigned *exec_id, struct mino_error **err)
{
	struct session_exec *ex, *e;
	unsigned n = 0;
	char **argv, **envm = NULL;
	_cleanup_free_ char *line = NULL;
	struct pty_spawn_opts o;
	json_t *a;

	if (s->status != SESSION_RUNNING)
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` is not running", s->spec.name);
	LIST_FOREACH(e, &s->execs, link)
		n++;
	if (n >= SESSION_EXEC_MAX)
		return mino_make_error(err, MINO_E_LIMIT, 0, "session `%s` has %u execs running", s->spec.name, n);
	ex = xcalloc(1, sizeof *ex);
	ex->marker = session_exec_marker(env, &envm);
	argv = podman_exec_argv(minod.podman_path, s->spec.name, (const char *const *)cmd,
	    (const char *const *)envm, tty);
	free(envm);
	line = podman_argv_loggable(argv);
	log_info("session %s: %s", s->spec.name, line);

	ex->io.s = s;
	ex->io.exec_id = s->next_exec_id;
	ex->io.tty = tty;
	ex->io.rows = rows ? rows : SESSION_DEFAULT_ROWS;
	ex->io.cols = cols ? cols : SESSION_DEFAULT_COLS;
	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)argv;
	o.tty = tty;
	o.want_stdin = true;
	o.rows = ex->io.rows;
	o.cols = ex->io.cols;
	o.on_output = session_exec_output;
	o.on_done = session_exec_done;
	o.on_input_low = session_exec_input_low;
	o.data = ex;
	ex->io.pp = pty_proc_spawn(&o, err);
	podman_argv_free(argv);
	if (ex->io.pp == NULL) {
		free(ex->marker);
		free(ex);
		return mino_error_wrap(err, "exec in session `%s`", s->spec.name);
	}
	s->next_exec_id++;
	session_ref(s);
	conn_ref(c);
	ex->owner = c;
	session_io_attach(&ex->io, c);
	LIST_INSERT_HEAD(&s->execs, ex, link);
	a = json_object();
	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "command", session_strv_to_json(cmd));
	audit_event_if(!s->spec.no_audit, "session.exec", a);
	*exec_id = ex->io.exec_id;
	return 0;
}

/* ---------- connections ---------- */

static void
session_owner_left(struct session *s)
{
	session_release_owner(s);
	if (!session_is_live(s) || s->ended)
		return;
	log_info("session %s: its client went away; stopping it", s->spec.name);
	s->stop_requested = true;
	if (s->main.pp == NULL && s->status == SESSION_STARTING) {
		/* not spawned yet (waiting for an image check or a removal) */
		s->owner_left = true;
		return;
	}
	if (s->container_id != NULL)
		session_kill_container(s);
	else
		s->kill_when_started = true;
}

void
session_conn_closed(struct conn *c)
{
	struct session *s, *snext;
	struct session_exec *ex, *exnext;

	for (s = TAILQ_FIRST(&session_all); s != NULL; s = snext) {
		session_ref(s);
		session_io_detach(&s->main, c);
		session_io_unhold(&s->main, c);
		/* session_exec_kill may end (and free) an exec at once */
		for (ex = LIST_FIRST(&s->execs); ex != NULL; ex = exnext) {
			exnext = LIST_NEXT(ex, link);
			session_io_detach(&ex->io, c);
			session_io_unhold(&ex->io, c);
			if (ex->owner == c) {
				conn_unref(ex->owner);
				ex->owner = NULL;
				session_exec_kill(ex);
			}
		}
		if (s->owner == c)
			session_owner_left(s);
		snext = TAILQ_NEXT(s, link);
		session_unref(s);
	}
}

void
session_conn_drained(struct conn *c)
{
	struct session *s;
	struct session_exec *ex;

	TAILQ_FOREACH(s, &session_all, link) {
		session_io_check_resume(&s->main);
		LIST_FOREACH(ex, &s->execs, link)
			session_io_check_resume(&ex->io);
	}
}

/* ---------- counts, cleanup, shutdown ---------- */

unsigned
sessions_count_running(void)
{
	struct session *s;
	unsigned n = 0;

	TAILQ_FOREACH(s, &session_all, link)
		if (session_is_live(s))
			n++;
	return n;
}

unsigned
sessions_count_total(void)
{
	struct session *s;
	unsigned n = 0;

	TAILQ_FOREACH(s, &session_all, link)
		n++;
	return n;
}

void
session_cleanup_old(void)
{
	struct session *s, *next;
	time_t now = time(NULL), t;
	long long hours = cfg_int(&minod.cfg, "session.auto_cleanup_hours");

	if (hours <= 0)
		return;
	for (s = TAILQ_FIRST(&session_all); s != NULL; s = next) {
		next = TAILQ_NEXT(s, link);
		if (session_is_live(s) || !s->ended)
			continue;
		t = s->ended_at ? s->ended_at : s->created_at;
		if (now - t < hours * 3600)
			continue;
		log_info("session %s: ended more than %lld hours ago; removing it", s->spec.name, hours);
		session_remove(s, true);
	}
}

static struct {
	uv_timer_t timer;
	void (*done)(void);
	uint64_t started;
	bool killed;
} session_shutdown_state;

static void
session_shutdown_close_cb(uv_handle_t *h)
{
	struct session *s;

	while ((s = TAILQ_FIRST(&session_all)) != NULL)
		session_remove(s, false);
	for (unsigned i = 0; i < SESSION_IMAGE_CACHE; i++) {
		free(session_image_cache[i]);
		session_image_cache[i] = NULL;
	}
	session_shutdown_state.done();
}

static void
session_shutdown_poll_cb(uv_timer_t *t)
{
	uint64_t elapsed = uv_now(minod.loop) - session_shutdown_state.started;

	if (pty_proc_count() == 0 && podman_capture_count() == 0) {
		uv_timer_stop(t);
		uv_close((uv_handle_t *)t, session_shutdown_close_cb);
		return;
	}
	if (elapsed > SESSION_SHUTDOWN_MAX_MS / 2 && !session_shutdown_state.killed) {
		log_warn("shutdown: %u podman commands still running; killing them", podman_capture_count());
		podman_capture_kill_all(SIGKILL);
		session_shutdown_state.killed = true;
	}
}

/* A session whose container is being started: hanging its podman client
 * up now would leave the container "created", never started; the cid
 * timer lets it go once it runs. */
static bool
session_shutdown_waits_start(const struct session *s)
{
	return s->status == SESSION_STARTING && s->main.pp != NULL && s->cid_timer != NULL;
}

void
sessions_shutdown(void (*done)(void))
{
	struct session *s;
	struct session_exec *ex, *exnext;
	struct mino_error *err = NULL;

	log_info("sessions: leaving %u running sessions to re-adopt later", sessions_count_running());
	reconcile_stop();
	if (session_stall_timer_init) {
		session_stall_timer_init = false;
		uv_close((uv_handle_t *)&session_stall_timer, NULL);
	}
	mino_make_error(&err, MINO_E_SHUTTING_DOWN, 0, "minod is stopping");
	TAILQ_FOREACH(s, &session_all, link) {
		/* First: nothing that happens to the podman clients now is the session's end. */
		s->abandoned = true;
		if (!session_shutdown_waits_start(s))
			session_stop_cid_timer(s);
		if (s->create_reply != NULL) {
			rpc_deferred_error(s->create_reply, err);
			s->create_reply = NULL;
		}
		for (size_t i = 0; i < s->nstop_waiters; i++)
			rpc_deferred_error(s->stop_waiters[i], err);
		free(s->stop_waiters);
		s->stop_waiters = NULL;
		s->nstop_waiters = 0;
	}
	mino_error_release(&err);
	TAILQ_FOREACH(s, &session_all, link) {
		if (s->main.pp != NULL && !session_shutdown_waits_start(s))
			pty_proc_hangup(s->main.pp, SESSION_HANGUP_GRACE_MS);
		for (ex = LIST_FIRST(&s->execs); ex != NULL; ex = exnext) {
			exnext = LIST_NEXT(ex, link);
			if (ex->io.pp != NULL)
				pty_proc_hangup(ex->io.pp, SESSION_HANGUP_GRACE_MS);
		}
		session_detach_all(s);
		session_release_owner(s);
	}
	session_shutdown_state.done = done;
	session_shutdown_state.started = uv_now(minod.loop);
	uv_timer_init(minod.loop, &session_shutdown_state.timer);
	uv_timer_start(&session_shutdown_state.timer, session_shutdown_poll_cb, 0, 10);
}

/* ---------- create ---------- */

static char **session_rm_names;
static size_t session_rm_count;

static void
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

/* A session that never got going: forget it entirely. */
static void
session_discard(struct session *s)
{
	session_detach_all(s);
	session_release_owner(s);
	session_remove(s, true);
}

static int
session_launch(struct session *s, struct mino_error **err)
{
	json_t *a = json_object();

	json_object_set_new(a, "name", json_string(s->spec.name));
	json_object_set_new(a, "project_dir", json_string(s->spec.project_dir));
	json_object_set_new(a, "image", json_string(s->spec.image));
	json_object_set_new(a, "command", session_strv_to_json(s->spec.command));
	audit_event_if(!s->spec.no_audit, "session.created", a);
	session_save(s);
	if (session_start(s, err) < 0) {
		a = json_object();
		json_object_set_new(a, "name", json_string(s->spec.name));
		json_object_set_new(a, "error", json_string((*err)->msg));
		audit_event_if(!s->spec.no_audit, "session.failed", a);
		return -1;
	}
	return 0;
}

static void
session_create_fail(struct session *s, const struct mino_error *err)
{
	if (s->create_reply != NULL) {
		rpc_deferred_error(s->create_reply, err);
		s->create_reply = NULL;
	}
	session_discard(s);
}

static void
session_create_continue(struct session *s)
{
	struct mino_error *err = NULL;

	if (s->wait_rm || s->wait_image || s->removed || s->abandoned)
		return;
	if (s->owner_left) {
		mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "the client of session `%s` went away", s->spec.name);
		session_create_fail(s, err);
		mino_error_release(&err);
		return;
	}
	if (session_launch(s, &err) < 0) {
		session_create_fail(s, err);
		mino_error_release(&err);
		return;
	}
	if (!s->create_wait_running)
		session_answer_create(s);
}

static void
session_image_cb(struct podman_result *res, void *arg)
{
	struct session *s = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	s->wait_image = false;
	if (s->removed || s->abandoned) {
		session_unref(s);
		return;
	}
	if (res->exit_status == 0) {
		session_image_remember(s->spec.image);
		session_create_continue(s);
	} else {
		if (res->exit_status == 1)
			mino_make_error(&err, MINO_E_IMAGE_MISSING, 0, "image `%s` not found locally", s->spec.image);
		else {
			line = podman_error_line(res);
			mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman image exists %s: %s", s->spec.image,
			    line ? line : "failed");
		}
		session_create_fail(s, err);
		mino_error_release(&err);
	}
	session_unref(s);
}

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
	const char *argv[] = { "image", "exists", s->spec.image, NULL };

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
	s->status = SESSION_STARTING;
	s->created_at = time(NULL);
	session_insert(s);
	if (attach)
		session_io_attach(&s->main, call->conn);
	if (!s->spec.tty && !s->spec.detach) {
		conn_ref(call->conn);
		s->owner = call->conn;
	}
	s->wait_rm = session_rm_pending(s->spec.name);
	s->wait_image = !session_image_cached(s->spec.image);
	s->create_wait_running = s->spec.detach && !attach;
	if (!s->wait_rm && !s->wait_image && !s->create_wait_running) {
		if (session_launch(s, err) < 0) {
			session_discard(s);
			return -1;
		}
		*result = session_create_result(s);
		return 0;
	}
	if (s->wait_image) {
		session_ref(s);
		if (podman_capture(argv, session_image_cb, s, err) < 0) {
			session_unref(s);
			session_discard(s);
			return -1;
		}
	}
	s->create_reply = rpc_defer(call);
	session_create_continue(s);
	return RPC_DEFERRED;
}
