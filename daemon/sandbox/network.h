/* network.h: the egress part's pieces, shared by its three files:
 *   network.c           the part (parts.h ops), its rules and session/network
 *   network-ns.c        processes in the container's network namespace
 *                       (mino-netns, `nft -e -i`) and its resolv.conf
 *   network-resolver.c  the resolver minod serves there from its loop, and
 *                       the nft process that applies what the answers allow
 *   network-tcp.c       its queries over TCP upstream
 * Internal to sandbox/network*.c. */
#ifndef MINOD_NETWORK_H
#define MINOD_NETWORK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <uv.h>

#include "buf.h"
#include "dns.h"
#include "error.h"
#include "netrule.h"
#include "parts.h"

#define NETWORK_MARK 0x6d696e6fu
#define NETWORK_TTL_MIN 30u
#define NETWORK_TTL_MAX 3600u
#define NETWORK_PENDING 64
#define NETWORK_PORTS 8
#define NETWORK_DENIALS 16
#define NETWORK_RESOLVED 64
#define NETWORK_TIMEOUT_MS 5000
#define NETWORK_QUERY_MS 5000
#define NETWORK_MAXNS 3           /* resolvers used, in resolv.conf's order (as glibc's MAXNS) */
#define NETWORK_NS_RETRY_MS 2000  /* then the query goes to the next resolver (glibc: 5 s) */
#define NETWORK_NFDS (2 + NETWORK_MAXNS)

struct network_tcp;
struct network_upconn;

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
	uint64_t sent;             /* first forwarded (uv_now ms) */
	uint64_t asked;            /* forwarded to resolver `ns` */
	unsigned ns;               /* the resolver it went to */
	struct network_upconn *conn;   /* asked over TCP (a TCP client's query), or NULL */
	uint8_t *query;            /* as forwarded (upstream id), for the next resolver */
	size_t qlen;
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

/* A TCP client's query, forwarded over TCP to its resolver: the socket
 * comes from mino-netns (made in the container's namespace, marked). */
struct network_upconn {
	uv_tcp_t h;
	uv_connect_t creq;
	uv_write_t wreq;
	uint8_t *out;                  /* the query with its length prefix */
	struct network_state *st;
	struct network_pending *p;     /* NULL once the query ended */
	struct buf in;
	bool opened;                   /* h is initialized (then closed, not freed) */
	struct network_upconn *next;   /* waiting for its socket */
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
	char upstream[NETWORK_MAXNS][INET6_ADDRSTRLEN];   /* the container's resolvers, in order */
	unsigned nup;
	bool active;                   /* the handles below are open */
	unsigned open;                 /* handles not yet closed */
	uv_udp_t udp, up[NETWORK_MAXNS];
	uv_tcp_t tcp;
	int factory_fd;                /* mino-netns's channel: TCP sockets on request; -1 */
	pid_t factory_pid;
	uv_poll_t factory;
	struct network_upconn *waiting, *waiting_tail;
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

/* nft -e echoes what a transaction added, but not every transaction's
 * "# new generation" line (a flush has none): each command ends by adding
 * (and removing) its own sequence number to the set `ack`, and the echo
 * of that element is its acknowledgement. */
#define NETWORK_ACK "; add element inet mino ack { %u }; delete element inet mino ack { %u }\n"

/* network.c */
unsigned network_ports_for(const struct network_state *st, const char *name, unsigned *ports);
void network_static_elements(const struct network_state *st, struct buf *b);

/* network-ns.c */
void network_ns_reap(pid_t pid, bool kill_it);
int network_ns_sockets(const struct network_state *st, int pid, int fds[NETWORK_NFDS], int *chan, pid_t *child,
    struct mino_error **err);
int network_ns_start_nft(struct network_state *st, int pid, int io[3], struct mino_error **err);
int network_ns_nft_line(const char *line, bool is_err, unsigned seq);
int network_ns_nft_sync(int io[3], const char *cmd, struct mino_error **err);
int network_ns_read_resolv(struct network_state *st, int pid, char **options, struct mino_error **err);
int network_ns_write_resolv(const struct network_state *st, int pid, const char *options, struct mino_error **err);

/* network-resolver.c */
int network_resolver_forward(struct network_state *st, struct network_pending *p);
void network_resolver_pending_end(struct network_pending *p);
void network_resolver_answered(struct network_state *st, struct network_pending *p, uint8_t *m, size_t n,
    struct dns_question *q);
void network_resolver_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);
void network_resolver_state_free(struct network_state *st);
void network_resolver_teardown(struct network_state *st);
void network_resolver_nft_queue(struct network_state *st, char *text, uint8_t *answer, size_t len,
    const struct network_dest *d, const struct dns_question *q);
int network_resolver_activate(struct network_state *st, int fds[NETWORK_NFDS], int io[3], struct mino_error **err);


/* network-tcp.c */
int network_tcp_ask(struct network_state *st, struct network_pending *p);
void network_tcp_close(struct network_upconn *c);
void network_tcp_factory_cb(uv_poll_t *h, int status, int events);

#endif
