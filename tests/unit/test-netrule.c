/* test-netrule.c: egress allowlist rules (common/netrule.c). */
#include <stdlib.h>
#include <string.h>

#include "netrule.h"
#include "tap.h"
#include "xalloc.h"

static void
parses(const char *s, enum netrule_kind kind, const char *host, unsigned port, const char *canon)
{
	struct netrule r;
	struct mino_error *err = NULL;
	char *f;

	if (netrule_parse(s, &r, &err) < 0) {
		tap_diag("%s: %s", s, err->msg);
		mino_error_release(&err);
		ok(0, "parses %s", s);
		return;
	}
	f = netrule_format(&r);
	ok(r.kind == kind && strcmp(r.host, host) == 0 && r.port == port && strcmp(f, canon) == 0,
	    "parses %s (%s)", s, f);
	free(f);
}

static void
refuses(const char *s, const char *why)
{
	struct netrule r;
	struct mino_error *err = NULL;
	int rc = netrule_parse(s, &r, &err);

	ok(rc == -1 && err != NULL && strstr(err->msg, why) != NULL && strstr(err->msg, "invalid network rule") != NULL,
	    "refuses `%s`: %s", s, err != NULL ? err->msg : "(accepted)");
	mino_error_release(&err);
}

int
main(void)
{
	struct netrule r;
	struct mino_error *err = NULL;

	parses("github.com:443", NETRULE_NAME, "github.com", 443, "github.com:443");
	parses("GitHub.COM.:22", NETRULE_NAME, "github.com", 22, "github.com:22");
	parses("allowed-srv:8080", NETRULE_NAME, "allowed-srv", 8080, "allowed-srv:8080");
	parses("*.githubusercontent.com:443", NETRULE_WILDCARD, "githubusercontent.com", 443,
	    "*.githubusercontent.com:443");
	parses("10.89.0.5:1", NETRULE_IPV4, "10.89.0.5", 1, "10.89.0.5:1");
	parses("[fd00:0::1]:65535", NETRULE_IPV6, "fd00::1", 65535, "[fd00::1]:65535");
	refuses("github.com", "expected host:port");
	refuses("github.com:0", "1 to 65535");
	refuses("github.com:65536", "1 to 65535");
	refuses("github.com:44x", "1 to 65535");
	refuses(":443", "host is empty");
	refuses("fd00::1:443", "brackets");
	refuses("[fd00::1:443", "brackets");
	refuses("[10.0.0.1]:443", "not an IPv6 address");
	refuses("*.com:443", "at least two labels");
	refuses("a.*.com:443", "only as the first label");
	refuses("*:443", "only as the first label");
	refuses("bad_host!:443", "not a host name");
	refuses("-x.com:443", "not a host name");
	refuses("1.2.3:443", "not a valid IPv4");
	refuses("a..b:443", "not a host name");
	ok(netrule_is_valid("a.b:1") && !netrule_is_valid("a.b"), "netrule_is_valid");

	ok(netrule_parse("*.example.com:443", &r, &err) == 0, "wildcard rule");
	ok(netrule_matches_name(&r, "a.example.com") && netrule_matches_name(&r, "x.y.EXAMPLE.com."),
	    "wildcard matches names below the domain");
	ok(!netrule_matches_name(&r, "example.com") && !netrule_matches_name(&r, "badexample.com") &&
	    !netrule_matches_name(&r, "example.com.evil.org"), "wildcard does not match the domain or look-alikes");
	ok(netrule_parse("allowed-srv:8080", &r, &err) == 0, "name rule");
	ok(netrule_matches_name(&r, "Allowed-Srv.") && !netrule_matches_name(&r, "allowed-srv2") &&
	    !netrule_matches_name(&r, "x.allowed-srv"), "name matches exactly");
	ok(netrule_parse("10.0.0.1:80", &r, &err) == 0 && !netrule_matches_name(&r, "10.0.0.1"),
	    "an address rule matches no name");
	return tap_done();
}
