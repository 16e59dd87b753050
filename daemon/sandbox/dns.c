/* dns.c: the DNS wire format for the egress resolver (dns.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"

static uint16_t
dns_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
dns_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
dns_set_id(uint8_t *m, uint16_t id)
{
	m[0] = (uint8_t)(id >> 8);
	m[1] = (uint8_t)id;
}

/* Skips a (possibly compressed) name at *off; -1 if it runs out. */
static int
dns_skip_name(const uint8_t *m, size_t n, size_t *off)
{
	size_t o = *off;

	for (;;) {
		if (o >= n)
			return -1;
		if ((m[o] & 0xc0) == 0xc0) {
			if (o + 2 > n)
				return -1;
			*off = o + 2;
			return 0;
		}
		if (m[o] & 0xc0)
			return -1;
		if (m[o] == 0) {
			*off = o + 1;
			return 0;
		}
		o += 1u + m[o];
	}
}

/* The question's name (uncompressed, as queries have it). */
static int
dns_read_qname(const uint8_t *m, size_t n, size_t *off, char *name)
{
	size_t o = *off, len = 0;

	for (;;) {
		if (o >= n || (m[o] & 0xc0))
			return -1;
		if (m[o] == 0)
			break;
		if (o + 1 + m[o] > n || len + m[o] + 1 > 254)
			return -1;
		if (len > 0)
			name[len++] = '.';
		for (size_t i = 0; i < m[o]; i++) {
			unsigned char c = m[o + 1 + i];

			if (c == '.' || c <= ' ' || c >= 0x7f)
				return -1; /* no name that could be spelled two ways */
			name[len++] = (char)tolower(c);
		}
		o += 1u + m[o];
	}
	name[len] = '\0';
	*off = o + 1;
	return 0;
}

static int
dns_parse(const uint8_t *m, size_t n, struct dns_question *q, int qr)
{
	size_t off = 12;

	if (n < 12 || n > DNS_MAX_MSG || ((m[2] >> 7) & 1) != qr || dns_u16(m + 4) != 1)
		return -1;
	if (((m[2] >> 3) & 0xf) != 0)
		return -1; /* QUERY only */
	q->id = dns_u16(m);
	if (dns_read_qname(m, n, &off, q->name) < 0 || off + 4 > n)
		return -1;
	q->qtype = dns_u16(m + off);
	q->end = off + 4;
	return 0;
}

int
dns_parse_query(const uint8_t *m, size_t n, struct dns_question *q)
{
	return dns_parse(m, n, q, 0);
}

int
dns_parse_response(const uint8_t *m, size_t n, struct dns_question *q)
{
	return dns_parse(m, n, q, 1);
}

size_t
dns_error_reply(const uint8_t *m, const struct dns_question *q, int rcode, uint8_t *out)
{
	memcpy(out, m, q->end);
	out[2] = (uint8_t)(0x80 | (m[2] & 0x01));  /* QR, QUERY, RD as asked */
	out[3] = (uint8_t)(0x80 | (rcode & 0xf));  /* RA */
	memset(out + 6, 0, 6);                      /* no records */
	return q->end;
}

int
dns_answer_addrs(uint8_t *m, size_t n, uint32_t min_ttl, uint32_t max_ttl, struct dns_addr *out,
    size_t max)
{
	size_t off = 12, count = 0;
	unsigned qd = dns_u16(m + 4), an = dns_u16(m + 6), ns = dns_u16(m + 8), ar = dns_u16(m + 10);
	uint16_t type, rdlen;
	uint32_t ttl;

	if (n < 12)
		return -1;
	for (unsigned i = 0; i < qd; i++) {
		if (dns_skip_name(m, n, &off) < 0 || off + 4 > n)
			return -1;
		off += 4;
	}
	for (unsigned i = 0; i < an + ns + ar; i++) {
		if (dns_skip_name(m, n, &off) < 0 || off + 10 > n)
			return -1;
		type = dns_u16(m + off);
		rdlen = dns_u16(m + off + 8);
		if (off + 10 + rdlen > n)
			return -1;
		if (type != 41) { /* OPT's TTL field is flags */
			ttl = dns_u32(m + off + 4);
			ttl = ttl < min_ttl ? min_ttl : ttl > max_ttl ? max_ttl : ttl;
			dns_put32(m + off + 4, ttl);
		}
		if (i < an && count < max && ((type == DNS_TYPE_A && rdlen == 4) ||
		    (type == DNS_TYPE_AAAA && rdlen == 16))) {
			out[count].family = type == DNS_TYPE_A ? AF_INET : AF_INET6;
			memcpy(type == DNS_TYPE_A ? (void *)&out[count].a.v4 : (void *)&out[count].a.v6,
			    m + off + 10, rdlen);
			out[count].ttl = dns_u32(m + off + 4);
			count++;
		}
		off += 10u + rdlen;
	}
	return (int)count;
}

const char *
dns_type_name(uint16_t type, char buf[8])
{
	static const struct { uint16_t t; const char *n; } names[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 15, "MX" },
		{ 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" }, { 65, "HTTPS" }, { 255, "ANY" },
	};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (names[i].t == type)
			return names[i].n;
	snprintf(buf, 8, "%u", type);
	return buf;
}
