/* network-ns.c: the egress part's processes in a container's network
 * namespace (entered with nsenter -U -n -t PID, about 3 ms): mino-netns,
 * which passes back the resolver's sockets made there, and the long-lived
 * `nft -e -i` that holds the table; and the container's resolv.conf, read
 * for the upstream resolver and search list, then pointed at 127.0.0.53. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "minod.h"
#include "mino-protocol.h"
#include "network.h"
#include "strv.h"
#include "xalloc.h"

static int
network_ns_spawn(char *const *argv, const posix_spawn_file_actions_t *fa, pid_t *pid, struct mino_error **err)
{
	int r = posix_spawnp(pid, argv[0], fa, NULL, argv, minod.child_env != NULL ? minod.child_env : environ);

	if (r != 0)
		return mino_make_error(err, MINO_E_INTERNAL, r, "spawn %s", argv[0]);
	return 0;
}

void
network_ns_reap(pid_t pid, bool kill_it)
{
	if (pid <= 0)
		return;
	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Reads what is there (non-blocking) into a short line for a message. */
static void
network_ns_read_msg(int fd, char *out, size_t size)
{
	ssize_t n;
	char *nl;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
}

/* mino-netns in the namespace of `pid`: the resolver's two sockets, then
 * one per upstream resolver; it stays, making TCP sockets on request over
 * *chan (st->factory_fd), until that is closed; *child its pid. */
int
network_ns_sockets(const struct network_state *st, int pid, int fds[NETWORK_NFDS], int *chan, pid_t *child,
    struct mino_error **err)
{
	_cleanup_free_ char *helper = xasprintf("%s/mino-netns", minod.helper_dir);
	_cleanup_free_ char *tpid = xasprintf("%d", pid);
	_cleanup_free_ char *mark = xasprintf("%u", NETWORK_MARK);
	char *argv[8 + 3 + NETWORK_MAXNS + 1] = { "nsenter", "-U", "-n", "-t", tpid, "--", helper, "3", mark };
	unsigned nfds = 2 + st->nup;
	posix_spawn_file_actions_t fa;
	int sp[2], ep[2] = { -1, -1 }, r = -1;
	char byte, ctl[CMSG_SPACE(NETWORK_NFDS * sizeof(int))], msg[256] = "";
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *cm;
	struct pollfd pfd;

	*chan = -1;
	*child = -1;
	for (unsigned i = 0; i < st->nup; i++)
		argv[9 + i] = (char *)st->upstream[i];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
		return mino_make_error(err, MINO_E_INTERNAL, errno, "socketpair");
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(sp[0]);
		close(sp[1]);
		return mino_make_error(err, MINO_E_INTERNAL, errno, "pipe");
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	posix_spawn_file_actions_adddup2(&fa, sp[1], 3);
	if (network_ns_spawn(argv, &fa, child, err) < 0)
		goto out;
	close(sp[1]);
	sp[1] = -1;
	pfd = (struct pollfd){ .fd = sp[0], .events = POLLIN };
	if (poll(&pfd, 1, NETWORK_TIMEOUT_MS) == 1 && recvmsg(sp[0], &mh, MSG_CMSG_CLOEXEC) == 1 &&
	    (cm = CMSG_FIRSTHDR(&mh)) != NULL && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(nfds * sizeof(int))) {
		memcpy(fds, CMSG_DATA(cm), nfds * sizeof(int));
		r = 0;
	}
	if (r < 0) {
		network_ns_reap(*child, true);
		*child = -1;
		network_ns_read_msg(ep[0], msg, sizeof msg);
		r = mino_make_error(err, MINO_E_INTERNAL, 0, "the resolver sockets in the container's namespace: %s",
		    msg[0] ? msg : "mino-netns failed");
	} else {
		*chan = sp[0];
		sp[0] = -1;
	}
out:
	posix_spawn_file_actions_destroy(&fa);
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	close(ep[0]);
	close(ep[1]);
	return r;
}

/* nft's absolute path: from minod's PATH, else where Debian and Fedora put it (/usr/sbin is not
 * in an ordinary user's PATH on Debian). */
static const char *
network_ns_nft_path(void)
{
	static const char *const dirs[] = { "/usr/sbin/nft", "/sbin/nft", "/usr/local/sbin/nft" };
	const char *path = getenv("PATH");
	static char buf[4096];

	for (const char *p = path; p != NULL && *p != '\0'; p += strcspn(p, ":"), p += *p == ':') {
		size_t len = strcspn(p, ":");

		if (len > 0 && len < sizeof buf - 5) {
			snprintf(buf, sizeof buf, "%.*s/nft", (int)len, p);
			if (buf[0] == '/' && access(buf, X_OK) == 0)
				return buf;
		}
	}
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		if (access(dirs[i], X_OK) == 0)
			return dirs[i];
	return "nft";
}

/* `nft -e -i` in the namespace of `pid`: its stdin, stdout, stderr. */
int
network_ns_start_nft(struct network_state *st, int pid, int io[3], struct mino_error **err)
{
	_cleanup_free_ char *tpid = xasprintf("%d", pid);
	char *argv[] = { "nsenter", "-U", "-n", "-t", tpid, "--", (char *)network_ns_nft_path(), "-e", "-i", NULL };
	posix_spawn_file_actions_t fa;
	int in[2], out[2], er[2], r;

	if (pipe2(in, O_CLOEXEC) < 0)
		return mino_make_error(err, MINO_E_INTERNAL, errno, "pipe");
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return mino_make_error(err, MINO_E_INTERNAL, errno, "pipe");
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, er[1], 2);
	r = network_ns_spawn(argv, &fa, &st->nft_pid, err);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	close(er[1]);
	if (r < 0) {
		close(in[1]);
		close(out[0]);
		close(er[0]);
		return -1;
	}
	io[0] = in[1];
	io[1] = out[0];
	io[2] = er[0];
	return 0;
}

/* A line of nft's output: 1 the acknowledgement of command `seq`, -1 an
 * error, 0 anything else. */
int
network_ns_nft_line(const char *line, bool is_err, unsigned seq)
{
	char want[64];

	snprintf(want, sizeof want, "add element inet mino ack { %u }", seq);
	if (!is_err && strncmp(line, want, strlen(want)) == 0)
		return 1;
	if (is_err && strncmp(line, "Error:", 6) == 0)
		return -1;
	return 0;
}

/* Before the loop takes them: one command, waiting for its outcome. */
int
network_ns_nft_sync(int io[3], const char *cmd, struct mino_error **err)
{
	char buf[4096], line[1024] = "";
	size_t ll[2] = { 0, 0 };
	struct pollfd pfd[2] = { { .fd = io[1], .events = POLLIN }, { .fd = io[2], .events = POLLIN } };
	char lines[2][1024];
	ssize_t n;
	int outcome;

	if (write(io[0], cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return mino_make_error(err, MINO_E_INTERNAL, errno, "writing to nft");
	for (;;) {
		if (poll(pfd, 2, NETWORK_TIMEOUT_MS) <= 0)
			return mino_make_error(err, MINO_E_INTERNAL, 0, "nft did not answer");
		for (int k = 0; k < 2; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(pfd[k].fd, buf, sizeof buf);
			if (n <= 0)
				return mino_make_error(err, MINO_E_INTERNAL, 0, "nft exited%s%s",
				    line[0] ? ": " : "", line);
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] != '\n') {
					if (ll[k] < sizeof lines[k] - 1)
						lines[k][ll[k]++] = buf[i];
					continue;
				}
				lines[k][ll[k]] = '\0';
				ll[k] = 0;
				outcome = network_ns_nft_line(lines[k], k == 1, 0);
				if (outcome == 1)
					return 0;
				if (outcome == -1)
					return mino_make_error(err, MINO_E_INTERNAL, 0, "nft: %s", lines[k]);
				if (k == 1)
					snprintf(line, sizeof line, "%s", lines[k]);
			}
		}
	}
}

/* ---------- resolv.conf ---------- */

int
network_ns_read_resolv(struct network_state *st, int pid, char **options, struct mino_error **err)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/root/etc/resolv.conf", pid);
	char line[1024], word[256], loopback[300] = "";
	struct buf opts = { 0 };
	size_t n = 0;
	FILE *f = fopen(path, "re");
	char *p, *save = NULL, *tok;

	if (f == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, errno, "the container's resolv.conf");
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "nameserver %255s", word) == 1) {
			if (strncmp(word, "127.", 4) == 0 || strcmp(word, "::1") == 0)
				snprintf(loopback, sizeof loopback, "%s)", word);
			else if (st->nup < NETWORK_MAXNS && strlen(word) < sizeof st->upstream[0])
				memcpy(st->upstream[st->nup++], word, strlen(word) + 1);
		} else if (strncmp(line, "search", 6) == 0 || strncmp(line, "domain", 6) == 0) {
			for (tok = strtok_r(line + 6, " \t\r\n", &save); tok != NULL;
			    tok = strtok_r(NULL, " \t\r\n", &save)) {
				if ((p = strrchr(tok, '.')) != NULL && p[1] == '\0')
					*p = '\0';
				st->search = xreallocarray(st->search, n + 2, sizeof *st->search);
				st->search[n++] = xstrdup(tok);
				st->search[n] = NULL;
			}
		} else if (strncmp(line, "options", 7) == 0) {
			buf_printf(&opts, "%s", line);
		}
	}
	fclose(f);
	buf_append(&opts, "", 1);
	*options = (char *)opts.data;
	if (st->nup == 0)
		return mino_make_error(err, MINO_E_INTERNAL, 0,
		    "the container's resolv.conf has no nameserver that minod can forward to%s%s",
		    loopback[0] ? " (on its own loopback, where minod's resolver goes: " : "",
		    loopback[0] ? loopback : "");
	return 0;
}

int
network_ns_write_resolv(const struct network_state *st, int pid, const char *options, struct mino_error **err)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/root/etc/resolv.conf", pid);
	struct buf b = { 0 };
	int fd, r = 0;

	buf_printf(&b, "# mino: this session's resolver (egress allowlist)\nnameserver 127.0.0.53\n");
	if (st->search != NULL && st->search[0] != NULL) {
		buf_printf(&b, "search");
		for (char **d = st->search; *d != NULL; d++)
			buf_printf(&b, " %s", *d);
		buf_printf(&b, "\n");
	}
	buf_printf(&b, "%s", options != NULL ? options : "");
	/* in place: the file is a bind mount */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len)
		r = mino_make_error(err, MINO_E_INTERNAL, errno, "writing the container's resolv.conf");
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return r;
}
