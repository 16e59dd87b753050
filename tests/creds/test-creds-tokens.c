/* test-creds-tokens.c: azure.c against the local fake Entra ID token
 * endpoint (fake_azure.py) and the az fallback; github.c's sources.
 * Run by run.py. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "azure.h"
#include "buf.h"
#include "creds-cache.h"
#include "github.h"
#include "http.h"
#include "log.h"
#include "tap.h"
#include "xalloc.h"

#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define CLIENT_ID "00000000-1111-2222-3333-444444444444"
#define CLIENT_SECRET "fake~azure~client~secret~0001"

static uv_loop_t *loop;
static struct http_client *http;
static const char *tmp, *azure_url, *azure_log;
static char *secrets[64];
static size_t nsecrets;

struct az_result {
	bool done, sync_error, from_cache;
	struct azure_token t;
	char *err;
};

struct gh_result {
	bool done, sync_error, got;
	struct github_token t;
	char *err;
};

static void
track(const char *s)
{
	if (s != NULL && nsecrets < sizeof secrets / sizeof secrets[0])
		secrets[nsecrets++] = xstrdup(s);
}

static void
az_done(struct azure_mint *m, struct azure_token *t, const struct mino_error *err, void *data)
{
	struct az_result *r = data;

	r->done = true;
	r->from_cache = azure_mint_from_cache(m);
	if (t != NULL) {
		azure_token_move(&r->t, t);
		track(r->t.access_token);
	}
	if (err != NULL)
		r->err = xstrdup(err->msg);
}

static void
az_mint(struct azure_mint_opts *o, struct az_result *r)
{
	struct mino_error *err = NULL;

	memset(r, 0, sizeof *r);
	o->loop = loop;
	o->http = http;
	o->on_done = az_done;
	o->data = r;
	if (azure_mint_start(o, &err) == NULL) {
		r->done = r->sync_error = true;
		r->err = xstrdup(err->msg);
		mino_error_release(&err);
	}
	while (!r->done)
		uv_run(loop, UV_RUN_ONCE);
	if (r->err != NULL)
		tap_diag("azure error: %s", r->err);
}

static void
az_clear(struct az_result *r)
{
	azure_token_clear(&r->t);
	free(r->err);
	memset(r, 0, sizeof *r);
}

static void
gh_done(struct github_lookup *l, struct github_token *t, const struct mino_error *err, void *data)
{
	struct gh_result *r = data;

	r->done = true;
	if (t != NULL) {
		r->got = true;
		github_token_move(&r->t, t);
	}
	if (err != NULL)
		r->err = xstrdup(err->msg);
}

static void
gh_lookup(struct github_lookup_opts *o, struct gh_result *r)
{
	struct mino_error *err = NULL;

	memset(r, 0, sizeof *r);
	o->loop = loop;
	o->on_done = gh_done;
	o->data = r;
	if (github_lookup_start(o, &err) == NULL) {
		r->done = r->sync_error = true;
		r->err = xstrdup(err->msg);
		mino_error_release(&err);
	}
	while (!r->done)
		uv_run(loop, UV_RUN_ONCE);
}

static void
gh_clear(struct gh_result *r)
{
	github_token_clear(&r->t);
	free(r->err);
	memset(r, 0, sizeof *r);
}

static size_t
log_lines(void)
{
	FILE *f = fopen(azure_log, "r");
	size_t n = 0;
	int ch;

	if (f == NULL)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static json_t *
log_entry(size_t index)
{
	FILE *f = fopen(azure_log, "r");
	char line[8192];
	size_t n = 0;
	json_t *j = NULL;

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof line, f) != NULL)
		if (n++ == index) {
			j = json_loads(line, 0, NULL);
			break;
		}
	fclose(f);
	return j;
}

static const char *
jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s != NULL ? s : "(none)";
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return xstrdup("");
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b, NULL);
}

static void
write_exec(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		fatal("write %s", path);
}

static bool
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static void
test_azure_service_principal(void)
{
	_cleanup_free_ char *auth = xasprintf("AZURE_AUTHORITY_HOST=%s", azure_url);
	const char *env[] = { auth, "AZURE_CLIENT_ID=" CLIENT_ID, "AZURE_CLIENT_SECRET=" CLIENT_SECRET,
		"AZURE_TENANT_ID=" TENANT, NULL };
	const char *env_bad[] = { auth, "AZURE_CLIENT_ID=" CLIENT_ID, "AZURE_CLIENT_SECRET=wrong-secret",
		"AZURE_TENANT_ID=" TENANT, NULL };
	struct creds_cache *cache = creds_cache_new();
	struct azure_mint_opts o = { .env = env, .cache = cache, .subscription = "sub-1" };
	struct az_result r, r2;
	size_t before = log_lines();
	time_t now = time(NULL);
	json_t *j;

	az_mint(&o, &r);
	ok(r.err == NULL && contains(r.t.access_token, ".fake-"), "azure: the client-credentials grant gives a token");
	ok(r.t.expiration >= now + 3590 && r.t.expiration <= now + 3605, "azure: expires_in gives the expiry");
	is_str(r.t.tenant, TENANT, "azure: tenant");
	is_str(r.t.subscription, "sub-1", "azure: credentials.azure.subscription is carried");
	j = log_entry(before);
	is_str(jstr(j, "grant"), "client_credentials", "azure: grant_type=client_credentials");
	is_str(jstr(j, "tenant"), TENANT, "azure: the tenant is in the token path");
	is_str(jstr(j, "scope"), "https://management.azure.com/.default", "azure: the default scope");
	json_decref(j);
	az_mint(&o, &r2);
	ok(r2.from_cache && strcmp(r2.t.access_token, r.t.access_token) == 0 && log_lines() == before + 1,
	    "azure: the same identity comes from the cache");
	az_clear(&r2);
	o.tenant = "contoso.onmicrosoft.com";
	az_mint(&o, &r2);
	ok(!r2.from_cache && contains(r2.err, "AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found."),
	    "azure: credentials.azure.tenant wins over AZURE_TENANT_ID (and is a new identity)");
	az_clear(&r2);
	az_clear(&r);
	o.tenant = NULL;
	o.env = env_bad;
	o.cache = NULL;
	az_mint(&o, &r);
	ok(contains(r.err, "token endpoint: invalid_client: AADSTS7000215: Invalid client secret provided.")
	    && contains(r.err, "(HTTP 401)") && strpbrk(r.err, "\r\n") == NULL, "azure: a bad secret, in one line");
	az_clear(&r);
	creds_cache_free(cache);
}

static void
test_azure_cli(void)
{
	_cleanup_free_ char *bin = xasprintf("%s/azbin", tmp);
	_cleanup_free_ char *az = xasprintf("%s/az", bin);
	_cleanup_free_ char *args = xasprintf("%s/az.args", tmp);
	_cleanup_free_ char *local = xasprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done > %s\n"
	    "printf '{\"accessToken\": \"az-cli-token-0001\", \"expiresOn\": \"2030-06-01 12:00:00.000000\", "
	    "\"subscription\": \"sub-from-az\", \"tenant\": \"tenant-from-az\", \"tokenType\": \"Bearer\"}\\n'\n", args);
	_cleanup_free_ char *epoch = xasprintf("#!/bin/sh\nprintf '{\"accessToken\": \"az-cli-token-0002\", "
	    "\"expiresOn\": \"2030-06-01 12:00:00.000000\", \"expires_on\": 1906563600, \"tokenType\": \"Bearer\"}\\n'\n");
	_cleanup_free_ char *pe = xasprintf("PATH=%s:/usr/bin:/bin", bin);
	const char *env[] = { pe, NULL };
	struct azure_mint_opts o = { .env = env };
	struct az_result r;
	_cleanup_free_ char *got = NULL;

	mkdir(bin, 0700);
	write_exec(az, local);
	az_mint(&o, &r);
	is_str(r.t.access_token, "az-cli-token-0001", "az fallback: its token");
	is_int(r.t.expiration, 1906560000, "az fallback: zone-less expiresOn is local time (TZ=EST5EDT: 12:00 EDT = 16:00Z)");
	is_str(r.t.subscription, "sub-from-az", "az fallback: its subscription");
	got = read_text(args);
	is_str(got, "account\nget-access-token\n--output\njson\n", "az fallback: `az account get-access-token --output json`");
	az_clear(&r);
	free(got);
	o.subscription = "sub-9";
	az_mint(&o, &r);
	got = read_text(args);
	is_str(got, "account\nget-access-token\n--output\njson\n--subscription\nsub-9\n", "az fallback: --subscription");
	is_str(r.t.subscription, "sub-9", "az fallback: the configured subscription wins");
	az_clear(&r);
	write_exec(az, epoch);
	az_mint(&o, &r);
	is_int(r.t.expiration, 1906563600, "az fallback: expires_on (epoch) wins over expiresOn");
	az_clear(&r);
	o.env = (const char *[]){ "PATH=/nonexistent", NULL };
	az_mint(&o, &r);
	ok(r.sync_error && contains(r.err, "no Azure credentials") && contains(r.err, "no az on PATH"),
	    "azure: no service principal and no az: one clear line");
	az_clear(&r);
}

static void
test_github(void)
{
	_cleanup_free_ char *bin = xasprintf("%s/ghbin", tmp);
	_cleanup_free_ char *gh = xasprintf("%s/gh", bin);
	_cleanup_free_ char *args = xasprintf("%s/gh.args", tmp);
	_cleanup_free_ char *script = xasprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done > %s\n"
	    "echo gho_fakeTokenFromGh0001\n", args);
	_cleanup_free_ char *pe = xasprintf("PATH=%s:/usr/bin:/bin", bin);
	struct github_lookup_opts o = { .env = (const char *[]){ "GH_TOKEN=ghp_fromGhToken", "GITHUB_TOKEN=ghp_fromGithubToken", NULL } };
	struct gh_result r;
	_cleanup_free_ char *got = NULL;

	mkdir(bin, 0700);
	write_exec(gh, script);
	gh_lookup(&o, &r);
	ok(r.got && strcmp(r.t.token, "ghp_fromGhToken") == 0 && strcmp(r.t.source, "GH_TOKEN") == 0,
	    "github: GH_TOKEN first");
	gh_clear(&r);
	o.env = (const char *[]){ "GITHUB_TOKEN=ghp_fromGithubToken", pe, NULL };
	gh_lookup(&o, &r);
	ok(r.got && strcmp(r.t.token, "ghp_fromGithubToken") == 0 && strcmp(r.t.source, "GITHUB_TOKEN") == 0,
	    "github: then GITHUB_TOKEN (gh not asked)");
	gh_clear(&r);
	o.env = (const char *[]){ pe, NULL };
	o.host = "ghe.example.com";
	gh_lookup(&o, &r);
	ok(r.got && strcmp(r.t.token, "gho_fakeTokenFromGh0001") == 0 && strcmp(r.t.host, "ghe.example.com") == 0,
	    "github: then `gh auth token`");
	got = read_text(args);
	is_str(got, "auth\ntoken\n--hostname\nghe.example.com\n", "github: gh auth token --hostname <credentials.github.host>");
	gh_clear(&r);
	write_exec(gh, "#!/bin/sh\necho 'no oauth token found for ghe.example.com' >&2\nexit 1\n");
	gh_lookup(&o, &r);
	ok(r.done && !r.got && r.err == NULL, "github: gh not logged in is no source, not an error");
	gh_clear(&r);
	o.env = (const char *[]){ "PATH=/nonexistent", NULL };
	gh_lookup(&o, &r);
	ok(r.done && !r.got && r.err == NULL, "github: no token and no gh is silent");
	gh_clear(&r);
	o.host = "-x";
	gh_lookup(&o, &r);
	ok(r.sync_error && contains(r.err, "credentials.github.host is not a host name"), "github: a bad host is refused");
	gh_clear(&r);
}

static void
closed_cb(void *data)
{
	*(bool *)data = true;
}

int
main(void)
{
	_cleanup_free_ char *logpath = NULL;
	_cleanup_free_ char *text = NULL;
	struct mino_error *err = NULL;
	bool closed = false;
	size_t leaked = 0;
	int fd, saved;

	tmp = getenv("CREDS_TMP");
	azure_url = getenv("FAKE_AZURE_URL");
	azure_log = getenv("FAKE_AZURE_LOG");
	if (tmp == NULL || azure_url == NULL) {
		fprintf(stderr, "run me through tests/creds/run.py\n");
		return 2;
	}
	setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
	tzset();
	logpath = xasprintf("%s/minod-tokens.log", tmp);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, 2) < 0)
		return 2;
	close(fd);
	log_init("minod", true, true);
	loop = uv_default_loop();
	http = http_client_new(loop, &err);
	ok(http != NULL, "http client");

	test_azure_service_principal();
	test_azure_cli();
	test_github();

	http_client_close(http, closed_cb, &closed);
	uv_run(loop, UV_RUN_DEFAULT);
	ok(closed, "http client closed");
	is_int(uv_loop_close(loop), 0, "the loop closes: no handle leaked");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	text = read_text(logpath);
	track(CLIENT_SECRET);
	for (size_t i = 0; i < nsecrets; i++)
		if (strstr(text, secrets[i]) != NULL)
			leaked++;
	ok(strstr(text, "azure: ") != NULL && nsecrets >= 4 && leaked == 0,
	    "log: debug on, none of %zu secrets and tokens in it", nsecrets);
	for (size_t i = 0; i < nsecrets; i++)
		free(secrets[i]);
	return tap_done();
}
