/* test-creds-aws.c: the credential modules on a real libuv loop against
 * the local fake STS (fake_sts.py, which verifies every signature with
 * botocore).  Run by run.py, which starts the fakes and sets FAKE_*.
 * This half: HTTP, SigV4 (botocore as the oracle), the environment source
 * and STS basics; test-creds-aws-sources.c has the other sources, the
 * cache, refresh and TLS.  Each ends by scanning minod's log for secrets. */
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
#include "test-creds-aws.h"
#include "test-creds-aws.h"
#include "xalloc.h"


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


static void
finish(size_t min_lines, size_t min_secrets)
{
	int loop_close;
	size_t lines, n, leaked;
	bool closed = aws_test_finish(&loop_close, &lines, &n, &leaked);

	ok(closed, "http client closed");
	is_int(loop_close, 0, "the loop closes: no handle leaked");
	ok(lines >= min_lines, "log: debug logging was on (%zu `aws:` lines)", lines);
	ok(n >= min_secrets && leaked == 0, "log: none of %zu secrets and tokens appears in it", n);
}

int
main(void)
{
	if (aws_test_init() < 0)
		return 2;
	ok(http != NULL, "http client");
	test_sigv4_oracle();
	test_http_get();
	test_env_get_session_token();
	test_temporary_pass_through();
	test_assume_role_from_temporary();
	test_bad_signature_and_expired();
	finish(15, 8);
	return tap_done();
}
