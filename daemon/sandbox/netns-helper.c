/* netns-helper.c: mino-netns, run by minod inside a container's network
 * namespace (`nsenter -U -n -t PID mino-netns FD MARK UPSTREAM...`, as root
 * of the container's user namespace, which owns that network namespace).
 * It makes the sockets there and passes them back to minod over the Unix
 * socket FD (SCM_RIGHTS; a socket keeps the namespace it was made in):
 *   1. UDP bound to 127.0.0.53:53   the container's resolver (minod serves it)
 *   2. TCP listening on 127.0.0.53:53
 *   3. for each UPSTREAM (1 to 3: the container's original resolvers, in
 *      order), UDP connected to UPSTREAM:53 with SO_MARK = MARK, which the
 *      egress rules let through
 * then stays, making one TCP socket (SO_MARK = MARK, not connected, non-
 * blocking) for each byte N that minod sends: for resolver N, passed back
 * with the byte N (DNS over TCP upstream).  It exits 0 when minod closes
 * FD; on error one line on stderr and exit 1.  No libraries but
 * libc; nothing of the container's image is used. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define NETNS_LISTEN "127.0.0.53"
#define NETNS_PORT 53
#define NETNS_MAXNS 3

static void
die(const char *what)
{
	fprintf(stderr, "mino-netns: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
netns_bound(int type)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(NETNS_PORT) };
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	inet_pton(AF_INET, NETNS_LISTEN, &sin.sin_addr);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
		die("bind " NETNS_LISTEN ":53");
	if (type == SOCK_STREAM && listen(fd, 16) < 0)
		die("listen");
	return fd;
}

static int netns_family[NETNS_MAXNS];

static int
netns_upstream(const char *addr, unsigned mark)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd;

	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(53);
		len = sizeof *sin;
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(53);
		len = sizeof *sin6;
	} else {
		fprintf(stderr, "mino-netns: upstream `%s` is not an IP address\n", addr);
		exit(1);
	}
	for (int i = 0; i < NETNS_MAXNS; i++)
		if (netns_family[i] == 0) {
			netns_family[i] = ss.ss_family;
			break;
		}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0)
		die("SO_MARK");
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect upstream");
	return fd;
}

/* Sends `fd` (or none, if -1) with the byte `req`. */
static int
netns_send_fd(int chan, unsigned char req, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &req, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(ctl, 0, sizeof ctl);
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof ctl;
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	return sendmsg(chan, &msg, 0) == 1 ? 0 : -1;
}

/* A marked TCP socket for each request, until minod closes the channel. */
static int
netns_serve(int chan, unsigned mark, int nup)
{
	unsigned char req;
	ssize_t n;
	int fd;

	for (;;) {
		n = recv(chan, &req, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		fd = -1;
		if (req < nup) {
			fd = socket(netns_family[req], SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) {
				close(fd);
				fd = -1;
			}
		}
		if (netns_send_fd(chan, req, fd) < 0)
			return 0;
		if (fd >= 0)
			close(fd);
	}
}

int
main(int argc, char **argv)
{
	int fds[2 + NETNS_MAXNS], chan, nfds;
	char byte = 'M';
	char ctl[CMSG_SPACE(sizeof fds)];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl };
	struct cmsghdr *cm;
	unsigned mark;
	char *end;

	if (argc < 4 || argc > 3 + NETNS_MAXNS) {
		fprintf(stderr, "usage: mino-netns FD MARK UPSTREAM [UPSTREAM [UPSTREAM]]\n");
		return 2;
	}
	chan = (int)strtol(argv[1], &end, 10);
	if (*end != '\0' || chan < 0)
		return 2;
	mark = (unsigned)strtoul(argv[2], &end, 0);
	if (*end != '\0')
		return 2;
	fds[0] = netns_bound(SOCK_DGRAM);
	fds[1] = netns_bound(SOCK_STREAM);
	nfds = 2;
	for (int i = 3; i < argc; i++)
		fds[nfds++] = netns_upstream(argv[i], mark);
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	memset(ctl, 0, sizeof ctl);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	if (sendmsg(chan, &msg, 0) != 1)
		die("sendmsg");
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return netns_serve(chan, mark, nfds - 2);
}
