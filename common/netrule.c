/* netrule.c: egress allowlist rules (netrule.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "error.h"
#include "netrule.h"
#include "xalloc.h"

static int
netrule_fail(struct mino_error **err, const char *s, const char *why)
{
	_cleanup_free_ char *shown = log_sanitize(s, strlen(s) > 300 ? 300 : strlen(s));

	return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "invalid network rule `%s`: %s", shown, why);
}

/* A DNS name: labels of [A-Za-z0-9-] (1-63, not starting or ending with
 * '-'; '_' allowed for service names), at most 253 bytes. */
static bool
netrule_name_ok(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
		label++;
	}
	return true;
}

static int
netrule_port(const char *s, unsigned *port)
{
	char *end;
	long p;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	p = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || p < 1 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}

static void
netrule_lower(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[len] = '\0';
}

int
netrule_parse(const char *s, struct netrule *r, struct mino_error **err)
{
	const char *colon = strrchr(s, ':');
	char tmp[256];
	size_t hlen;

	memset(r, 0, sizeof *r);
	if (colon == NULL)
		return netrule_fail(err, s, "expected host:port");
	if (netrule_port(colon + 1, &r->port) < 0)
		return netrule_fail(err, s, "the port must be a number from 1 to 65535");
	hlen = (size_t)(colon - s);
	if (hlen == 0)
		return netrule_fail(err, s, "the host is empty");
	if (s[0] == '[') {
		if (s[hlen - 1] != ']' || hlen < 3 || hlen - 2 >= sizeof tmp)
			return netrule_fail(err, s, "an IPv6 address goes in brackets: [addr]:port");
		memcpy(tmp, s + 1, hlen - 2);
		tmp[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, &r->addr.v6) != 1)
			return netrule_fail(err, s, "not an IPv6 address in the brackets");
		r->kind = NETRULE_IPV6;
		inet_ntop(AF_INET6, &r->addr.v6, r->host, sizeof r->host);
		return 0;
	}
	if (memchr(s, ':', hlen) != NULL)
		return netrule_fail(err, s, "an IPv6 address goes in brackets: [addr]:port");
	if (hlen >= sizeof tmp)
		return netrule_fail(err, s, "the host name is too long");
	memcpy(tmp, s, hlen);
	tmp[hlen] = '\0';
	if (inet_pton(AF_INET, tmp, &r->addr.v4) == 1) {
		r->kind = NETRULE_IPV4;
		inet_ntop(AF_INET, &r->addr.v4, r->host, sizeof r->host);
		return 0;
	}
	if (hlen > 2 && tmp[0] == '*' && tmp[1] == '.') {
		if (!netrule_name_ok(tmp + 2, hlen - 2) || strchr(tmp + 2, '.') == NULL)
			return netrule_fail(err, s, "a wildcard is *.domain with a domain of at least two labels");
		r->kind = NETRULE_WILDCARD;
		netrule_lower(r->host, tmp + 2, hlen - 2);
		return 0;
	}
	if (strchr(tmp, '*') != NULL)
		return netrule_fail(err, s, "`*` only as the first label: *.domain:port");
	if (tmp[hlen - 1] == '.')
		tmp[--hlen] = '\0';
	if (!netrule_name_ok(tmp, hlen))
		return netrule_fail(err, s, "not a host name or IP address");
	/* all digits and dots but not an address: 1.2.3 */
	if (strspn(tmp, "0123456789.") == hlen)
		return netrule_fail(err, s, "not a valid IPv4 address");
	r->kind = NETRULE_NAME;
	netrule_lower(r->host, tmp, hlen);
	return 0;
}

bool
netrule_is_valid(const char *s)
{
	struct netrule r;
	struct mino_error *err = NULL;

	if (netrule_parse(s, &r, &err) == 0)
		return true;
	mino_error_release(&err);
	return false;
}

char *
netrule_format(const struct netrule *r)
{
	switch (r->kind) {
	case NETRULE_IPV6:
		return xasprintf("[%s]:%u", r->host, r->port);
	case NETRULE_WILDCARD:
		return xasprintf("*.%s:%u", r->host, r->port);
	default:
		return xasprintf("%s:%u", r->host, r->port);
	}
}

bool
netrule_matches_name(const struct netrule *r, const char *name)
{
	size_t n = strlen(name), h = strlen(r->host);

	if (n > 0 && name[n - 1] == '.')
		n--;
	switch (r->kind) {
	case NETRULE_NAME:
		return n == h && strncasecmp(name, r->host, n) == 0;
	case NETRULE_WILDCARD:
		return n > h + 1 && name[n - h - 1] == '.' && strncasecmp(name + n - h, r->host, h) == 0;
	default:
		return false;
	}
}
