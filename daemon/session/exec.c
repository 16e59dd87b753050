/* exec.c: session/exec, a process in a running session's container
 * (`podman exec` through mino-entry, its environment in a file of the run
 * directory, never on a command line). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "podman.h"
#include "rundir.h"
#include "session.h"
#include "strv.h"
#include "xalloc.h"

#define SESSION_HANGUP_GRACE_MS 3000

static void session_exec_output(struct pty_proc *pp, enum pty_stream st, const char *data, size_t len);
static void session_exec_done(struct pty_proc *pp, int64_t status, int sig);
static void session_exec_input_low(struct pty_proc *pp);
static void session_exec_kill(struct session_exec *ex);
static void session_exec_free(struct session_exec *ex);

static void
session_exec_input_low(struct pty_proc *pp)
{
	struct session_exec *ex = pty_proc_data(pp);

	session_io_release_held(&ex->io, true);
}


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
	if (s->phase != SESSION_ABANDONED)
		session_io_send_exit(&ex->io, sig == 0, (int)status, sig, "exited", NULL);
	LIST_REMOVE(ex, link);
	session_io_release(&ex->io);
	if (ex->owner != NULL)
		conn_unref(ex->owner);
	session_exec_free(ex);
	session_unref(s);
}

/* Its env file goes with it (the session's run directory stays). */
static void
session_exec_free(struct session_exec *ex)
{
	if (ex->env_file != NULL && ex->io.s->rundir != NULL)
		rundir_unlink(ex->io.s->rundir, ex->env_file);
	free(ex->env_file);
	free(ex->marker);
	free(ex);
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

/* Through the session's spawner if it is there: *argv becomes the
 * client's command line (the podman one inside it, as the fallback). */
static bool
session_exec_via_spawner(struct session *s, bool tty, char ***argv, int *fd3)
{
	char **cargv = session_spawner_client_argv(*argv, tty);

	if (cargv == NULL || session_spawner_open(s, fd3) <= 0) {
		podman_argv_free(cargv);
		return false;
	}
	podman_argv_free(*argv);
	*argv = cargv;
	return true;
}

const char *
session_exec_via(const struct session *s, unsigned exec_id)
{
	const struct session_exec *ex;

	LIST_FOREACH(ex, &s->execs, link)
		if (ex->io.exec_id == exec_id)
			return ex->via_spawner ? "spawner" : "podman";
	return "podman";
}

int
session_exec_start(struct session *s, struct conn *c, char **cmd, char **env, bool tty,
    unsigned rows, unsigned cols, unsigned *exec_id, struct mino_error **err)
{
	struct session_exec *ex, *e;
	unsigned n = 0;
	char **argv, **args, **envm = NULL;
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ char *env_in = NULL;
	const char *cname = s->container_id;
	int r;
	struct pty_spawn_opts o;
	int fd3 = -1;
	json_t *a;

	if (s->status != SESSION_RUNNING || cname == NULL)
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` is not running", s->spec.name);
	LIST_FOREACH(e, &s->execs, link)
		n++;
	if (n >= SESSION_EXEC_MAX)
		return mino_make_error(err, MINO_E_LIMIT, 0, "session `%s` has %u execs running", s->spec.name, n);
	if (s->rundir == NULL && rundir_path(s->spec.id, &s->rundir, err) < 0)
		return mino_error_wrap(err, "exec in session `%s`", s->spec.name);
	ex = xcalloc(1, sizeof *ex);
	ex->io.s = s;
	ex->marker = session_exec_marker(env, &envm);
	ex->env_file = xasprintf("exec-%u.env", s->next_exec_id);
	r = rundir_write_env(s->rundir, ex->env_file, envm, err);
	free(envm);
	if (r < 0) {
		session_exec_free(ex);
		return mino_error_wrap(err, "exec in session `%s`", s->spec.name);
	}
	env_in = xasprintf("%s/%s", RUNDIR_MOUNT, ex->env_file);
	args = podman_exec_argv(cname, env_in, (const char *const *)cmd, tty);
	argv = podman_command(minod.podman_path, args);
	podman_argv_free(args);
	line = podman_argv_loggable(argv);
	ex->via_spawner = session_exec_via_spawner(s, tty, &argv, &fd3);
	log_info("session %s: %s%s", s->spec.name, line, ex->via_spawner ? " (through the spawner)" : "");

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
	o.no_ctty = ex->via_spawner;   /* the command in the container takes the terminal */
	o.fd3 = fd3;
	o.eof_at_exit = ex->via_spawner;   /* as podman exec: a background child is not waited for */
	o.on_output = session_exec_output;
	o.on_done = session_exec_done;
	o.on_input_low = session_exec_input_low;
	o.data = ex;
	ex->io.pp = pty_proc_spawn(&o, err);
	podman_argv_free(argv);
	if (fd3 >= 0)
		close(fd3);     /* the client has its copy */
	if (ex->io.pp == NULL) {
		session_exec_free(ex);
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
	json_object_set_new(a, "command", strv_to_json(cmd));
	audit_event_if(!s->spec.no_audit, "session.exec", a);
	*exec_id = ex->io.exec_id;
	return 0;
}


/* `c` went away: forget it in every exec; kill the execs it owned. */
void
session_exec_conn_closed(struct session *s, struct conn *c)
{
	struct session_exec *ex, *exnext;

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
}

/* minod is stopping: let every exec's podman client go. */
void
session_exec_hangup_all(struct session *s)
{
	struct session_exec *ex, *exnext;

	for (ex = LIST_FIRST(&s->execs); ex != NULL; ex = exnext) {
		exnext = LIST_NEXT(ex, link);
		if (ex->io.pp != NULL)
			pty_proc_hangup(ex->io.pp, SESSION_HANGUP_GRACE_MS);
	}
}
