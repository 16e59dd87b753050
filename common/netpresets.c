/* netpresets.c: the egress presets as data, and the package registries
 * from the user's configuration (netpresets.h). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "netpresets.h"
#include "netrule.h"
#include "strv.h"
#include "xalloc.h"

const char *const netpresets_names[] = { "dev", "registries", NULL };

/* The fixed rules.  "@registries" stands for the configured registries. */
static const char *const netpresets_dev[] = {
	"github.com:443", "github.com:22", "api.github.com:443",
	"@registries",
	"crates.io:443", "static.crates.io:443", "index.crates.io:443",
	"pypi.org:443", "files.pythonhosted.org:443",
	"api.anthropic.com:443", "api.openai.com:443",
	NULL,
};
static const char *const netpresets_registries[] = {
	"@registries",
	"crates.io:443", "static.crates.io:443", "index.crates.io:443",
	"pypi.org:443", "files.pythonhosted.org:443",
	NULL,
};

static const char *const *
netpresets_find(const char *name)
{
	if (strcmp(name, "dev") == 0)
		return netpresets_dev;
	if (strcmp(name, "registries") == 0)
		return netpresets_registries;
	return NULL;
}

/* "https://host[:port]/path" (or sparse+https://...) into "host:port". */
static char *
netpresets_url_rule(const char *url)
{
	const char *p = strstr(url, "://"), *end;
	unsigned port;
	struct netrule r;
	struct mino_error *err = NULL;
	char *rule;

	if (p == NULL)
		return NULL;
	/* "http://" without the s: 80; https and the rest: 443 */
	port = p - url >= 4 && strncmp(p - 4, "http", 4) == 0 ? 80 : 443;
	p += 3;
	end = p + strcspn(p, "/\"' \t\r\n");
	if (end == p || end - p > 255)
		return NULL;
	rule = memchr(p, ':', (size_t)(end - p)) != NULL ? xasprintf("%.*s", (int)(end - p), p) :
	    xasprintf("%.*s:%u", (int)(end - p), p, port);
	if (netrule_parse(rule, &r, &err) < 0) {
		mino_error_release(&err);
		free(rule);
		return NULL;
	}
	free(rule);
	return netrule_format(&r);
}

/* Appends `rule` (taken) unless it is there; false if it is NULL (not a rule). */
static bool
netpresets_add(char ***v, char *rule)
{
	size_t n = strv_len(*v);

	if (rule == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp((*v)[i], rule) == 0) {
			free(rule);
			return true;
		}
	*v = xreallocarray(*v, n + 2, sizeof **v);
	(*v)[n] = rule;
	(*v)[n + 1] = NULL;
	return true;
}

/* Every URL value of `key` (`key = URL` or `key=URL`, optionally quoted)
 * in the file `dir/name`; how many there were. */
static unsigned
netpresets_scan(const char *home, const char *name, const char *key, char ***v)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", home, name);
	char line[1024];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "re");
	unsigned found = 0;
	char *p;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		p = line + strspn(line, " \t");
		if (strncmp(p, key, klen) != 0)
			continue;
		p += klen;
		p += strspn(p, " \t");
		if (*p != '=')
			continue;
		p++;
		p += strspn(p, " \t\"'");
		found += netpresets_add(v, netpresets_url_rule(p));
	}
	fclose(f);
	return found;
}

/* npm's own default, used only when no npm configuration names a
 * registry (as npm itself does: `npm config get registry`). */
#define NETPRESETS_NPM_DEFAULT "registry.npmjs.org:443"

static void
netpresets_registries_from_config(char ***v)
{
	const char *home = getenv("HOME");
	const char *npm_envs[] = { "npm_config_registry", "NPM_CONFIG_REGISTRY" };
	bool home_ok = home != NULL && home[0] == '/';
	unsigned npm = 0;

	for (size_t i = 0; i < sizeof npm_envs / sizeof *npm_envs; i++)
		if (getenv(npm_envs[i]) != NULL)
			npm += netpresets_add(v, netpresets_url_rule(getenv(npm_envs[i])));
	if (home_ok)
		npm += netpresets_scan(home, ".npmrc", "registry", v);
	if (npm == 0)
		netpresets_add(v, xstrdup(NETPRESETS_NPM_DEFAULT));
	if (getenv("PIP_INDEX_URL") != NULL)
		netpresets_add(v, netpresets_url_rule(getenv("PIP_INDEX_URL")));
	if (!home_ok)
		return;
	netpresets_scan(home, ".config/pip/pip.conf", "index-url", v);
	netpresets_scan(home, ".pip/pip.conf", "index-url", v);
	netpresets_scan(home, ".cargo/config.toml", "index", v);
	netpresets_scan(home, ".cargo/config.toml", "registry", v);
}

int
netpresets_expand(const char *name, char ***out, struct mino_error **err)
{
	const char *const *list = netpresets_find(name);
	char **v = xcalloc(1, sizeof *v);

	*out = NULL;
	if (list == NULL) {
		free(v);
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "unknown network preset `%s` (dev or registries)", name);
	}
	for (; *list != NULL; list++) {
		if (strcmp(*list, "@registries") == 0)
			netpresets_registries_from_config(&v);
		else
			netpresets_add(&v, xstrdup(*list));
	}
	*out = v;
	return 0;
}

void
netpresets_render(struct buf *out)
{
	char **v = NULL;
	struct mino_error *err = NULL;

	for (size_t i = 0; netpresets_names[i] != NULL; i++) {
		if (netpresets_expand(netpresets_names[i], &v, &err) < 0) {
			mino_error_release(&err);
			continue;
		}
		buf_printf(out, "# network preset %s:", netpresets_names[i]);
		for (char **r = v; *r != NULL; r++)
			buf_printf(out, " %s", *r);
		buf_printf(out, "\n");
		strv_free(v);
	}
}
