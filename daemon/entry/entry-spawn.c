/* entry-spawn.c: `mino-entry --spawner-fd N`, the exec spawner (entry.h,
 * spawn-proto.h; issue 14).
 *
 * minod starts it once per session with `podman exec -d --preserve-fds=1`,
 * so it is a process like any exec's: the container's namespaces, cgroup,
 * user, seccomp profile and (no) capabilities.  It never gains anything:
 * it forks and execs on request, and its children are what `podman exec`
 * would have made, minus podman.
 *
 * fd N is its end of the control channel.  minod sends OPEN with one end of
 * a fresh exec channel; on that channel the host-side client sends REQUEST
 * (mino-entry's own arguments and three stdio fds).  The child loads the
 * env files, changes directory and execs the command exactly as
 * `mino-entry --env ... -- CMD` would, with the stdio it was given (a tty:
 * a new session with it as controlling terminal).  Its end is reported on
 * the exec channel as EXITED with mino-entry's status (128+N: signal N).
 * EOF on the control channel (minod gone) ends the spawner; its children
 * go on and are inherited by the container's init.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entry.h"
#include "spawn-proto.h"

#define SPAWN_PENDING_MAX 256   /* exec channels waiting for their REQUEST */
#define SPAWN_KIDS_MAX 1024
#define SPAWN_FDS_ROOM 8        /* cmsg room: more fds than expected are closed */

extern char **environ;

struct spawn_kid {
	pid_t pid;
	int chan;
};

struct spawner {
	int ctl, sfd;
	sigset_t saved_mask;
	int pending[SPAWN_PENDING_MAX];
	size_t npending;
	struct spawn_kid kids[SPAWN_KIDS_MAX];
	size_t nkids;
	char buf[SPAWN_MSG_MAX + 1];
};

static void spawn_close_fds(const int *fds, size_t n);
static ssize_t spawn_recv(int fd, void *buf, size_t size, int *fds, size_t *nfds);
static void spawn_send(int fd, enum spawn_type type, int32_t value);
static void spawn_on_control(struct spawner *sp, bool *quit);
static void spawn_on_request(struct spawner *sp, size_t i);
static void spawn_child(const struct spawner *sp, const struct spawn_req *req, const int *fds)
	__attribute__((noreturn));
static void spawn_reap(struct spawner *sp);

static void
spawn_close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* One message and the fds that came with it (O_CLOEXEC); -1 and errno on
 * error, and a message cut short (MSG_TRUNC, MSG_CTRUNC) is an error. */
static ssize_t
spawn_recv(int fd, void *buf, size_t size, int *fds, size_t *nfds)
{
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(SPAWN_FDS_ROOM * sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &c, .msg_controllen = sizeof c };
	struct cmsghdr *cm;
	ssize_t n;
	size_t k;

	*nfds = 0;
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&m); cm != NULL; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (*nfds + k > SPAWN_FDS_ROOM)
			k = SPAWN_FDS_ROOM - *nfds;
		memcpy(fds + *nfds, CMSG_DATA(cm), k * sizeof(int));
		*nfds += k;
	}
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		spawn_close_fds(fds, *nfds);
		*nfds = 0;
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

static void
spawn_send(int fd, enum spawn_type type, int32_t value)
{
	struct spawn_hdr h;

	spawn_hdr_make(&h, type, value);
	/* EPIPE: the client went away; nothing to tell. */
	if (send(fd, &h, sizeof h, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
		dprintf(STDERR_FILENO, ENTRY_NAME ": spawner: send: %s\n", strerror(errno));
}

/* OPEN from minod: a new exec channel to wait on. */
static void
spawn_on_control(struct spawner *sp, bool *quit)
{
	int fds[SPAWN_FDS_ROOM];
	size_t nfds;
	struct spawn_hdr h;
	const char *why;
	ssize_t n = spawn_recv(sp->ctl, sp->buf, sizeof sp->buf, fds, &nfds);

	if (n < 0 && (errno == EAGAIN || errno == EMSGSIZE))
		return;
	if (n <= 0) {
		*quit = true;
		return;
	}
	if (spawn_hdr_check(sp->buf, (size_t)n, &h, &why) < 0 || h.type != SPAWN_OPEN || nfds != 1 ||
	    sp->npending >= SPAWN_PENDING_MAX) {
		spawn_close_fds(fds, nfds);
		return;
	}
	sp->pending[sp->npending++] = fds[0];
}

/* A REQUEST (or the end) on pending channel i. */
static void
spawn_on_request(struct spawner *sp, size_t i)
{
	int fds[SPAWN_FDS_ROOM], chan = sp->pending[i];
	size_t nfds;
	struct spawn_req req;
	const char *why = "no stdio";
	ssize_t n = spawn_recv(chan, sp->buf, sizeof sp->buf, fds, &nfds);
	pid_t pid;

	if (n < 0 && errno == EAGAIN)
		return;
	sp->pending[i] = sp->pending[--sp->npending];
	if (n <= 0) {
		close(chan);
		return;
	}
	if (nfds != SPAWN_NFDS || spawn_req_parse(sp->buf, (size_t)n, &req, &why) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": spawner: bad request: %s\n", why);
		spawn_close_fds(fds, nfds);
		spawn_send(chan, SPAWN_FAILED, EPROTO);
		close(chan);
		return;
	}
	if (sp->nkids >= SPAWN_KIDS_MAX) {
		pid = -1;
		errno = EAGAIN;
	} else
		pid = fork();
	if (pid == 0)
		spawn_child(sp, &req, fds);
	free(req.argv);
	spawn_close_fds(fds, nfds);
	if (pid < 0) {
		spawn_send(chan, SPAWN_FAILED, errno);
		close(chan);
		return;
	}
	spawn_send(chan, SPAWN_STARTED, pid);
	sp->kids[sp->nkids].pid = pid;
	sp->kids[sp->nkids].chan = chan;
	sp->nkids++;
}

/* The child: the given stdio, the signal state we were started with, then
 * what `mino-entry --env ... -- CMD` does before its fork. */
static void
spawn_child(const struct spawner *sp, const struct spawn_req *req, const int *fds)
{
	struct entry_error err = { { 0 } };
	struct entry_opts o;
	struct entry_env env;
	int i;

	for (i = 0; i < SPAWN_NFDS; i++)
		if (dup2(fds[i], i) < 0) {
			dprintf(fds[2], ENTRY_NAME ": dup2: %s\n", strerror(errno));
			_exit(ENTRY_EXIT_FAILED);
		}
	if ((req->flags & SPAWN_REQ_TTY) && (setsid() < 0 || ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": the exec's terminal: %s\n", strerror(errno));
		_exit(ENTRY_EXIT_FAILED);
	}
	if (sigprocmask(SIG_SETMASK, &sp->saved_mask, NULL) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": restoring signals: %s\n", strerror(errno));
		_exit(ENTRY_EXIT_FAILED);
	}
	/* Everything else we hold is O_CLOEXEC. */
	memset(&env, 0, sizeof env);
	if (entry_parse_args((int)req->argc, req->argv, &o, &err) < 0 ||
	    entry_prepare_env(&o, &env, &err) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": %s\n", err.msg);
		_exit(ENTRY_EXIT_FAILED);
	}
	if (o.cmd == NULL) { /* --cmd is for a container's own command only */
		dprintf(STDERR_FILENO, ENTRY_NAME ": an exec names its command after `--`\n");
		_exit(ENTRY_EXIT_FAILED);
	}
	if (o.cwd != NULL && chdir(o.cwd) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": %s: cannot change directory: %s\n", o.cwd,
			strerror(errno));
		_exit(ENTRY_EXIT_FAILED);
	}
	entry_exec(o.cmd, entry_env_merged(&env));
}

/* After SIGCHLD: every ended child's status to its client. */
static void
spawn_reap(struct spawner *sp)
{
	struct signalfd_siginfo si;
	int wstatus;
	pid_t pid;
	size_t i;

	while (read(sp->sfd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		for (i = 0; i < sp->nkids && sp->kids[i].pid != pid; i++)
			;
		if (i == sp->nkids)
			continue;
		spawn_send(sp->kids[i].chan, SPAWN_EXITED, entry_exit_status(wstatus));
		close(sp->kids[i].chan);
		sp->kids[i] = sp->kids[--sp->nkids];
	}
}

static int
spawn_setup(struct spawner *sp, int fd)
{
	sigset_t chld;
	int null;

	sp->ctl = fd;
	if (fd < 3 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": --spawner-fd %d: not an open channel\n", fd);
		return -1;
	}
	/* podman exec -d may leave our stdout on the channel: never write there. */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": /dev/null: %s\n", strerror(errno));
		return -1;
	}
	close(null);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &sp->saved_mask) < 0 ||
	    (sp->sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": signalfd: %s\n", strerror(errno));
		return -1;
	}
	spawn_send(fd, SPAWN_HELLO, (int32_t)getpid());
	return 0;
}

int
entry_spawner_main(int fd)
{
	static struct spawner sp;       /* large: not on the stack */
	struct pollfd pfd[2 + SPAWN_PENDING_MAX];
	bool quit = false;
	size_t i, n;

	if (spawn_setup(&sp, fd) < 0)
		return ENTRY_EXIT_FAILED;
	while (!quit) {
		pfd[0] = (struct pollfd){ .fd = sp.ctl, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sp.sfd, .events = POLLIN };
		for (i = 0; i < sp.npending; i++)
			pfd[2 + i] = (struct pollfd){ .fd = sp.pending[i], .events = POLLIN };
		n = sp.npending;
		if (poll(pfd, 2 + n, -1) < 0) {
			if (errno == EINTR)
				continue;
			dprintf(STDERR_FILENO, ENTRY_NAME ": spawner: poll: %s\n", strerror(errno));
			return ENTRY_EXIT_FAILED;
		}
		if (pfd[1].revents)
			spawn_reap(&sp);
		/* From the last: spawn_on_request moves the last one into i. */
		for (i = n; i-- > 0;)
			if (pfd[2 + i].revents)
				spawn_on_request(&sp, i);
		if (pfd[0].revents)
			spawn_on_control(&sp, &quit);
	}
	return 0;
}
