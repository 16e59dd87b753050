/* test-creds-aws.c: the credential modules on a real libuv loop against
 * the local fake STS (fake_sts.py, which verifies every signature with
 * botocore).  Run by run.py, which starts the fakes and sets FAKE_*. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "aws.h"
#include "creds-cache.h"
#include "http.h"
#include "log.h"
#include "refresh.h"
#include "secret.h"
#include "sigv4.h"
#include "tap.h"
#include "xalloc.h"

#define STATIC1_ID "AKIAFAKESTATIC000001"
#define STATIC1_SECRET "fakeSecretKey0000000000000000000000000001"
#define STATIC2_ID "AKIAFAKESTATIC000002"
#define STATIC2_SECRET "fakeSecretKey0000000000000000000000000002"
#define PROCESS_ID "AKIAFAKEPROCESS00001"
#define PROCESS_SECRET "fakeSecretKey000000000000000000000process"
#define ROLE(name) "arn:aws:iam::123456789012:role/" name

static uv_loop_t *loop;
static struct http_client *http;
static const char *tmp;
static char *sts_url, *sts_log, *tls_url, *tls_log, *fake_ca;
static char *secrets[256];
static size_t nsecrets;

struct mint_result {
	bool done;
	bool sync_error;
	struct aws_creds c;
	char *err;
	bool from_cache;
	char *source;
};

static void
track_secret(const char *s)
{
	if (s != NULL && nsecrets < sizeof secrets / sizeof secrets[0])
		secrets[nsecrets++] = xstrdup(s);
}

static void
result_clear(struct mint_result *r)
{
	aws_creds_clear(&r->c);
	free(r->err);
	free(r->source);
	memset(r, 0, sizeof *r);
}

static void
mint_cb(struct aws_mint *m, struct aws_creds *c, const struct mino_error *err, void *data)
{
	struct mint_result *r = data;

	r->done = true;
	if (c != NULL) {
		aws_creds_move(&r->c, c);
		track_secret(r->c.secret_access_key);
		track_secret(r->c.session_token);
	}
	if (err != NULL)
		r->err = xstrdup(err->msg);
	r->from_cache = aws_mint_from_cache(m);
	r->source = xstrdup(aws_mint_source(m));
}

static struct aws_mint *
mint_start(struct aws_mint_opts *o, struct mint_result *r)
{
	struct mino_error *err = NULL;
	struct aws_mint *m;

	memset(r, 0, sizeof *r);
	o->loop = loop;
	o->http = http;
	o->on_done = mint_cb;
	o->data = r;
	m = aws_mint_start(o, &err);
	if (m == NULL) {
		r->done = r->sync_error = true;
		r->err = xstrdup(err->msg);
		mino_error_release(&err);
	}
	return m;
}

static void
mint(struct aws_mint_opts *o, struct mint_result *r)
{
	mint_start(o, r);
	while (!r->done)
		uv_run(loop, UV_RUN_ONCE);
	if (r->err != NULL)
		tap_diag("mint error: %s", r->err);
}

static char *
env_entry(const char *k, const char *v)
{
	return xasprintf("%s=%s", k, v);
}

/* The fake's log: number of lines, and the last one parsed. */
static size_t
log_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	if (f == NULL)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		if (ch == '\n')
			n++;
	fclose(f);
	return n;
}

static json_t *
log_entry(const char *path, size_t index)
{
	FILE *f = fopen(path, "r");
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

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		fatal("write %s: %s", path, strerror(errno));
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

static bool
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

/* ---- cases ---- */

struct http_state {
	bool done;
	long status;
	char *body;
	char *xfake;
	char *err;
};

static void
http_done(struct http_req *rq, const struct http_response *resp, const struct mino_error *e, void *d)
{
	struct http_state *st = d;

	st->done = true;
	if (e != NULL) {
		st->err = xstrdup(e->msg);
		return;
	}
	st->status = resp->status;
	st->body = xstrndup(resp->body, resp->body_len);
	st->xfake = http_header_value(resp->headers, "x-fake");
}

static void
test_http_get(void)
{
	struct http_state st = { 0 };
	_cleanup_free_ char *url = xasprintf("%s/hello", sts_url);
	struct mino_error *err = NULL;
	struct http_request_opts o = { .method = "GET", .url = url, .on_done = http_done, .data = &st };
	struct http_req *r;

	r = http_request(http, &o, &err);
	ok(r != NULL, "http: a GET starts");
	while (r != NULL && !st.done)
		uv_run(loop, UV_RUN_ONCE);
	is_int(st.status, 200, "http: GET /hello answers 200");
	is_str(st.body, "hello from the fake\n", "http: the body arrives whole");
	is_str(st.xfake, "sts", "http: response headers are readable (X-Fake)");
	free(st.body);
	free(st.xfake);
	free(st.err);

	memset(&st, 0, sizeof st);
	o.max_response = 5;
	r = http_request(http, &o, &err);
	while (r != NULL && !st.done)
		uv_run(loop, UV_RUN_ONCE);
	ok(st.err != NULL && strstr(st.err, "response larger than 5 bytes") != NULL, "http: the response size cap holds");
	free(st.err);
	memset(&st, 0, sizeof st);
	o.max_response = 0;
	o.url = "ftp://127.0.0.1:1/";
	r = http_request(http, &o, &err);
	while (r != NULL && !st.done)
		uv_run(loop, UV_RUN_ONCE);
	ok(st.err != NULL && strstr(st.err, "ftp://127.0.0.1:1/") != NULL, "http: only http and https (ftp refused: %s)",
	    st.err != NULL ? st.err : "no error");
	free(st.err);
}

static void
test_sigv4_oracle(void)
{
	FILE *f = fopen(getenv("SIGV4_CASES"), "r");
	char line[16384];
	unsigned n = 0, good = 0;

	ok(f != NULL, "sigv4: botocore's cases are there");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		char *fields[8], *save = NULL, *p = line;
		struct sigv4_output out;
		struct mino_error *err = NULL;
		size_t k = 0;

		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(p, "\t", &save); t != NULL && k < 8; t = strtok_r(NULL, "\t", &save))
			fields[k++] = t;
		if (k != 8)
			continue;
		n++;
		{
			const char *body = strcmp(fields[6], "-") == 0 ? "" : fields[6];
			struct sigv4_key key = { fields[0], fields[1], strcmp(fields[2], "-") == 0 ? NULL : fields[2] };
			struct sigv4_input in = {
				.method = "POST", .host = fields[5], .path = "/", .region = fields[3], .service = "sts",
				.content_type = "application/x-www-form-urlencoded; charset=utf-8",
				.body = body, .body_len = strlen(body), .now = (time_t)strtoll(fields[4], NULL, 10),
			};

			if (sigv4_sign(&in, &key, &out, &err) == 0 && strcmp(out.authorization, fields[7]) == 0)
				good++;
			else if (err == NULL)
				tap_diag("case %u: got %s want %s", n, out.authorization, fields[7]);
			if (err != NULL)
				tap_diag("case %u: %s", n, err->msg);
			mino_error_release(&err);
			sigv4_output_clear(&out);
		}
	}
	fclose(f);
	ok(n >= 40 && good == n, "sigv4: all %u of %u botocore-generated cases match", good, n);
}

static struct aws_creds first;   /* T1's result, reused as a temporary source */

static void
test_env_get_session_token(void)
{
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	const char *env[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, ep,
		"AWS_REGION=eu-west-1", NULL };
	struct aws_mint_opts o = { .env = env };
	struct mint_result r;
	size_t before = log_lines(sts_log);
	json_t *j;
	time_t now = time(NULL);

	mint(&o, &r);
	ok(r.err == NULL && r.c.session_token != NULL, "env source: GetSessionToken gives temporary credentials");
	ok(r.c.access_key_id != NULL && strncmp(r.c.access_key_id, "ASIA", 4) == 0, "env source: the key id is a minted one");
	ok(r.c.expiration >= now + 3590 && r.c.expiration <= now + 3610, "env source: expiry is an hour away");
	is_str(r.c.region, "eu-west-1", "env source: AWS_REGION is the region");
	is_str(r.source, "environment", "env source: the source is named");
	is_int(log_lines(sts_log), before + 1, "env source: one STS call");
	j = log_entry(sts_log, before);
	is_str(jstr(j, "action"), "GetSessionToken", "env source: the call was GetSessionToken");
	is_str(jstr(j, "key"), STATIC1_ID, "env source: signed with the client's key (botocore verified it)");
	ok(json_is_true(json_object_get(j, "verified")), "env source: the fake verified the signature");
	is_int(json_integer_value(json_object_get(j, "duration")), 3600, "env source: DurationSeconds=3600");
	json_decref(j);
	aws_creds_move(&first, &r.c);
	result_clear(&r);
}

static void
test_temporary_pass_through(void)
{
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	_cleanup_free_ char *id = env_entry("AWS_ACCESS_KEY_ID", first.access_key_id);
	_cleanup_secret_ char *sk = env_entry("AWS_SECRET_ACCESS_KEY", first.secret_access_key);
	_cleanup_secret_ char *tk = env_entry("AWS_SESSION_TOKEN", first.session_token);
	const char *env[] = { id, sk, tk, ep, "AWS_CREDENTIAL_EXPIRATION=2030-01-02T03:04:05Z", NULL };
	struct aws_mint_opts o = { .env = env };
	struct mint_result r;
	size_t before = log_lines(sts_log);

	mint(&o, &r);
	ok(r.err == NULL, "temporary source: no error");
	is_str(r.c.access_key_id, first.access_key_id, "temporary source: passed through, not re-minted");
	is_str(r.c.session_token, first.session_token, "temporary source: its own session token");
	is_int(r.c.expiration, 1893553445, "temporary source: its own expiry (AWS_CREDENTIAL_EXPIRATION)");
	is_int(log_lines(sts_log), before, "temporary source: no STS call (GetSessionToken would refuse it)");
	result_clear(&r);
}

static void
test_assume_role_from_temporary(void)
{
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	_cleanup_free_ char *id = env_entry("AWS_ACCESS_KEY_ID", first.access_key_id);
	_cleanup_secret_ char *sk = env_entry("AWS_SECRET_ACCESS_KEY", first.secret_access_key);
	_cleanup_secret_ char *tk = env_entry("AWS_SESSION_TOKEN", first.session_token);
	const char *env[] = { id, sk, tk, ep, NULL };
	struct aws_mint_opts o = { .env = env, .role_arn = ROLE("ext"), .external_id = "ext-123",
		.session_name = "mino-sess1", .duration_secs = 7200 };
	struct mint_result r;
	size_t before = log_lines(sts_log);
	time_t now = time(NULL);
	json_t *j;

	mint(&o, &r);
	ok(r.err == NULL && r.c.session_token != NULL, "AssumeRole from temporary credentials works");
	ok(r.c.expiration >= now + 7190 && r.c.expiration <= now + 7210, "AssumeRole: DurationSeconds gives the expiry");
	j = log_entry(sts_log, before);
	is_str(jstr(j, "action"), "AssumeRole", "AssumeRole: the action");
	is_str(jstr(j, "key"), first.access_key_id, "AssumeRole: signed with the temporary key");
	ok(json_is_true(json_object_get(j, "token_sent")), "AssumeRole: the session token was sent (and signed)");
	is_str(jstr(j, "role"), ROLE("ext"), "AssumeRole: RoleArn");
	is_str(jstr(j, "external_id"), "ext-123", "AssumeRole: ExternalId");
	is_str(jstr(j, "session_name"), "mino-sess1", "AssumeRole: RoleSessionName names the session");
	is_int(json_integer_value(json_object_get(j, "duration")), 7200, "AssumeRole: DurationSeconds=7200");
	is_str(r.c.access_key_id, jstr(j, "issued"), "AssumeRole: the result is what STS issued");
	json_decref(j);
	result_clear(&r);

	o.external_id = "wrong-1";
	mint(&o, &r);
	ok(contains(r.err, "STS AssumeRole: AccessDenied: User: arn:aws:iam::123456789012:user/")
	    && contains(r.err, "(HTTP 403)") && strchr(r.err, '\n') == NULL,
	    "STS error: code and message surface in one line");
	result_clear(&r);
}

static void
test_bad_signature_and_expired(void)
{
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	char bad[] = "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET;
	const char *env[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, bad, ep, NULL };
	const char *env2[] = { "AWS_ACCESS_KEY_ID=ASIAEXPIREDFAKE00001",
		"AWS_SECRET_ACCESS_KEY=expiredsecretexpiredsecretexpiredsecret0",
		"AWS_SESSION_TOKEN=ExpiredTokenFake0000ExpiredTokenFake0000ExpiredTokenFake0000ExpiredTokenFake0000"
		"ExpiredTokenFake0000ExpiredTokenFake0000ExpiredTokenFake0000ExpiredTokenFake0000"
		"ExpiredTokenFake0000ExpiredTokenFake0000", ep, NULL };
	struct aws_mint_opts o = { .env = env };
	struct mint_result r;
	size_t before = log_lines(sts_log);
	json_t *j;

	bad[strlen(bad) - 5] ^= 1; /* one byte of the secret */
	mint(&o, &r);
	ok(contains(r.err, "STS GetSessionToken: SignatureDoesNotMatch: The request signature we calculated")
	    && contains(r.err, "(HTTP 403)"), "a flipped secret byte: the fake rejects the signature, we report it");
	j = log_entry(sts_log, before);
	is_str(jstr(j, "error"), "SignatureDoesNotMatch", "the fake's botocore check failed it");
	json_decref(j);
	result_clear(&r);

	o.env = env2;
	o.role_arn = ROLE("dev");
	mint(&o, &r);
	ok(contains(r.err, "STS AssumeRole: ExpiredToken: The security token included in the request is expired"),
	    "an expired source token is reported as ExpiredToken");
	result_clear(&r);
}

static char *
make_home(const char *name, const char *credentials, const char *config)
{
	char *home = xasprintf("%s/%s", tmp, name);
	_cleanup_free_ char *aws = xasprintf("%s/.aws", home);
	_cleanup_free_ char *c = xasprintf("%s/credentials", aws);
	_cleanup_free_ char *f = xasprintf("%s/config", aws);

	mkdir(home, 0700);
	mkdir(aws, 0700);
	if (credentials != NULL)
		write_file(c, credentials, 0600);
	if (config != NULL)
		write_file(f, config, 0600);
	return home;
}

static void
test_profile_chain(void)
{
	_cleanup_free_ char *home = make_home("home-chain",
	    "[base]\naws_access_key_id = " STATIC2_ID "\naws_secret_access_key = " STATIC2_SECRET "\n",
	    "# comment\n[default]\nregion = us-west-2\n\n[profile dev]\nrole_arn = " ROLE("dev") "\n"
	    "source_profile = base\nregion = eu-central-1\ns3 =\n  max_concurrent_requests = 20\n\n"
	    "[profile top]\nrole_arn = " ROLE("top") "\nsource_profile = dev\nrole_session_name = top-session\n"
	    "duration_seconds = 1800\nregion = ap-southeast-2\n\n"
	    "[profile a]\nrole_arn = " ROLE("a") "\nsource_profile = b\n[profile b]\nrole_arn = " ROLE("b") "\n"
	    "source_profile = a\n");
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	_cleanup_free_ char *he = env_entry("HOME", home);
	const char *env[] = { he, ep, "AWS_PROFILE=top", NULL };
	const char *env_keys[] = { he, ep, "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, NULL };
	struct aws_mint_opts o = { .env = env, .session_name = "mino-chain" };
	struct mint_result r;
	size_t before = log_lines(sts_log);
	json_t *j1, *j2;

	mint(&o, &r);
	ok(r.err == NULL, "profile chain top -> dev -> base: minted");
	is_int(log_lines(sts_log), before + 2, "profile chain: two AssumeRole hops");
	j1 = log_entry(sts_log, before);
	j2 = log_entry(sts_log, before + 1);
	is_str(jstr(j1, "role"), ROLE("dev"), "chain hop 1: dev's role, innermost first");
	is_str(jstr(j1, "key"), STATIC2_ID, "chain hop 1: signed with base's static keys");
	is_str(jstr(j1, "session_name"), "mino-chain", "chain hop 1: our session name");
	is_str(jstr(j2, "role"), ROLE("top"), "chain hop 2: top's role");
	is_str(jstr(j2, "key"), jstr(j1, "issued"), "chain hop 2: signed with hop 1's temporary key");
	is_str(jstr(j2, "session_name"), "top-session", "chain hop 2: role_session_name from the profile");
	is_int(json_integer_value(json_object_get(j2, "duration")), 1800, "chain hop 2: duration_seconds from the profile");
	is_str(r.c.access_key_id, jstr(j2, "issued"), "chain: the result is the last hop's (passed through)");
	is_str(r.c.region, "ap-southeast-2", "chain: the profile's region");
	is_str(r.source, "profile `top`", "chain: the source names the profile");
	json_decref(j1);
	json_decref(j2);
	result_clear(&r);

	/* An explicit profile wins over the client's AWS_ACCESS_KEY_ID. */
	before = log_lines(sts_log);
	o.env = env_keys;
	o.profile = "dev";
	mint(&o, &r);
	j1 = log_entry(sts_log, before);
	ok(r.err == NULL && log_lines(sts_log) == before + 1, "explicit profile dev: one hop");
	is_str(jstr(j1, "key"), STATIC2_ID, "explicit profile beats the environment's keys");
	is_str(r.c.region, "eu-central-1", "explicit profile: its region");
	json_decref(j1);
	result_clear(&r);
	o.region = "us-west-1";
	mint(&o, &r);
	is_str(r.c.region, "us-west-1", "credentials.aws.region wins over the profile's region");
	result_clear(&r);
	o.region = NULL;

	o.profile = "a";
	mint(&o, &r);
	ok(r.sync_error && contains(r.err, "source_profile loop: a -> b -> a"), "source_profile loop is named");
	result_clear(&r);

	o.profile = "nonesuch";
	o.env = (const char *[]){ he, ep, "PATH=/nonexistent", NULL };
	mint(&o, &r);
	ok(r.sync_error && contains(r.err, "profile `nonesuch` not found in the shared files")
	    && contains(r.err, "no aws CLI on PATH"), "a missing profile without the CLI: one clear line");
	result_clear(&r);
}

static void
test_credential_process(void)
{
	_cleanup_free_ char *script = xasprintf("%s/proc.sh", tmp);
	_cleanup_free_ char *fail = xasprintf("%s/fail.sh", tmp);
	_cleanup_free_ char *args = xasprintf("%s/proc.args", tmp);
	_cleanup_free_ char *cfg = xasprintf("%s/proc-config", tmp);
	_cleanup_free_ char *body = xasprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done > %s\n"
	    "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}'\n", args,
	    PROCESS_ID, PROCESS_SECRET);
	_cleanup_free_ char *cfgtext = xasprintf("[profile proc]\ncredential_process = %s --flag 'two words'\n"
	    "[profile broken]\ncredential_process = %s\n", script, fail);
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	_cleanup_free_ char *ce = env_entry("AWS_CONFIG_FILE", cfg);
	_cleanup_free_ char *cr = xasprintf("AWS_SHARED_CREDENTIALS_FILE=%s/none", tmp);
	const char *env[] = { ep, ce, cr, "AWS_PROFILE=proc", NULL };
	struct aws_mint_opts o = { .env = env };
	struct mint_result r;
	size_t before = log_lines(sts_log);
	_cleanup_free_ char *got_args = NULL;
	json_t *j;

	write_file(script, body, 0700);
	write_file(fail, "#!/bin/sh\necho 'boom: no creds here' >&2\nexit 3\n", 0700);
	write_file(cfg, cfgtext, 0600);
	mint(&o, &r);
	ok(r.err == NULL && r.c.session_token != NULL, "credential_process: its keys are turned into a session token");
	j = log_entry(sts_log, before);
	is_str(jstr(j, "key"), PROCESS_ID, "credential_process: STS saw the process's key");
	is_str(jstr(j, "action"), "GetSessionToken", "credential_process: long-term keys -> GetSessionToken");
	json_decref(j);
	got_args = read_text(args);
	is_str(got_args, "--flag\ntwo words\n", "credential_process: split as shell words, no secret in argv");
	result_clear(&r);

	o.profile = "broken";
	mint(&o, &r);
	ok(contains(r.err, "profile `broken`: credential_process exited with status 3: boom: no creds here"),
	    "credential_process failure: status and its first stderr line");
	result_clear(&r);
}

static void
test_cli_fallback(void)
{
	_cleanup_free_ char *bin = xasprintf("%s/bin", tmp);
	_cleanup_free_ char *aws = xasprintf("%s/bin/aws", tmp);
	_cleanup_free_ char *args = xasprintf("%s/aws.args", tmp);
	_cleanup_free_ char *body = xasprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done > %s\n"
	    "printf '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\",\"SessionToken\":\"%s\","
	    "\"Expiration\":\"2031-05-06T07:08:09+00:00\"}\\n'\n", args, first.access_key_id,
	    first.secret_access_key, first.session_token);
	_cleanup_free_ char *home = make_home("home-sso", NULL,
	    "[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n"
	    "[sso-session corp]\nsso_start_url = https://example.invalid/start\nsso_region = eu-west-1\n");
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	_cleanup_free_ char *he = env_entry("HOME", home);
	_cleanup_free_ char *pe = xasprintf("PATH=%s:/usr/bin:/bin", bin);
	const char *env[] = { he, ep, pe, NULL };
	struct aws_mint_opts o = { .env = env, .profile = "corp" };
	struct mint_result r;
	size_t before = log_lines(sts_log);
	_cleanup_free_ char *got = NULL;

	mkdir(bin, 0700);
	write_file(aws, body, 0700);
	mint(&o, &r);
	ok(r.err == NULL, "SSO profile: the aws CLI fallback gives credentials");
	is_str(r.c.access_key_id, first.access_key_id, "CLI fallback: the CLI's credentials");
	is_int(r.c.expiration, 1935817689, "CLI fallback: the CLI's Expiration (+00:00 form)");
	is_int(log_lines(sts_log), before, "CLI fallback: temporary, so passed through");
	got = read_text(args);
	is_str(got, "configure\nexport-credentials\n--profile\ncorp\n--format\nprocess\n",
	    "CLI fallback: `aws configure export-credentials --profile corp --format process`");
	result_clear(&r);
}

static void
test_cache(void)
{
	struct creds_cache *cache = creds_cache_new();
	_cleanup_free_ char *home = make_home("home-cache",
	    "[dev]\naws_access_key_id = " STATIC2_ID "\naws_secret_access_key = " STATIC2_SECRET "\n"
	    "[dev2]\naws_access_key_id = " STATIC2_ID "\naws_secret_access_key = " STATIC2_SECRET "\n", NULL);
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	_cleanup_free_ char *he = env_entry("HOME", home);
	const char *env[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, ep, he, NULL };
	struct aws_mint_opts o = { .env = env, .cache = cache, .role_arn = ROLE("dev"), .session_name = "s1" };
	struct mint_result r1, r2, r3, r4;
	size_t before = log_lines(sts_log);

	mint(&o, &r1);
	ok(r1.err == NULL && !r1.from_cache, "cache: the first mint calls STS");
	o.session_name = "s2";
	mint(&o, &r2);
	ok(r2.from_cache && r2.c.access_key_id != NULL && strcmp(r2.c.access_key_id, r1.c.access_key_id) == 0,
	    "cache: the same identity reuses the token");
	is_int(log_lines(sts_log), before + 1, "cache: no second STS call");
	o.role_arn = ROLE("other");
	mint(&o, &r3);
	ok(r3.err == NULL && !r3.from_cache && strcmp(r3.c.access_key_id, r1.c.access_key_id) != 0,
	    "cache: a changed role_arn mints anew");
	result_clear(&r3);
	o.role_arn = ROLE("dev");
	o.region = "eu-north-1";
	mint(&o, &r3);
	ok(r3.err == NULL && !r3.from_cache, "cache: a changed region mints anew");
	result_clear(&r3);
	o.region = NULL;
	o.profile = "dev";
	mint(&o, &r3);
	o.profile = "dev2";
	mint(&o, &r4);
	ok(r3.err == NULL && r4.err == NULL && !r3.from_cache && !r4.from_cache
	    && strcmp(r3.c.access_key_id, r4.c.access_key_id) != 0,
	    "cache: a changed profile (same keys) never reuses the other profile's token");
	result_clear(&r3);
	result_clear(&r4);
	o.profile = NULL;
	o.role_arn = ROLE("short");
	mint(&o, &r3);
	mint(&o, &r4);
	ok(r3.err == NULL && r4.err == NULL && !r4.from_cache && strcmp(r3.c.access_key_id, r4.c.access_key_id) != 0,
	    "cache: a token with 5 minutes or less left is not reused");
	result_clear(&r1);
	result_clear(&r2);
	result_clear(&r3);
	result_clear(&r4);
	creds_cache_free(cache);
}

static void
test_cache_on_disk(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/state/credentials", tmp);
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	const char *env[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, ep, NULL };
	struct creds_cache *c1 = creds_cache_new(), *c2 = creds_cache_new();
	struct mino_error *err = NULL;
	struct aws_mint_opts o = { .env = env, .role_arn = ROLE("persisted") };
	struct mint_result r1, r2;
	struct stat st_dir, st_file;
	_cleanup_free_ char *path = NULL;
	size_t before;

	ok(creds_cache_set_dir(c1, dir, &err) == 0 && creds_cache_set_dir(c2, dir, &err) == 0, "disk cache: directory set");
	o.cache = c1;
	mint(&o, &r1);
	ok(r1.err == NULL && !r1.from_cache, "disk cache: minted and persisted");
	{
		struct creds_cache_field f[1] = { { "x", "y" } };
		_cleanup_free_ char *k = creds_cache_key("aws", f, 1);
		_cleanup_free_ char *p = creds_cache_path(c1, k);

		ok(p != NULL && strncmp(p, dir, strlen(dir)) == 0 && strstr(p, "/aws-") != NULL, "disk cache: files are <dir>/aws-<hash>.json");
	}
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		unsigned n = 0;

		while (d != NULL && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.') {
				n++;
				free(path);
				path = xasprintf("%s/%s", dir, e->d_name);
			}
		if (d != NULL)
			closedir(d);
		is_int(n, 1, "disk cache: one file for one identity");
	}
	ok(stat(dir, &st_dir) == 0 && (st_dir.st_mode & 0777) == 0700, "disk cache: directory 0700");
	ok(path != NULL && stat(path, &st_file) == 0 && (st_file.st_mode & 0777) == 0600, "disk cache: file 0600");
	before = log_lines(sts_log);
	o.cache = c2;   /* a restarted minod */
	mint(&o, &r2);
	ok(r2.from_cache && r2.c.access_key_id != NULL && strcmp(r2.c.access_key_id, r1.c.access_key_id) == 0
	    && strcmp(r2.c.session_token, r1.c.session_token) == 0 && r2.c.expiration == r1.c.expiration,
	    "disk cache: a new cache on the same directory reuses the persisted token");
	is_int(log_lines(sts_log), before, "disk cache: without an STS call");
	result_clear(&r2);
	o.role_arn = ROLE("persisted-other");
	mint(&o, &r2);
	ok(r2.err == NULL && !r2.from_cache, "disk cache: another identity does not find it");
	result_clear(&r1);
	result_clear(&r2);
	creds_cache_free(c1);
	creds_cache_free(c2);
}

struct refresh_state {
	struct aws_mint_opts *o;
	struct mint_result again;
	time_t fired_at;
	bool fired;
};

static void
refresh_fire(struct creds_refresh *rf, void *data)
{
	struct refresh_state *st = data;

	st->fired = true;
	st->fired_at = time(NULL);
	mint_start(st->o, &st->again);
}

static void
test_refresh(void)
{
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	const char *env[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, ep, NULL };
	struct aws_mint_opts o = { .env = env, .role_arn = ROLE("short") };
	struct refresh_state st = { .o = &o };
	struct mint_result r;
	struct creds_refresh *rf;
	time_t issued = time(NULL), due;

	mint(&o, &r);
	ok(r.err == NULL && r.c.expiration > issued && r.c.expiration <= issued + 7, "refresh: a 6 s token");
	rf = creds_refresh_new(loop, refresh_fire, &st);
	due = creds_refresh_arm(rf, issued, issued, r.c.expiration);
	ok(due > issued && due < r.c.expiration, "refresh: due strictly between issue and expiry");
	while (!st.fired || !st.again.done)
		uv_run(loop, UV_RUN_ONCE);
	ok(st.fired_at < r.c.expiration, "refresh: the timer fired before the token expired (%ld s left)",
	    (long)(r.c.expiration - st.fired_at));
	ok(st.fired_at >= issued + 2, "refresh: ... and not right away");
	ok(st.again.err == NULL && strcmp(st.again.c.access_key_id, r.c.access_key_id) != 0
	    && st.again.c.expiration > r.c.expiration, "refresh: the re-mint gives a new, later token");
	creds_refresh_close(rf);
	result_clear(&r);
	result_clear(&st.again);
}

static unsigned ticks;

static void
tick_cb(uv_timer_t *t)
{
	ticks++;
}

static bool cancelled;

static void
cancel_cb(uv_timer_t *t)
{
	aws_mint_cancel(t->data);
	cancelled = true;
}

static void
test_loop_not_blocked(void)
{
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	const char *env[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, ep, NULL };
	struct aws_mint_opts o = { .env = env, .role_arn = ROLE("slow") };
	struct mint_result r;
	uv_timer_t tick, cancel;
	uint64_t t0;
	struct aws_mint *m;

	uv_timer_init(loop, &tick);
	ticks = 0;
	uv_timer_start(&tick, tick_cb, 50, 50);
	t0 = uv_now(loop);
	mint(&o, &r);
	uv_update_time(loop);
	ok(r.err == NULL, "slow STS (1 s): minted");
	ok(uv_now(loop) - t0 >= 950, "slow STS: it did take about a second");
	ok(ticks >= 12, "the loop kept ticking during the slow call (%u ticks of 50 ms)", ticks);
	result_clear(&r);

	o.timeout_ms = 300;
	mint(&o, &r);
	ok(contains(r.err, "STS AssumeRole: POST ") && contains(r.err, "timed out"), "a timeout is reported as such");
	result_clear(&r);

	o.timeout_ms = 0;
	m = mint_start(&o, &r);
	uv_timer_init(loop, &cancel);
	cancel.data = m;
	uv_timer_start(&cancel, cancel_cb, 100, 0);
	while (!cancelled)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_close((uv_handle_t *)&cancel, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	ok(!r.done, "cancel: on_done never runs, and the loop has nothing left to do");
	is_int(http_client_active(http), 0, "cancel: the request is gone");
	result_clear(&r);
}

static void
test_https(void)
{
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", tls_url);
	_cleanup_free_ char *ca = env_entry("AWS_CA_BUNDLE", fake_ca);
	const char *env[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, ep, ca, NULL };
	const char *env_noca[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, ep, NULL };
	struct aws_mint_opts o = { .env = env, .role_arn = ROLE("dev") };
	struct mint_result r;
	size_t before = log_lines(tls_log);
	json_t *j;

	mint(&o, &r);
	ok(r.err == NULL && r.c.session_token != NULL, "HTTPS with AWS_CA_BUNDLE: minted");
	j = log_entry(tls_log, before);
	ok(json_is_true(json_object_get(j, "verified")), "HTTPS: the TLS fake verified the signature");
	json_decref(j);
	result_clear(&r);
	o.env = env_noca;
	mint(&o, &r);
	ok(contains(r.err, "certificate"), "HTTPS without the CA bundle: the self-signed certificate is refused");
	result_clear(&r);
}

static void
test_endpoint_order(void)
{
	_cleanup_free_ char *generic = env_entry("AWS_ENDPOINT_URL", sts_url);
	_cleanup_free_ char *sts = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	const char *env1[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, generic, NULL };
	const char *env2[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET,
		"AWS_ENDPOINT_URL=http://127.0.0.1:1", sts, NULL };
	struct aws_mint_opts o = { .env = env1 };
	struct mint_result r;

	mint(&o, &r);
	ok(r.err == NULL, "AWS_ENDPOINT_URL is used when AWS_ENDPOINT_URL_STS is not set");
	result_clear(&r);
	o.env = env2;
	mint(&o, &r);
	ok(r.err == NULL, "AWS_ENDPOINT_URL_STS wins over AWS_ENDPOINT_URL");
	result_clear(&r);
	o.duration_secs = 600;
	mint(&o, &r);
	ok(r.sync_error && contains(r.err, "session_duration_secs must be 3600 to 43200, not 600"),
	    "a duration out of range: one clear line, at once");
	result_clear(&r);
}

static void
test_no_secret_in_log(const char *path)
{
	_cleanup_free_ char *text = read_text(path);
	size_t leaked = 0, lines = 0;

	for (const char *p = text; (p = strstr(p, "aws: ")) != NULL; p++)
		lines++;
	track_secret(STATIC1_SECRET);
	track_secret(STATIC2_SECRET);
	track_secret(PROCESS_SECRET);
	for (size_t i = 0; i < nsecrets; i++)
		if (strstr(text, secrets[i]) != NULL) {
			leaked++;
			tap_diag("secret #%zu is in the log", i);
		}
	ok(lines >= 20, "log: debug logging was on (%zu `aws:` lines)", lines);
	ok(nsecrets >= 20 && leaked == 0, "log: none of %zu secrets and tokens appears in it", nsecrets);
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
	bool closed = false;
	struct mino_error *err = NULL;
	int fd, saved;

	tmp = getenv("CREDS_TMP");
	sts_url = getenv("FAKE_STS_URL");
	sts_log = getenv("FAKE_STS_LOG");
	tls_url = getenv("FAKE_STS_TLS_URL");
	tls_log = getenv("FAKE_STS_TLS_LOG");
	fake_ca = getenv("FAKE_CA");
	if (tmp == NULL || sts_url == NULL || tls_url == NULL) {
		fprintf(stderr, "run me through tests/creds/run.py\n");
		return 2;
	}
	/* minod's log (stderr) at debug level goes to a file we scan at the end. */
	logpath = xasprintf("%s/minod.log", tmp);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, 2) < 0)
		return 2;
	close(fd);
	log_init("minod", true, true);

	loop = uv_default_loop();
	http = http_client_new(loop, &err);
	ok(http != NULL, "http client");

	test_sigv4_oracle();
	test_http_get();
	test_env_get_session_token();
	test_temporary_pass_through();
	test_assume_role_from_temporary();
	test_bad_signature_and_expired();
	test_profile_chain();
	test_credential_process();
	test_cli_fallback();
	test_cache();
	test_cache_on_disk();
	test_refresh();
	test_loop_not_blocked();
	test_https();
	test_endpoint_order();

	http_client_close(http, closed_cb, &closed);
	uv_run(loop, UV_RUN_DEFAULT);
	ok(closed, "http client closed");
	is_int(uv_loop_close(loop), 0, "the loop closes: no handle leaked");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	test_no_secret_in_log(logpath);
	aws_creds_clear(&first);
	for (size_t i = 0; i < nsecrets; i++)
		free(secrets[i]);
	return tap_done();
}
