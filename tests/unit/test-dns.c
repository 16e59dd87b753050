/* test-dns.c: the DNS wire format of the egress resolver (daemon/sandbox/dns.c). */
#include <arpa/inet.h>
#include <string.h>

#include "dns.h"
#include "tap.h"

static size_t
query(uint8_t *m, const char *name, uint16_t type)
{
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t n = 12;
	const char *p = name, *dot;

	memcpy(m, hdr, 12);
	while (*p != '\0') {
		dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		m[n++] = (uint8_t)l;
		memcpy(m + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	m[n++] = 0;
	m[n++] = (uint8_t)(type >> 8);
	m[n++] = (uint8_t)type;
	m[n++] = 0;
	m[n++] = 1;
	return n;
}

/* An answer record: a pointer to the question's name, then type, class, TTL, data. */
static size_t
record(uint8_t *m, size_t n, uint16_t type, uint32_t ttl, const void *data, uint16_t len)
{
	uint8_t rr[12] = { 0xc0, 12, (uint8_t)(type >> 8), (uint8_t)type, 0, 1,
		(uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8), (uint8_t)ttl,
		(uint8_t)(len >> 8), (uint8_t)len };

	memcpy(m + n, rr, 12);
	memcpy(m + n + 12, data, len);
	m[7]++;
	return n + 12 + len;
}

int
main(void)
{
	uint8_t m[DNS_MAX_MSG], out[DNS_MAX_MSG];
	struct dns_question q;
	struct dns_addr a[4];
	struct in_addr v4;
	struct in6_addr v6;
	size_t n, r;
	char tb[8];

	n = query(m, "Allowed-Srv.dns.podman", DNS_TYPE_A);
	ok(dns_parse_query(m, n, &q) == 0 && q.id == 0x1234 && q.qtype == DNS_TYPE_A &&
	    strcmp(q.name, "allowed-srv.dns.podman") == 0 && q.end == n, "query parsed, name lower-cased");
	ok(dns_parse_response(m, n, &q) == -1, "a query is not a response");
	ok(dns_parse_query(m, 11, &q) == -1 && dns_parse_query(m, n - 1, &q) == -1, "short queries refused");
	m[4] = 0;
	m[5] = 2;
	ok(dns_parse_query(m, n, &q) == -1, "two questions refused");
	m[5] = 1;
	m[13] = '.';
	ok(dns_parse_query(m, n, &q) == -1, "a dot inside a label refused");
	n = query(m, "denied-srv", DNS_TYPE_AAAA);
	ok(dns_parse_query(m, n, &q) == 0, "query");
	r = dns_error_reply(m, &q, DNS_RCODE_NXDOMAIN, out);
	ok(r == n && (out[2] & 0x80) && (out[2] & 0x01) && (out[3] & 0x0f) == DNS_RCODE_NXDOMAIN &&
	    out[0] == 0x12 && out[7] == 0 && out[5] == 1, "NXDOMAIN: QR, RD kept, rcode 3, question kept, no answers");
	ok(dns_parse_response(out, r, &q) == 0 && strcmp(q.name, "denied-srv") == 0, "the reply parses as a response");

	n = query(m, "allowed-srv", DNS_TYPE_A);
	m[2] |= 0x80;
	inet_pton(AF_INET, "10.231.7.2", &v4);
	inet_pton(AF_INET6, "fd7a::2", &v6);
	n = record(m, n, DNS_TYPE_A, 86400, &v4, 4);
	n = record(m, n, DNS_TYPE_AAAA, 5, &v6, 16);
	n = record(m, n, 16, 100, "\003txt", 4);
	ok(dns_answer_addrs(m, n, 30, 3600, a, 4) == 2, "two addresses");
	ok(a[0].family == AF_INET && memcmp(&a[0].a.v4, &v4, 4) == 0 && a[0].ttl == 3600, "A, TTL clamped down");
	ok(a[1].family == AF_INET6 && memcmp(&a[1].a.v6, &v6, 16) == 0 && a[1].ttl == 30, "AAAA, TTL clamped up");
	ok(m[n - 4 - 12 + 6] == 0 && m[n - 4 - 12 + 9] == 100, "a TTL inside the bounds is kept");
	ok(dns_answer_addrs(m, n, 30, 3600, a, 1) == 1, "at most max");
	ok(dns_answer_addrs(m, n - 1, 30, 3600, a, 4) == -1, "a truncated record is malformed");
	ok(strcmp(dns_type_name(28, tb), "AAAA") == 0 && strcmp(dns_type_name(999, tb), "999") == 0, "type names");
	return tap_done();
}
