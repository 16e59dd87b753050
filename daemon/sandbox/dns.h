/* dns.h: the DNS wire format, as much as the egress resolver needs
 * (RFC 1035): a query's question, NXDOMAIN / SERVFAIL answers to it, and
 * an answer's A/AAAA records with their TTLs clamped in place.
 * Pure functions; no state.  Owner: sandbox side (network.c). */
#ifndef MINOD_DNS_H
#define MINOD_DNS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MAX_MSG 4096
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED 5

struct dns_question {
	uint16_t id;
	uint16_t qtype;
	char name[256];     /* lower case, no trailing dot; "" for the root */
	size_t end;         /* offset just past the first question */
};

struct dns_addr {
	int family;         /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	uint32_t ttl;       /* clamped */
};

/* A query (QR = 0, one question): 0, or -1 if malformed. */
int dns_parse_query(const uint8_t *m, size_t n, struct dns_question *q);
/* A response's question (QR = 1): 0 or -1. */
int dns_parse_response(const uint8_t *m, size_t n, struct dns_question *q);
/* The answer with `rcode` to the query m (its header and question, no
 * records) into out (at least q->end bytes); returns its length. */
size_t dns_error_reply(const uint8_t *m, const struct dns_question *q, int rcode, uint8_t *out);
/* The A/AAAA records of the answer section (any owner: CNAME chains end
 * in them), at most `max`; every record's TTL is clamped to
 * [min_ttl, max_ttl] in m itself.  Returns the count, or -1 if malformed. */
int dns_answer_addrs(uint8_t *m, size_t n, uint32_t min_ttl, uint32_t max_ttl, struct dns_addr *out,
    size_t max);
/* The name of a query type for the audit log ("A", "AAAA", "TXT", or the number). */
const char *dns_type_name(uint16_t type, char buf[8]);
void dns_set_id(uint8_t *m, uint16_t id);

#endif
