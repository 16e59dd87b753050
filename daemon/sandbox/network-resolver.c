/* network-resolver.c: the resolver that minod serves inside an
 * allowlisted container from its own loop, on the sockets mino-netns made
 * there.  A query for a name that a rule allows is forwarded upstream; the
 * answer's addresses join the nft sets (through the long-lived nft process,
 * one command at a time, each acknowledged) before the answer is relayed.
 * Other names get NXDOMAIN and are audited. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>
#include <uv.h>

#include "audit.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "network.h"
#include "strv.h"
#include "xalloc.h"

static void network_resolver_nft_next(struct network_state *st);
static void network_resolver_nft_done(struct network_state *st, bool ok, const char *why);

void
network_resolver_state_free(struct network_state *st)
{
	struct network_cmd *c;

	while ((c = st->head) != NULL) {
		st->head = c->next;
		free(c->text);
		free(c->answer);
		free(c);
	}
	for (int i = 0; i < NETWORK_PENDING; i++)
		network_resolver_pending_end(&st->pending[i]);
	buf_free(&st->out_line);
	buf_free(&st->err_line);
	free(st->rules);
	strv_free(st->search);
	free(st->session);
	free(st);
}

static void
network_resolver_closed(uv_handle_t *h)
{
	struct network_state *st = h->data;

	if (--st->open == 0 && st->ctx == NULL)
		network_resolver_state_free(st);
}

static void
network_resolver_close(struct network_state *st, uv_handle_t *h)
{
	h->data = st;
	if (!uv_is_closing(h))
		uv_close(h, network_resolver_closed);
}

static void
network_resolver_tcp_closed(uv_handle_t *h)
{
	struct network_tcp *t = h->data;
	struct network_state *st = t->st;

	buf_free(&t->in);
	free(t);
	if (--st->open == 0 && st->ctx == NULL)
		network_resolver_state_free(st);
}

static void
network_resolver_tcp_drop(struct network_tcp *t)
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
			network_resolver_pending_end(&st->pending[i]);
	for (struct network_cmd *c = st->head; c != NULL; c = c->next)
		if (c->dest.tcp == t) {
			free(c->answer);
			c->answer = NULL;
		}
	t->h.data = t;
	uv_close((uv_handle_t *)&t->h, network_resolver_tcp_closed);
}

void
network_resolver_teardown(struct network_state *st)
{
	if (!st->active)
		return;
	st->active = false;
	while (st->conns != NULL)
		network_resolver_tcp_drop(st->conns);
	for (int i = 0; i < NETWORK_PENDING; i++)
		if (st->pending[i].used && st->pending[i].conn != NULL)
			network_resolver_pending_end(&st->pending[i]);
	network_resolver_close(st, (uv_handle_t *)&st->factory);
	while (st->waiting != NULL) {
		struct network_upconn *c = st->waiting;

		st->waiting = c->next;
		free(c);
	}
	st->waiting_tail = NULL;
	if (st->factory_fd >= 0)
		close(st->factory_fd);
	st->factory_fd = -1;
	network_ns_reap(st->factory_pid, true);
	st->factory_pid = 0;
	network_resolver_close(st, (uv_handle_t *)&st->udp);
	for (unsigned i = 0; i < st->nup; i++)
		network_resolver_close(st, (uv_handle_t *)&st->up[i]);
	network_resolver_close(st, (uv_handle_t *)&st->tcp);
	network_resolver_close(st, (uv_handle_t *)&st->nft_in);
	network_resolver_close(st, (uv_handle_t *)&st->nft_out);
	network_resolver_close(st, (uv_handle_t *)&st->nft_err);
	network_resolver_close(st, (uv_handle_t *)&st->timer);
	network_ns_reap(st->nft_pid, true);
	st->nft_pid = 0;
}

/* ---------- answers ---------- */

static void
network_resolver_write_done(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
	free(req);
}

static void
network_resolver_send(struct network_state *st, const struct network_dest *d, const uint8_t *m, size_t len)
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
		if (uv_write(req, (uv_stream_t *)&d->tcp->h, &b, 1, network_resolver_write_done) < 0) {
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
network_resolver_error_reply(struct network_state *st, const struct network_dest *d, const uint8_t *m,
    const struct dns_question *q, int rcode)
{
	uint8_t out[DNS_MAX_MSG];
	size_t len = dns_error_reply(m, q, rcode, out);

	dns_set_id(out, q->id);
	network_resolver_send(st, d, out, len);
}

static void
network_resolver_note_resolved(struct network_state *st, const char *name, const struct dns_addr *a, unsigned port)
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
network_resolver_elements(struct buf *b, int family, const struct dns_addr *addrs, int n, const unsigned *ports,
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

void
network_resolver_nft_queue(struct network_state *st, char *text, uint8_t *answer, size_t len,
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
	network_resolver_nft_next(st);
}

static void
network_resolver_nft_written(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
	free(req);
}

static void
network_resolver_nft_next(struct network_state *st)
{
	struct network_cmd *c = st->head;
	uv_write_t *req;
	uv_buf_t b;
	char *line;

	if (c == NULL || st->cmd_sent || !st->active)
		return;
	if (st->nft_dead) {
		st->cmd_sent = true;
		network_resolver_nft_done(st, false, "nft is gone");
		return;
	}
	st->seq = st->seq % 65535 + 1;
	line = xasprintf("%s" NETWORK_ACK, c->text, st->seq, st->seq);
	req = xcalloc(1, sizeof *req);
	req->data = line;
	b = uv_buf_init(line, (unsigned)strlen(line));
	if (uv_write(req, (uv_stream_t *)&st->nft_in, &b, 1, network_resolver_nft_written) < 0) {
		free(line);
		free(req);
		log_warn("network %s: nft is gone; names will not resolve", st->session);
		st->nft_dead = true;
		st->cmd_sent = true;
		network_resolver_nft_done(st, false, "nft is gone");
		return;
	}
	st->cmd_sent = true;
}

/* The head command is done (ok or not): relay its answer or SERVFAIL. */
static void
network_resolver_nft_done(struct network_state *st, bool ok, const char *why)
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
			network_resolver_send(st, &c->dest, c->answer, c->len);
		else
			network_resolver_error_reply(st, &c->dest, c->answer, &c->q, DNS_RCODE_SERVFAIL);
	}
	free(c->text);
	free(c->answer);
	free(c);
	network_resolver_nft_next(st);
}

void
network_resolver_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = xmalloc(DNS_MAX_MSG);
	b->len = DNS_MAX_MSG;
}

static void
network_resolver_nft_read(struct network_state *st, bool is_err, ssize_t n, const uv_buf_t *b)
{
	struct buf *line = is_err ? &st->err_line : &st->out_line;
	int outcome;

	if (n < 0) {
		if (st->active && !st->nft_dead)
			log_warn("network %s: nft exited; names will not resolve (the rules stay)", st->session);
		st->nft_dead = true;
		uv_read_stop((uv_stream_t *)(is_err ? &st->nft_err : &st->nft_out));
		network_resolver_nft_done(st, false, "nft exited");
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (b->base[i] != '\n') {
			if (line->len < 1024)
				buf_append(line, &b->base[i], 1);
			continue;
		}
		buf_append(line, "", 1);
		outcome = network_ns_nft_line((const char *)line->data, is_err, st->seq);
		if (outcome != 0)
			network_resolver_nft_done(st, outcome == 1, (const char *)line->data);
		line->len = 0;
	}
}

static void
network_resolver_nft_out_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	network_resolver_nft_read(s->data, false, n, b);
	free(b->base);
}

static void
network_resolver_nft_err_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	network_resolver_nft_read(s->data, true, n, b);
	free(b->base);
}

/* ---------- queries ---------- */

static void
network_resolver_deny(struct network_state *st, const struct dns_question *q)
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

void
network_resolver_pending_end(struct network_pending *p)
{
	struct network_upconn *c = p->conn;

	if (c != NULL) {
		p->conn = NULL;
		c->p = NULL;
		if (c->opened)
			network_tcp_close(c);
		/* else it waits for its socket, which then is closed */
	}
	free(p->query);
	p->query = NULL;
	p->used = false;
}

/* Sends the pending query to resolver p->ns, or the next ones if a send
 * fails; -1 if none took it. */
int
network_resolver_forward(struct network_state *st, struct network_pending *p)
{
	uv_buf_t b = uv_buf_init((char *)p->query, (unsigned)p->qlen);
	int r;

	for (; p->ns < st->nup; p->ns++) {
		if ((r = uv_udp_try_send(&st->up[p->ns], &b, 1, NULL)) >= 0) {
			p->asked = uv_now(minod.loop);
			return 0;
		}
		log_debug("network %s: forwarding %s to %s: %s", st->session, p->name, st->upstream[p->ns],
		    uv_strerror(r));
	}
	return -1;
}

/* An answer for pending query p (m taken): its addresses join the sets,
 * then it is relayed to the client (or SERVFAIL if it is malformed). */
void
network_resolver_answered(struct network_state *st, struct network_pending *p, uint8_t *m, size_t n,
    struct dns_question *q)
{
	struct dns_addr addrs[32];
	struct buf cmd = { 0 };
	int na;

	network_resolver_pending_end(p); /* its fields stay until the slot is reused */
	dns_set_id(m, p->client_id);
	q->id = p->client_id;
	na = dns_answer_addrs(m, n, NETWORK_TTL_MIN, NETWORK_TTL_MAX, addrs, 32);
	if (na <= 0) {
		if (na < 0)
			network_resolver_error_reply(st, &p->dest, m, q, DNS_RCODE_SERVFAIL);
		else
			network_resolver_send(st, &p->dest, m, n);
		free(m);
		return;
	}
	for (int i = 0; i < na; i++)
		for (unsigned j = 0; j < p->nports; j++)
			network_resolver_note_resolved(st, p->name, &addrs[i], p->ports[j]);
	network_resolver_elements(&cmd, AF_INET, addrs, na, p->ports, p->nports);
	network_resolver_elements(&cmd, AF_INET6, addrs, na, p->ports, p->nports);
	buf_append(&cmd, "", 1);
	/* the answer waits for nft: it owns the buffer now */
	network_resolver_nft_queue(st, (char *)cmd.data, m, n, &p->dest, q);
}

static void
network_resolver_query(struct network_state *st, const struct network_dest *d, const uint8_t *m, size_t n)
{
	struct dns_question q;
	struct network_pending *p = NULL;
	unsigned ports[NETWORK_PORTS], nports;
	uint16_t id;

	if (dns_parse_query(m, n, &q) < 0)
		return;
	nports = network_ports_for(st, q.name, ports);
	if (nports == 0) {
		network_resolver_deny(st, &q);
		network_resolver_error_reply(st, d, m, &q, DNS_RCODE_NXDOMAIN);
		return;
	}
	for (int i = 0; i < NETWORK_PENDING && p == NULL; i++)
		if (!st->pending[i].used)
			p = &st->pending[i];
	if (p == NULL) {
		network_resolver_error_reply(st, d, m, &q, DNS_RCODE_SERVFAIL);
		return;
	}
	if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
		id = (uint16_t)rand();
	*p = (struct network_pending){ .used = true, .up_id = id, .client_id = q.id, .dest = *d,
		.qtype = q.qtype, .nports = nports, .sent = uv_now(minod.loop) };
	memcpy(p->ports, ports, sizeof ports);
	snprintf(p->name, sizeof p->name, "%s", q.name);
	p->query = xmalloc(n);
	p->qlen = n;
	memcpy(p->query, m, n);
	dns_set_id(p->query, id);
	if ((d->tcp == NULL || network_tcp_ask(st, p) < 0) && network_resolver_forward(st, p) < 0) {
		network_resolver_pending_end(p);
		network_resolver_error_reply(st, d, m, &q, DNS_RCODE_SERVFAIL);
		return;
	}
	st->forwarded++;
}

static void
network_resolver_udp_cb(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *addr, unsigned flags)
{
	struct network_state *st = h->data;
	struct network_dest d = { 0 };

	(void)flags;
	if (n > 0 && addr != NULL && st->active) {
		memcpy(&d.from, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in));
		network_resolver_query(st, &d, (const uint8_t *)b->base, (size_t)n);
	}
	free(b->base);
}

static void
network_resolver_upstream_cb(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *addr, unsigned flags)
{
	struct network_state *st = h->data;
	struct dns_question q;
	struct network_pending *p = NULL;
	uint8_t *m = (uint8_t *)b->base;
	int rcode;

	(void)addr;
	(void)flags;
	if (n < 0)
		log_debug("network %s: upstream: %s", st->session, uv_strerror((int)n));
	if (n <= 0 || !st->active || dns_parse_response(m, (size_t)n, &q) < 0)
		goto out;
	log_debug("network %s: answer for %s (%zd bytes)", st->session, q.name, n);
	/* from a resolver that was asked (an earlier one may answer late) */
	for (int i = 0; i < NETWORK_PENDING && p == NULL; i++)
		if (st->pending[i].used && st->pending[i].up_id == q.id && strcmp(st->pending[i].name, q.name) == 0 &&
		    h - st->up <= (ptrdiff_t)st->pending[i].ns)
			p = &st->pending[i];
	if (p == NULL)
		goto out;
	/* SERVFAIL or REFUSED: the next resolver, as glibc does */
	rcode = m[3] & 0x0f;
	if ((rcode == DNS_RCODE_SERVFAIL || rcode == DNS_RCODE_REFUSED) && p->ns + 1 < st->nup) {
		p->ns++;
		if (network_resolver_forward(st, p) == 0)
			goto out;
	}
	network_resolver_answered(st, p, m, (size_t)n, &q);
	return;
out:
	free(b->base);
}

static void
network_resolver_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct network_tcp *t = s->data;
	size_t len;

	if (n < 0) {
		free(b->base);
		network_resolver_tcp_drop(t);
		return;
	}
	buf_append(&t->in, b->base, (size_t)n);
	free(b->base);
	while (t->in.len >= 2) {
		len = (size_t)((uint8_t)t->in.data[0] << 8 | (uint8_t)t->in.data[1]);
		if (len > DNS_MAX_MSG - 2) {
			network_resolver_tcp_drop(t);
			return;
		}
		if (t->in.len < len + 2)
			break;
		network_resolver_query(t->st, &(struct network_dest){ .tcp = t }, (const uint8_t *)t->in.data + 2, len);
		memmove(t->in.data, t->in.data + len + 2, t->in.len - len - 2);
		t->in.len -= len + 2;
	}
}

static void
network_resolver_tcp_conn(uv_stream_t *server, int status)
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
		uv_close((uv_handle_t *)&t->h, network_resolver_tcp_closed);
		return;
	}
	t->next = st->conns;
	st->conns = t;
	uv_read_start((uv_stream_t *)&t->h, network_resolver_alloc, network_resolver_tcp_read);
}

static void
network_resolver_timer_cb(uv_timer_t *h)
{
	struct network_state *st = h->data;
	uint64_t now = uv_now(minod.loop);

	for (int i = 0; i < NETWORK_PENDING; i++) {
		struct network_pending *p = &st->pending[i];

		if (!p->used)
			continue;
		if (now - p->sent > NETWORK_QUERY_MS) {
			network_resolver_pending_end(p); /* the client asks again */
		} else if (p->conn == NULL && now - p->asked >= NETWORK_NS_RETRY_MS && p->ns + 1 < st->nup) {
			p->ns++;
			if (network_resolver_forward(st, p) < 0)
				network_resolver_pending_end(p);
		}
	}
}

/* The loop takes the sockets and nft's pipes. */
int
network_resolver_activate(struct network_state *st, int fds[NETWORK_NFDS], int io[3], struct mino_error **err)
{
	int r;

	uv_udp_init(minod.loop, &st->udp);
	for (unsigned i = 0; i < st->nup; i++) {
		uv_udp_init(minod.loop, &st->up[i]);
		st->up[i].data = st;
	}
	uv_tcp_init(minod.loop, &st->tcp);
	uv_pipe_init(minod.loop, &st->nft_in, 0);
	uv_pipe_init(minod.loop, &st->nft_out, 0);
	uv_pipe_init(minod.loop, &st->nft_err, 0);
	uv_timer_init(minod.loop, &st->timer);
	uv_poll_init(minod.loop, &st->factory, st->factory_fd);
	st->factory.data = st;
	st->open += 7 + st->nup;
	st->active = true;
	st->udp.data = st->tcp.data = st;
	st->nft_in.data = st->nft_out.data = st->nft_err.data = st->timer.data = st;
	if ((r = uv_udp_open(&st->udp, fds[0])) < 0 || (r = uv_tcp_open(&st->tcp, fds[1])) < 0)
		goto fail;
	for (unsigned i = 0; i < st->nup; i++)
		if ((r = uv_udp_open(&st->up[i], fds[2 + i])) < 0 ||
		    (r = uv_udp_recv_start(&st->up[i], network_resolver_alloc, network_resolver_upstream_cb)) < 0)
			goto fail;
	if ((r = uv_pipe_open(&st->nft_in, io[0])) < 0 ||
	    (r = uv_pipe_open(&st->nft_out, io[1])) < 0 || (r = uv_pipe_open(&st->nft_err, io[2])) < 0 ||
	    (r = uv_udp_recv_start(&st->udp, network_resolver_alloc, network_resolver_udp_cb)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&st->tcp, 16, network_resolver_tcp_conn)) < 0 ||
	    (r = uv_read_start((uv_stream_t *)&st->nft_out, network_resolver_alloc, network_resolver_nft_out_cb)) < 0 ||
	    (r = uv_read_start((uv_stream_t *)&st->nft_err, network_resolver_alloc, network_resolver_nft_err_cb)) < 0 ||
	    (r = uv_timer_start(&st->timer, network_resolver_timer_cb, 1000, 1000)) < 0 ||
	    (r = uv_poll_start(&st->factory, UV_READABLE, network_tcp_factory_cb)) < 0)
		goto fail;
	return 0;
fail:
	return mino_make_error(err, MINO_E_INTERNAL, 0, "the resolver's handles: %s", uv_strerror(r));
}
