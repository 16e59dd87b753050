/* capture.c: a helper program's stdout, collected on the loop (capture.h).
 * Handles: the process, two pipes and a timer; the capture is freed when
 * all four are closed, and the process handle only after its exit_cb. */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "capture.h"
#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

struct capture {
	uv_process_t proc;
	uv_pipe_t out, err;
	uv_timer_t timer;
	unsigned open_handles;
	bool exited, out_eof, err_eof, cancelled, timed_out, too_large, reported;
	int64_t exit_status;
	int term_signal;
	struct buf outbuf;
	struct buf errbuf;
	char *what;
	unsigned timeout_ms;
	capture_done_fn on_done;
	void *data;
};

static void capture_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b);
static void capture_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void capture_exit_cb(uv_process_t *p, int64_t status, int sig);
static void capture_timer_cb(uv_timer_t *t);
static void capture_close_cb(uv_handle_t *h);
static void capture_maybe_finish(struct capture *cp);
static void capture_close(struct capture *cp, uv_handle_t *h);

static char capture_readbuf[16384];

static void
capture_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	b->base = capture_readbuf;
	b->len = sizeof capture_readbuf;
}

static void
capture_close(struct capture *cp, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, capture_close_cb);
}

static void
capture_close_cb(uv_handle_t *h)
{
	struct capture *cp = h->data;

	if (--cp->open_handles > 0)
		return;
	secret_buf_free(&cp->outbuf);
	buf_free(&cp->errbuf);
	free(cp->what);
	free(cp);
}

static void
capture_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct capture *cp = s->data;
	bool is_out = s == (uv_stream_t *)&cp->out;

	if (nread > 0) {
		if (is_out) {
			if ((size_t)nread > CAPTURE_MAX_STDOUT - cp->outbuf.len) {
				cp->too_large = true;
				uv_process_kill(&cp->proc, SIGKILL);
			} else
				secret_buf_append(&cp->outbuf, b->base, (size_t)nread);
		} else if (cp->errbuf.len < CAPTURE_MAX_STDERR) {
			size_t n = (size_t)nread;

			if (n > CAPTURE_MAX_STDERR - cp->errbuf.len)
				n = CAPTURE_MAX_STDERR - cp->errbuf.len;
			buf_append(&cp->errbuf, b->base, n);
		}
		OPENSSL_cleanse(b->base, (size_t)nread);
		return;
	}
	if (nread == 0)
		return;
	/* EOF or an error: this stream is finished either way. */
	if (is_out)
		cp->out_eof = true;
	else
		cp->err_eof = true;
	uv_read_stop(s);
	capture_maybe_finish(cp);
}

static void
capture_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct capture *cp = p->data;

	cp->exited = true;
	cp->exit_status = status;
	cp->term_signal = sig;
	capture_close(cp, (uv_handle_t *)&cp->proc);
	capture_maybe_finish(cp);
}

static void
capture_timer_cb(uv_timer_t *t)
{
	struct capture *cp = t->data;

	cp->timed_out = true;
	if (!cp->exited)
		uv_process_kill(&cp->proc, SIGKILL);
	/* A grandchild holding the pipes open must not keep us waiting. */
	cp->out_eof = cp->err_eof = true;
	capture_maybe_finish(cp);
}

static void
capture_report(struct capture *cp)
{
	struct mino_error *err = NULL;
	struct capture_result res = {
		.exit_status = cp->exit_status,
		.term_signal = cp->term_signal,
		.out = cp->outbuf.data != NULL ? cp->outbuf.data : "",
		.out_len = cp->outbuf.len,
	};
	_cleanup_free_ char *errout = xstrndup(cp->errbuf.data != NULL ? cp->errbuf.data : "", cp->errbuf.len);

	res.errout = errout;
	if (cp->timed_out)
		mino_make_error(&err, MINO_E_IO, 0, "%s did not finish within %u ms", cp->what, cp->timeout_ms);
	else if (cp->too_large)
		mino_make_error(&err, MINO_E_IO, 0, "%s printed more than %u bytes", cp->what, CAPTURE_MAX_STDOUT);
	cp->on_done(cp, &res, err, cp->data);
	mino_error_release(&err);
}

/* Reports once the child has exited and both pipes ended (or on timeout),
 * then closes everything. */
static void
capture_maybe_finish(struct capture *cp)
{
	if (cp->reported || !(cp->out_eof && cp->err_eof && (cp->exited || cp->timed_out)))
		return;
	cp->reported = true;
	uv_timer_stop(&cp->timer);
	if (!cp->cancelled)
		capture_report(cp);
	capture_close(cp, (uv_handle_t *)&cp->out);
	capture_close(cp, (uv_handle_t *)&cp->err);
	capture_close(cp, (uv_handle_t *)&cp->timer);
	/* proc: closed in exit_cb; after a timeout the SIGKILL brings it. */
}

struct capture *
capture_start(const struct capture_opts *o, struct mino_error **err)
{
	struct capture *cp = xcalloc(1, sizeof *cp);
	uv_process_options_t po = { 0 };
	uv_stdio_container_t stdio[3];
	int r;

	cp->what = xstrdup(o->what);
	cp->timeout_ms = o->timeout_ms;
	cp->on_done = o->on_done;
	cp->data = o->data;
	buf_init(&cp->outbuf);
	buf_init(&cp->errbuf);
	uv_pipe_init(o->loop, &cp->out, 0);
	uv_pipe_init(o->loop, &cp->err, 0);
	uv_timer_init(o->loop, &cp->timer);
	cp->out.data = cp->err.data = cp->timer.data = cp->proc.data = cp;
	cp->open_handles = 3;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&cp->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&cp->err;
	po.file = o->argv[0];
	po.args = (char **)o->argv;
	po.env = (char **)o->env;
	po.stdio = stdio;
	po.stdio_count = 3;
	po.exit_cb = capture_exit_cb;
	r = uv_spawn(o->loop, &cp->proc, &po);
	if (r < 0) {
		mino_make_error(err, MINO_E_IO, 0, "%s: cannot run `%s`: %s", o->what, o->argv[0], uv_strerror(r));
		/* uv_spawn initialised the process handle even on failure. */
		cp->open_handles++;
		cp->exited = cp->reported = cp->cancelled = true;
		capture_close(cp, (uv_handle_t *)&cp->proc);
		capture_close(cp, (uv_handle_t *)&cp->out);
		capture_close(cp, (uv_handle_t *)&cp->err);
		capture_close(cp, (uv_handle_t *)&cp->timer);
		return NULL;
	}
	cp->open_handles++;
	uv_read_start((uv_stream_t *)&cp->out, capture_alloc_cb, capture_read_cb);
	uv_read_start((uv_stream_t *)&cp->err, capture_alloc_cb, capture_read_cb);
	uv_timer_start(&cp->timer, capture_timer_cb, o->timeout_ms, 0);
	return cp;
}

void
capture_cancel(struct capture *cp)
{
	cp->cancelled = true;
	if (!cp->exited)
		uv_process_kill(&cp->proc, SIGKILL);
	if (!cp->reported) {
		/* Stop waiting for the pipes; the exit still closes proc. */
		cp->out_eof = cp->err_eof = true;
		cp->timed_out = !cp->exited;
		capture_maybe_finish(cp);
	}
}

void
capture_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

char **
capture_split_words(const char *line, struct mino_error **err)
{
	char **v = xcalloc(1, sizeof *v);
	size_t n = 0;
	const char *p = line;

	for (;;) {
		struct buf w;
		bool have = false;
		char q = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		buf_init(&w);
		while (*p != '\0' && (q != 0 || (*p != ' ' && *p != '\t'))) {
			if (q == 0 && (*p == '\'' || *p == '"')) {
				q = *p++;
				have = true;
			} else if (q != 0 && *p == q) {
				q = 0;
				p++;
			} else if (*p == '\\' && q != '\'' && p[1] != '\0') {
				buf_append(&w, p + 1, 1);
				p += 2;
				have = true;
			} else {
				buf_append(&w, p++, 1);
				have = true;
			}
		}
		if (q != 0) {
			buf_free(&w);
			capture_argv_free(v);
			mino_make_error(err, MINO_E_CONFIG, 0, "unterminated %c quote", q);
			return NULL;
		}
		if (have) {
			v = xreallocarray(v, n + 2, sizeof *v);
			v[n++] = buf_steal(&w, NULL);
			v[n] = NULL;
		}
		buf_free(&w);
	}
	if (n == 0) {
		capture_argv_free(v);
		mino_make_error(err, MINO_E_CONFIG, 0, "empty command line");
		return NULL;
	}
	return v;
}

static bool
capture_env_has(const char *const *env, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=')
			return true;
	return false;
}

char **
capture_env_with_defaults(const char *const *env)
{
	size_t n = 0, k;
	char **v;

	while (env != NULL && env[n] != NULL)
		n++;
	v = xcalloc(n + 3, sizeof *v);
	for (k = 0; k < n; k++)
		v[k] = xstrdup(env[k]);
	if (!capture_env_has(env, "PATH"))
		v[k++] = xasprintf("PATH=%s", getenv("PATH") != NULL ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
	if (!capture_env_has(env, "HOME") && getenv("HOME") != NULL)
		v[k++] = xasprintf("HOME=%s", getenv("HOME"));
	return v;
}

void
capture_env_free(char **env)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		secret_free(env[i]);
	free(env);
}

const char *
capture_env_get(const char *const *env, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=' && env[i][nl + 1] != '\0')
			return env[i] + nl + 1;
	return NULL;
}

char *
capture_find_program(const char *const *env, const char *prog)
{
	const char *path = capture_env_get(env, "PATH");
	_cleanup_free_ char *copy = xstrdup(path != NULL ? path : (getenv("PATH") != NULL ? getenv("PATH") : ""));
	char *save = NULL;

	for (char *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		char *cand;

		if (dir[0] != '/')
			continue;
		cand = xasprintf("%s/%s", dir, prog);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}
