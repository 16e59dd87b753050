/* netrule.h: one egress allowlist rule, `host:port` (spec, "Network
 * Isolation"), parsed and checked in one place for the config validator,
 * the client's --network-allow and minod.
 *
 *   github.com:443            a name (matched at DNS query time)
 *   *.githubusercontent.com:443  any name below a domain (not the domain itself)
 *   10.1.2.3:8080             an IPv4 literal
 *   [fd00::1]:8080            an IPv6 literal (brackets required)
 * The last ':' splits host from port; port 1-65535. */
#ifndef MINO_NETRULE_H
#define MINO_NETRULE_H

#include <stdbool.h>
#include <netinet/in.h>

#include "error.h"

enum netrule_kind { NETRULE_NAME, NETRULE_WILDCARD, NETRULE_IPV4, NETRULE_IPV6 };

struct netrule {
	enum netrule_kind kind;
	char host[256];             /* lower case, no trailing dot; for WILDCARD the domain without "*." */
	unsigned port;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;                     /* for IPV4 / IPV6 */
};

/* 0, or -1 with one line naming the rule (code MINO_E_INVALID_ARGUMENT). */
int netrule_parse(const char *s, struct netrule *r, struct mino_error **err);
bool netrule_is_valid(const char *s);
/* The canonical text of a rule ("[fd00::1]:8080", "*.example.com:443"). */
char *netrule_format(const struct netrule *r);
/* Whether the DNS name `name` (any case, optional trailing dot) is one that
 * the rule allows. */
bool netrule_matches_name(const struct netrule *r, const char *name);

#endif
