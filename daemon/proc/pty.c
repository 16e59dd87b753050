/* pty.c: a child process with its stdio on a PTY or on pipes (pty.h).
 *
 * Pitfalls handled here (STYLE.md "libuv PTY pitfalls"): the child gets a
 * controlling terminal through mino-pty-exec (1); the master is opened
 * O_NOCTTY|O_CLOEXEC and read as a tty (2); libuv reaps, we never wait (3);
 * the process handle is closed only after exit_cb (4); UV_EIO is EOF (5);
 * one slave fd stays open here until exit_cb, then the master is drained
 * synchronously before on_done (6); children get minod.child_env (7);
 * queued input is capped (10).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "pty.h"
#include "xalloc.h"

#define PTY_READ_SIZE (256u * 1024)
#define PTY_EOF_GRACE_MS 5000     /* pipes still open after exit: a grandchild holds them */

struct pty_proc {
	uv_process_t proc;
	uv_pipe_t master;       /* tty: the master, as a non-blocking stream */
	uv_pipe_t in, out, err; /* non-tty */
	uv_timer_t timer;
	bool tty;
	bool eof_at_exit;
	bool has_in;            /* `in` initialised and not closed */
	bool in_closing;
	bool master_init;
	int slave_fd;           /* tty: kept open until exit_cb */
	unsigned handles;       /* initialised handles not yet closed */
	bool exited, done, paused, hungup;
	bool out_eof, err_eof;  /* tty: out_eof is the master's */
	int64_t exit_status;
	int term_signal;
	size_t in_queued;
	unsigned grace_ms;
	pty_output_fn on_output;
	pty_done_fn on_done;
	void (*on_input_low)(struct pty_proc *pp);
	void *data;
};

struct pty_write {
	uv_write_t req;
	struct pty_proc *pp;
	size_t len;
	char data[];
};

static unsigned pty_live;
static char pty_readbuf[PTY_READ_SIZE];

static void pty_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b);
static void pty_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void pty_exit_cb(uv_process_t *p, int64_t status, int sig);
static void pty_close_cb(uv_handle_t *h);
static void pty_timer_cb(uv_timer_t *t);
static void pty_write_cb(uv_write_t *req, int status);
static void pty_shutdown_cb(uv_shutdown_t *req, int status);
static void pty_drain_master(struct pty_proc *pp);
static void pty_drain_pipe(struct pty_proc *pp, uv_pipe_t *p, enum pty_stream st);
static void pty_check_finish(struct pty_proc *pp);
static void pty_finish(struct pty_proc *pp);
static void pty_close_handle(struct pty_proc *pp, uv_handle_t *h);
static int pty_start_reading(struct pty_proc *pp);

int
pty_open(unsigned rows, unsigned cols, int *master, int *slave, struct mino_error **err)
{
	_cleanup_close_ int m = -1;
	_cleanup_close_ int s = -1;
	char name[128];
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	int r;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return mino_make_error(err, MINO_E_INTERNAL, errno, "posix_openpt");
	if (grantpt(m) < 0 || unlockpt(m) < 0)
		return mino_make_error(err, MINO_E_INTERNAL, errno, "grantpt/unlockpt");
	r = ptsname_r(m, name, sizeof name);
	if (r != 0)
		return mino_make_error(err, MINO_E_INTERNAL, r, "ptsname_r");
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return mino_make_error(err, MINO_E_INTERNAL, errno, "open `%s`", name);
	if (ioctl(m, TIOCSWINSZ, &ws) < 0)
		return mino_make_error(err, MINO_E_INTERNAL, errno, "TIOCSWINSZ");
	*master = steal_fd(&m);
	*slave = steal_fd(&s);
	return 0;
}

static char **
pty_argv_with_helper(const char *const *argv)
{
	size_t n = 0, i;
	char **v;

	while (argv[n] != NULL)
		n++;
	v = xcalloc(n + 2, sizeof *v);
	v[0] = xasprintf("%s/mino-pty-exec", minod.helper_dir);
	for (i = 0; i < n; i++)
		v[i + 1] = (char *)argv[i];
	return v;
}

static int
pty_spawn_tty(struct pty_proc *pp, const struct pty_spawn_opts *o, uv_process_options_t *po,
    uv_stdio_container_t *stdio, struct mino_error **err)
{
	int master = -1, slave = -1, r, i;

	if (pty_open(o->rows ? o->rows : 24, o->cols ? o->cols : 80, &master, &slave, err) < 0)
		return -1;
	/* Not uv_tty_init: libuv cannot reopen a master, and then falls back
	 * to blocking writes, so a command that does not read its terminal
	 * would wedge the whole loop.  As a pipe the master is non-blocking;
	 * EIO at the end is handled as EOF (pitfall 5). */
	uv_pipe_init(minod.loop, &pp->master, 0);
	pp->handles++;
	pp->master_init = true; /* pty_abort() closes it on failure */
	pp->master.data = pp;
	r = uv_pipe_open(&pp->master, master);
	if (r < 0) {
		close(master);
		close(slave);
		return mino_make_error(err, MINO_E_INTERNAL, -r, "uv_pipe_open on the PTY master");
	}
	pp->slave_fd = slave;
	for (i = 0; i < 3; i++) {
		stdio[i].flags = UV_INHERIT_FD;
		stdio[i].data.fd = slave;
	}
	po->stdio_count = 3;
	return 0;
}

static void
pty_spawn_pipes(struct pty_proc *pp, const struct pty_spawn_opts *o, uv_process_options_t *po,
    uv_stdio_container_t *stdio)
{
	uv_pipe_init(minod.loop, &pp->out, 0);
	uv_pipe_init(minod.loop, &pp->err, 0);
	pp->out.data = pp->err.data = pp;
	pp->handles += 2;
	if (o->want_stdin) {
		uv_pipe_init(minod.loop, &pp->in, 0);
		pp->in.data = pp;
		pp->handles++;
		pp->has_in = true;
		stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
		stdio[0].data.stream = (uv_stream_t *)&pp->in;
	} else
		stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&pp->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&pp->err;
	po->stdio_count = 3;
}

/* Undo a failed spawn: close what was opened, free once closed. */
static void
pty_abort(struct pty_proc *pp, bool proc_initialised)
{
	pp->done = true;
	if (pp->slave_fd >= 0) {
		close(pp->slave_fd);
		pp->slave_fd = -1;
	}
	if (proc_initialised)
		pty_close_handle(pp, (uv_handle_t *)&pp->proc);
	pty_close_handle(pp, (uv_handle_t *)&pp->timer);
	if (pp->tty) {
		if (pp->master_init)
			pty_close_handle(pp, (uv_handle_t *)&pp->master);
	} else {
		pty_close_handle(pp, (uv_handle_t *)&pp->out);
		pty_close_handle(pp, (uv_handle_t *)&pp->err);
		if (pp->has_in)
			pty_close_handle(pp, (uv_handle_t *)&pp->in);
		pp->has_in = false;
	}
}

struct pty_proc *
pty_proc_spawn(const struct pty_spawn_opts *o, struct mino_error **err)
{
	struct pty_proc *pp = xcalloc(1, sizeof *pp);
	uv_process_options_t po;
	uv_stdio_container_t stdio[4];
	char **argv = NULL;
	int r;

	pp->tty = o->tty;
	pp->eof_at_exit = o->eof_at_exit;
	pp->slave_fd = -1;
	pp->on_output = o->on_output;
	pp->on_done = o->on_done;
	pp->on_input_low = o->on_input_low;
	pp->data = o->data;
	pty_live++;
	uv_timer_init(minod.loop, &pp->timer);
	pp->timer.data = pp;
	pp->handles++;

	memset(&po, 0, sizeof po);
	memset(stdio, 0, sizeof stdio);
	if (o->tty) {
		if (pty_spawn_tty(pp, o, &po, stdio, err) < 0) {
			pty_abort(pp, false);
			return NULL;
		}
		argv = o->no_ctty ? (char **)o->argv : pty_argv_with_helper(o->argv);
	} else {
		pty_spawn_pipes(pp, o, &po, stdio);
		argv = (char **)o->argv;
	}
	if (o->fd3 > 2) {
		stdio[3].flags = UV_INHERIT_FD;
		stdio[3].data.fd = o->fd3;
		po.stdio_count = 4;
	}
	po.exit_cb = pty_exit_cb;
	po.file = argv[0];
	po.args = argv;
	po.env = minod.child_env;
	po.cwd = minod.state_dir;
	po.flags = UV_PROCESS_DETACHED; /* setsid(): a session for the PTY, away from our terminal */
	po.stdio = stdio;
	pp->proc.data = pp;
	r = uv_spawn(minod.loop, &pp->proc, &po);
	pp->handles++;
	if (o->tty && !o->no_ctty) {
		free(argv[0]);
		free(argv);
	}
	if (r < 0) {
		mino_make_error(err, MINO_E_INTERNAL, -r, "spawning `%s`", o->argv[0]);
		pty_abort(pp, true);
		return NULL;
	}
	log_debug("pty: spawned pid %d (%s%s)", pp->proc.pid, o->argv[0], o->tty ? ", tty" : "");
	if (pty_start_reading(pp) < 0) {
		/* Cannot happen for fresh handles; the child still gets reaped. */
		log_warn("pty: cannot read child %d output", pp->proc.pid);
	}
	return pp;
}

static int
pty_start_reading(struct pty_proc *pp)
{
	int r = 0;

	if (pp->tty) {
		if (!pp->out_eof)
			r = uv_read_start((uv_stream_t *)&pp->master, pty_alloc_cb, pty_read_cb);
		return r;
	}
	if (!pp->out_eof)
		r = uv_read_start((uv_stream_t *)&pp->out, pty_alloc_cb, pty_read_cb);
	if (r == 0 && !pp->err_eof)
		r = uv_read_start((uv_stream_t *)&pp->err, pty_alloc_cb, pty_read_cb);
	return r;
}

static void
pty_stop_reading(struct pty_proc *pp)
{
	if (pp->tty) {
		if (!pp->out_eof)
			uv_read_stop((uv_stream_t *)&pp->master);
		return;
	}
	if (!pp->out_eof)
		uv_read_stop((uv_stream_t *)&pp->out);
	if (!pp->err_eof)
		uv_read_stop((uv_stream_t *)&pp->err);
}

void *
pty_proc_data(const struct pty_proc *pp)
{
	return pp->data;
}

int
pty_proc_pid(const struct pty_proc *pp)
{
	return pp->proc.pid;
}

bool
pty_proc_is_tty(const struct pty_proc *pp)
{
	return pp->tty;
}

unsigned
pty_proc_count(void)
{
	return pty_live;
}

static void
pty_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	b->base = pty_readbuf;
	b->len = sizeof pty_readbuf;
}

static void
pty_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct pty_proc *pp = s->data;
	enum pty_stream st;

	if (pp->tty)
		st = PTY_STREAM_PTY;
	else if (s == (uv_stream_t *)&pp->out)
		st = PTY_STREAM_STDOUT;
	else
		st = PTY_STREAM_STDERR;
	if (nread > 0) {
		if (!pp->done)
			pp->on_output(pp, st, b->base, (size_t)nread);
		return;
	}
	if (nread == 0)
		return;
	if (nread != UV_EOF && nread != UV_EIO)
		log_debug("pty: read from child %d: %s", pp->proc.pid, uv_strerror((int)nread));
	uv_read_stop(s);
	if (st == PTY_STREAM_STDERR)
		pp->err_eof = true;
	else
		pp->out_eof = true;
	pty_check_finish(pp);
}

static void
pty_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct pty_proc *pp = p->data;

	log_debug("pty: child %d exited, status %lld signal %d", p->pid, (long long)status, sig);
	pp->exited = true;
	pp->exit_status = status;
	pp->term_signal = sig;
	uv_timer_stop(&pp->timer);
	if (pp->tty) {
		if (!pp->out_eof)
			uv_read_stop((uv_stream_t *)&pp->master);
		if (pp->slave_fd >= 0) {
			close(pp->slave_fd);
			pp->slave_fd = -1;
		}
		if (!pp->hungup)
			pty_drain_master(pp);
		pp->out_eof = true;
		pty_finish(pp);
		return;
	}
	if (pp->hungup) {
		pty_finish(pp);
		return;
	}
	if (pp->eof_at_exit) {
		if (!pp->out_eof)
			pty_drain_pipe(pp, &pp->out, PTY_STREAM_STDOUT);
		if (!pp->err_eof)
			pty_drain_pipe(pp, &pp->err, PTY_STREAM_STDERR);
		pty_finish(pp);
		return;
	}
	if (!pp->out_eof || !pp->err_eof)
		uv_timer_start(&pp->timer, pty_timer_cb, PTY_EOF_GRACE_MS, 0);
	pty_check_finish(pp);
}

/* Pitfall 6: with the last slave closed, the master returns the rest of
 * the output, then EIO. */
static void
pty_drain_master(struct pty_proc *pp)
{
	uv_os_fd_t fd;
	ssize_t n;

	if (uv_fileno((uv_handle_t *)&pp->master, &fd) < 0)
		return;
	for (;;) {
		n = read(fd, pty_readbuf, sizeof pty_readbuf);
		if (n > 0) {
			pp->on_output(pp, PTY_STREAM_PTY, pty_readbuf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* 0, EIO (all read), EAGAIN (a grandchild still holds the slave) */
	}
}

/* eof_at_exit: what the child wrote before it ended is in the pipe now;
 * a grandchild that still holds it is not waited for. */
static void
pty_drain_pipe(struct pty_proc *pp, uv_pipe_t *p, enum pty_stream st)
{
	uv_os_fd_t fd;
	ssize_t n;

	uv_read_stop((uv_stream_t *)p);
	if (uv_fileno((uv_handle_t *)p, &fd) < 0)
		return;
	for (;;) {
		n = read(fd, pty_readbuf, sizeof pty_readbuf);
		if (n > 0) {
			pp->on_output(pp, st, pty_readbuf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* 0, EAGAIN (a grandchild holds it) */
	}
}

static void
pty_timer_cb(uv_timer_t *t)
{
	struct pty_proc *pp = t->data;

	if (!pp->exited) {
		/* hangup grace expired */
		log_info("pty: child %d ignored SIGHUP, killing it", pp->proc.pid);
		uv_process_kill(&pp->proc, SIGKILL);
		return;
	}
	if (pp->paused) {
		/* Still data to read once the clients catch up. */
		uv_timer_start(&pp->timer, pty_timer_cb, PTY_EOF_GRACE_MS, 0);
		return;
	}
	log_debug("pty: child %d exited but its output is still open; closing", pp->proc.pid);
	pty_finish(pp);
}

static void
pty_check_finish(struct pty_proc *pp)
{
	if (pp->done || !pp->exited)
		return;
	if (!pp->tty && (!pp->out_eof || !pp->err_eof))
		return;
	pty_finish(pp);
}

static void
pty_close_handle(struct pty_proc *pp, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, pty_close_cb);
}

static void
pty_finish(struct pty_proc *pp)
{
	if (pp->done)
		return;
	pp->done = true;
	uv_timer_stop(&pp->timer);
	pp->on_done(pp, pp->exit_status, pp->term_signal);
	pty_close_handle(pp, (uv_handle_t *)&pp->proc);
	pty_close_handle(pp, (uv_handle_t *)&pp->timer);
	if (pp->tty) {
		pty_close_handle(pp, (uv_handle_t *)&pp->master);
		return;
	}
	pty_close_handle(pp, (uv_handle_t *)&pp->out);
	pty_close_handle(pp, (uv_handle_t *)&pp->err);
	if (pp->has_in) {
		pp->has_in = false;
		pty_close_handle(pp, (uv_handle_t *)&pp->in);
	}
}

static void
pty_close_cb(uv_handle_t *h)
{
	struct pty_proc *pp = h->data;

	if (--pp->handles > 0)
		return;
	pty_live--;
	free(pp);
}

static uv_stream_t *
pty_input_stream(struct pty_proc *pp)
{
	if (pp->done)
		return NULL;
	if (pp->tty)
		return (uv_stream_t *)&pp->master;
	if (!pp->has_in || pp->in_closing)
		return NULL;
	return (uv_stream_t *)&pp->in;
}

int
pty_proc_write(struct pty_proc *pp, const char *data, size_t len, struct mino_error **err)
{
	uv_stream_t *s = pty_input_stream(pp);
	struct pty_write *w;
	uv_buf_t b;
	int r;

	if (s == NULL)
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "stdin is closed");
	if (len == 0)
		return 0;
	if (pp->in_queued + len > PTY_INPUT_MAX)
		return mino_make_error(err, MINO_E_LIMIT, 0,
		    "input backlog over %u bytes: the command is not reading its input", PTY_INPUT_MAX);
	w = xmalloc(sizeof *w + len);
	w->pp = pp;
	w->len = len;
	memcpy(w->data, data, len);
	b = uv_buf_init(w->data, (unsigned)len);
	r = uv_write(&w->req, s, &b, 1, pty_write_cb);
	if (r < 0) {
		free(w);
		return mino_make_error(err, MINO_E_IO, -r, "writing input");
	}
	pp->in_queued += len;
	return 0;
}

static void
pty_write_cb(uv_write_t *req, int status)
{
	struct pty_write *w = (struct pty_write *)req;

	struct pty_proc *pp = w->pp;
	bool was_high = pp->in_queued >= PTY_INPUT_LOW;

	pp->in_queued -= w->len;
	if (status < 0 && status != UV_ECANCELED)
		log_debug("pty: input to child %d: %s", pp->proc.pid, uv_strerror(status));
	free(w);
	if (was_high && pp->in_queued < PTY_INPUT_LOW && !pp->done && pp->on_input_low != NULL)
		pp->on_input_low(pp);
}

size_t
pty_proc_input_queued(const struct pty_proc *pp)
{
	return pp->in_queued;
}

int
pty_proc_close_stdin(struct pty_proc *pp, struct mino_error **err)
{
	uv_shutdown_t *req;
	int r;

	if (pp->tty || pp->done || !pp->has_in || pp->in_closing)
		return 0;
	req = xcalloc(1, sizeof *req);
	req->data = pp;
	r = uv_shutdown(req, (uv_stream_t *)&pp->in, pty_shutdown_cb);
	if (r < 0) {
		free(req);
		return mino_make_error(err, MINO_E_IO, -r, "closing stdin");
	}
	pp->in_closing = true;
	return 0;
}

static void
pty_shutdown_cb(uv_shutdown_t *req, int status)
{
	struct pty_proc *pp = req->data;

	free(req);
	if (pp->has_in) {
		pp->has_in = false;
		pty_close_handle(pp, (uv_handle_t *)&pp->in);
	}
}

int
pty_proc_resize(struct pty_proc *pp, unsigned rows, unsigned cols, struct mino_error **err)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	uv_os_fd_t fd;

	if (!pp->tty || pp->done)
		return 0;
	if (uv_fileno((uv_handle_t *)&pp->master, &fd) < 0)
		return 0;
	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "TIOCSWINSZ");
	if (!pp->exited)
		uv_process_kill(&pp->proc, SIGWINCH);
	return 0;
}

void
pty_proc_kill(struct pty_proc *pp, int sig)
{
	if (!pp->exited)
		uv_process_kill(&pp->proc, sig);
}

void
pty_proc_pause(struct pty_proc *pp)
{
	if (pp->paused || pp->done)
		return;
	pp->paused = true;
	pty_stop_reading(pp);
}

void
pty_proc_resume(struct pty_proc *pp)
{
	if (!pp->paused || pp->done)
		return;
	pp->paused = false;
	if (pp->tty && pp->exited)
		return;
	if (pty_start_reading(pp) < 0)
		log_warn("pty: cannot resume reading child %d", pp->proc.pid);
}

void
pty_proc_hangup(struct pty_proc *pp, unsigned grace_ms)
{
	if (pp->done || pp->hungup)
		return;
	pp->hungup = true;
	pp->grace_ms = grace_ms;
	pty_stop_reading(pp);
	if (pp->exited) {
		pty_finish(pp);
		return;
	}
	uv_process_kill(&pp->proc, SIGHUP);
	uv_timer_start(&pp->timer, pty_timer_cb, grace_ms, 0);
}

static bool
pty_environ_has(int dirfd, long pid, const char *entry, size_t elen)
{
	static char envbuf[64 * 1024];
	char path[64];
	ssize_t n;
	size_t off;
	int fd;

	snprintf(path, sizeof path, "%ld/environ", pid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, envbuf, sizeof envbuf - 1);
	close(fd);
	if (n <= 0)
		return false;
	envbuf[n] = '\0';
	for (off = 0; off < (size_t)n; off += strlen(envbuf + off) + 1)
		if (strlen(envbuf + off) == elen && memcmp(envbuf + off, entry, elen) == 0)
			return true;
	return false;
}

unsigned
pty_kill_marked(const char *env_entry, int sig)
{
	size_t elen = strlen(env_entry);
	struct dirent *de;
	unsigned n = 0;
	pid_t self = getpid();
	DIR *d;
	long pid;

	d = opendir("/proc");
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, NULL, 10);
		if (pid <= 1 || pid == self)
			continue;
		if (pty_environ_has(dirfd(d), pid, env_entry, elen) && kill((pid_t)pid, sig) == 0)
			n++;
	}
	closedir(d);
	return n;
}
