/* part-ssh.c: the SSH agent relay part (on by default when the client has
 * SSH_AUTH_SOCK; --no-ssh-agent).
 *
 * A bind mount of the client's socket would be owned by root inside a
 * rootless container, mode 0600: the image's own user could not use it.
 * Instead minod listens on /run/mino/ssh-agent.sock (the session's run
 * directory, mode 0666 inside; the directory's 0700 parents keep other host
 * users out) and relays each connection to the client's agent, one
 * request at a time, letting through only list-identities and sign
 * requests (sshmsg.c).  Every other request (add, remove, lock, unlock,
 * extensions) gets SSH_AGENT_FAILURE without reaching the agent and is
 * audited as ssh_agent.refused; each sign request is audited as
 * ssh_agent.sign with the key's fingerprint, never the data.  Limits:
 * messages of SSHMSG_MAX, SSH_RELAY_CONNS connections at once, and
 * SSH_RELAY_RATE requests per second per session. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <uv.h>

#include "audit.h"
#include "buf.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "part-creds.h"
#include "parts.h"
#include "rundir.h"
#include "sshmsg.h"
#include "xalloc.h"

#define SSH_RELAY_SOCK "ssh-agent.sock"
#define SSH_RELAY_CONNS 16
#define SSH_RELAY_RATE 50              /* requests per second */

struct ssh_relay;

struct ssh_conn {
	LIST_ENTRY(ssh_conn) link;
	struct ssh_relay *relay;
	uv_pipe_t inside;              /* the container's connection */
	uv_pipe_t agent;               /* to the client's agent */
	uv_connect_t connect;
	struct buf in;                 /* from the container, not yet judged */
	struct buf answer;             /* from the agent, not yet complete */
	bool agent_up, agent_failed, waiting, closing;
	int open_handles;
};

struct ssh_relay {
	struct part_ctx *ctx;          /* NULL once the part is gone */
	char *agent_path;              /* the client's SSH_AUTH_SOCK */
	char *sock_path;               /* host path of the listening socket */
	uv_pipe_t listener;
	bool listening;
	LIST_HEAD(, ssh_conn) conns;
	unsigned nconns;
	uint64_t window_ms;            /* the rate window's start */
	unsigned window_count;
	char *session_name;
	bool no_audit;
	struct part_creds_live live;   /* stopped by minod's shutdown */
};

static void ssh_conn_close(struct ssh_conn *c);
static void ssh_conn_process(struct ssh_conn *c);

static const char *
ssh_env_get(const struct part_ctx *ctx, const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = part_creds_env(ctx); *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* ---------- one connection ---------- */

static void
ssh_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	b->base = xmalloc(suggested);
	b->len = suggested;
}

static void
ssh_write_cb(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

static int
ssh_send(uv_pipe_t *to, const void *data, size_t len)
{
	uv_write_t *w = xcalloc(1, sizeof *w);
	uv_buf_t b;

	w->data = xmalloc(len);
	memcpy(w->data, data, len);
	b = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(w, (uv_stream_t *)to, &b, 1, ssh_write_cb) < 0) {
		free(w->data);
		free(w);
		return -1;
	}
	return 0;
}

static void
ssh_audit(struct ssh_conn *c, const char *event, const char *key, json_t *value)
{
	json_t *a = json_object();

	json_object_set_new(a, "session_name", json_string(c->relay->session_name));
	json_object_set_new(a, key, value);
	audit_event_if(!c->relay->no_audit, event, a);
}

static void
ssh_fail_reply(struct ssh_conn *c)
{
	static const uint8_t failure[] = { 0, 0, 0, 1, SSHMSG_FAILURE };

	if (ssh_send(&c->inside, failure, sizeof failure) < 0)
		ssh_conn_close(c);
}

static bool
ssh_rate_ok(struct ssh_relay *r)
{
	uint64_t now = uv_now(minod.loop);

	if (now - r->window_ms >= 1000) {
		r->window_ms = now;
		r->window_count = 0;
	}
	return ++r->window_count <= SSH_RELAY_RATE;
}

static void
ssh_conn_process(struct ssh_conn *c)
{
	char fp[SSHMSG_FP_MAX];
	enum sshmsg_verdict v;
	size_t n = 0;
	uint8_t type = 0;

	while (!c->closing && !c->waiting && c->in.len > 0) {
		v = sshmsg_judge((const uint8_t *)c->in.data, c->in.len, &n, &type, fp);
		if (v == SSHMSG_INCOMPLETE)
			return;
		if (v == SSHMSG_BAD) {
			log_debug("session %s: ssh agent relay: a malformed message, connection closed",
			    c->relay->session_name);
			ssh_conn_close(c);
			return;
		}
		if (v == SSHMSG_REFUSE || !ssh_rate_ok(c->relay)) {
			ssh_audit(c, "ssh_agent.refused", "type", json_integer(type));
			ssh_fail_reply(c);
		} else if (!c->agent_up && !c->agent_failed) {
			return; /* judged again once the agent answers the connect */
		} else if (c->agent_failed) {
			ssh_fail_reply(c);
		} else {
			if (type == SSHMSG_SIGN_REQUEST)
				ssh_audit(c, "ssh_agent.sign", "fingerprint", json_string(fp));
			if (ssh_send(&c->agent, c->in.data, n) < 0) {
				ssh_conn_close(c);
				return;
			}
			c->waiting = true;
		}
		buf_consume(&c->in, n);
	}
}

static void
ssh_inside_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct ssh_conn *c = s->data;

	if (nread > 0 && !c->closing) {
		buf_append(&c->in, b->base, (size_t)nread);
		if (c->in.len > SSHMSG_MAX + 4 + 64 * 1024)
			ssh_conn_close(c);
		else
			ssh_conn_process(c);
	} else if (nread < 0)
		ssh_conn_close(c);
	free(b->base);
}

static void
ssh_agent_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct ssh_conn *c = s->data;
	size_t n;

	if (nread > 0 && !c->closing) {
		buf_append(&c->answer, b->base, (size_t)nread);
		while (c->waiting && (n = sshmsg_frame((const uint8_t *)c->answer.data, c->answer.len)) != 0) {
			if (n == (size_t)-1 || ssh_send(&c->inside, c->answer.data, n) < 0) {
				ssh_conn_close(c);
				break;
			}
			buf_consume(&c->answer, n);
			c->waiting = false;
			ssh_conn_process(c);
		}
		if (!c->closing && !c->waiting && c->answer.len > 0)
			ssh_conn_close(c); /* the agent spoke unasked */
	} else if (nread < 0)
		ssh_conn_close(c);
	free(b->base);
}

static void
ssh_connect_cb(uv_connect_t *req, int status)
{
	struct ssh_conn *c = req->data;

	if (c->closing)
		return;
	if (status < 0 || uv_read_start((uv_stream_t *)&c->agent, ssh_alloc_cb, ssh_agent_read_cb) < 0) {
		log_warn("session %s: ssh agent relay: connecting to the agent: %s", c->relay->session_name,
		    uv_strerror(status < 0 ? status : UV_EIO));
		c->agent_failed = true;
	} else
		c->agent_up = true;
	ssh_conn_process(c);
}

static void
ssh_conn_closed_cb(uv_handle_t *h)
{
	struct ssh_conn *c = h->data;

	if (--c->open_handles > 0)
		return;
	buf_free(&c->in);
	buf_free(&c->answer);
	free(c);
}

static void
ssh_conn_close(struct ssh_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	LIST_REMOVE(c, link);
	c->relay->nconns--;
	uv_close((uv_handle_t *)&c->inside, ssh_conn_closed_cb);
	uv_close((uv_handle_t *)&c->agent, ssh_conn_closed_cb);
}

static void
ssh_connection_cb(uv_stream_t *server, int status)
{
	struct ssh_relay *r = server->data;
	struct ssh_conn *c;

	if (status < 0)
		return;
	c = xcalloc(1, sizeof *c);
	c->relay = r;
	buf_init(&c->in);
	buf_init(&c->answer);
	uv_pipe_init(minod.loop, &c->inside, 0);
	uv_pipe_init(minod.loop, &c->agent, 0);
	c->inside.data = c->agent.data = c->connect.data = c;
	c->open_handles = 2;
	LIST_INSERT_HEAD(&r->conns, c, link);
	r->nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->inside) < 0 || r->nconns > SSH_RELAY_CONNS ||
	    uv_read_start((uv_stream_t *)&c->inside, ssh_alloc_cb, ssh_inside_read_cb) < 0) {
		ssh_conn_close(c);
		return;
	}
	uv_pipe_connect(&c->connect, &c->agent, r->agent_path, ssh_connect_cb);
}

/* ---------- the relay ---------- */

static void
ssh_relay_closed_cb(uv_handle_t *h)
{
	struct ssh_relay *r = h->data;

	free(r->agent_path);
	free(r->sock_path);
	free(r->session_name);
	free(r);
}

/* Closes every connection and the listener; frees the relay after. */
static void
ssh_relay_stop(struct ssh_relay *r)
{
	part_creds_live_del(&r->live);
	if (r->ctx != NULL) {
		r->ctx->state = NULL;
		r->ctx = NULL;
	}
	while (!LIST_EMPTY(&r->conns))
		ssh_conn_close(LIST_FIRST(&r->conns));
	if (r->listening) {
		r->listening = false;
		if (r->sock_path != NULL)
			(void)unlink(r->sock_path);
		uv_close((uv_handle_t *)&r->listener, ssh_relay_closed_cb);
		return;
	}
	ssh_relay_closed_cb((uv_handle_t *)&r->listener);
}

static void
ssh_relay_stop_cb(void *arg)
{
	ssh_relay_stop(arg);
}

static int
ssh_part_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	const char *path = ssh_env_get(ctx, "SSH_AUTH_SOCK");
	struct mino_error *why = NULL;
	struct ssh_relay *r;
	struct stat st;

	(void)err;
	if (!ctx->spec->creds.ssh_agent || path == NULL || path[0] == '\0') {
		if (ctx->spec->creds.ssh_agent && ctx->spec->creds.verbose)
			part_warn(ctx, "SSH agent: none (no SSH_AUTH_SOCK)");
		part_prepared(ctx, NULL);
		return 0;
	}
	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		mino_make_error(&why, MINO_E_CONFIG, errno ? errno : ENOTSOCK, "SSH_AUTH_SOCK `%s` is not a socket",
		    path);
		part_creds_failed(ctx, "SSH agent", why);
		mino_error_release(&why);
		return 0;
	}
	r = xcalloc(1, sizeof *r);
	r->ctx = ctx;
	r->agent_path = xstrdup(path);
	r->session_name = xstrdup(ctx->spec->name);
	r->no_audit = ctx->spec->no_audit;
	LIST_INIT(&r->conns);
	ctx->state = r;
	part_creds_live_add(&r->live, ssh_relay_stop_cb, r);
	part_prepared(ctx, NULL);
	return 0;
}

/* Listens in the fresh run directory (session/run.c makes it before the
 * parts contribute). */
static int
ssh_part_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err)
{
	struct ssh_relay *r = ctx->state;
	_cleanup_free_ char *dir = NULL;
	size_t n = 0;
	int rc;

	if (r == NULL || r->listening)
		return 0;
	if (rundir_path(ctx->spec->id, &dir, err) < 0)
		return -1;
	free(r->sock_path);
	r->sock_path = xasprintf("%s/%s", dir, SSH_RELAY_SOCK);
	uv_pipe_init(minod.loop, &r->listener, 0);
	r->listener.data = r;
	r->listening = true;
	if ((rc = uv_pipe_bind(&r->listener, r->sock_path)) < 0 ||
	    (rc = uv_listen((uv_stream_t *)&r->listener, 8, ssh_connection_cb)) < 0)
		return mino_make_error(err, MINO_E_IO, -rc, "ssh agent relay: listening on `%s`", r->sock_path);
	/* Every user of the container may sign; other host users cannot reach it. */
	if (chmod(r->sock_path, 0666) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "ssh agent relay: chmod `%s`", r->sock_path);
	while (o->env != NULL && o->env[n] != NULL)
		n++;
	o->env = xreallocarray(o->env, n + 2, sizeof *o->env);
	o->env[n] = xstrdup("SSH_AUTH_SOCK=" RUNDIR_MOUNT "/" SSH_RELAY_SOCK);
	o->env[n + 1] = NULL;
	log_info("session %s: ssh agent relay on %s", ctx->spec->name, r->sock_path);
	return 0;
}

static void
ssh_part_done(struct part_ctx *ctx)
{
	struct ssh_relay *r = ctx->state;

	if (r != NULL)
		ssh_relay_stop(r);
}

static void
ssh_part_record(struct part_ctx *ctx, json_t *rec)
{
	if (ctx->state != NULL)
		part_creds_record(rec, "ssh_agent", NULL, RUNDIR_MOUNT "/" SSH_RELAY_SOCK, 0, 0, NULL);
}

const struct part_ops ssh_part = {
	.name = "ssh_agent",
	.prepare = ssh_part_prepare,
	.undo = ssh_part_done,
	.contribute = ssh_part_contribute,
	.ended = ssh_part_done,
	.record = ssh_part_record,
	.free = ssh_part_done,
};
