/* network.c: the egress part.  For a session with an allowlist (spec
 * network_allow: --network-allow, a preset or the config) it enforces the
 * list from outside the container, before the user's command runs, and
 * serves the container's DNS so that the rules follow the names:
 *
 *   before_start  (the container is created and initialized, nothing of
 *                 the user's runs yet) reads the container's resolv.conf
 *                 (its upstream resolver, search list), runs mino-netns in
 *                 the container's network namespace (nsenter -U -n -t PID)
 *                 which passes back three sockets made there (SCM_RIGHTS):
 *                 the resolver on 127.0.0.53:53 (UDP + TCP) and a UDP socket
 *                 to the upstream resolver marked NETWORK_MARK; starts one
 *                 long-lived `nft -e -i` in that namespace and applies the
 *                 table `inet mino` (output: policy drop; lo, established,
 *                 the mark, and the sets a4/a6 of address . port accepted),
 *                 waiting for its echo; points resolv.conf at 127.0.0.53.
 *                 Any failure fails the start (fail closed).
 *   the resolver  a query for a name that a rule allows (also with one of
 *                 the search domains appended) is forwarded upstream; the
 *                 answer's A/AAAA records join the sets with the rules'
 *                 ports and a timeout of their TTL (clamped to
 *                 NETWORK_TTL_MIN..MAX, as are the TTLs the container
 *                 sees) through the nft process, and the answer is relayed
 *                 only after nft echoed the change.  Other names get
 *                 NXDOMAIN and are audited (network.dns_denied).  No cache.
 *   call          session/network: status, allow, deny (live changes).
 * The container has no capability (--cap-drop=ALL), so nothing inside,
 * `podman exec` included, can change the table. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "audit.h"
#include "buf.h"
#include "dns.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "netrule.h"
#include "parts.h"
#include "strv.h"
#include "xalloc.h"

#define NETWORK_MARK 0x6d696e6fu
#define NETWORK_TTL_MIN 30u
#define NETWORK_TTL_MAX 3600u
#define NETWORK_PENDING 64
#define NETWORK_PORTS 8
#define NETWORK_DENIALS 16
#define NETWORK_RESOLVED 64
#define NETWORK_TIMEOUT_MS 5000
#define NETWORK_QUERY_MS 5000

struct network_tcp;

/* Where an answer goes: a UDP peer or a TCP connection. */
struct network_dest {
	struct sockaddr_storage from;
	struct network_tcp *tcp;
};

struct network_pending {
	bool used;
	uint16_t up_id, client_id;
	struct network_dest dest;
	char name[256];
	uint16_t qtype;
	unsigned ports[NETWORK_PORTS];
	unsigned nports;
	uint64_t sent;
};

/* One nft command; its answer (if any) is relayed once nft echoed it. */
struct network_cmd {
	struct network_cmd *next;
	char *text;
	uint8_t *answer;
	size_t len;
	struct network_dest dest;
	struct dns_question q;
};

struct network_resolved {
	char name[256];
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	uint64_t expires;   /* uv_now ms */
};

struct network_denial {
	char name[256];
	char type[8];
	time_t when;
};

struct network_tcp {
	uv_tcp_t h;
	struct network_state *st;
	struct buf in;
	struct network_tcp *next;
};

struct network_state {
	struct part_ctx *ctx;          /* NULL once the part is freed */
	char *session;
	bool audit;
	struct netrule *rules;
	size_t nrules;
	char **search;                 /* the container's search domains */
	char upstream[INET6_ADDRSTRLEN];
	bool active;                   /* the handles below are open */
	unsigned open;                 /* handles not yet closed */
	uv_udp_t udp, up;
	uv_tcp_t tcp;
	uv_pipe_t nft_in, nft_out, nft_err;
	uv_timer_t timer;
	pid_t nft_pid;
	struct buf out_line, err_line;
	struct network_cmd *head, *tail;
	bool cmd_sent;
	bool nft_dead;
	unsigned seq;                  /* of the command sent (1..65535) */
	struct network_tcp *conns;
	struct network_pending pending[NETWORK_PENDING];
	struct network_resolved resolved[NETWORK_RESOLVED];
	unsigned resolved_next;
	struct network_denial denials[NETWORK_DENIALS];
	unsigned denials_next;
	uint64_t forwarded, denied, failed;
};

static bool network_wants_container(struct part_ctx *ctx);
static int network_before_start(struct part_ctx *ctx, const struct container_info *info, const char *rundir,
    struct mino_error **err);
static void network_ended(struct part_ctx *ctx);
static void network_record(struct part_ctx *ctx, json_t *rec);
static int network_call(struct part_ctx *ctx, const char *what, json_t *params, json_t **result,
    struct mino_error **err);
static void network_free(struct part_ctx *ctx);
static void network_nft_next(struct network_state *st);
static void network_nft_done(struct network_state *st, bool ok, const char *why);

const struct part_ops network_part = {
	.name = "network",
	.wants_container = network_wants_container,
	.before_start = network_before_start,
	.ended = network_ended,
	.record = network_record,
	.call = network_call,
	.free = network_free,
};

static bool
network_wants_container(struct part_ctx *ctx)
{
	return ctx->spec->network_allow != NULL;
}

/* ---------- rules ---------- */

static int
network_set_rules(struct network_state *st, char *const *rules, struct mino_error **err)
{
	size_t n = strv_len(rules);

	free(st->rules);
	st->rules = xcalloc(n + 1, sizeof *st->rules);
	st->nrules = 0;
	for (size_t i = 0; i < n; i++) {
		if (netrule_parse(rules[i], &st->rules[st->nrules], err) < 0)
			return -1;
		st->nrules++;
	}
	return 0;
}

static json_t *
network_rules_json(const struct network_state *st)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; i < st->nrules; i++) {
		s = netrule_format(&st->rules[i]);
		json_array_append_new(a, json_string(s));
		free(s);
	}
	return a;
}

/* The ports that the rules allow for `name`, directly or as a short name
 * with one of the search domains appended. */
static unsigned
network_ports_for(const struct network_state *st, const char *name, unsigned *ports)
{
	unsigned n = 0;
	size_t len = strlen(name), dl;
	char short_name[256];
	bool hit;

	for (size_t i = 0; i < st->nrules && n < NETWORK_PORTS; i++) {
		hit = netrule_matches_name(&st->rules[i], name);
		for (char **d = st->search; !hit && d != NULL && *d != NULL; d++) {
			dl = strlen(*d);
			if (len > dl + 1 && name[len - dl - 1] == '.' && strcasecmp(name + len - dl, *d) == 0) {
				memcpy(short_name, name, len - dl - 1);
				short_name[len - dl - 1] = '\0';
				hit = netrule_matches_name(&st->rules[i], short_name);
			}
		}
		for (unsigned j = 0; hit && j < n; j++)
			if (ports[j] == st->rules[i].port)
				hit = false;
		if (hit)
			ports[n++] = st->rules[i].port;
	}
	return n;
}

/* The static elements: the rules that are addresses. */
static void
network_static_elements(const struct network_state *st, struct buf *b)
{
	for (size_t i = 0; i < st->nrules; i++) {
		const struct netrule *r = &st->rules[i];

		if (r->kind == NETRULE_IPV4 || r->kind == NETRULE_IPV6)
			buf_printf(b, "; add element inet mino %s { %s . %u }", r->kind == NETRULE_IPV4 ? "a4" : "a6",
			    r->host, r->port);
	}
}

/* nft -e echoes what a transaction added, but not every transaction's
 * "# new generation" line (a flush has none): each command ends by adding
 * (and removing) its own sequence number to the set `ack`, and the echo
 * of that element is its acknowledgement. */
#define NETWORK_ACK "; add element inet mino ack { %u }; delete element inet mino ack { %u }\n"

/* The whole table, one nft line (one transaction). */
static char *
network_ruleset(const struct network_state *st)
{
	struct buf b = { 0 };

	buf_printf(&b, "add table inet mino"
	    "; add set inet mino a4 { type ipv4_addr . inet_service; flags timeout; }"
	    "; add set inet mino a6 { type ipv6_addr . inet_service; flags timeout; }"
	    "; add set inet mino ack { type inet_service; }"
	    "; add chain inet mino out { type filter hook output priority -10; policy drop; }"
	    "; add rule inet mino out oif lo accept"
	    "; add rule inet mino out ct state established,related accept"
	    "; add rule inet mino out meta mark 0x%x accept"
	    "; add rule inet mino out meta l4proto { tcp, udp } ip daddr . th dport @a4 accept"
	    "; add rule inet mino out meta l4proto { tcp, udp } ip6 daddr . th dport @a6 accept"
	    "; add rule inet mino out icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit }"
	    " accept", NETWORK_MARK);
	network_static_elements(st, &b);
	buf_printf(&b, NETWORK_ACK, 0u, 0u);
	buf_append(&b, "", 1);
	return (char *)b.data;
}

/* ---------- processes in the container's network namespace ---------- */

static int
network_spawn(char *const *argv, const posix_spawn_file_actions_t *fa, pid_t *pid, struct mino_error **err)
{
	int r = posix_spawnp(pid, argv[0], fa, NULL, argv, minod.child_env != NULL ? minod.child_env : environ);

	if (r != 0)
		return mino_make_error(err, MINO_E_INTERNAL, r, "spawn %s", argv[0]);
	return 0;
}

static void
network_reap(pid_t pid, bool kill_it)
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
network_read_msg(int fd, char *out, size_t size)
{
	ssize_t n;
	char *nl;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
}

/* mino-netns in the namespace of `pid`: the three sockets. */
static int
network_get_sockets(int pid, const char *upstream, int fds[3], struct mino_error **err)
{
	_cleanup_free_ char *helper = xasprintf("%s/mino-netns", minod.helper_dir);
	_cleanup_free_ char *tpid = xasprintf("%d", pid);
	_cleanup_free_ char *mark = xasprintf("%u", NETWORK_MARK);
	char *argv[] = { "nsenter", "-U", "-n", "-t", tpid, "--", helper, "3", (char *)upstream, mark, NULL };
	posix_spawn_file_actions_t fa;
	int sp[2], ep[2] = { -1, -1 }, r = -1;
	char byte, ctl[CMSG_SPACE(3 * sizeof(int))], msg[256] = "";
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *cm;
	struct pollfd pfd;
	pid_t child = -1;
	int status = 0;

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
	if (network_spawn(argv, &fa, &child, err) < 0)
		goto out;
	close(sp[1]);
	sp[1] = -1;
	pfd = (struct pollfd){ .fd = sp[0], .events = POLLIN };
	if (poll(&pfd, 1, NETWORK_TIMEOUT_MS) == 1 && recvmsg(sp[0], &mh, MSG_CMSG_CLOEXEC) == 1 &&
	    (cm = CMSG_FIRSTHDR(&mh)) != NULL && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(3 * sizeof(int))) {
		memcpy(fds, CMSG_DATA(cm), 3 * sizeof(int));
		r = 0;
	}
	if (r < 0)
		kill(child, SIGKILL);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		network_read_msg(ep[0], msg, sizeof msg);
		if (r == 0)
			for (int i = 0; i < 3; i++)
				close(fds[i]);
		r = mino_make_error(err, MINO_E_INTERNAL, 0, "the resolver sockets in the container's namespace: %s",
		    msg[0] ? msg : "mino-netns failed");
	}
out:
	posix_spawn_file_actions_destroy(&fa);
	close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	close(ep[0]);
	close(ep[1]);
	return r;
}

/* `nft -e -i` in the namespace of `pid`: its stdin, stdout, stderr. */
static int
network_start_nft(struct network_state *st, int pid, int io[3], struct mino_error **err)
{
	_cleanup_free_ char *tpid = xasprintf("%d", pid);
	char *argv[] = { "nsenter", "-U", "-n", "-t", tpid, "--", "nft", "-e", "-i", NULL };
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
	r = network_spawn(argv, &fa, &st->nft_pid, err);
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
static int
network_nft_line(const char *line, bool is_err, unsigned seq)
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
static int
network_nft_sync(int io[3], const char *cmd, struct mino_error **err)
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
				outcome = network_nft_line(lines[k], k == 1, 0);
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

static int
network_resolv(struct network_state *st, int pid, char **options, struct mino_error **err)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/root/etc/resolv.conf", pid);
	char line[1024], word[256];
	struct buf opts = { 0 };
	size_t n = 0;
	FILE *f = fopen(path, "re");
	char *p, *save = NULL, *tok;

	if (f == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, errno, "the container's resolv.conf");
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "nameserver %255s", word) == 1 && st->upstream[0] == '\0' &&
		    strlen(word) < sizeof st->upstream) {
			memcpy(st->upstream, word, strlen(word) + 1);
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
	if (st->upstream[0] == '\0')
		return mino_make_error(err, MINO_E_INTERNAL, 0, "the container's resolv.conf has no nameserver");
	if (strncmp(st->upstream, "127.", 4) == 0 || strcmp(st->upstream, "::1") == 0)
		return mino_make_error(err, MINO_E_INTERNAL, 0,
		    "the container's resolver %s is on its own loopback, where minod's resolver goes", st->upstream);
	return 0;
}

static int
network_resolv_write(const struct network_state *st, int pid, const char *options, struct mino_error **err)
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

/* ---------- handles ---------- */

static void
network_state_free(struct network_state *st)
{
	struct network_cmd *c;

	while ((c = st->head) != NULL) {
		st->head = c->next;
		free(c->text);
		free(c->answer);
		free(c);
	}
	buf_free(&st->out_line);
	buf_free(&st->err_line);
	free(st->rules);
	strv_free(st->search);
	free(st->session);
	free(st);
}

static void
network_closed(uv_handle_t *h)
{
	struct network_state *st = h->data;

	if (--st->open == 0 && st->ctx == NULL)
		network_state_free(st);
}

static void
network_close(struct network_state *st, uv_handle_t *h)
{
	h->data = st;
	if (!uv_is_closing(h))
		uv_close(h, network_closed);
}

static void
network_tcp_closed(uv_handle_t *h)
{
	struct network_tcp *t = h->data;
	struct network_state *st = t->st;

	buf_free(&t->in);
	free(t);
	if (--st->open == 0 && st->ctx == NULL)
		network_state_free(st);
}

static void
network_tcp_drop(struct network_tcp *t)
{
	struct network_state *st = t->st;
	struct network_tcp **pp;

	for (pp = &st->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	for (int i = 0; i < NETWORK_PENDING; i++)
		if (st->pending[i].used && st->pending[i].dest.tcp == t)
			st->pending[i].used = false;
	for (struct network_cmd *c = st->head; c != NULL; c = c->next)
		if (c->dest.tcp == t) {
			free(c->answer);
			c->answer = NULL;
		}
	t->h.data = t;
	uv_close((uv_handle_t *)&t->h, network_tcp_closed);
}

static void
network_teardown(struct network_state *st)
{
	if (!st->active)
		return;
	st->active = false;
	while (st->conns != NULL)
		network_tcp_drop(st->conns);
	network_close(st, (uv_handle_t *)&st->udp);
	network_close(st, (uv_handle_t *)&st->up);
	network_close(st, (uv_handle_t *)&st->tcp);
	network_close(st, (uv_handle_t *)&st->nft_in);
	network_close(st, (uv_handle_t *)&st->nft_out);
	network_close(st, (uv_handle_t *)&st->nft_err);
	network_close(st, (uv_handle_t *)&st->timer);
	network_reap(st->nft_pid, true);
	st->nft_pid = 0;
}

/* ---------- answers ---------- */

static void
network_write_done(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
	free(req);
}

static void
network_send(struct network_state *st, const struct network_dest *d, const uint8_t *m, size_t len)
{
	uv_buf_t b;
	uv_write_t *req;
	uint8_t *copy;
	int r;

	if (d->tcp != NULL) {
		copy = xmalloc(len + 2);
		copy[0] = (uint8_t)(len >> 8);
		copy[1] = (uint8_t)len;
		memcpy(copy + 2, m, len);
		req = xcalloc(1, sizeof *req);
		req->data = copy;
		b = uv_buf_init((char *)copy, (unsigned)len + 2);
		if (uv_write(req, (uv_stream_t *)&d->tcp->h, &b, 1, network_write_done) < 0) {
			free(copy);
			free(req);
		}
		return;
	}
	b = uv_buf_init((char *)m, (unsigned)len);
	r = uv_udp_try_send(&st->udp, &b, 1, (const struct sockaddr *)&d->from);
	if (r < 0)
		log_debug("network %s: answer not sent: %s", st->session, uv_strerror(r));
}

static void
network_error_reply(struct network_state *st, const struct network_dest *d, const uint8_t *m,
    const struct dns_question *q, int rcode)
{
	uint8_t out[DNS_MAX_MSG];
	size_t len = dns_error_reply(m, q, rcode, out);

	dns_set_id(out, q->id);
	network_send(st, d, out, len);
}

static void
network_note_resolved(struct network_state *st, const char *name, const struct dns_addr *a, unsigned port)
{
	struct network_resolved *r = NULL;
	char text[INET6_ADDRSTRLEN];

	inet_ntop(a->family, &a->a, text, sizeof text);
	for (unsigned i = 0; i < NETWORK_RESOLVED && r == NULL; i++)
		if (strcmp(st->resolved[i].addr, text) == 0 && st->resolved[i].port == port &&
		    strcmp(st->resolved[i].name, name) == 0)
			r = &st->resolved[i];
	if (r == NULL) {
		r = &st->resolved[st->resolved_next];
		st->resolved_next = (st->resolved_next + 1) % NETWORK_RESOLVED;
	}
	snprintf(r->name, sizeof r->name, "%s", name);
	snprintf(r->addr, sizeof r->addr, "%s", text);
	r->port = port;
	r->expires = uv_now(minod.loop) + (uint64_t)a->ttl * 1000;
}

/* `add; delete; add` in one transaction refreshes an element's timeout. */
static void
network_elements(struct buf *b, int family, const struct dns_addr *addrs, int n, const unsigned *ports,
    unsigned nports)
{
	char text[INET6_ADDRSTRLEN];
	const char *set = family == AF_INET ? "a4" : "a6";
	bool any = false;

	for (int i = 0; i < n; i++)
		any = any || addrs[i].family == family;
	if (!any)
		return;
	for (int pass = 0; pass < 3; pass++) {
		bool first = true;

		buf_printf(b, "%s%s element inet mino %s { ", b->len > 0 ? "; " : "", pass == 1 ? "delete" : "add", set);
		for (int i = 0; i < n; i++) {
			if (addrs[i].family != family)
				continue;
			inet_ntop(family, &addrs[i].a, text, sizeof text);
			for (unsigned p = 0; p < nports; p++) {
				buf_printf(b, "%s%s . %u", first ? "" : ", ", text, ports[p]);
				if (pass != 1)
					buf_printf(b, " timeout %us", addrs[i].ttl);
				first = false;
			}
		}
		buf_printf(b, " }");
	}
}

static void
network_nft_queue(struct network_state *st, char *text, uint8_t *answer, size_t len,
    const struct network_dest *d, const struct dns_question *q)
{
	struct network_cmd *c = xcalloc(1, sizeof *c);

	c->text = text;
	c->answer = answer;
	c->len = len;
	if (d != NULL)
		c->dest = *d;
	if (q != NULL)
		c->q = *q;
	if (st->tail != NULL)
		st->tail->next = c;
	else
		st->head = c;
	st->tail = c;
	network_nft_next(st);
}

static void
network_nft_written(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
	free(req);
}

static void
network_nft_next(struct network_state *st)
{
	struct network_cmd *c = st->head;
	uv_write_t *req;
	uv_buf_t b;
	char *line;

	if (c == NULL || st->cmd_sent || !st->active)
		return;
	if (st->nft_dead) {
		st->cmd_sent = true;
		network_nft_done(st, false, "nft is gone");
		return;
	}
	st->seq = st->seq % 65535 + 1;
	line = xasprintf("%s" NETWORK_ACK, c->text, st->seq, st->seq);
	req = xcalloc(1, sizeof *req);
	req->data = line;
	b = uv_buf_init(line, (unsigned)strlen(line));
	if (uv_write(req, (uv_stream_t *)&st->nft_in, &b, 1, network_nft_written) < 0) {
		free(line);
		free(req);
		log_warn("network %s: nft is gone; names will not resolve", st->session);
		st->nft_dead = true;
		st->cmd_sent = true;
		network_nft_done(st, false, "nft is gone");
		return;
	}
	st->cmd_sent = true;
}

/* The head command is done (ok or not): relay its answer or SERVFAIL. */
static void
network_nft_done(struct network_state *st, bool ok, const char *why)
{
	struct network_cmd *c = st->head;

	if (c == NULL || !st->cmd_sent)
		return;
	st->cmd_sent = false;
	st->head = c->next;
	if (st->head == NULL)
		st->tail = NULL;
	if (!ok) {
		st->failed++;
		log_warn("network %s: nft: %s", st->session, why);
	}
	if (c->answer != NULL) {
		if (ok)
			network_send(st, &c->dest, c->answer, c->len);
		else
			network_error_reply(st, &c->dest, c->answer, &c->q, DNS_RCODE_SERVFAIL);
	}
	free(c->text);
	free(c->answer);
	free(c);
	network_nft_next(st);
}

static void
network_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = xmalloc(DNS_MAX_MSG);
	b->len = DNS_MAX_MSG;
}

static void
network_nft_read(struct network_state *st, bool is_err, ssize_t n, const uv_buf_t *b)
{
	struct buf *line = is_err ? &st->err_line : &st->out_line;
	int outcome;

	if (n < 0) {
		if (st->active && !st->nft_dead)
			log_warn("network %s: nft exited; names will not resolve (the rules stay)", st->session);
		st->nft_dead = true;
		uv_read_stop((uv_stream_t *)(is_err ? &st->nft_err : &st->nft_out));
		network_nft_done(st, false, "nft exited");
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (b->base[i] != '\n') {
			if (line->len < 1024)
				buf_append(line, &b->base[i], 1);
			continue;
		}
		buf_append(line, "", 1);
		outcome = network_nft_line((const char *)line->data, is_err, st->seq);
		if (outcome != 0)
			network_nft_done(st, outcome == 1, (const char *)line->data);
		line->len = 0;
	}
}

static void
network_nft_out_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	network_nft_read(s->data, false, n, b);
	free(b->base);
}

static void
network_nft_err_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	network_nft_read(s->data, true, n, b);
	free(b->base);
}

/* ---------- queries ---------- */

static void
network_deny(struct network_state *st, const struct dns_question *q)
{
	struct network_denial *d = &st->denials[st->denials_next];
	char tb[8];
	json_t *a;

	st->denied++;
	st->denials_next = (st->denials_next + 1) % NETWORK_DENIALS;
	snprintf(d->name, sizeof d->name, "%s", q->name);
	snprintf(d->type, sizeof d->type, "%s", dns_type_name(q->qtype, tb));
	d->when = time(NULL);
	a = json_object();
	json_object_set_new(a, "session", json_string(st->session));
	json_object_set_new(a, "name", json_string(q->name));
	json_object_set_new(a, "type", json_string(d->type));
	audit_event_if(st->audit, "network.dns_denied", a);
}

static void
network_query(struct network_state *st, const struct network_dest *d, const uint8_t *m, size_t n)
{
	struct dns_question q;
	struct network_pending *p = NULL;
	uint8_t copy[DNS_MAX_MSG];
	unsigned ports[NETWORK_PORTS], nports;
	uv_buf_t b;
	uint16_t id;
	int r;

	if (dns_parse_query(m, n, &q) < 0)
		return;
	nports = network_ports_for(st, q.name, ports);
	if (nports == 0) {
		network_deny(st, &q);
		network_error_reply(st, d, m, &q, DNS_RCODE_NXDOMAIN);
		return;
	}
	for (int i = 0; i < NETWORK_PENDING && p == NULL; i++)
		if (!st->pending[i].used)
			p = &st->pending[i];
	if (p == NULL) {
		network_error_reply(st, d, m, &q, DNS_RCODE_SERVFAIL);
		return;
	}
	if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
		id = (uint16_t)rand();
	*p = (struct network_pending){ .used = true, .up_id = id, .client_id = q.id, .dest = *d,
		.qtype = q.qtype, .nports = nports, .sent = uv_now(minod.loop) };
	memcpy(p->ports, ports, sizeof ports);
	snprintf(p->name, sizeof p->name, "%s", q.name);
	memcpy(copy, m, n);
	dns_set_id(copy, id);
	b = uv_buf_init((char *)copy, (unsigned)n);
	if ((r = uv_udp_try_send(&st->up, &b, 1, NULL)) < 0) {
		log_debug("network %s: forwarding %s: %s", st->session, q.name, uv_strerror(r));
		p->used = false;
		network_error_reply(st, d, m, &q, DNS_RCODE_SERVFAIL);
		return;
	}
	st->forwarded++;
}

static void
network_udp_cb(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *addr, unsigned flags)
{
	struct network_state *st = h->data;
	struct network_dest d = { 0 };

	(void)flags;
	if (n > 0 && addr != NULL && st->active) {
		memcpy(&d.from, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in));
		network_query(st, &d, (const uint8_t *)b->base, (size_t)n);
	}
	free(b->base);
}

static void
network_upstream_cb(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *addr, unsigned flags)
{
	struct network_state *st = h->data;
	struct dns_question q;
	struct dns_addr addrs[32];
	struct network_pending *p = NULL;
	uint8_t *m = (uint8_t *)b->base;
	struct buf cmd = { 0 };
	int na;

	(void)addr;
	(void)flags;
	if (n < 0)
		log_debug("network %s: upstream: %s", st->session, uv_strerror((int)n));
	if (n <= 0 || !st->active || dns_parse_response(m, (size_t)n, &q) < 0)
		goto out;
	log_debug("network %s: answer for %s (%zd bytes)", st->session, q.name, n);
	for (int i = 0; i < NETWORK_PENDING && p == NULL; i++)
		if (st->pending[i].used && st->pending[i].up_id == q.id && strcmp(st->pending[i].name, q.name) == 0)
			p = &st->pending[i];
	if (p == NULL)
		goto out;
	p->used = false;
	dns_set_id(m, p->client_id);
	q.id = p->client_id;
	na = dns_answer_addrs(m, (size_t)n, NETWORK_TTL_MIN, NETWORK_TTL_MAX, addrs, 32);
	if (na < 0) {
		network_error_reply(st, &p->dest, m, &q, DNS_RCODE_SERVFAIL);
		goto out;
	}
	if (na == 0) {
		network_send(st, &p->dest, m, (size_t)n);
		goto out;
	}
	for (int i = 0; i < na; i++)
		for (unsigned j = 0; j < p->nports; j++)
			network_note_resolved(st, p->name, &addrs[i], p->ports[j]);
	network_elements(&cmd, AF_INET, addrs, na, p->ports, p->nports);
	network_elements(&cmd, AF_INET6, addrs, na, p->ports, p->nports);
	buf_append(&cmd, "", 1);
	/* the answer waits for nft: it owns the buffer now */
	network_nft_queue(st, (char *)cmd.data, m, (size_t)n, &p->dest, &q);
	return;
out:
	free(b->base);
}

static void
network_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct network_tcp *t = s->data;
	size_t len;

	if (n < 0) {
		free(b->base);
		network_tcp_drop(t);
		return;
	}
	buf_append(&t->in, b->base, (size_t)n);
	free(b->base);
	while (t->in.len >= 2) {
		len = (size_t)(t->in.data[0] << 8 | t->in.data[1]);
		if (len > DNS_MAX_MSG - 2) {
			network_tcp_drop(t);
			return;
		}
		if (t->in.len < len + 2)
			break;
		network_query(t->st, &(struct network_dest){ .tcp = t }, (const uint8_t *)t->in.data + 2, len);
		memmove(t->in.data, t->in.data + len + 2, t->in.len - len - 2);
		t->in.len -= len + 2;
	}
}

static void
network_tcp_conn(uv_stream_t *server, int status)
{
	struct network_state *st = server->data;
	struct network_tcp *t;

	if (status < 0 || !st->active)
		return;
	t = xcalloc(1, sizeof *t);
	t->st = st;
	uv_tcp_init(minod.loop, &t->h);
	st->open++;
	t->h.data = t;
	if (uv_accept(server, (uv_stream_t *)&t->h) < 0) {
		uv_close((uv_handle_t *)&t->h, network_tcp_closed);
		return;
	}
	t->next = st->conns;
	st->conns = t;
	uv_read_start((uv_stream_t *)&t->h, network_alloc, network_tcp_read);
}

static void
network_timer_cb(uv_timer_t *h)
{
	struct network_state *st = h->data;
	uint64_t now = uv_now(minod.loop);

	for (int i = 0; i < NETWORK_PENDING; i++)
		if (st->pending[i].used && now - st->pending[i].sent > NETWORK_QUERY_MS)
			st->pending[i].used = false; /* the client asks again */
}

/* The loop takes the sockets and nft's pipes. */
static int
network_activate(struct network_state *st, int fds[3], int io[3], struct mino_error **err)
{
	int r;

	uv_udp_init(minod.loop, &st->udp);
	uv_udp_init(minod.loop, &st->up);
	uv_tcp_init(minod.loop, &st->tcp);
	uv_pipe_init(minod.loop, &st->nft_in, 0);
	uv_pipe_init(minod.loop, &st->nft_out, 0);
	uv_pipe_init(minod.loop, &st->nft_err, 0);
	uv_timer_init(minod.loop, &st->timer);
	st->open += 7;
	st->active = true;
	st->udp.data = st->up.data = st->tcp.data = st;
	st->nft_in.data = st->nft_out.data = st->nft_err.data = st->timer.data = st;
	if ((r = uv_udp_open(&st->udp, fds[0])) < 0 || (r = uv_tcp_open(&st->tcp, fds[1])) < 0 ||
	    (r = uv_udp_open(&st->up, fds[2])) < 0 || (r = uv_pipe_open(&st->nft_in, io[0])) < 0 ||
	    (r = uv_pipe_open(&st->nft_out, io[1])) < 0 || (r = uv_pipe_open(&st->nft_err, io[2])) < 0 ||
	    (r = uv_udp_recv_start(&st->udp, network_alloc, network_udp_cb)) < 0 ||
	    (r = uv_udp_recv_start(&st->up, network_alloc, network_upstream_cb)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&st->tcp, 16, network_tcp_conn)) < 0 ||
	    (r = uv_read_start((uv_stream_t *)&st->nft_out, network_alloc, network_nft_out_cb)) < 0 ||
	    (r = uv_read_start((uv_stream_t *)&st->nft_err, network_alloc, network_nft_err_cb)) < 0 ||
	    (r = uv_timer_start(&st->timer, network_timer_cb, 1000, 1000)) < 0)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "the resolver's handles: %s", uv_strerror(r));
	return 0;
}

static int
network_before_start(struct part_ctx *ctx, const struct container_info *info, const char *rundir,
    struct mino_error **err)
{
	struct network_state *st;
	_cleanup_free_ char *options = NULL;
	_cleanup_free_ char *ruleset = NULL;
	int fds[3] = { -1, -1, -1 }, io[3] = { -1, -1, -1 };
	uint64_t t0;
	json_t *a;

	(void)rundir;
	if (ctx->spec->network_allow == NULL)
		return 0;
	uv_update_time(minod.loop);
	t0 = uv_hrtime();
	if (info->pid <= 0)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "the container has no process to set rules for");
	st = xcalloc(1, sizeof *st);
	st->ctx = ctx;
	st->session = xstrdup(ctx->spec->name);
	st->audit = !ctx->spec->no_audit;
	ctx->state = st;
	if (network_set_rules(st, ctx->spec->network_allow, err) < 0 ||
	    network_resolv(st, info->pid, &options, err) < 0 ||
	    network_start_nft(st, info->pid, io, err) < 0)
		goto fail;
	ruleset = network_ruleset(st);
	if (network_nft_sync(io, ruleset, err) < 0 ||
	    network_get_sockets(info->pid, st->upstream, fds, err) < 0 ||
	    network_resolv_write(st, info->pid, options, err) < 0)
		goto fail;
	if (network_activate(st, fds, io, err) < 0) {
		network_teardown(st);
		return mino_error_wrap(err, "egress rules");
	}
	a = json_object();
	json_object_set_new(a, "session", json_string(st->session));
	json_object_set_new(a, "network", json_string(ctx->spec->network));
	json_object_set_new(a, "rules", network_rules_json(st));
	json_object_set_new(a, "resolver", json_string(st->upstream));
	audit_event_if(st->audit, "network.rules_applied", a);
	log_info("network %s: egress rules applied (%zu rules) in %.1f ms, resolver 127.0.0.53 -> %s",
	    st->session, st->nrules, (double)(uv_hrtime() - t0) / 1e6, st->upstream);
	return 0;
fail:
	for (int i = 0; i < 3; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		if (io[i] >= 0)
			close(io[i]);
	}
	network_reap(st->nft_pid, true);
	st->nft_pid = 0;
	return mino_error_wrap(err, "egress rules");
}

static void
network_ended(struct part_ctx *ctx)
{
	struct network_state *st = ctx->state;

	if (st != NULL)
		network_teardown(st);
}

static void
network_free(struct part_ctx *ctx)
{
	struct network_state *st = ctx->state;

	if (st == NULL)
		return;
	ctx->state = NULL;
	network_teardown(st);
	st->ctx = NULL;
	if (st->open == 0)
		network_state_free(st);
}

static void
network_record(struct part_ctx *ctx, json_t *rec)
{
	struct network_state *st = ctx->state;
	const char *mode = ctx->spec->network_allow != NULL ? "allowlist" : ctx->spec->network;

	json_object_set_new(rec, "network_mode", json_string(mode));
	if (ctx->spec->network_allow != NULL) {
		json_object_set_new(rec, "network_allow", st != NULL ? network_rules_json(st) :
		    strv_to_json(ctx->spec->network_allow));
		json_object_set_new(rec, "network_denied", json_integer(st != NULL ? (json_int_t)st->denied : 0));
	}
}

/* ---------- session/network ---------- */

static json_t *
network_status(const struct network_state *st, const struct sandbox_spec *spec)
{
	json_t *r = json_object(), *res = json_array(), *den = json_array(), *e;
	uint64_t now = uv_now(minod.loop);

	json_object_set_new(r, "session", json_string(spec->name));
	json_object_set_new(r, "network", json_string(spec->network));
	json_object_set_new(r, "mode", json_string("allowlist"));
	json_object_set_new(r, "rules", network_rules_json(st));
	json_object_set_new(r, "resolver", json_string(st->upstream));
	for (unsigned i = 0; i < NETWORK_RESOLVED; i++) {
		const struct network_resolved *x = &st->resolved[i];

		if (x->name[0] == '\0' || x->expires <= now)
			continue;
		e = json_object();
		json_object_set_new(e, "name", json_string(x->name));
		json_object_set_new(e, "address", json_string(x->addr));
		json_object_set_new(e, "port", json_integer(x->port));
		json_object_set_new(e, "expires_in", json_integer((json_int_t)((x->expires - now) / 1000)));
		json_array_append_new(res, e);
	}
	json_object_set_new(r, "resolved", res);
	json_object_set_new(r, "forwarded", json_integer((json_int_t)st->forwarded));
	json_object_set_new(r, "denied", json_integer((json_int_t)st->denied));
	for (unsigned i = 0; i < NETWORK_DENIALS; i++) {
		const struct network_denial *d = &st->denials[(st->denials_next + i) % NETWORK_DENIALS];

		if (d->name[0] == '\0')
			continue;
		e = json_object();
		json_object_set_new(e, "name", json_string(d->name));
		json_object_set_new(e, "type", json_string(d->type));
		json_object_set_new(e, "time", json_integer((json_int_t)d->when));
		json_array_append_new(den, e);
	}
	json_object_set_new(r, "recent_denials", den);
	return r;
}

/* Rules of a param array, checked. */
static int
network_param_rules(json_t *params, const char *key, struct netrule **out, size_t *n, struct mino_error **err)
{
	json_t *a = json_object_get(params, key), *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` must be an array of rules", key);
	*out = xcalloc(json_array_size(a) + 1, sizeof **out);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			free(*out);
			*out = NULL;
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` must be an array of rules", key);
		}
		if (netrule_parse(json_string_value(v), &(*out)[i], err) < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	*n = json_array_size(a);
	return 0;
}

static bool
network_same_rule(const struct netrule *a, const struct netrule *b)
{
	return a->kind == b->kind && a->port == b->port && strcmp(a->host, b->host) == 0;
}

static int
network_change(struct network_state *st, json_t *params, struct mino_error **err)
{
	_cleanup_free_ struct netrule *allow = NULL;
	_cleanup_free_ struct netrule *deny = NULL;
	size_t na, nd, k;
	struct buf cmd = { 0 };
	bool found;
	json_t *a, *ja = json_array(), *jd = json_array();
	char *s;

	if (network_param_rules(params, "allow", &allow, &na, err) < 0 ||
	    network_param_rules(params, "deny", &deny, &nd, err) < 0) {
		json_decref(ja);
		json_decref(jd);
		return -1;
	}
	for (size_t i = 0; i < nd; i++) {
		found = false;
		for (k = 0; k < st->nrules; k++)
			if (network_same_rule(&st->rules[k], &deny[i])) {
				memmove(&st->rules[k], &st->rules[k + 1], (st->nrules - k - 1) * sizeof *st->rules);
				st->nrules--;
				found = true;
				break;
			}
		s = netrule_format(&deny[i]);
		if (!found) {
			mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "no rule `%s` in session `%s`", s, st->session);
			free(s);
			json_decref(ja);
			json_decref(jd);
			return -1;
		}
		json_array_append_new(jd, json_string(s));
		free(s);
	}
	for (size_t i = 0; i < na; i++) {
		found = false;
		for (k = 0; k < st->nrules && !found; k++)
			found = network_same_rule(&st->rules[k], &allow[i]);
		s = netrule_format(&allow[i]);
		json_array_append_new(ja, json_string(s));
		free(s);
		if (found)
			continue;
		st->rules = xreallocarray(st->rules, st->nrules + 1, sizeof *st->rules);
		st->rules[st->nrules++] = allow[i];
	}
	/* A removed rule takes its addresses with it: the sets start again from
	 * the address rules; names join again at their next query. */
	if (nd > 0) {
		buf_printf(&cmd, "flush set inet mino a4; flush set inet mino a6");
		memset(st->resolved, 0, sizeof st->resolved);
	} else {
		buf_printf(&cmd, "add table inet mino");
	}
	network_static_elements(st, &cmd);
	buf_append(&cmd, "", 1);
	network_nft_queue(st, (char *)cmd.data, NULL, 0, NULL, NULL);
	a = json_object();
	json_object_set_new(a, "session", json_string(st->session));
	json_object_set_new(a, "allow", ja);
	json_object_set_new(a, "deny", jd);
	json_object_set_new(a, "rules", network_rules_json(st));
	audit_event_if(st->audit, "network.changed", a);
	return 0;
}

static int
network_call(struct part_ctx *ctx, const char *what, json_t *params, json_t **result, struct mino_error **err)
{
	struct network_state *st = ctx->state;

	if (strcmp(what, "network") != 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "network: no call `%s`", what);
	if (ctx->spec->network_allow == NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "session `%s` has no allowlist (network %s): start it with --network-allow or a preset",
		    ctx->spec->name, ctx->spec->network);
	if (st == NULL || !st->active)
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` is not running", ctx->spec->name);
	if ((json_object_get(params, "allow") != NULL || json_object_get(params, "deny") != NULL) &&
	    network_change(st, params, err) < 0)
		return -1;
	*result = network_status(st, ctx->spec);
	return 0;
}
