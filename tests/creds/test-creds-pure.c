/* test-creds-pure.c: the parts of daemon/creds/ that need no network:
 * the shared-file parser and source chains, STS XML, times, the cache,
 * the refresh schedule, word splitting and the renderings. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "aws.h"
#include "awsconf.h"
#include "creds-cache.h"
#include "capture.h"
#include "refresh.h"
#include "secret.h"
#include "tap.h"
#include "mino-protocol.h"
#include "xalloc.h"

static char dir[] = "/tmp/mino-creds-pure-XXXXXX";

static char *
put(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		fatal("write %s", path);
	return path;
}

static void
test_awsconf(void)
{
	char token[1201];
	_cleanup_free_ char *credtext = NULL;
	_cleanup_free_ char *cpath = NULL, *fpath = NULL, *bad = NULL, *missing = NULL;
	struct awsconf *conf = NULL;
	struct awsconf_chain ch;
	struct mino_error *err = NULL;

	memset(token, 'T', 1200);
	token[1200] = '\0';
	credtext = xasprintf("; comment\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s;ecret # kept\n"
	    "aws_session_token = %s\n\n[self]\naws_access_key_id=AKIASELF\naws_secret_access_key=x\n"
	    "role_arn = arn:aws:iam::1:role/self\nsource_profile = self\n", token);
	cpath = put("credentials", credtext);
	fpath = put("config", "[default]\nregion = eu-west-1\nregion = eu-west-2\n"
	    "s3 =\n  region = nested-ignored\n[profile dev]\nrole_arn = arn:aws:iam::1:role/dev\n"
	    "source_profile = default\nexternal_id = xid\nduration_seconds = 1800\nregion = us-east-2\n"
	    "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = dev\n"
	    "[profile loop1]\nrole_arn = arn:aws:iam::1:role/l1\nsource_profile = loop2\n"
	    "[profile loop2]\nrole_arn = arn:aws:iam::1:role/l2\nsource_profile = loop1\n"
	    "[profile cs]\nrole_arn = arn:aws:iam::1:role/cs\ncredential_source = Ec2InstanceMetadata\n"
	    "[profile sso]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://x.invalid\n"
	    "[profile proc]\ncredential_process = /bin/echo hi\n"
	    "[profile baddur]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = default\nduration_seconds = 60\n");
	missing = xasprintf("%s/nonexistent", dir);
	ok(awsconf_load(cpath, fpath, &conf, &err) == 0, "awsconf: both files load");
	is_str(awsconf_get(conf, "default", "aws_session_token"), token, "awsconf: a 1200-byte token survives (past inih's line)");
	is_str(awsconf_get(conf, "default", "aws_secret_access_key"), "s;ecret # kept", "awsconf: `;` and `#` inside a value are kept");
	is_str(awsconf_get(conf, "default", "region"), "eu-west-2", "awsconf: the last assignment wins; nested lines ignored");
	ok(awsconf_get(conf, "corp", "sso_start_url") == NULL, "awsconf: [sso-session x] is not a profile");
	ok(awsconf_has_profile(conf, "dev") && !awsconf_has_profile(conf, "profile dev"), "awsconf: [profile dev] is dev");

	ok(awsconf_resolve(conf, "top", &ch, &err) == 0, "chain: top resolves");
	ok(ch.kind == AWSCONF_STATIC && strcmp(ch.base_profile, "default") == 0 && ch.nhops == 2,
	    "chain: top -> dev -> default's static keys, two hops");
	ok(ch.nhops == 2 && strcmp(ch.hops[0].role_arn, "arn:aws:iam::1:role/dev") == 0
	    && strcmp(ch.hops[1].role_arn, "arn:aws:iam::1:role/top") == 0, "chain: hops innermost first");
	ok(ch.nhops == 2 && ch.hops[0].duration_secs == 1800 && strcmp(ch.hops[0].external_id, "xid") == 0,
	    "chain: a hop keeps its external_id and duration_seconds");
	ok(ch.region == NULL, "chain: region is the named profile's own (top has none)");
	awsconf_chain_clear(&ch);

	ok(awsconf_resolve(conf, "self", &ch, &err) == 0 && ch.kind == AWSCONF_STATIC && ch.nhops == 1
	    && strcmp(ch.access_key_id, "AKIASELF") == 0, "chain: source_profile naming itself uses its own keys");
	awsconf_chain_clear(&ch);
	ok(awsconf_resolve(conf, "loop1", &ch, &err) < 0 && strcmp(err->msg, "source_profile loop: loop1 -> loop2 -> loop1") == 0,
	    "chain: a loop is an error naming it");
	mino_error_release(&err);
	ok(awsconf_resolve(conf, "cs", &ch, &err) < 0 && strstr(err->msg, "credential_source `Ec2InstanceMetadata` is not supported") != NULL,
	    "chain: credential_source is refused clearly");
	mino_error_release(&err);
	ok(awsconf_resolve(conf, "baddur", &ch, &err) < 0 && strstr(err->msg, "duration_seconds must be 900 to 43200") != NULL,
	    "chain: duration_seconds out of range");
	mino_error_release(&err);
	ok(awsconf_resolve(conf, "sso", &ch, &err) == 0 && ch.kind == AWSCONF_CLI && strstr(ch.cli_reason, "SSO") != NULL,
	    "chain: an SSO profile goes to the CLI");
	awsconf_chain_clear(&ch);
	ok(awsconf_resolve(conf, "proc", &ch, &err) == 0 && ch.kind == AWSCONF_PROCESS
	    && strcmp(ch.process, "/bin/echo hi") == 0, "chain: credential_process");
	awsconf_chain_clear(&ch);
	ok(awsconf_resolve(conf, "ghost", &ch, &err) == 0 && ch.kind == AWSCONF_CLI
	    && strstr(ch.cli_reason, "not found") != NULL, "chain: an unknown profile is for the CLI to try");
	awsconf_chain_clear(&ch);
	awsconf_free(conf);

	ok(awsconf_load(missing, missing, &conf, &err) == 0 && !awsconf_has_profile(conf, "default"),
	    "awsconf: missing files are empty");
	awsconf_free(conf);
	bad = put("bad", "[default]\naws_access_key_id = A\nthis line is wrong\n");
	ok(awsconf_load(bad, missing, &conf, &err) < 0 && strstr(err->msg, "bad:3: not a `key = value` line") != NULL,
	    "awsconf: a bad line is named by file and line");
	mino_error_release(&err);
	free(bad);
	bad = put("bad2", "aws_access_key_id = A\n");
	ok(awsconf_load(bad, missing, &conf, &err) < 0 && strstr(err->msg, "bad2:1: a key before any [section]") != NULL,
	    "awsconf: a key outside a section is an error");
	mino_error_release(&err);
}

static void
test_time_and_xml(void)
{
	time_t t = 0;
	struct aws_creds c;
	struct mino_error *err = NULL;
	const char ok_doc[] = "<?xml version=\"1.0\"?>\n<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
	    "<AssumeRoleResult><Credentials><AccessKeyId>ASIAXXXX</AccessKeyId><SecretAccessKey>se/cr+et</SecretAccessKey>"
	    "<SessionToken>to&amp;ken</SessionToken><Expiration>2026-12-01T21:00:00Z</Expiration></Credentials>"
	    "</AssumeRoleResult></AssumeRoleResponse>";
	const char err_doc[] = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
	    "<Message>not &lt;allowed&gt;\nat all</Message></Error></ErrorResponse>";
	const char dup_doc[] = "<GetSessionTokenResponse><Credentials><AccessKeyId>A</AccessKeyId><AccessKeyId>B</AccessKeyId>"
	    "<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2026-12-01T21:00:00Z</Expiration>"
	    "</Credentials></GetSessionTokenResponse>";

	ok(aws_parse_time("2026-12-01T21:00:00Z", &t) == 0 && t == 1796158800, "time: Z");
	ok(aws_parse_time("2026-12-01T21:00:00.123Z", &t) == 0 && t == 1796158800, "time: fraction");
	ok(aws_parse_time("2026-12-01T22:30:00+01:30", &t) == 0 && t == 1796158800, "time: +hh:mm");
	ok(aws_parse_time("2026-12-01T20:00:00-0100", &t) == 0 && t == 1796158800, "time: -hhmm");
	ok(aws_parse_time("2026-12-01 21:00:00", &t) < 0 && aws_parse_time("2026-13-01T21:00:00Z", &t) < 0
	    && aws_parse_time("2026-12-01T21:00:00", &t) < 0, "time: no zone, bad month, space: refused");

	ok(aws_sts_parse("AssumeRole", ok_doc, strlen(ok_doc), 200, &c, &err) == 0, "sts xml: a real answer parses");
	is_str(c.secret_access_key, "se/cr+et", "sts xml: SecretAccessKey");
	is_str(c.session_token, "to&ken", "sts xml: entities decoded");
	is_int(c.expiration, 1796158800, "sts xml: Expiration");
	aws_creds_clear(&c);
	ok(aws_sts_parse("GetSessionToken", ok_doc, strlen(ok_doc), 200, &c, &err) < 0
	    && strstr(err->msg, "not a GetSessionTokenResponse") != NULL, "sts xml: the root must match the action");
	mino_error_release(&err);
	ok(aws_sts_parse("AssumeRole", err_doc, strlen(err_doc), 403, &c, &err) < 0
	    && strcmp(err->msg, "STS AssumeRole: AccessDenied: not <allowed> at all (HTTP 403)") == 0,
	    "sts xml: an error document becomes one line");
	mino_error_release(&err);
	ok(aws_sts_parse("AssumeRole", "oops", 4, 502, &c, &err) < 0
	    && strcmp(err->msg, "STS AssumeRole: HTTP 502 without an STS error document") == 0, "sts xml: not XML at all");
	mino_error_release(&err);
	ok(aws_sts_parse("GetSessionToken", dup_doc, strlen(dup_doc), 200, &c, &err) < 0, "sts xml: a repeated element is refused");
	mino_error_release(&err);
}

static void
test_cache(void)
{
	struct creds_cache *c = creds_cache_new();
	struct creds_cache_field a[] = { { "role_arn", "r1" }, { "profile", NULL } };
	struct creds_cache_field b[] = { { "role_arn", "r2" }, { "profile", NULL } };
	struct creds_cache_field e[] = { { "role_arn", "r1" }, { "profile", "" } };
	struct creds_cache_field s1[] = { { "a", "bc" }, { "d", "e" } };
	struct creds_cache_field s2[] = { { "a", "b" }, { "cd", "e" } };
	_cleanup_free_ char *ka = creds_cache_key("aws", a, 2);
	_cleanup_free_ char *ka2 = creds_cache_key("aws", a, 2);
	_cleanup_free_ char *kb = creds_cache_key("aws", b, 2);
	_cleanup_free_ char *ke = creds_cache_key("aws", e, 2);
	_cleanup_free_ char *kg = creds_cache_key("gcp", a, 2);
	_cleanup_free_ char *k1 = creds_cache_key("aws", s1, 2);
	_cleanup_free_ char *k2 = creds_cache_key("aws", s2, 2);
	time_t now = 1000000;

	ok(strcmp(ka, ka2) == 0 && strncmp(ka, "aws:", 4) == 0 && strlen(ka) == 4 + 64, "cache key: stable, provider:sha256");
	ok(strcmp(ka, kb) != 0, "cache key: another role, another key");
	ok(strcmp(ka, ke) != 0, "cache key: NULL differs from empty");
	ok(strcmp(ka, kg) != 0, "cache key: the provider is part of it");
	ok(strcmp(k1, k2) != 0, "cache key: fields are length-prefixed (no ambiguity)");
	creds_cache_put(c, ka, xstrdup("tok-a"), now + 3600, free);
	is_str((const char *)creds_cache_get(c, ka, now, 300), "tok-a", "cache: hit while plenty is left");
	ok(creds_cache_get(c, kb, now, 300) == NULL, "cache: another identity misses");
	ok(creds_cache_get(c, ka, now + 3300, 300) == NULL, "cache: with exactly 5 min left it is not handed out");
	is_int(creds_cache_count(c), 0, "cache: ... and it is dropped");
	creds_cache_put(c, ka, xstrdup("old"), now + 3600, free);
	creds_cache_put(c, ka, xstrdup("new"), now + 3600, free);
	is_str((const char *)creds_cache_get(c, ka, now, 300), "new", "cache: put replaces");
	is_int(creds_cache_count(c), 1, "cache: one entry per identity");
	{
		_cleanup_free_ char *open_dir = xasprintf("%s/open", dir);
		struct mino_error *err = NULL;

		mkdir(open_dir, 0755);
		chmod(open_dir, 0755);
		ok(creds_cache_set_dir(c, open_dir, &err) < 0 && err != NULL, "cache dir: a group/other-readable directory is refused");
		mino_error_release(&err);
		ok(creds_cache_path(c, ka) == NULL, "cache dir: none set, no path");
	}
	creds_cache_free(c);
}

static void
test_refresh_due(void)
{
	is_int(creds_refresh_due(1000, 1000, 1000 + 3600), 1000 + 2880, "refresh: a 1 h token at 80 %% (48 min)");
	is_int(creds_refresh_due(1000, 1000, 1000 + 43200), 1000 + 34560, "refresh: a 12 h token at 80 %%");
	is_int(creds_refresh_due(1000, 1000, 1000 + 900), 1000 + 600, "refresh: a 15 min token 5 min before expiry");
	is_int(creds_refresh_due(1000, 1000, 1000 + 10), 1000 + 5, "refresh: a 10 s token half way");
	is_int(creds_refresh_due(2000, 1000, 1000 + 3600), 1000 + 2880, "refresh: issued earlier, due unchanged");
	is_int(creds_refresh_due(4000, 1000, 1000 + 3600), 4000, "refresh: overdue means now");
	is_int(creds_refresh_due(1000, 0, 1000 + 3600), 1000 + 2880, "refresh: unknown issue time is now");
}

static void
never_fires(struct creds_refresh *r, void *data)
{
	*(bool *)data = true;
}

static void
test_refresh_timer(void)
{
	uv_loop_t loop;
	bool fired = false;
	struct creds_refresh *r;
	unsigned d[8];

	uv_loop_init(&loop);
	r = creds_refresh_new(&loop, never_fires, &fired);
	ok(!creds_refresh_armed(r), "refresh timer: idle when new");
	for (int i = 0; i < 8; i++)
		d[i] = creds_refresh_retry(r);
	ok(d[0] == 5000 && d[1] == 10000 && d[2] == 20000 && d[5] == 160000 && d[6] == 300000 && d[7] == 300000,
	    "refresh retry: 5 s doubling, capped at 5 min");
	ok(creds_refresh_armed(r), "refresh timer: armed by a retry");
	creds_refresh_arm(r, 1000, 1000, 1000 + 3600);
	d[0] = creds_refresh_retry(r);
	is_int(d[0], 5000, "refresh retry: a fresh token resets the backoff");
	creds_refresh_stop(r);
	ok(!creds_refresh_armed(r), "refresh timer: stop disarms");
	creds_refresh_close(r);
	uv_run(&loop, UV_RUN_DEFAULT);
	ok(!fired && uv_loop_close(&loop) == 0, "refresh timer: closed without firing, nothing left on the loop");
}

/* ---- one timer per identity: fake subscribers on a real loop ---- */

struct fake_sub {
	struct creds_refresh_sub sub;
	const char *name;
	unsigned starts, cancels, delivered, failures, last_retry;
	char got[32];
	bool fail_start;
};

static struct fake_sub *fake_minting;
static const struct creds_refresh_sub_ops fake_ops;

static void
fake_finish_cb(uv_timer_t *t)
{
	struct fake_sub *f = fake_minting;
	bool *fail = t->data;
	struct mino_error *err = NULL;

	fake_minting = NULL;
	uv_stop(t->loop);
	if (f == NULL)
		return;
	if (*fail) {
		mino_make_error(&err, MINO_E_CONFIG, 0, "fake STS said no");
		creds_refresh_done(&f->sub, NULL, 0, err);
		mino_error_release(&err);
	} else
		creds_refresh_done(&f->sub, "token-2", time(NULL) + 3600, NULL);
}

static uv_timer_t fake_finish;

static int
fake_start(void *data, struct mino_error **err)
{
	struct fake_sub *f = data;

	f->starts++;
	if (f->fail_start)
		return mino_make_error(err, MINO_E_CONFIG, 0, "cannot start");
	fake_minting = f;
	uv_timer_start(&fake_finish, fake_finish_cb, 10, 0);
	return 0;
}

static void
fake_cancel(void *data)
{
	struct fake_sub *f = data;

	f->cancels++;
	if (fake_minting == f)
		fake_minting = NULL;
}

static int
fake_deliver(void *data, const void *result, time_t expires, struct mino_error **err)
{
	struct fake_sub *f = data;

	(void)expires;
	(void)err;
	f->delivered++;
	snprintf(f->got, sizeof f->got, "%s", (const char *)result);
	return 0;
}

static void
fake_failed(void *data, const char *msg, unsigned retry_ms)
{
	struct fake_sub *f = data;

	(void)msg;
	f->failures++;
	f->last_retry = retry_ms;
}

static const struct creds_refresh_sub_ops fake_ops = {
	.start = fake_start, .cancel = fake_cancel, .deliver = fake_deliver, .failed = fake_failed,
};

static void
test_refresh_shared(void)
{
	uv_loop_t loop;
	struct fake_sub a = { .name = "a" }, b = { .name = "b" }, c = { .name = "c" }, w = { .name = "w" };
	bool fail = false;
	time_t now = time(NULL), due_ab;

	uv_loop_init(&loop);
	uv_timer_init(&loop, &fake_finish);
	fake_finish.data = &fail;
	creds_refresh_join(&loop, "aws:one", &a.sub, &fake_ops, &a, now, now + 3600, false);
	creds_refresh_join(&loop, "aws:one", &b.sub, &fake_ops, &b, now, now + 3600, false);
	creds_refresh_join(&loop, "aws:two", &c.sub, &fake_ops, &c, now, now + 3600, false);
	ok(creds_refresh_idents() == 2 && creds_refresh_subscribers(&a.sub) == 2 && creds_refresh_subscribers(&c.sub) == 1,
	    "shared refresh: two sessions of one identity share one timer, another identity has its own");
	due_ab = creds_refresh_due_at(&a.sub);
	ok(due_ab == creds_refresh_due_at(&b.sub) && due_ab == now + 2880, "shared refresh: one due time, at 80 %%");
	creds_refresh_join(&loop, "aws:one", &w.sub, &fake_ops, &w, now, now + 2, true);
	ok(creds_refresh_due_at(&a.sub) == now + 1, "shared refresh: a session with an older token makes it sooner");
	creds_refresh_join(&loop, "aws:one", &w.sub, &fake_ops, &w, now, now + 7200, true);
	ok(creds_refresh_subscribers(&a.sub) == 3 && creds_refresh_due_at(&a.sub) == now + 1,
	    "shared refresh: a later token never postpones it; re-joining does not count twice");

	/* It fires: one re-mint (by a strong subscriber), every session gets the result. */
	uv_run(&loop, UV_RUN_DEFAULT);
	ok(a.starts + b.starts == 1 && w.starts == 0 && c.starts == 0,
	    "shared refresh: one re-mint for the identity, not by the weak (re-adopted) session");
	ok(a.delivered == 1 && b.delivered == 1 && w.delivered == 1 && c.delivered == 0
	    && strcmp(a.got, "token-2") == 0 && strcmp(w.got, "token-2") == 0,
	    "shared refresh: its result is delivered to each session of the identity, no other");
	ok(creds_refresh_due_at(&a.sub) >= now + 2880, "shared refresh: re-armed for the new token");

	/* A failed re-mint: every session hears of it, one backoff. */
	fail = true;
	{
		struct fake_sub *leader = a.starts ? &a : &b;
		unsigned before = leader->starts;

		creds_refresh_leave(&w.sub);
		creds_refresh_join(&loop, "aws:one", &w.sub, &fake_ops, &w, time(NULL), time(NULL) + 1, true);
		uv_run(&loop, UV_RUN_DEFAULT);  /* the timer fires, the re-mint fails, the loop stops */
		ok(leader->starts == before + 1 && a.failures == 1 && b.failures == 1 && w.failures == 1
		    && a.last_retry == 5000 && w.last_retry == 5000 && c.failures == 0,
		    "shared refresh: a failure reaches every session of the identity, with one backoff (5 s)");
	}

	/* The retry's minting session ends: its mint is cancelled, the next one re-mints at once. */
	fail = false;
	while (fake_minting == NULL && uv_run(&loop, UV_RUN_ONCE) != 0)
		;
	{
		struct fake_sub *m = fake_minting, *other = m == &a ? &b : &a;
		unsigned other_starts = other->starts;

		ok(m == &a || m == &b, "shared refresh: the retry re-mints through a strong session");
		creds_refresh_leave(&m->sub);
		ok(m->cancels == 1 && other->starts == other_starts + 1 && fake_minting == other,
		    "shared refresh: the minting session leaves: its mint is cancelled, the next one takes over");
		uv_run(&loop, UV_RUN_DEFAULT);
		ok(other->delivered == 2 && w.delivered == 2 && m->delivered == 1,
		    "shared refresh: the others get the token, the one that left does not");
		creds_refresh_leave(&other->sub);
	}
	ok(creds_refresh_idents() == 2 && creds_refresh_subscribers(&w.sub) == 1, "shared refresh: counted down");
	creds_refresh_leave(&w.sub);
	creds_refresh_leave(&w.sub);
	creds_refresh_leave(&c.sub);
	ok(creds_refresh_idents() == 0, "shared refresh: the last session's end stops the identity's timer");
	uv_close((uv_handle_t *)&fake_finish, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ok(uv_loop_close(&loop) == 0, "shared refresh: nothing left on the loop");
}

static void
test_words_and_render(void)
{
	struct mino_error *err = NULL;
	char **v = capture_split_words("  /usr/bin/tool --a 'b c' \"d \\\"e\\\"\" f\\ g ''", &err);
	struct aws_creds c = { .access_key_id = xstrdup("ASIAX"), .secret_access_key = xstrdup("sec/ret+"),
		.session_token = xstrdup("tok=="), .expiration = 1796158800, .region = xstrdup("eu-west-1") };
	_cleanup_secret_ char *js = aws_creds_process_json(&c);
	_cleanup_secret_ char *ini = aws_creds_ini(&c, "default");
	_cleanup_free_ char *cfg = aws_config_render("/run/mino/aws-credentials", "eu-west-1");
	json_t *j = json_loads(js, 0, NULL);

	ok(v != NULL && v[0] != NULL && strcmp(v[0], "/usr/bin/tool") == 0 && strcmp(v[1], "--a") == 0
	    && strcmp(v[2], "b c") == 0 && strcmp(v[3], "d \"e\"") == 0 && strcmp(v[4], "f g") == 0
	    && strcmp(v[5], "") == 0 && v[6] == NULL, "words: quotes and backslashes as a shell splits them");
	capture_argv_free(v);
	ok(capture_split_words("a 'b", &err) == NULL && strstr(err->msg, "unterminated") != NULL, "words: an open quote");
	mino_error_release(&err);
	ok(json_integer_value(json_object_get(j, "Version")) == 1
	    && strcmp(json_string_value(json_object_get(j, "AccessKeyId")), "ASIAX") == 0
	    && strcmp(json_string_value(json_object_get(j, "SecretAccessKey")), "sec/ret+") == 0
	    && strcmp(json_string_value(json_object_get(j, "SessionToken")), "tok==") == 0
	    && strcmp(json_string_value(json_object_get(j, "Expiration")), "2026-12-01T21:00:00Z") == 0,
	    "render: credential_process JSON, Version 1");
	json_decref(j);
	is_str(ini, "[default]\naws_access_key_id = ASIAX\naws_secret_access_key = sec/ret+\naws_session_token = tok==\n",
	    "render: credentials file");
	is_str(cfg, "[default]\ncredential_process = /run/mino/aws-credentials\nregion = eu-west-1\n",
	    "render: config file with credential_process");
	aws_creds_clear(&c);
	ok(c.access_key_id == NULL && c.secret_access_key == NULL, "aws_creds_clear empties");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	test_awsconf();
	test_time_and_xml();
	test_cache();
	test_refresh_due();
	test_refresh_timer();
	test_refresh_shared();
	test_words_and_render();
	{
		_cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
