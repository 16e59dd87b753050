/* podman.c: running podman from minod (podman.h). */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "podman.h"
#include "prereq.h"
#include "rundir.h"
#include "spec.h"
#include "xalloc.h"

#define PODMAN_OUT_MAX (4u * 1024 * 1024)
#define PODMAN_ERR_MAX (64u * 1024)
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct podman_facts podman_facts;

struct podman_waiter {
	void (*cb)(void *arg);
	void *arg;
	struct podman_waiter *next;
};
static struct podman_waiter *podman_waiters;

struct podman_capture {
	uv_process_t proc;
	uv_pipe_t out, err;
	unsigned handles;
	bool exited, out_eof, err_eof, done;
	struct podman_result res;
	podman_done_cb cb;
	void *arg;
	podman_line_cb line_cb;   /* optional: each line of stdout and stderr as it comes */
	struct buf partial[2];
	LIST_ENTRY(podman_capture) link;
};

static LIST_HEAD(, podman_capture) podman_captures = LIST_HEAD_INITIALIZER(podman_captures);
static unsigned podman_ncaptures;
static char podman_readbuf[64 * 1024];

static void podman_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b);
static void podman_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void podman_exit_cb(uv_process_t *p, int64_t status, int sig);
static void podman_close_cb(uv_handle_t *h);
static void podman_check_done(struct podman_capture *pc);
static void podman_quiet_cb(struct podman_result *res, void *arg);
static void podman_probe_cb(struct podman_result *res, void *arg);
static void podman_probe_parse(struct podman_result *res);

/* ---------- argv builders ---------- */

struct podman_argv {
	char **v;
	size_t n, cap;
};

static void
podman_argv_add(struct podman_argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = xreallocarray(a->v, a->cap, sizeof *a->v);
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void __attribute__((format(printf, 2, 3)))
podman_argv_addf(struct podman_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	podman_argv_add(a, s);
	free(s);
}

static void
podman_argv_addv(struct podman_argv *a, const char *opt, char *const *v)
{
	for (; v != NULL && *v != NULL; v++) {
		podman_argv_add(a, opt);
		podman_argv_add(a, *v);
	}
}

void
podman_argv_free(char **argv)
{
	char **p;

	if (argv == NULL)
		return;
	for (p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

char *
podman_container_name(const char *session)
{
	return xasprintf("mino-%s", session);
}

/* Every podman command line starts here: the program and podman's global
 * arguments (a later --url or --connection goes here, for every caller). */
static void
podman_argv_global(struct podman_argv *a, const char *podman)
{
	podman_argv_add(a, podman);
}

char **
podman_command(const char *podman, char *const *args)
{
	struct podman_argv a = { 0 };

	podman_argv_global(&a, podman);
	for (; args != NULL && *args != NULL; args++)
		podman_argv_add(&a, *args);
	return a.v;
}

/* `/run/mino-entry --env FILE -- CMD...`: the command's environment comes
 * from a file in the run directory, never from podman's argv. */
static void
podman_argv_entry(struct podman_argv *a, const char *env_file, char *const *cmd)
{
	podman_argv_add(a, RUNDIR_ENTRY);
	podman_argv_add(a, "--env");
	podman_argv_add(a, env_file);
	podman_argv_add(a, "--");
	for (; cmd != NULL && *cmd != NULL; cmd++)
		podman_argv_add(a, *cmd);
}

char **
podman_create_argv(const struct sandbox_spec *spec, const struct podman_mounts *m, char *const *extra,
    unsigned flags)
{
	struct podman_argv a = { 0 };

	podman_argv_add(&a, "create");
	if (flags & PODMAN_ARGV_SPARE) {
		podman_argv_addf(&a, "--name=mino-spare-%s", spec->id);
		podman_argv_add(&a, "--label=mino.spare=1");
	} else {
		podman_argv_addf(&a, "--name=mino-%s", spec->name);
		podman_argv_addf(&a, "--label=mino.session=%s", spec->name);
		podman_argv_addf(&a, "--label=mino.id=%s", spec->id);
	}
	podman_argv_addf(&a, "--label=mino.tty=%d", spec->tty ? 1 : 0);
	podman_argv_addf(&a, "--label=mino.project=%s", spec->project_dir);
	podman_argv_addf(&a, "--label=mino.workdir=%s", spec->workdir);
	if (spec->shell != NULL)
		podman_argv_addf(&a, "--label=mino.shell=%s", spec->shell);
	podman_argv_addf(&a, "--label=mino.audit=%d", spec->no_audit ? 0 : 1);
	if (minod.state_dir != NULL)
		podman_argv_addf(&a, "--label=mino.state=%s", minod.state_dir);
	podman_argv_add(&a, "--cap-drop=ALL");
	podman_argv_add(&a, "--security-opt=no-new-privileges");
	if (!(flags & PODMAN_ARGV_NO_PIDS_LIMIT))
		podman_argv_add(&a, "--pids-limit=4096");
	podman_argv_add(&a, "--init");
	podman_argv_add(&a, "--pull=never");
	/* "bridge" is podman's own default network: a namespace of its own,
	 * NATed, without the host's loopback (rootless: slirp4netns or pasta,
	 * about a second faster to start than an explicit --network=bridge). */
	if (spec->network != NULL && strcmp(spec->network, "bridge") != 0)
		podman_argv_addf(&a, "--network=%s", spec->network);
	podman_argv_add(&a, "-v");
	podman_argv_addf(&a, "%s:%s", spec->project_dir, spec->workdir);
	podman_argv_add(&a, "-w");
	podman_argv_add(&a, spec->workdir);
	podman_argv_add(&a, "-v");
	podman_argv_addf(&a, "%s:%s:ro", m->rundir, RUNDIR_MOUNT);
	podman_argv_add(&a, "-v");
	podman_argv_addf(&a, "%s:%s:ro", m->entry, RUNDIR_ENTRY);
	podman_argv_addv(&a, "-v", spec->volumes);
	for (; extra != NULL && *extra != NULL; extra++)
		podman_argv_add(&a, *extra);
	podman_argv_add(&a, "-i");
	if (spec->tty)
		podman_argv_add(&a, "-t");
	podman_argv_add(&a, spec->image);
	if (flags & PODMAN_ARGV_SPARE) {
		podman_argv_add(&a, RUNDIR_ENTRY);
		podman_argv_add(&a, "--env");
		podman_argv_add(&a, RUNDIR_MOUNT "/" RUNDIR_ENV_FILE);
		podman_argv_add(&a, "--cmd");
		podman_argv_add(&a, RUNDIR_MOUNT "/" RUNDIR_CMD_FILE);
	} else {
		podman_argv_entry(&a, RUNDIR_MOUNT "/" RUNDIR_ENV_FILE, spec->command);
	}
	return a.v;
}

char **
podman_start_argv(const char *container, bool want_stdin)
{
	struct podman_argv a = { 0 };

	podman_argv_add(&a, "start");
	podman_argv_add(&a, "--attach");
	if (want_stdin)
		podman_argv_add(&a, "--interactive");
	podman_argv_add(&a, "--sig-proxy=false");
	podman_argv_add(&a, "--detach-keys=");
	podman_argv_add(&a, container);
	return a.v;
}

char **
podman_exec_argv(const char *container, const char *env_file, const char *const *cmd, bool tty)
{
	struct podman_argv a = { 0 };

	podman_argv_add(&a, "exec");
	podman_argv_add(&a, "-i");
	if (tty)
		podman_argv_add(&a, "-t");
	podman_argv_add(&a, "--detach-keys=");
	podman_argv_add(&a, container);
	/* the session's environment first, the exec's own over it */
	podman_argv_add(&a, RUNDIR_ENTRY);
	podman_argv_add(&a, "--env");
	podman_argv_add(&a, RUNDIR_MOUNT "/" RUNDIR_ENV_FILE);
	podman_argv_add(&a, "--env");
	podman_argv_add(&a, env_file);
	podman_argv_add(&a, "--");
	for (; cmd != NULL && *cmd != NULL; cmd++)
		podman_argv_add(&a, *cmd);
	return a.v;
}

char **
podman_attach_argv(const char *container, bool tty)
{
	struct podman_argv a = { 0 };

	podman_argv_add(&a, "attach");
	if (!tty)
		podman_argv_add(&a, "--no-stdin");
	podman_argv_add(&a, "--sig-proxy=false");
	podman_argv_add(&a, "--detach-keys=");
	podman_argv_add(&a, container);
	return a.v;
}

char *
podman_argv_loggable(char *const *argv)
{
	struct buf b;
	bool hide = false;
	const char *eq;

	buf_init(&b);
	for (; argv != NULL && *argv != NULL; argv++) {
		if (b.len > 0)
			buf_append(&b, " ", 1);
		if (hide) {
			eq = strchr(*argv, '=');
			buf_append(&b, *argv, eq ? (size_t)(eq - *argv) : strlen(*argv));
			buf_append(&b, "=…", strlen("=…"));
			hide = false;
			continue;
		}
		buf_append(&b, *argv, strlen(*argv));
		if (strcmp(*argv, "-e") == 0 || strcmp(*argv, "--env") == 0)
			hide = true;
	}
	return buf_steal(&b, NULL);
}

bool
podman_limits_ignored(void)
{
	static int known = -1;
	struct statfs sfs;

	if (known < 0) {
		known = 0;
		if (geteuid() != 0 && statfs("/sys/fs/cgroup", &sfs) == 0 &&
		    (unsigned long)sfs.f_type != CGROUP2_SUPER_MAGIC)
			known = 1;
	}
	return known == 1;
}

/* ---------- captured commands ---------- */

unsigned
podman_capture_count(void)
{
	return podman_ncaptures;
}

void
podman_capture_kill_all(int sig)
{
	struct podman_capture *pc;

	LIST_FOREACH(pc, &podman_captures, link)
		if (!pc->exited)
			uv_process_kill(&pc->proc, sig);
}

static void
podman_capture_close(struct podman_capture *pc, bool proc_too)
{
	if (proc_too)
		uv_close((uv_handle_t *)&pc->proc, podman_close_cb);
	if (!uv_is_closing((uv_handle_t *)&pc->out))
		uv_close((uv_handle_t *)&pc->out, podman_close_cb);
	if (!uv_is_closing((uv_handle_t *)&pc->err))
		uv_close((uv_handle_t *)&pc->err, podman_close_cb);
}

int
podman_capture(const char *const *argv, podman_done_cb done, void *arg, struct mino_error **err)
{
	return podman_capture_start(argv, done, arg, NULL, err);
}

void
podman_capture_on_line(struct podman_capture *pc, podman_line_cb cb)
{
	pc->line_cb = cb;
}

void
podman_capture_kill(struct podman_capture *pc, int sig)
{
	if (!pc->exited)
		uv_process_kill(&pc->proc, sig);
}

int
podman_capture_start(const char *const *argv, podman_done_cb done, void *arg,
    struct podman_capture **out, struct mino_error **err)
{
	struct podman_capture *pc;
	uv_process_options_t po;
	uv_stdio_container_t stdio[3];
	struct podman_argv a = { 0 };
	char **full;
	int r;

	if (minod.podman_path == NULL)
		return mino_make_error(err, MINO_E_PODMAN_MISSING, 0, "podman not found in PATH");
	podman_argv_global(&a, minod.podman_path);
	for (size_t i = 0; argv[i] != NULL; i++)
		podman_argv_add(&a, argv[i]);
	full = a.v;

	pc = xcalloc(1, sizeof *pc);
	pc->cb = done;
	pc->arg = arg;
	buf_init(&pc->res.out);
	buf_init(&pc->res.err);
	uv_pipe_init(minod.loop, &pc->out, 0);
	uv_pipe_init(minod.loop, &pc->err, 0);
	pc->proc.data = pc->out.data = pc->err.data = pc;
	pc->handles = 3;

	memset(&po, 0, sizeof po);
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&pc->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&pc->err;
	po.stdio = stdio;
	po.stdio_count = 3;
	po.file = full[0];
	po.args = full;
	po.env = minod.child_env;
	po.cwd = minod.state_dir;
	po.flags = UV_PROCESS_DETACHED;
	po.exit_cb = podman_exit_cb;
	r = uv_spawn(minod.loop, &pc->proc, &po);
	podman_argv_free(full);
	if (r < 0) {
		pc->done = true;
		podman_ncaptures++;
		LIST_INSERT_HEAD(&podman_captures, pc, link);
		podman_capture_close(pc, true);
		return mino_make_error(err, MINO_E_PODMAN_FAILED, -r, "running podman %s", argv[0]);
	}
	podman_ncaptures++;
	LIST_INSERT_HEAD(&podman_captures, pc, link);
	uv_read_start((uv_stream_t *)&pc->out, podman_alloc_cb, podman_read_cb);
	uv_read_start((uv_stream_t *)&pc->err, podman_alloc_cb, podman_read_cb);
	if (out != NULL)
		*out = pc;
	return 0;
}

static void
podman_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	b->base = podman_readbuf;
	b->len = sizeof podman_readbuf;
}

/* Lines (without their end; \r ends one too, for progress bars) to the
 * line callback; a line longer than 4 KiB is cut. */
static void
podman_split_lines(struct podman_capture *pc, struct buf *part, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] != '\n' && data[i] != '\r') {
			if (part->len < 4096)
				buf_append(part, &data[i], 1);
			continue;
		}
		if (part->len == 0)
			continue;
		buf_reserve(part, 1);
		part->data[part->len] = '\0';
		pc->line_cb(part->data, pc->arg);
		part->len = 0;
	}
}

static void
podman_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct podman_capture *pc = s->data;
	bool is_out = s == (uv_stream_t *)&pc->out;
	struct buf *dst = is_out ? &pc->res.out : &pc->res.err;
	size_t max = is_out ? PODMAN_OUT_MAX : PODMAN_ERR_MAX;
	size_t n;

	if (nread > 0) {
		n = (size_t)nread;
		if (pc->line_cb != NULL)
			podman_split_lines(pc, &pc->partial[is_out ? 0 : 1], b->base, n);
		if (dst->len + n > max)
			n = max - dst->len;
		if (n > 0)
			buf_append(dst, b->base, n);
		return;
	}
	if (nread == 0)
		return;
	uv_read_stop(s);
	if (pc->line_cb != NULL && pc->partial[is_out ? 0 : 1].len > 0)
		podman_split_lines(pc, &pc->partial[is_out ? 0 : 1], "\n", 1);
	if (is_out)
		pc->out_eof = true;
	else
		pc->err_eof = true;
	podman_check_done(pc);
}

static void
podman_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct podman_capture *pc = p->data;

	pc->exited = true;
	pc->res.exit_status = sig ? -1 : (int)status;
	pc->res.term_signal = sig;
	uv_close((uv_handle_t *)&pc->proc, podman_close_cb);
	podman_check_done(pc);
}

static void
podman_check_done(struct podman_capture *pc)
{
	if (pc->done || !pc->exited || !pc->out_eof || !pc->err_eof)
		return;
	pc->done = true;
	buf_reserve(&pc->res.out, 1); /* NUL-terminate for parsers */
	pc->res.out.data[pc->res.out.len] = '\0';
	buf_reserve(&pc->res.err, 1);
	pc->res.err.data[pc->res.err.len] = '\0';
	if (pc->cb != NULL)
		pc->cb(&pc->res, pc->arg);
	podman_capture_close(pc, false);
}

static void
podman_close_cb(uv_handle_t *h)
{
	struct podman_capture *pc = h->data;

	if (--pc->handles > 0)
		return;
	LIST_REMOVE(pc, link);
	podman_ncaptures--;
	buf_free(&pc->res.out);
	buf_free(&pc->res.err);
	buf_free(&pc->partial[0]);
	buf_free(&pc->partial[1]);
	free(pc);
}

static void
podman_quiet_cb(struct podman_result *res, void *arg)
{
	char *what = arg;
	_cleanup_free_ char *line = NULL;

	if (res->exit_status != 0) {
		line = podman_error_line(res);
		log_debug("podman %s: %s", what, line ? line : "failed");
	}
	free(what);
}

void
podman_run_quiet(const char *const *argv)
{
	struct mino_error *err = NULL;
	char *what = xstrdup(argv[0]);

	if (podman_capture(argv, podman_quiet_cb, what, &err) < 0) {
		log_warn("%s", err->msg);
		mino_error_release(&err);
		free(what);
	}
}

char *
podman_error_line_in(const char *text, size_t len, bool error_prefix_only)
{
	const char *p = text, *end = text + len, *nl, *last = NULL;
	size_t lastlen = 0, l;
	_cleanup_free_ char *copy = xstrndup(text, len);
	char *explained = prereq_explain_podman_error(copy);

	/* A missing prerequisite is said as such, with the package to install. */
	if (explained != NULL)
		return explained;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == ' '))
			l--;
		if (l > 7 && strncmp(p, "Error: ", 7) == 0)
			return xstrndup(p + 7, l - 7);
		if (l > 0) {
			last = p;
			lastlen = l;
		}
		p = nl ? nl + 1 : end;
	}
	if (error_prefix_only || last == NULL)
		return NULL;
	return xstrndup(last, lastlen);
}

char *
podman_error_line(const struct podman_result *res)
{
	if (res->err.data == NULL)
		return NULL;
	return podman_error_line_in(res->err.data, res->err.len, false);
}

/* ---------- facts ---------- */

static void
podman_probe_done(void)
{
	struct podman_waiter *w;

	podman_facts.probed = true;
	while ((w = podman_waiters) != NULL) {
		podman_waiters = w->next;
		w->cb(w->arg);
		free(w);
	}
}

void
podman_probe_wait(void (*cb)(void *arg), void *arg)
{
	struct podman_waiter *w;

	if (podman_facts.probed || minod.podman_path == NULL) {
		cb(arg);
		return;
	}
	w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	w->next = podman_waiters;
	podman_waiters = w;
	podman_probe();
}

static void
podman_probe_cb(struct podman_result *res, void *arg)
{
	podman_probe_parse(res);
	podman_probe_done();
}

static void
podman_probe_parse(struct podman_result *res)
{
	char *p, *tab1, *tab2;

	if (res->exit_status != 0 || res->out.data == NULL) {
		log_warn("podman info failed");
		return;
	}
	p = res->out.data;
	p[strcspn(p, "\n")] = '\0';
	tab1 = strchr(p, '\t');
	if (tab1 == NULL)
		return;
	*tab1++ = '\0';
	tab2 = strchr(tab1, '\t');
	if (tab2 == NULL)
		return;
	*tab2++ = '\0';
	free(podman_facts.version);
	free(podman_facts.runtime);
	podman_facts.version = xstrdup(p);
	podman_facts.rootless = strcmp(tab1, "true") == 0;
	podman_facts.runtime = xstrdup(tab2);
	log_info("podman %s (%s, runtime %s)", podman_facts.version,
	    podman_facts.rootless ? "rootless" : "rootful", podman_facts.runtime);
}

void
podman_probe(void)
{
	static bool started;
	static const char *const argv[] = {
		"info", "--format",
		"{{.Version.Version}}\t{{.Host.Security.Rootless}}\t{{.Host.OCIRuntime.Name}}", NULL,
	};
	struct mino_error *err = NULL;

	if (started || minod.podman_path == NULL)
		return;
	started = true;
	if (podman_capture(argv, podman_probe_cb, NULL, &err) < 0) {
		log_warn("%s", err->msg);
		mino_error_release(&err);
		podman_probe_done();
	}
}
