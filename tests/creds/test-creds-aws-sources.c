/* test-creds-aws-sources.c: the AWS credential test's second half
 * (test-creds-aws.h): profile chains, credential_process, the aws CLI,
 * the identity cache in memory and on disk, the refresh timer, the loop
 * never blocked, HTTPS with the test CA and the endpoint order. */
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
#include "xalloc.h"

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
	aws_test_mint_first();
	ok(first.session_token != NULL, "a temporary credential to use as a source");
	if (first.session_token != NULL)
		track_secret(first.secret_access_key);
	test_profile_chain();
	test_credential_process();
	test_cli_fallback();
	test_cache();
	test_cache_on_disk();
	test_refresh();
	test_loop_not_blocked();
	test_https();
	test_endpoint_order();
	finish(50, 30);
	return tap_done();
}
