/* test-netpresets.c: the egress presets (common/netpresets.c) against the
 * spec's table ("Network Isolation", "Presets"), as sets of host:port, and
 * the registries taken from the user's package-manager configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netpresets.h"
#include "strv.h"
#include "tap.h"
#include "xalloc.h"

/* The spec's table, host by host, port 443 unless it says otherwise;
 * <npm-registry-host> is npm's default registry when nothing configures one. */
static const char *const spec_dev[] = {
	"github.com:443", "github.com:22", "api.github.com:443", "registry.npmjs.org:443", "crates.io:443",
	"static.crates.io:443", "index.crates.io:443", "pypi.org:443", "files.pythonhosted.org:443",
	"api.anthropic.com:443", "api.openai.com:443", NULL,
};
static const char *const spec_registries[] = {
	"registry.npmjs.org:443", "crates.io:443", "static.crates.io:443", "index.crates.io:443", "pypi.org:443",
	"files.pythonhosted.org:443", NULL,
};

static bool
has(char *const *v, const char *rule)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, rule) == 0)
			return true;
	return false;
}

/* `name` expands to exactly `want` (as a set, no duplicates). */
static void
expands_to(const char *name, const char *const *want, const char *why)
{
	char **got = NULL;
	struct mino_error *err = NULL;
	bool same;
	size_t n = 0;

	if (netpresets_expand(name, &got, &err) < 0) {
		ok(0, "%s expands: %s", name, err->msg);
		mino_error_release(&err);
		return;
	}
	while (want[n] != NULL)
		n++;
	same = strv_len(got) == n;
	for (size_t i = 0; same && i < n; i++)
		same = has(got, want[i]);
	if (!same)
		for (char **r = got; *r != NULL; r++)
			tap_diag("%s has %s", name, *r);
	ok(same, "preset %s is the spec's list%s", name, why);
	strv_free(got);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		tap_diag("cannot write %s", path);
		exit(1);
	}
}

int
main(void)
{
	char home[] = "/tmp/test-netpresets-XXXXXX";
	char path[600];
	char **got = NULL;
	struct mino_error *err = NULL;
	const char *const mirror_dev[] = {
		"github.com:443", "github.com:22", "api.github.com:443", "npm.mirror.test:8443", "crates.io:443",
		"static.crates.io:443", "index.crates.io:443", "pypi.org:443", "files.pythonhosted.org:443",
		"api.anthropic.com:443", "api.openai.com:443", "pip.mirror.test:443", NULL,
	};

	if (mkdtemp(home) == NULL)
		return 1;
	setenv("HOME", home, 1);
	unsetenv("npm_config_registry");
	unsetenv("NPM_CONFIG_REGISTRY");
	unsetenv("PIP_INDEX_URL");
	expands_to("dev", spec_dev, " (no configuration: npm's default registry)");
	expands_to("registries", spec_registries, " (no configuration)");

	write_file(home, ".npmrc", "; a mirror\nregistry = \"https://npm.mirror.test:8443/\"\n");
	setenv("PIP_INDEX_URL", "https://pip.mirror.test/simple", 1);
	expands_to("dev", mirror_dev, " with the configured npm and pip mirrors instead");
	ok(netpresets_expand("registries", &got, &err) == 0 && has(got, "npm.mirror.test:8443") &&
	    !has(got, "registry.npmjs.org:443"), "a configured npm registry replaces npm's default");
	strv_free(got);
	got = NULL;

	unsetenv("PIP_INDEX_URL");
	setenv("npm_config_registry", "http://npm.env.test/", 1);
	ok(netpresets_expand("registries", &got, &err) == 0 && has(got, "npm.env.test:80") &&
	    has(got, "npm.mirror.test:8443") && !has(got, "registry.npmjs.org:443"),
	    "$npm_config_registry joins .npmrc's (http: port 80)");
	strv_free(got);
	got = NULL;

	ok(netpresets_expand("devx", &got, &err) == -1 && err != NULL && strstr(err->msg, "devx") != NULL,
	    "an unknown preset is an error naming it");
	mino_error_release(&err);
	snprintf(path, sizeof path, "%s/.npmrc", home);
	unlink(path);
	rmdir(home);
	return tap_done();
}
