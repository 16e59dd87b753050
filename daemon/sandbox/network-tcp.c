/* network-tcp.c: DNS over TCP upstream for the resolver
 * (network-resolver.c).  A TCP client's query goes over TCP to its
 * resolver, so that an answer of any size arrives whole.  The socket must
 * be made in the container's network namespace and marked: mino-netns
 * stays for that, and makes one for each byte minod sends on its channel,
 * in order (st->factory_fd, polled on the loop).  When TCP fails (no
 * socket, refused, closed early; aardvark-dns 1.4 speaks only UDP) the
 * query goes over UDP as before. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "minod.h"
#include "network.h"
#include "xalloc.h"

static void
network_tcp_closed(uv_handle_t *h)
{
	struct network_upconn *c = h->data;
	struct network_state *st = c->st;

	buf_free(&c->in);
	free(c->out);
	free(c);
	if (--st->open == 0 && st->ctx == NULL)
		network_resolver_state_free(st);
}

void
network_tcp_close(struct network_upconn *c)
{
	c->h.data = c;
	if (!uv_is_closing((uv_handle_t *)&c->h))
		uv_close((uv_handle_t *)&c->h, network_tcp_closed);
}

/* TCP did not work (no socket, refused, closed early): the query goes
 * over UDP instead, as before (a resolver may speak only UDP). */
static void
network_tcp_fallback(struct network_upconn *c, const char *why)
{
	struct network_pending *p = c->p;
	struct network_state *st = c->st;

	if (p != NULL) {
		p->conn = NULL;
		c->p = NULL;
		log_debug("network %s: %s over TCP to %s: %s; over UDP", st->session, p->name, st->upstream[p->ns], why);
		if (network_resolver_forward(st, p) < 0)
			network_resolver_pending_end(p);
	}
	if (c->opened)
		network_tcp_close(c);
	else
		free(c);
}

static void
network_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct network_upconn *c = s->data;
	struct network_pending *p = c->p;
	struct dns_question q;
	size_t len;
	uint8_t *m;

	if (n < 0 || p == NULL) {
		free(b->base);
		if (p != NULL)
			network_tcp_fallback(c, n == UV_EOF ? "closed before the answer" : uv_strerror((int)n));
		return;
	}
	buf_append(&c->in, b->base, (size_t)n);
	free(b->base);
	if (c->in.len < 2)
		return;
	len = (size_t)((uint8_t)c->in.data[0] << 8 | (uint8_t)c->in.data[1]);
	if (c->in.len < len + 2)
		return;
	m = xmalloc(len ? len : 1);
	memcpy(m, c->in.data + 2, len);
	if (dns_parse_response(m, len, &q) < 0 || q.id != p->up_id || strcmp(q.name, p->name) != 0) {
		free(m);
		network_tcp_fallback(c, "not the answer to the query");
		return;
	}
	log_debug("network %s: answer for %s over TCP (%zu bytes)", c->st->session, q.name, len);
	p->conn = NULL;
	c->p = NULL;
	network_tcp_close(c);
	network_resolver_answered(c->st, p, m, len, &q);
}

static void
network_tcp_written(uv_write_t *req, int status)
{
	struct network_upconn *c = req->data;

	if (status < 0 && c->p != NULL)
		network_tcp_fallback(c, uv_strerror(status));
}

static void
network_tcp_connected(uv_connect_t *req, int status)
{
	struct network_upconn *c = req->data;
	struct network_pending *p = c->p;
	uv_buf_t b;

	if (p == NULL)
		return; /* the query ended; the handle is closing */
	if (status < 0) {
		network_tcp_fallback(c, uv_strerror(status));
		return;
	}
	c->out = xmalloc(p->qlen + 2);
	c->out[0] = (uint8_t)(p->qlen >> 8);
	c->out[1] = (uint8_t)p->qlen;
	memcpy(c->out + 2, p->query, p->qlen);
	b = uv_buf_init((char *)c->out, (unsigned)p->qlen + 2);
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->h, &b, 1, network_tcp_written) < 0 ||
	    uv_read_start((uv_stream_t *)&c->h, network_resolver_alloc, network_tcp_read) < 0)
		network_tcp_fallback(c, "cannot write");
}

/* The address of resolver `ns`, port 53. */
static int
network_tcp_upstream_addr(const struct network_state *st, unsigned ns, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (uv_ip4_addr(st->upstream[ns], 53, (struct sockaddr_in *)ss) == 0)
		return 0;
	return uv_ip6_addr(st->upstream[ns], 53, (struct sockaddr_in6 *)ss);
}

/* A socket for c from mino-netns: connect it to its resolver. */
static void
network_tcp_start(struct network_upconn *c, int fd)
{
	struct network_state *st = c->st;
	struct sockaddr_storage ss;

	if (c->p == NULL || fd < 0) {
		if (fd >= 0)
			close(fd);
		if (c->p != NULL)
			network_tcp_fallback(c, "no socket from mino-netns");
		else
			free(c);
		return;
	}
	uv_tcp_init(minod.loop, &c->h);
	c->opened = true;
	c->h.data = c;
	st->open++;
	c->creq.data = c;
	if (uv_tcp_open(&c->h, fd) < 0) {
		close(fd);
		network_tcp_fallback(c, "uv_tcp_open");
		return;
	}
	if (network_tcp_upstream_addr(st, c->p->ns, &ss) < 0 ||
	    uv_tcp_connect(&c->creq, &c->h, (const struct sockaddr *)&ss, network_tcp_connected) < 0)
		network_tcp_fallback(c, "cannot connect");
}

/* mino-netns answers requests in order: each reply is the socket of the
 * oldest waiting connection (or none, when it could not make one). */
void
network_tcp_factory_cb(uv_poll_t *h, int status, int events)
{
	struct network_state *st = h->data;
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	struct network_upconn *c;
	ssize_t n;
	int fd;

	(void)events;
	for (;;) {
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			.msg_controllen = sizeof ctl };
		n = status < 0 ? -1 : recvmsg(st->factory_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && status >= 0)
			return;
		if (n <= 0)
			break;
		fd = -1;
		cm = CMSG_FIRSTHDR(&mh);
		if (cm != NULL && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof fd);
		if ((c = st->waiting) == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		if ((st->waiting = c->next) == NULL)
			st->waiting_tail = NULL;
		network_tcp_start(c, fd);
	}
	/* mino-netns is gone: no more TCP; the waiting ones go over UDP */
	log_warn("network %s: mino-netns exited; DNS over TCP goes upstream over UDP", st->session);
	uv_poll_stop(h);
	close(st->factory_fd);
	st->factory_fd = -1;
	while ((c = st->waiting) != NULL) {
		st->waiting = c->next;
		network_tcp_start(c, -1);
	}
	st->waiting_tail = NULL;
}

/* A TCP client's query: over TCP to its resolver (a socket is asked of
 * mino-netns, answered in order).  -1: ask over UDP instead. */
int
network_tcp_ask(struct network_state *st, struct network_pending *p)
{
	unsigned char req = (unsigned char)p->ns;
	struct network_upconn *c;

	if (st->factory_fd < 0 || p->ns >= st->nup)
		return -1;
	if (send(st->factory_fd, &req, 1, MSG_DONTWAIT) != 1) {
		log_debug("network %s: no TCP socket for %s: %s", st->session, p->name, strerror(errno));
		return -1;
	}
	c = xcalloc(1, sizeof *c);
	c->st = st;
	c->p = p;
	p->conn = c;
	p->asked = uv_now(minod.loop);
	if (st->waiting_tail != NULL)
		st->waiting_tail->next = c;
	else
		st->waiting = c;
	st->waiting_tail = c;
	return 0;
}
