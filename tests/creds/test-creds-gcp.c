/* test-creds-gcp.c: gcp.c on a real libuv loop against the local fake
 * OAuth / IAM Credentials server (fake_gcp.py, which verifies each JWT
 * with PyJWT).  Run by run.py. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <uv.h>

#include "buf.h"
#include "creds-cache.h"
#include "gcp.h"
#include "http.h"
#include "log.h"
#include "tap.h"
#include "xalloc.h"

#define CLIENT_ID "fake-client.apps.googleusercontent.com"
#define CLIENT_SECRET "fake-client-secret-0001"
#define REFRESH_TOKEN "1//fake-refresh-token-0001"
#define SA_EMAIL "runner@fake-project.iam.gserviceaccount.com"
#define SA_KID "0123456789abcdef0123456789abcdef01234567"

static uv_loop_t *loop;
static struct http_client *http;
static const char *tmp, *gcp_url, *gcp_log;
static char *sa_pem;
static char *secrets[128];
static size_t nsecrets;

struct result {
	bool done, sync_error, from_cache;
	struct gcp_token t;
	char *err;
};

static void
track(const char *s)
{
	if (s != NULL && nsecrets < sizeof secrets / sizeof secrets[0])
		secrets[nsecrets++] = xstrdup(s);
}

static void
result_clear(struct result *r)
{
	gcp_token_clear(&r->t);
	free(r->err);
	memset(r, 0, sizeof *r);
}

static void
done_cb(struct gcp_mint *m, struct gcp_token *t, const struct mino_error *err, void *data)
{
	struct result *r = data;

	r->done = true;
	r->from_cache = gcp_mint_from_cache(m);
	if (t != NULL) {
		gcp_token_move(&r->t, t);
		track(r->t.access_token);
	}
	if (err != NULL)
		r->err = xstrdup(err->msg);
}

static void
mint(struct gcp_mint_opts *o, struct result *r)
{
	struct mino_error *err = NULL;

	memset(r, 0, sizeof *r);
	o->loop = loop;
	o->http = http;
	o->on_done = done_cb;
	o->data = r;
	if (gcp_mint_start(o, &err) == NULL) {
		r->done = r->sync_error = true;
		r->err = xstrdup(err->msg);
		mino_error_release(&err);
	}
	while (!r->done)
		uv_run(loop, UV_RUN_ONCE);
	if (r->err != NULL)
		tap_diag("mint error: %s", r->err);
}

static size_t
log_lines(void)
{
	FILE *f = fopen(gcp_log, "r");
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
	FILE *f = fopen(gcp_log, "r");
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

static char *
write_json(const char *name, json_t *j)
{
	char *path = xasprintf("%s/%s", tmp, name);

	if (json_dump_file(j, path, 0) != 0)
		fatal("write %s", path);
	chmod(path, 0600);
	json_decref(j);
	return path;
}

static bool
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static char *
user_file(const char *name, const char *refresh)
{
	_cleanup_free_ char *uri = xasprintf("%s/token", gcp_url);

	return write_json(name, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "authorized_user",
	    "client_id", CLIENT_ID, "client_secret", CLIENT_SECRET, "refresh_token", refresh,
	    "quota_project_id", "quota-proj", "token_uri", uri));
}

static char *
sa_file(const char *name, const char *pem)
{
	_cleanup_free_ char *uri = xasprintf("%s/token", gcp_url);

	return write_json(name, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account",
	    "project_id", "fake-project", "private_key_id", SA_KID, "private_key", pem,
	    "client_email", SA_EMAIL, "token_uri", uri));
}

static char *
other_rsa_pem(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	char *pem;

	if (k == NULL || b == NULL || PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1)
		fatal("EVP_RSA_gen");
	n = BIO_get_mem_data(b, &data);
	pem = xstrndup(data, (size_t)n);
	BIO_free(b);
	EVP_PKEY_free(k);
	return pem;
}

static void
test_authorized_user(void)
{
	_cleanup_free_ char *path = user_file("user.json", REFRESH_TOKEN);
	_cleanup_free_ char *bad = user_file("user-bad.json", "1//revoked");
	_cleanup_free_ char *gac = xasprintf("GOOGLE_APPLICATION_CREDENTIALS=%s", path);
	_cleanup_free_ char *gac_bad = xasprintf("GOOGLE_APPLICATION_CREDENTIALS=%s", bad);
	const char *env[] = { gac, NULL };
	struct gcp_mint_opts o = { .env = env };
	struct result r;
	size_t before = log_lines();
	time_t now = time(NULL);
	json_t *j;

	mint(&o, &r);
	ok(r.err == NULL && contains(r.t.access_token, "ya29.fake-"), "authorized_user: the refresh grant gives a token");
	ok(r.t.expiration >= now + 3590 && r.t.expiration <= now + 3605, "authorized_user: expires_in gives the expiry");
	is_str(r.t.account, "user", "authorized_user: account is the user");
	is_str(r.t.project, "quota-proj", "authorized_user: the file's quota_project_id");
	j = log_entry(before);
	is_str(jstr(j, "grant"), "refresh_token", "authorized_user: grant_type=refresh_token");
	is_str(jstr(j, "client_id"), CLIENT_ID, "authorized_user: client id and secret accepted");
	is_str(jstr(j, "issued"), r.t.access_token, "authorized_user: the token is what the endpoint issued");
	json_decref(j);
	result_clear(&r);

	o.env = (const char *[]){ gac_bad, NULL };
	mint(&o, &r);
	ok(contains(r.err, "token endpoint: invalid_grant: Token has been expired or revoked. (HTTP 400)")
	    && strchr(r.err, '\n') == NULL, "a revoked refresh token: the OAuth error in one line");
	result_clear(&r);
}

static void
test_service_account(void)
{
	_cleanup_free_ char *path = sa_file("sa.json", sa_pem);
	_cleanup_free_ char *other = other_rsa_pem();
	_cleanup_free_ char *bad = sa_file("sa-other.json", other);
	_cleanup_free_ char *gac = xasprintf("GOOGLE_APPLICATION_CREDENTIALS=%s", path);
	_cleanup_free_ char *gac_bad = xasprintf("GOOGLE_APPLICATION_CREDENTIALS=%s", bad);
	const char *env[] = { gac, NULL };
	struct gcp_mint_opts o = { .env = env, .project = "my-project" };
	struct result r;
	size_t before = log_lines();
	json_t *j;

	mint(&o, &r);
	ok(r.err == NULL && contains(r.t.access_token, "ya29.fake-"), "service_account: the JWT bearer grant gives a token");
	j = log_entry(before);
	ok(json_is_true(json_object_get(j, "verified")), "service_account: PyJWT verified our RS256 assertion");
	is_str(jstr(j, "iss"), SA_EMAIL, "service_account: iss is client_email");
	json_decref(j);
	is_str(r.t.account, SA_EMAIL, "service_account: account is client_email");
	is_str(r.t.project, "my-project", "service_account: credentials.gcp.project wins over project_id");
	result_clear(&r);

	o.env = (const char *[]){ gac_bad, NULL };
	mint(&o, &r);
	ok(contains(r.err, "token endpoint: invalid_grant: Invalid JWT: Signature verification failed"),
	    "service_account signed with another key: rejected, reported");
	result_clear(&r);
}

static void
test_impersonation(void)
{
	_cleanup_free_ char *path = user_file("user-imp.json", REFRESH_TOKEN);
	_cleanup_free_ char *gac = xasprintf("GOOGLE_APPLICATION_CREDENTIALS=%s", path);
	_cleanup_free_ char *iam = xasprintf("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS=%s/", gcp_url);
	const char *env[] = { gac, iam, NULL };
	struct gcp_mint_opts o = { .env = env, .service_account = "target@proj.iam.gserviceaccount.com", .lifetime_secs = 1800 };
	struct result r;
	size_t before = log_lines();
	time_t now = time(NULL);
	json_t *j1, *j2;

	mint(&o, &r);
	ok(r.err == NULL && contains(r.t.access_token, "ya29.imp-"), "impersonation: generateAccessToken gives the token");
	ok(r.t.expiration >= now + 1790 && r.t.expiration <= now + 1805, "impersonation: expireTime (with fraction) parsed");
	is_str(r.t.account, "target@proj.iam.gserviceaccount.com", "impersonation: account is the impersonated one");
	is_int(log_lines(), before + 2, "impersonation: token grant, then generateAccessToken");
	j1 = log_entry(before);
	j2 = log_entry(before + 1);
	is_str(jstr(j2, "bearer"), jstr(j1, "issued"), "impersonation: called with the source token as Bearer");
	is_str(jstr(j2, "lifetime"), "1800s", "impersonation: lifetime");
	is_str(jstr(j2, "sa"), "target@proj.iam.gserviceaccount.com", "impersonation: the service account in the path");
	json_decref(j1);
	json_decref(j2);
	result_clear(&r);

	o.service_account = "denied@proj.iam.gserviceaccount.com";
	mint(&o, &r);
	ok(contains(r.err, "IAM generateAccessToken for denied@proj.iam.gserviceaccount.com: PERMISSION_DENIED: Permission")
	    && contains(r.err, "(HTTP 403)"), "impersonation denied: status and message in one line");
	result_clear(&r);
}

static void
test_default_path_and_cache(void)
{
	_cleanup_free_ char *home = xasprintf("%s/gcp-home", tmp);
	_cleanup_free_ char *d1 = xasprintf("%s/.config", home);
	_cleanup_free_ char *d2 = xasprintf("%s/.config/gcloud", home);
	_cleanup_free_ char *src = user_file("adc.json", REFRESH_TOKEN);
	_cleanup_free_ char *adc = xasprintf("%s/application_default_credentials.json", d2);
	_cleanup_free_ char *he = xasprintf("HOME=%s", home);
	_cleanup_free_ char *iam = xasprintf("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS=%s", gcp_url);
	_cleanup_free_ char *bad = user_file("adc-other.json", "1//another-login");
	_cleanup_free_ char *gac_bad = xasprintf("GOOGLE_APPLICATION_CREDENTIALS=%s", bad);
	const char *env[] = { he, iam, NULL };
	struct creds_cache *cache = creds_cache_new();
	struct gcp_mint_opts o = { .env = env, .cache = cache };
	struct result r1, r2, r3;
	size_t before;

	mkdir(home, 0700);
	mkdir(d1, 0700);
	mkdir(d2, 0700);
	if (rename(src, adc) < 0)
		fatal("rename: %s", strerror(errno));
	before = log_lines();
	mint(&o, &r1);
	ok(r1.err == NULL, "default ADC path under HOME/.config/gcloud is read");
	mint(&o, &r2);
	ok(r2.from_cache && r2.t.access_token != NULL && r1.t.access_token != NULL
	    && strcmp(r2.t.access_token, r1.t.access_token) == 0, "cache: the same identity reuses the token");
	is_int(log_lines(), before + 1, "cache: one call for two mints");
	o.service_account = "target@proj.iam.gserviceaccount.com";
	mint(&o, &r3);
	ok(r3.err == NULL && !r3.from_cache && strcmp(r3.t.access_token, r1.t.access_token) != 0,
	    "cache: impersonating another account mints anew");
	result_clear(&r3);
	o.service_account = NULL;
	o.env = (const char *[]){ gac_bad, NULL };
	mint(&o, &r3);
	ok(!r3.from_cache && contains(r3.err, "invalid_grant"), "cache: another login (refresh token) is not served the cached token");
	result_clear(&r1);
	result_clear(&r2);
	result_clear(&r3);
	creds_cache_free(cache);
}

static void
test_gcloud_fallback(void)
{
	_cleanup_free_ char *bin = xasprintf("%s/gbin", tmp);
	_cleanup_free_ char *gcloud = xasprintf("%s/gcloud", bin);
	_cleanup_free_ char *args = xasprintf("%s/gcloud.args", tmp);
	_cleanup_free_ char *script = xasprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done > %s\n"
	    "echo ya29.cli-token-0001\n", args);
	_cleanup_free_ char *empty = xasprintf("HOME=%s/nohome", tmp);
	_cleanup_free_ char *pe = xasprintf("PATH=%s:/usr/bin:/bin", bin);
	const char *env[] = { empty, pe, NULL };
	struct gcp_mint_opts o = { .env = env, .service_account = "target@proj.iam.gserviceaccount.com" };
	struct result r;
	time_t now = time(NULL);
	_cleanup_free_ char *got = NULL;
	int fd;

	mkdir(bin, 0700);
	fd = open(gcloud, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	if (fd < 0 || write(fd, script, strlen(script)) != (ssize_t)strlen(script) || close(fd) < 0)
		fatal("write gcloud");
	mint(&o, &r);
	is_str(r.t.access_token, "ya29.cli-token-0001", "gcloud fallback: its token");
	ok(r.t.expiration >= now + GCP_CLI_ASSUMED_LIFETIME - 5 && r.t.expiration <= now + GCP_CLI_ASSUMED_LIFETIME + 5,
	    "gcloud fallback: the assumed lifetime");
	got = read_text(args);
	is_str(got, "auth\nprint-access-token\n--impersonate-service-account=target@proj.iam.gserviceaccount.com\n",
	    "gcloud fallback: `gcloud auth print-access-token --impersonate-service-account=...`");
	result_clear(&r);

	o.env = (const char *[]){ empty, "PATH=/nonexistent", NULL };
	mint(&o, &r);
	ok(r.sync_error && contains(r.err, "no GCP credentials") && contains(r.err, "no gcloud on PATH"),
	    "no file and no gcloud: one clear line");
	result_clear(&r);
}

static void
test_bad_files(void)
{
	_cleanup_free_ char *ext = write_json("ext.json", json_pack("{s:s}", "type", "external_account"));
	_cleanup_free_ char *gac = xasprintf("GOOGLE_APPLICATION_CREDENTIALS=%s", ext);
	struct gcp_mint_opts o = { .env = (const char *[]){ gac, NULL } };
	struct result r;

	mint(&o, &r);
	ok(r.sync_error && contains(r.err, "credential type `external_account` is not supported"),
	    "an unsupported ADC type is named");
	result_clear(&r);
	o.service_account = "not an email";
	mint(&o, &r);
	ok(r.sync_error && contains(r.err, "service_account is not an account e-mail"), "a bad service_account is refused");
	result_clear(&r);
}

static void
test_no_secret_in_log(const char *path)
{
	_cleanup_free_ char *text = read_text(path);
	size_t leaked = 0, lines = 0;
	const char *pem_line = strchr(sa_pem, '\n') + 1;
	_cleanup_free_ char *pem_body = xstrndup(pem_line, 40);

	for (const char *p = text; (p = strstr(p, "gcp: ")) != NULL; p++)
		lines++;
	track(CLIENT_SECRET);
	track(REFRESH_TOKEN);
	track(pem_body);
	for (size_t i = 0; i < nsecrets; i++)
		if (strstr(text, secrets[i]) != NULL) {
			leaked++;
			tap_diag("secret #%zu is in the log", i);
		}
	ok(lines >= 10, "log: debug logging was on (%zu `gcp:` lines)", lines);
	ok(nsecrets >= 8 && leaked == 0, "log: none of %zu secrets and tokens appears in it", nsecrets);
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
	struct mino_error *err = NULL;
	bool closed = false;
	int fd, saved;

	tmp = getenv("CREDS_TMP");
	gcp_url = getenv("FAKE_GCP_URL");
	gcp_log = getenv("FAKE_GCP_LOG");
	if (tmp == NULL || gcp_url == NULL || getenv("FAKE_SA_KEY") == NULL) {
		fprintf(stderr, "run me through tests/creds/run.py\n");
		return 2;
	}
	sa_pem = read_text(getenv("FAKE_SA_KEY"));
	logpath = xasprintf("%s/minod-gcp.log", tmp);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, 2) < 0)
		return 2;
	close(fd);
	log_init("minod", true, true);
	loop = uv_default_loop();
	http = http_client_new(loop, &err);
	ok(http != NULL, "http client");

	test_authorized_user();
	test_service_account();
	test_impersonation();
	test_default_path_and_cache();
	test_gcloud_fallback();
	test_bad_files();

	http_client_close(http, closed_cb, &closed);
	uv_run(loop, UV_RUN_DEFAULT);
	ok(closed, "http client closed");
	is_int(uv_loop_close(loop), 0, "the loop closes: no handle leaked");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	test_no_secret_in_log(logpath);
	free(sa_pem);
	for (size_t i = 0; i < nsecrets; i++)
		free(secrets[i]);
	return tap_done();
}
