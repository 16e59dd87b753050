/* container.c: one run of a podman container (container.h). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "container.h"
#include "container-int.h"
#include "fsutil.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "podman.h"
#include "strv.h"
#include "xalloc.h"

static void container_create_cb(struct podman_result *res, void *arg);
static int container_spawn(struct container *c, char **args, bool want_stdin, struct mino_error **err);
static void container_created(struct container *c);
static void container_defer_cb(uv_timer_t *t);
static void container_init_cb(struct podman_result *res, void *arg);
static void container_info_cb(struct podman_result *res, void *arg);
static void container_hook_and_start(struct container *c, const struct container_info *info);
static void container_wait_cb(struct podman_result *res, void *arg);
static void container_state_cb(struct podman_result *res, void *arg);
static void container_conmon_cb(struct podman_result *res, void *arg);
static int container_start(struct container *c, struct mino_error **err);
static int container_attach(struct container *c, struct mino_error **err);
static void container_output(struct pty_proc *pp, enum pty_stream st, const char *data, size_t len);
static void container_input_low(struct pty_proc *pp);
static void container_done(struct pty_proc *pp, int64_t status, int sig);
static void container_fail(struct container *c, const char *error, bool cancelled);
static void container_finish(struct container *c, const struct container_end *end);

const char *
container_id(const struct container *c)
{
	return c->id;
}

struct pty_proc *
container_proc(const struct container *c)
{
	return c->pp;
}

bool
container_is_running(const struct container *c)
{
	return c->phase == CONTAINER_RUNNING;
}

void
container_unref(struct container *c)
{
	if (--c->refs > 0)
		return;
	podman_argv_free(c->create_args);
	if (c->cidfile != NULL)
		(void)unlink(c->cidfile);
	if (c->one_step && c->pidfile != NULL)
		(void)unlink(c->pidfile);
	buf_free(&c->held_out);
	buf_free(&c->held_err);
	free(c->cidfile);
	free(c->pidfile);
	free(c->id);
	free(c->name);
	free(c);
}

/* Closes a handle of `c` that held a reference of its own. */
void
container_handle_close_cb(uv_handle_t *h)
{
	container_unref(h->data);
}

/* A copy of `create ...`, with `extra` (NULL-terminated, may be NULL)
 * right after the verb. */
static char **
container_strv_copy(char *const *v, const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **out;

	while (v[n] != NULL)
		n++;
	while (extra != NULL && extra[m] != NULL)
		m++;
	out = xcalloc(n + m + 1, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		out[k++] = xstrdup(v[i]);
		for (size_t j = 0; i == 0 && j < m; j++)
			out[k++] = xstrdup(extra[j]);
	}
	return out;
}

/* Passthrough is for a created (not initialized) non-tty container whose
 * start client minod spawns: the process that makes conmon gives the
 * container its stdio, and with `podman init` first that would be init's. */
static bool
container_wants_passthrough(const struct container_opts *o)
{
	return o->stdio == CONTAINER_STDIO_PASSTHROUGH && !o->tty && !o->init_first &&
	    o->create_args != NULL && minod.state_dir != NULL;
}

/* `podman create --log-driver=passthrough` prints no id (its stdout would
 * be the container's), so it writes it to a --cidfile of minod's.  In one
 * step the verb becomes `run`, with start's own options. */
static char **
container_passthrough_args(struct container *c, char *const *create_args)
{
	_cleanup_free_ char *cidopt = NULL;
	_cleanup_free_ char *pidopt = NULL;
	const char *extra[] = { "--log-driver=passthrough", "--label=mino.stdio=passthrough", NULL,
		"--sig-proxy=false", "--detach-keys=", NULL, NULL };
	char **args;

	c->cidfile = xasprintf("%s/%s.cid", minod.state_dir, c->name);
	if (unlink(c->cidfile) < 0 && errno != ENOENT)
		log_warn("container %s: removing a stale %s: %s", c->name, c->cidfile, strerror(errno));
	cidopt = xasprintf("--cidfile=%s", c->cidfile);
	extra[2] = cidopt;
	if (!c->one_step) {
		extra[3] = NULL;
	} else {
		/* written when the container's process is made: it runs */
		free(c->pidfile);
		c->pidfile = xasprintf("%s/%s.pid", minod.state_dir, c->name);
		(void)unlink(c->pidfile);
		pidopt = xasprintf("--pidfile=%s", c->pidfile);
		extra[5] = pidopt;
	}
	args = container_strv_copy(create_args, extra);
	if (c->one_step) {
		free(args[0]);
		args[0] = xstrdup("run");
	}
	return args;
}

/* Runs a podman command for `c` (holding a reference until it answers). */
static int
container_capture(struct container *c, const char *const *argv, podman_done_cb done,
    struct podman_capture **out, struct mino_error **err)
{
	c->refs++;
	if (podman_capture_start(argv, done, c, out, err) < 0) {
		c->refs--;
		return -1;
	}
	return 0;
}

struct container *
container_run(const struct container_opts *o, struct mino_error **err)
{
	struct container *c = xcalloc(1, sizeof *c);
	int r;

	c->refs = 1;
	c->o = *o;
	c->name = xstrdup(o->name);
	c->o.name = c->name;
	c->o.create_args = NULL;
	c->o.id = NULL;
	c->o.created_id = NULL;
	c->pidfile = o->pidfile != NULL ? xstrdup(o->pidfile) : NULL;
	c->o.pidfile = NULL;
	if (o->create_args == NULL && o->created_id != NULL) {
		c->id = xstrdup(o->created_id);
		c->phase = CONTAINER_CREATING;
		c->refs++; /* held by the deferral until it is closed */
		uv_timer_init(minod.loop, &c->defer);
		c->defer.data = c;
		uv_timer_start(&c->defer, container_defer_cb, 0, 0);
		return c;
	}
	if (o->create_args == NULL) {
		c->id = xstrdup(o->id);
		c->reattach = true;
		c->phase = CONTAINER_RUNNING;
		r = container_attach(c, err);
	} else {
		bool passthrough = container_wants_passthrough(o);

		c->one_step = passthrough && o->one_step && container_watch(c) == 0;
		if (passthrough)
			c->create_args = container_passthrough_args(c, o->create_args);
		else
			c->create_args = container_strv_copy(o->create_args, NULL);
		c->o.stdio = c->cidfile != NULL ? CONTAINER_STDIO_PASSTHROUGH : CONTAINER_STDIO_ATTACH;
		if (c->one_step) {
			c->phase = CONTAINER_STARTING;
			r = container_spawn(c, container_strv_copy(c->create_args, NULL), true, err);
			if (r < 0)
				container_unwatch(c);
		} else {
			c->phase = CONTAINER_CREATING;
			r = container_capture(c, (const char *const *)c->create_args, container_create_cb, NULL, err);
		}
	}
	if (r < 0) {
		container_unref(c);
		return NULL;
	}
	return c;
}

/* The container id: the last non-empty line podman printed. */
static char *
container_parse_id(const struct podman_result *res)
{
	char *out = res->out.data, *line = NULL, *p;

	if (out == NULL)
		return NULL;
	for (p = strtok(out, "\r\n"); p != NULL; p = strtok(NULL, "\r\n"))
		if (*p != '\0')
			line = p;
	if (line == NULL || strlen(line) < 12 || strspn(line, "0123456789abcdef") != strlen(line))
		return NULL;
	return xstrdup(line);
}

/* Passthrough: the id from the --cidfile, NULL if it is not (yet) there
 * whole.  Podman makes the file before the container and writes the id
 * once it is created: a whole id means the container exists. */
char *
container_read_cidfile(struct container *c, bool quiet)
{
	struct mino_error *err = NULL;
	char id[128];
	ssize_t n;

	n = fs_read_small(c->cidfile, id, sizeof id, 0, &err);
	if (n < 0) {
		if (!quiet)
			log_warn("container %s: %s", c->name, err->msg);
		mino_error_release(&err);
		return NULL;
	}
	id[strcspn(id, "\r\n")] = '\0';
	if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64)
		return NULL;
	(void)unlink(c->cidfile);
	return xstrdup(id);
}

static void
container_create_cb(struct podman_result *res, void *arg)
{
	struct container *c = arg;
	_cleanup_free_ char *line = NULL;

	if (res->exit_status == 0)
		c->id = c->cidfile != NULL ? container_read_cidfile(c, false) : container_parse_id(res);
	if (c->id == NULL) {
		line = podman_error_line(res);
		container_fail(c, line ? line : "podman create failed", false);
	} else {
		log_debug("container %s: created %.12s", c->name, c->id);
		container_created(c);
	}
	container_unref(c);
}

/* A created container was given (created_id). */
static void
container_defer_cb(uv_timer_t *t)
{
	struct container *c = t->data;

	uv_close((uv_handle_t *)t, container_handle_close_cb);
	log_debug("container %s: given created %.12s", c->name, c->id);
	container_created(c);
}

/* Created: on_created, then [init, before_start], start. */
static void
container_created(struct container *c)
{
	struct mino_error *err = NULL;
	const char *argv[] = { "init", NULL, NULL };

	if (c->cancelled || c->abandoned) {
		container_fail(c, "cancelled", c->cancelled);
		return;
	}
	if (c->o.on_created != NULL && c->o.on_created(c, c->id, c->o.owner, &err) < 0)
		goto fail;
	if (!c->o.init_first) {
		if (container_start(c, &err) < 0)
			goto fail;
		return;
	}
	c->phase = CONTAINER_INITIALIZING;
	argv[1] = c->id;
	if (container_capture(c, argv, container_init_cb, NULL, &err) < 0)
		goto fail;
	return;
fail:
	container_fail(c, err->msg, false);
	mino_error_release(&err);
}

static void
container_init_cb(struct podman_result *res, void *arg)
{
	struct container *c = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;
	struct container_info info = { .id = c->id, .netns = "" };
	const char *argv[] = { "inspect", "--format", "{{.State.Pid}} {{.NetworkSettings.SandboxKey}}",
		c->id, NULL };

	if (c->pidfile != NULL) {
		info.pid = container_read_pidfile(c->pidfile);
		unlink(c->pidfile);
	}
	if (res->exit_status != 0) {
		line = podman_error_line(res);
		container_fail(c, line ? line : "podman init failed", false);
	} else if (c->cancelled || c->abandoned) {
		container_fail(c, "cancelled", c->cancelled);
	} else if (info.pid > 0) {
		container_hook_and_start(c, &info); /* the pidfile spared an inspect */
	} else if (container_capture(c, argv, container_info_cb, NULL, &err) < 0) {
		container_fail(c, err->msg, false);
		mino_error_release(&err);
	}
	container_unref(c);
}

/* The pid that `create --pidfile` had podman write at init; 0 if none. */
int
container_read_pidfile(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "re");
	long pid = 0;

	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof buf, f) == NULL || sscanf(buf, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX)
		pid = 0;
	fclose(f);
	return (int)pid;
}

static void
container_info_cb(struct podman_result *res, void *arg)
{
	struct container *c = arg;
	struct container_info info = { .id = c->id, .netns = "" };
	char netns[512] = "";

	if (res->exit_status == 0 && res->out.data != NULL &&
	    sscanf(res->out.data, "%d %511s", &info.pid, netns) >= 1)
		info.netns = netns;
	container_hook_and_start(c, &info);
	container_unref(c);
}

/* Initialized: before_start, then `podman start --attach`. */
static void
container_hook_and_start(struct container *c, const struct container_info *info)
{
	struct mino_error *err = NULL;

	if (c->cancelled || c->abandoned)
		container_fail(c, "cancelled", c->cancelled);
	else if ((c->o.before_start != NULL && c->o.before_start(c, info, c->o.owner, &err) < 0) ||
	    container_start(c, &err) < 0) {
		container_fail(c, err->msg, false);
		mino_error_release(&err);
	}
}

static int
container_spawn(struct container *c, char **args, bool want_stdin, struct mino_error **err)
{
	char **argv = podman_command(minod.podman_path, args);
	_cleanup_free_ char *line = podman_argv_loggable(argv);
	struct pty_spawn_opts po = {
		.argv = (const char *const *)argv,
		.tty = c->o.tty,
		.want_stdin = want_stdin,
		.rows = c->o.rows,
		.cols = c->o.cols,
		.on_output = container_output,
		.on_done = container_done,
		.on_input_low = container_input_low,
		.data = c,
	};

	log_info("container %s: %s", c->name, line);
	c->pp = pty_proc_spawn(&po, err);
	podman_argv_free(argv);
	podman_argv_free(args);
	if (c->pp == NULL)
		return -1;
	c->refs++;
	return 0;
}

/* Asks podman when the container runs.  Started a moment after the
 * start client, so that a command that is over at once costs no second
 * podman process (its end says it ran). */
static void
container_wait_timer_cb(uv_timer_t *t)
{
	struct container *c = t->data;
	const char *argv[] = { "wait", "--condition=running", "--interval=10ms", c->id, NULL };
	struct mino_error *err = NULL;

	if (c->phase != CONTAINER_STARTING)
		return;
	if (container_capture(c, argv, container_wait_cb, &c->wait, &err) < 0) {
		log_warn("container %s: %s", c->name, err->msg);
		mino_error_release(&err);
	}
}

static void
container_stop_timer(struct container *c)
{
	if (!c->timer_live)
		return;
	c->timer_live = false;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, container_handle_close_cb);
}

/* `podman wait --condition=running` a moment from now (the start client
 * runs). */
void
container_arm_wait(struct container *c)
{
	if (c->timer_live || c->phase != CONTAINER_STARTING)
		return;
	uv_timer_init(minod.loop, &c->timer);
	c->timer.data = c;
	c->timer_live = true;
	c->refs++; /* held by the timer until closed */
	uv_timer_start(&c->timer, container_wait_timer_cb,
	    c->one_step ? CONTAINER_ONE_STEP_WAIT_MS : CONTAINER_WAIT_DELAY_MS, 0);
}

static int
container_start(struct container *c, struct mino_error **err)
{
	c->phase = CONTAINER_STARTING;
	if (container_spawn(c, podman_start_argv(c->id, c->o.tty || c->o.want_stdin), true, err) < 0)
		return -1;
	container_arm_wait(c);
	return 0;
}

static int
container_attach(struct container *c, struct mino_error **err)
{
	c->attach_attempts++;
	return container_spawn(c, podman_attach_argv(c->id, c->o.tty), c->o.tty, err);
}

void
container_mark_running(struct container *c)
{
	if (c->phase != CONTAINER_STARTING)
		return;
	c->phase = CONTAINER_RUNNING;
	if (c->abandoned) {
		/* minod is stopping: now the podman client may go. */
		if (c->pp != NULL)
			pty_proc_hangup(c->pp, CONTAINER_HANGUP_GRACE_MS);
		return;
	}
	if (c->o.on_running != NULL)
		c->o.on_running(c, c->o.owner);
}

static void
container_wait_cb(struct podman_result *res, void *arg)
{
	struct container *c = arg;

	c->wait = NULL;
	if (res->exit_status == 0)
		container_mark_running(c);
	container_unref(c);
}

static void
container_pass_output(struct container *c, enum pty_stream st, const char *data, size_t len)
{
	if (!c->abandoned && c->o.on_output != NULL && len > 0)
		c->o.on_output(c, st, data, len, c->o.owner);
}

/* One step: it runs (or podman said too much to be an error): what was
 * held goes to the owner. */
void
container_release_held(struct container *c)
{
	container_pass_output(c, PTY_STREAM_STDOUT, c->held_out.data, c->held_out.len);
	container_pass_output(c, PTY_STREAM_STDERR, c->held_err.data, c->held_err.len);
	buf_free(&c->held_out);
	buf_free(&c->held_err);
}

static void
container_output(struct pty_proc *pp, enum pty_stream st, const char *data, size_t len)
{
	struct container *c = pty_proc_data(pp);
	struct buf *held = st == PTY_STREAM_STDERR ? &c->held_err : &c->held_out;

	if (c->one_step && !c->pid_seen) {
		container_one_step_pid(c);      /* its inotify event may come later */
		if (!c->pid_seen && c->held_out.len + c->held_err.len + len <= CONTAINER_HELD_MAX) {
			buf_append(held, data, len);
			return;
		}
		if (!c->pid_seen) {
			c->pid_seen = true;     /* not podman's error: too long */
			container_release_held(c);
		}
	}
	container_pass_output(c, st, data, len);
}

static void
container_input_low(struct pty_proc *pp)
{
	struct container *c = pty_proc_data(pp);

	if (!c->abandoned && c->o.on_input_low != NULL)
		c->o.on_input_low(c, c->o.owner);
}

static void
container_done(struct pty_proc *pp, int64_t status, int sig)
{
	struct container *c = pty_proc_data(pp);
	struct container_end end = { .started = true, .have_code = sig == 0, .code = (int)status, .sig = sig };
	struct mino_error *err = NULL;

	c->pp = NULL;
	container_stop_timer(c);
	if (c->wait != NULL)
		podman_capture_kill(c->wait, SIGKILL);
	if (c->one_step) {
		container_one_step_created(c);  /* over before its events were seen */
		container_one_step_pid(c);
		container_unwatch(c);
		if (!c->pid_seen) {
			/* `podman run` failed before the container ran: what it
			 * printed is its error, as a create's would be */
			_cleanup_free_ char *line = c->held_err.len == 0 ? NULL :
			    podman_error_line_in(c->held_err.data, c->held_err.len, false);

			container_fail(c, line != NULL ? line : "podman could not run the container", c->cancelled);
			container_unref(c);
			return;
		}
	}
	/* A client that ended before the wait answered: it ran. */
	if (c->phase == CONTAINER_STARTING && !c->abandoned && !c->cancelled)
		container_mark_running(c);
	/* podman's own failure statuses, or a killed client: was conmon lost? */
	if (!c->reattach && !c->abandoned && c->id != NULL && (sig != 0 || (status >= 125 && status <= 127))) {
		const char *argv[] = { "inspect", "--format", "{{.State.Status}} {{.State.ConmonPid}}", c->id, NULL };

		c->end = end;
		if (podman_capture(argv, container_conmon_cb, c, &err) == 0)
			return; /* the client's reference passes to the capture */
		mino_error_release(&err);
	}
	if (c->reattach && !c->abandoned) {
		/* `podman attach` ended: ask podman how the container is. */
		if (container_inspect_state(c->id, container_state_cb, c, &err) == 0)
			return; /* the client's reference passes to the capture */
		log_warn("container %s: %s", c->name, err->msg);
		mino_error_release(&err);
		end.have_code = false;
	}
	container_finish(c, &end);
	container_unref(c);
}

/* The container still "running" with its conmon gone: nobody will see
 * its end.  Else the client's status stands. */
static void
container_conmon_cb(struct podman_result *res, void *arg)
{
	struct container *c = arg;
	struct container_end end = c->end;
	char state[32];
	long conmon;

	if (res->exit_status == 0 && sscanf(res->out.data, "%31s %ld", state, &conmon) == 2 &&
	    (strcmp(state, "running") == 0 || strcmp(state, "paused") == 0) &&
	    (conmon <= 0 || (kill((pid_t)conmon, 0) < 0 && errno == ESRCH))) {
		end.have_code = false;
		end.sig = 0;
		end.error = "lost: conmon died";
		end.lost = true;
	}
	container_finish(c, &end);
	container_unref(c);
}

/* After a re-attach client ended: running still (attach again) or its end. */
static void
container_state_cb(struct podman_result *res, void *arg)
{
	struct container *c = arg;
	struct container_end end = { .started = true };
	struct mino_error *err = NULL;
	char state[32];
	int code;

	if (c->abandoned) {
		container_finish(c, &end);
	} else if (res->exit_status != 0 || sscanf(res->out.data, "%31s %d", state, &code) != 2) {
		container_finish(c, &end); /* gone: its exit code is unknown */
	} else if (strcmp(state, "running") == 0 || strcmp(state, "paused") == 0) {
		if (c->attach_attempts < CONTAINER_ATTACH_ATTEMPTS && container_attach(c, &err) == 0) {
			container_unref(c);
			return;
		}
		if (err != NULL) {
			log_warn("%s", err->msg);
			mino_error_release(&err);
		}
		end.error = "running, but minod cannot attach to it";
		container_finish(c, &end);
	} else {
		end.have_code = true;
		end.code = code;
		container_finish(c, &end);
	}
	container_unref(c);
}

/* It never ran: remove what was created. */
static void
container_fail(struct container *c, const char *error, bool cancelled)
{
	struct container_end end = { .cancelled = cancelled, .error = error };

	if (c->id != NULL && !c->abandoned)
		container_remove(c->id, NULL, NULL);
	container_finish(c, &end);
}

static void
container_finish(struct container *c, const struct container_end *end)
{
	if (c->phase == CONTAINER_ENDED)
		return;
	c->phase = CONTAINER_ENDED;
	if (c->o.on_exit != NULL)
		c->o.on_exit(c, end, c->o.owner);
	/* the run's own reference; never the last (every caller holds one of
	 * its own), so a plain decrement, which the compiler can see frees nothing */
	c->refs--;
}

void
container_cancel(struct container *c)
{
	if (c->phase == CONTAINER_ENDED || c->cancelled)
		return;
	c->cancelled = true;
	/* one step with its id not seen yet: killed once it is */
	if (c->id != NULL && (c->phase == CONTAINER_STARTING || c->phase == CONTAINER_RUNNING))
		container_kill(c->id);
}

void
container_abandon(struct container *c)
{
	c->abandoned = true;
	if (c->pp != NULL && c->phase == CONTAINER_RUNNING)
		pty_proc_hangup(c->pp, CONTAINER_HANGUP_GRACE_MS);
	/* CREATING / INITIALIZING: it is not started (reconcile says so);
	 * STARTING: let go once it runs (container_mark_running). */
}
