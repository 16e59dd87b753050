/* spawner.c: a running session's exec spawner (session.h; issue 14).
 *
 * Once the container runs (or is re-adopted after a restart), minod makes
 * a SOCK_SEQPACKET socketpair and, SPAWNER_DELAY_MS later or at the first
 * exec if that is sooner, hands one end to
 *   podman exec -d --preserve-fds=1 CONTAINER /run/mino-entry --spawner-fd 3
 * (daemon/entry/entry-spawn.c).  That is the only `podman exec` the session
 * pays for (and a session over before the delay, a `mino run -- make`, pays
 * none: twenty short runs at once are not twenty more podman processes);
 * each exec then costs a socketpair, one OPEN message with one end of it,
 * and a local `mino-entry --spawn-client` on the exec's PTY or pipes in
 * the place `podman exec` had (entry-client.c).  The client falls
 * back to the `podman exec` command line itself if the spawner is gone
 * before it started the command; minod stops sending OPENs once it has seen
 * the channel close (the spawner died), so later execs use podman at once.
 *
 * minod reads nothing but HELLO from the channel: whatever else arrives
 * (a container process may have taken the spawner's end) is dropped, and
 * any fds with it are closed.
 *
 * MINO_EXEC_SPAWNER=0 in minod's environment (for tests only) starts no
 * spawner: every exec goes through `podman exec`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "podman.h"
#include "rundir.h"
#include "session.h"
#include "spawn-proto.h"
#include "xalloc.h"

/* A session's spawner is launched this long after its container runs
 * (sooner at its first exec). */
#define SPAWNER_DELAY_MS 5000

/* PENDING -> STARTING -> READY (HELLO seen) -> DEAD; PENDING or STARTING
 * -> DEAD.  Execs are handed over in STARTING too: they wait in the
 * channel for the spawner (an exec in PENDING launches it first). */
enum spawner_state {
	SPAWNER_PENDING,        /* the channel exists; its podman exec is not run yet */
	SPAWNER_STARTING,
	SPAWNER_READY,
	SPAWNER_DEAD,           /* the channel closed: podman exec from now on */
};

struct session_spawner {
	struct session *s;      /* not a reference: s owns us */
	int fd;                 /* our end of the control channel */
	int peer;               /* PENDING: the end the spawner gets, else -1 */
	uv_poll_t poll;
	uv_timer_t delay;       /* PENDING: when to launch it */
	unsigned handles;       /* poll and delay, until closed */
	enum spawner_state state;
	int pid;                /* in the container, from HELLO */
	struct spawner_launch *launch;
};

/* The `podman exec -d` that starts it; may outlive the session. */
struct spawner_launch {
	uv_process_t proc;
	struct session_spawner *sp;     /* NULL once the session let go */
};

static void spawner_launch_exit(uv_process_t *p, int64_t status, int sig);
static void spawner_poll_cb(uv_poll_t *h, int status, int events);
static void spawner_set_state(struct session_spawner *sp, enum spawner_state to, const char *why);
static void spawner_launch_now(struct session_spawner *sp);

static bool
spawner_disabled(void)
{
	const char *v = getenv("MINO_EXEC_SPAWNER");

	return v != NULL && strcmp(v, "0") == 0;
}

static void
spawner_launch_close_cb(uv_handle_t *h)
{
	free(h->data);
}

static void
spawner_launch_exit(uv_process_t *p, int64_t status, int sig)
{
	struct spawner_launch *l = p->data;

	if (l->sp != NULL) {
		l->sp->launch = NULL;
		if (status != 0 || sig != 0) {
			log_warn("session %s: the exec spawner did not start (podman exec: status %lld, signal %d); "
			    "execs use podman exec", l->sp->s->spec.name, (long long)status, sig);
			spawner_set_state(l->sp, SPAWNER_DEAD, NULL);
		}
	}
	uv_close((uv_handle_t *)p, spawner_launch_close_cb);
}

/* `podman exec -d --preserve-fds=1 CTR /run/mino-entry --spawner-fd 3` with
 * `peer` as its fd 3. */
static int
spawner_launch(struct session_spawner *sp, int peer, struct mino_error **err)
{
	const char *args[] = { "exec", "-d", "--preserve-fds=1", sp->s->container_id, RUNDIR_ENTRY,
		"--spawner-fd", "3", NULL };
	char **argv = podman_command(minod.podman_path, (char *const *)args);
	struct spawner_launch *l = xcalloc(1, sizeof *l);
	uv_stdio_container_t stdio[4];
	uv_process_options_t po;
	int r;

	memset(&po, 0, sizeof po);
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = stdio[1].flags = stdio[2].flags = UV_IGNORE;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = peer;
	po.file = argv[0];
	po.args = argv;
	po.env = minod.child_env;
	po.cwd = minod.state_dir;
	po.stdio = stdio;
	po.stdio_count = 4;
	po.exit_cb = spawner_launch_exit;
	l->proc.data = l;
	r = uv_spawn(minod.loop, &l->proc, &po);
	podman_argv_free(argv);
	if (r < 0) {
		uv_close((uv_handle_t *)&l->proc, spawner_launch_close_cb);
		return mino_make_error(err, MINO_E_INTERNAL, -r, "spawning podman exec for the exec spawner");
	}
	l->sp = sp;
	sp->launch = l;
	return 0;
}

static void
spawner_delay_cb(uv_timer_t *t)
{
	spawner_launch_now(t->data);
}

/* PENDING -> STARTING: the podman exec, with the channel's other end. */
static void
spawner_launch_now(struct session_spawner *sp)
{
	struct mino_error *err = NULL;
	int peer = sp->peer;

	if (sp->state != SPAWNER_PENDING)
		return;
	uv_timer_stop(&sp->delay);
	sp->peer = -1;
	sp->state = SPAWNER_STARTING;
	if (spawner_launch(sp, peer, &err) < 0) {
		log_warn("session %s: no exec spawner: %s", sp->s->spec.name, err->msg);
		mino_error_release(&err);
		spawner_set_state(sp, SPAWNER_DEAD, NULL);
	}
	close(peer);    /* podman, then the spawner, hold it now */
}

void
session_spawner_start(struct session *s)
{
	struct session_spawner *sp;
	int p[2];

	if (s->spawner != NULL || s->container_id == NULL || minod.podman_path == NULL ||
	    minod.entry_path == NULL || spawner_disabled())
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) {
		log_warn("session %s: no exec spawner: socketpair: %s", s->spec.name, strerror(errno));
		return;
	}
	sp = xcalloc(1, sizeof *sp);
	sp->s = s;
	sp->fd = p[0];
	sp->peer = p[1];
	sp->pid = -1;
	sp->state = SPAWNER_PENDING;
	s->spawner = sp;
	uv_poll_init(minod.loop, &sp->poll, sp->fd);
	uv_timer_init(minod.loop, &sp->delay);
	sp->poll.data = sp->delay.data = sp;
	sp->handles = 2;
	uv_poll_start(&sp->poll, UV_READABLE | UV_DISCONNECT, spawner_poll_cb);
	uv_timer_start(&sp->delay, spawner_delay_cb, SPAWNER_DELAY_MS, 0);
}

/* Drops every message but HELLO (closing any fds that came along). */
static void
spawner_drain(struct session_spawner *sp)
{
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(8 * sizeof(int))];
	} c;
	struct spawn_hdr h;
	char buf[256];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
	struct msghdr m;
	struct cmsghdr *cm;
	const char *why;
	ssize_t n;
	size_t k;

	for (;;) {
		memset(&m, 0, sizeof m);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = &c;
		m.msg_controllen = sizeof c;
		n = recvmsg(sp->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			spawner_set_state(sp, SPAWNER_DEAD, n == 0 ? "its channel closed" : strerror(errno));
			return;
		}
		for (cm = CMSG_FIRSTHDR(&m); cm != NULL; cm = CMSG_NXTHDR(&m, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
				for (k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++)
					close(((int *)CMSG_DATA(cm))[k]);
		if (!(m.msg_flags & MSG_TRUNC) && spawn_hdr_check(buf, (size_t)n, &h, &why) == 0 &&
		    h.type == SPAWN_HELLO && sp->state == SPAWNER_STARTING) {
			sp->pid = h.value;
			spawner_set_state(sp, SPAWNER_READY, NULL);
		} else
			log_debug("session %s: dropped a message on the spawner channel", sp->s->spec.name);
	}
}

static void
spawner_poll_cb(uv_poll_t *h, int status, int events)
{
	struct session_spawner *sp = h->data;

	if (status < 0) {
		spawner_set_state(sp, SPAWNER_DEAD, uv_strerror(status));
		return;
	}
	spawner_drain(sp);
}

static void
spawner_handle_close_cb(uv_handle_t *h)
{
	struct session_spawner *sp = h->data;

	if (--sp->handles > 0)
		return;
	close(sp->fd);
	if (sp->peer >= 0)
		close(sp->peer);
	free(sp);
}

/* The one place the state changes. */
static void
spawner_set_state(struct session_spawner *sp, enum spawner_state to, const char *why)
{
	if (sp->state == SPAWNER_DEAD || sp->state == to)
		return;
	sp->state = to;
	if (to == SPAWNER_READY) {
		log_info("session %s: exec spawner ready (pid %d in the container)", sp->s->spec.name, sp->pid);
		return;
	}
	if (why != NULL)
		log_info("session %s: exec spawner gone (%s); execs use podman exec", sp->s->spec.name, why);
	uv_poll_stop(&sp->poll);
	uv_timer_stop(&sp->delay);
}

void
session_spawner_close(struct session *s)
{
	struct session_spawner *sp = s->spawner;

	if (sp == NULL)
		return;
	s->spawner = NULL;
	if (sp->launch != NULL) {
		sp->launch->sp = NULL;
		/* It ends by itself in a moment; at shutdown nobody waits for it
		 * (its handle would be closed without freeing it). */
		if (minod.shutting_down)
			uv_close((uv_handle_t *)&sp->launch->proc, spawner_launch_close_cb);
	}
	uv_close((uv_handle_t *)&sp->poll, spawner_handle_close_cb);
	uv_close((uv_handle_t *)&sp->delay, spawner_handle_close_cb);
}

int
session_spawner_open(struct session *s, int *client_fd)
{
	struct session_spawner *sp = s->spawner;
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(sizeof(int))];
	} c;
	struct spawn_hdr h;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof h };
	struct msghdr m;
	struct cmsghdr *cm;
	int p[2];
	ssize_t n;

	if (sp == NULL)
		return 0;
	spawner_launch_now(sp);     /* an exec before the delay is over */
	if (sp->state == SPAWNER_DEAD)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) {
		log_warn("session %s: exec channel: socketpair: %s", s->spec.name, strerror(errno));
		return 0;
	}
	spawn_hdr_make(&h, SPAWN_OPEN, 0);
	memset(&c, 0, sizeof c);
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = &c;
	m.msg_controllen = sizeof c;
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
	do
		n = sendmsg(sp->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	close(p[1]);
	if (n != (ssize_t)sizeof h) {
		close(p[0]);
		if (n < 0 && errno != EAGAIN)
			spawner_set_state(sp, SPAWNER_DEAD, strerror(errno));
		return 0;       /* EAGAIN: the channel is full; this one goes through podman */
	}
	*client_fd = p[0];
	return 1;
}

char **
session_spawner_client_argv(char *const *podman_argv, bool tty)
{
	size_t n = 0, at = 0, i, k = 0;
	char **v;

	while (podman_argv[n] != NULL)
		n++;
	while (at < n && strcmp(podman_argv[at], RUNDIR_ENTRY) != 0)
		at++;
	if (at == n)
		return NULL;
	v = xcalloc(n + 8, sizeof *v);
	v[k++] = xstrdup(minod.entry_path);
	v[k++] = xstrdup("--spawn-client");
	if (tty)
		v[k++] = xstrdup("--tty");
	v[k++] = xstrdup("--entry-at");
	v[k++] = xasprintf("%zu", at);
	v[k++] = xstrdup("--");
	for (i = 0; i < n; i++)
		v[k++] = xstrdup(podman_argv[i]);
	return v;
}
