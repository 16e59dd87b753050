/* entry-client.c: `mino-entry --spawn-client`, one exec through the
 * spawner (entry.h, spawn-proto.h; issue 14).  It runs on the host as
 * minod's child, in the place `podman exec` had: on the exec's PTY slave
 * or pipes, which it hands to the spawner, then it waits for the
 * command's end and exits with its status.
 *
 *   mino-entry --spawn-client [--tty] --entry-at K -- PODMAN-ARGV...
 *
 * fd 3 is the exec channel (minod sent its other end to the spawner).
 * PODMAN-ARGV is the `podman exec` command line the exec would otherwise
 * run; its words from index K on (`/run/mino-entry --env ... -- CMD...`)
 * are what the spawner's child runs.  If the spawner is gone before it
 * reported STARTED (it died, or never came up), the client execs
 * PODMAN-ARGV itself on the same stdio: the fallback.  If it goes away
 * after, the status is lost: 125 with one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "entry.h"
#include "spawn-proto.h"

#define CLIENT_CHAN 3
#define CLIENT_USAGE "usage: " ENTRY_NAME " --spawn-client [--tty] --entry-at K -- PODMAN-ARGV..."

struct client_opts {
	bool tty;
	int entry_at;
	char **podman;
	int npodman;
};

static int client_parse(int argc, char **argv, struct client_opts *o);
static int client_send_request(const struct client_opts *o);
static int client_read(struct spawn_hdr *h, int errfd);
static void client_fallback(const struct client_opts *o) __attribute__((noreturn));
static int client_detach_stdio(int *errfd);

static int
client_parse(int argc, char **argv, struct client_opts *o)
{
	int i;
	char *end;

	memset(o, 0, sizeof *o);
	o->entry_at = -1;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--tty") == 0)
			o->tty = true;
		else if (strcmp(argv[i], "--entry-at") == 0 && i + 1 < argc) {
			o->entry_at = (int)strtol(argv[++i], &end, 10);
			if (*end != '\0')
				o->entry_at = -1;
		} else if (strcmp(argv[i], "--") == 0) {
			o->podman = argv + i + 1;
			o->npodman = argc - i - 1;
			break;
		} else
			break;
	}
	if (o->podman == NULL || o->npodman < 1 || o->entry_at < 1 || o->entry_at >= o->npodman) {
		dprintf(STDERR_FILENO, CLIENT_USAGE "\n");
		return -1;
	}
	return 0;
}

/* REQUEST with our stdio; -1 if the spawner cannot take it. */
static int
client_send_request(const struct client_opts *o)
{
	static char buf[SPAWN_MSG_MAX];
	int fds[SPAWN_NFDS] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(sizeof fds)];
	} c;
	struct iovec iov;
	struct msghdr m;
	struct cmsghdr *cm;
	size_t len = spawn_req_encode(o->tty ? SPAWN_REQ_TTY : 0, o->podman + o->entry_at, buf, sizeof buf);
	ssize_t n;

	if (len == 0)
		return -1;      /* too long for one message: podman exec takes it */
	memset(&c, 0, sizeof c);
	memset(&m, 0, sizeof m);
	iov.iov_base = buf;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = &c;
	m.msg_controllen = sizeof c;
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(cm), fds, sizeof fds);
	do
		n = sendmsg(CLIENT_CHAN, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* The next message: 1, 0 at EOF, -1 on error (one line said). */
static int
client_read(struct spawn_hdr *h, int errfd)
{
	char buf[sizeof *h + 1];
	const char *why;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	/* No control buffer: fds a container process might send are dropped. */
	do
		n = recvmsg(CLIENT_CHAN, &m, 0);
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return 0;
	if (n < 0) {
		dprintf(errfd, ENTRY_NAME ": the exec channel: %s\n", strerror(errno));
		return -1;
	}
	if ((m.msg_flags & MSG_TRUNC) || spawn_hdr_check(buf, (size_t)n, h, &why) < 0) {
		dprintf(errfd, ENTRY_NAME ": the exec channel: %s\n",
			(m.msg_flags & MSG_TRUNC) ? "message too long" : why);
		return -1;
	}
	return 1;
}

/* The spawner is not there: the same exec through podman, on our stdio. */
static void
client_fallback(const struct client_opts *o)
{
	close(CLIENT_CHAN);
	if (o->tty && ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": TIOCSCTTY: %s\n", strerror(errno));
		_exit(ENTRY_EXIT_FAILED);
	}
	execv(o->podman[0], o->podman);
	dprintf(STDERR_FILENO, ENTRY_NAME ": %s: %s\n", o->podman[0], strerror(errno));
	_exit(ENTRY_EXIT_FAILED);
}

/* The command has our stdio now: let go of it, so that its end is seen;
 * *errfd keeps stderr for our own last words. */
static int
client_detach_stdio(int *errfd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), i;

	*errfd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 4);
	if (null < 0 || *errfd < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (dup2(null, i) < 0)
			return -1;
	close(null);
	return 0;
}

int
entry_client_main(int argc, char **argv)
{
	struct client_opts o;
	struct spawn_hdr h;
	int r, errfd = STDERR_FILENO;

	if (client_parse(argc, argv, &o) < 0)
		return ENTRY_EXIT_FAILED;
	if (client_send_request(&o) < 0)
		client_fallback(&o);
	r = client_read(&h, errfd);
	if (r == 0)
		client_fallback(&o);
	if (r < 0)
		return ENTRY_EXIT_FAILED;
	if (h.type == SPAWN_FAILED) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": the spawner could not start the command: %s\n",
			strerror(h.value));
		return ENTRY_EXIT_FAILED;
	}
	if (h.type != SPAWN_STARTED) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": the exec channel: unexpected message %u\n", h.type);
		return ENTRY_EXIT_FAILED;
	}
	if (client_detach_stdio(&errfd) < 0) {
		dprintf(errfd, ENTRY_NAME ": /dev/null: %s\n", strerror(errno));
		return ENTRY_EXIT_FAILED;
	}
	r = client_read(&h, errfd);
	if (r == 1 && h.type == SPAWN_EXITED && h.value >= 0 && h.value <= 255)
		return h.value;
	if (r >= 0)
		dprintf(errfd, ENTRY_NAME ": the container's spawner went away; the exec's exit status is lost\n");
	return ENTRY_EXIT_FAILED;
}
