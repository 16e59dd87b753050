/* aws.c: the AWS source chain and STS (aws.h).
 *
 * An aws_mint walks: source (env | profile chain | credential_process |
 * aws CLI) -> cache lookup -> one AssumeRole per profile role hop -> the
 * final AssumeRole / GetSessionToken / pass-through -> cache store.
 * Every step that waits is a capture (child process) or an http_req;
 * aws_mint_step() decides what comes next.  on_done is never called
 * inside aws_mint_start: the first step runs from a 0 ms timer. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "aws.h"
#include "awsconf.h"
#include "buf.h"
#include "creds-cache.h"
#include "capture.h"
#include "http.h"
#include "log.h"
#include "mino-protocol.h"
#include "secret.h"
#include "sigv4.h"
#include "xalloc.h"

#define AWS_STS_VERSION "2011-06-15"
#define AWS_DEFAULT_REGION "us-east-1"
#define AWS_DEFAULT_TIMEOUT_MS 30000u
#define AWS_MAX_SECRET 8192u

enum aws_stage {
	AWS_STAGE_SOURCE,     /* run credential_process / the CLI if needed */
	AWS_STAGE_CACHE,      /* look the identity up */
	AWS_STAGE_HOPS,       /* profile role hops */
	AWS_STAGE_FINAL,      /* AssumeRole(role_arn) / GetSessionToken / pass-through */
	AWS_STAGE_DONE,
};

struct aws_hop {
	char *role_arn, *external_id, *session_name;
	unsigned duration_secs;
};

struct aws_mint {
	uv_loop_t *loop;
	struct http_client *http;
	struct creds_cache *cache;
	bool fresh;
	char **env;                  /* the client's, copied; values may be secrets */
	enum aws_stage stage;
	enum awsconf_kind src_kind;
	char *source;                /* "environment", "profile `x`" */
	char *profile;               /* NULL for the environment source */
	char *process;               /* PROCESS: command line */
	char *cli;                   /* CLI: path of aws */
	char *region, *endpoint, *ca_bundle;
	char *role_arn, *external_id, *session_name;
	unsigned duration_secs, timeout_ms;
	struct aws_hop *hops;
	size_t nhops, next_hop;
	struct aws_creds cur;
	bool minted;                 /* an STS call made cur */
	bool from_cache;
	char *cache_key;
	struct capture *cap;
	struct http_req *req;
	const char *action;          /* STS action in flight */
	uv_timer_t kick;
	aws_done_fn on_done;
	void *data;
};

static void aws_mint_step(struct aws_mint *m);
static void aws_mint_fail(struct aws_mint *m, struct mino_error *err);
static void aws_mint_free(struct aws_mint *m);
static void aws_kick_cb(uv_timer_t *t);
static void aws_kick_close_cb(uv_handle_t *h);
static void aws_capture_done(struct capture *cp, const struct capture_result *res,
    const struct mino_error *err, void *data);
static void aws_sts_done(struct http_req *r, const struct http_response *resp,
    const struct mino_error *err, void *data);

/* ---- credentials and their renderings ---- */

void
aws_creds_clear(struct aws_creds *c)
{
	free(c->access_key_id);
	secret_free(c->secret_access_key);
	secret_free(c->session_token);
	free(c->region);
	memset(c, 0, sizeof *c);
}

void
aws_creds_move(struct aws_creds *dst, struct aws_creds *src)
{
	*dst = *src;
	memset(src, 0, sizeof *src);
}

void
aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	dst->access_key_id = src->access_key_id != NULL ? xstrdup(src->access_key_id) : NULL;
	dst->secret_access_key = src->secret_access_key != NULL ? xstrdup(src->secret_access_key) : NULL;
	dst->session_token = src->session_token != NULL ? xstrdup(src->session_token) : NULL;
	dst->region = src->region != NULL ? xstrdup(src->region) : NULL;
	dst->expiration = src->expiration;
}

static void
aws_format_time(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Key texts are checked on the way in (no quote, backslash, space or
 * control byte), so they render without escaping. */
char *
aws_creds_process_json(const struct aws_creds *c)
{
	char exp[32] = "";

	if (c->expiration != 0)
		aws_format_time(c->expiration, exp);
	return xasprintf("{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"%s%s%s%s%s%s}\n",
	    c->access_key_id, c->secret_access_key,
	    c->session_token != NULL ? ",\"SessionToken\":\"" : "",
	    c->session_token != NULL ? c->session_token : "",
	    c->session_token != NULL ? "\"" : "",
	    c->expiration != 0 ? ",\"Expiration\":\"" : "", exp, c->expiration != 0 ? "\"" : "");
}

char *
aws_creds_ini(const struct aws_creds *c, const char *profile)
{
	return xasprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n%s%s%s",
	    profile, c->access_key_id, c->secret_access_key,
	    c->session_token != NULL ? "aws_session_token = " : "",
	    c->session_token != NULL ? c->session_token : "",
	    c->session_token != NULL ? "\n" : "");
}

char *
aws_config_render(const char *credential_process, const char *region)
{
	return xasprintf("[default]\ncredential_process = %s\n%s%s%s", credential_process,
	    region != NULL ? "region = " : "", region != NULL ? region : "", region != NULL ? "\n" : "");
}


static int
aws_creds_check(const struct aws_creds *c, const char *from, struct mino_error **err)
{
	if (c->access_key_id == NULL || c->secret_access_key == NULL)
		return mino_make_error(err, MINO_E_IO, 0, "%s: no access key id or secret access key", from);
	if (secret_check_text("access key id", c->access_key_id, 128, err) < 0
	    || secret_check_text("secret access key", c->secret_access_key, AWS_MAX_SECRET, err) < 0
	    || (c->session_token != NULL && secret_check_text("session token", c->session_token, AWS_MAX_SECRET, err) < 0))
		return mino_error_wrap(err, "%s", from);
	return 0;
}

/* ISO 8601 as AWS writes it: 2026-12-01T21:00:00Z, optional fraction,
 * Z or +hh:mm / +hhmm. */
int
aws_parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	int n = 0, sign, oh = 0, om = 0;
	const char *p;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' && p[1] == '\0')
		sign = 0;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2])) {
		sign = *p == '+' ? 1 : -1;
		oh = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == ':')
			p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != '\0')
			return -1;
		om = (p[0] - '0') * 10 + (p[1] - '0');
	} else
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23
	    || tm.tm_min > 59 || tm.tm_sec > 60 || oh > 23 || om > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* ---- STS XML: a strict extractor for the few elements we need ---- */

/* The text of the single <tag>...</tag> in [doc, doc+len), entities
 * decoded; NULL if absent, repeated or holding markup. */
static char *
aws_xml_text(const char *doc, size_t len, const char *tag)
{
	_cleanup_free_ char *open = xasprintf("<%s>", tag);
	_cleanup_free_ char *close = xasprintf("</%s>", tag);
	const char *s = memmem(doc, len, open, strlen(open));
	const char *e, *p;
	struct buf b;

	if (s == NULL)
		return NULL;
	s += strlen(open);
	e = memmem(s, len - (size_t)(s - doc), close, strlen(close));
	if (e == NULL || memmem(e, len - (size_t)(e - doc), open, strlen(open)) != NULL
	    || memchr(s, '<', (size_t)(e - s)) != NULL)
		return NULL;
	buf_init(&b);
	for (p = s; p < e; p++) {
		static const struct { const char *ent; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
		};
		size_t i;

		if (*p != '&') {
			secret_buf_append(&b, p, 1);
			continue;
		}
		for (i = 0; i < sizeof ents / sizeof ents[0]; i++)
			if ((size_t)(e - p) >= strlen(ents[i].ent) && strncmp(p, ents[i].ent, strlen(ents[i].ent)) == 0)
				break;
		if (i == sizeof ents / sizeof ents[0]) {
			secret_buf_free(&b);
			return NULL;
		}
		secret_buf_append(&b, &ents[i].c, 1);
		p += strlen(ents[i].ent) - 1;
	}
	secret_buf_append(&b, "", 0);
	return b.data;
}

static bool
aws_xml_root_is(const char *doc, size_t len, const char *root)
{
	const char *p = doc;
	size_t rl = strlen(root);

	while (p < doc + len && isspace((unsigned char)*p))
		p++;
	if (p + 5 < doc + len && strncmp(p, "<?xml", 5) == 0) {
		p = memmem(p, len - (size_t)(p - doc), "?>", 2);
		if (p == NULL)
			return false;
		p += 2;
		while (p < doc + len && isspace((unsigned char)*p))
			p++;
	}
	return (size_t)(doc + len - p) > rl + 1 && p[0] == '<' && strncmp(p + 1, root, rl) == 0
	    && (p[rl + 1] == ' ' || p[rl + 1] == '>');
}

int
aws_sts_parse(const char *action, const char *doc, size_t len, long status, struct aws_creds *out,
    struct mino_error **err)
{
	_cleanup_free_ char *root = xasprintf("%sResponse", action);
	const char *cs, *ce;
	_cleanup_free_ char *exp = NULL;

	memset(out, 0, sizeof *out);
	if (status != 200) {
		_cleanup_free_ char *code = aws_xml_text(doc, len, "Code");
		_cleanup_free_ char *msg = aws_xml_text(doc, len, "Message");

		if (code == NULL)
			return mino_make_error(err, MINO_E_IO, 0, "STS %s: HTTP %ld without an STS error document",
			    action, status);
		if (msg != NULL && strlen(msg) > 300)
			msg[300] = '\0';
		return mino_make_error(err, MINO_E_IO, 0, "STS %s: %s: %s (HTTP %ld)", action, code,
		    msg != NULL ? msg : "(no message)", status);
	}
	if (!aws_xml_root_is(doc, len, root))
		return mino_make_error(err, MINO_E_IO, 0, "STS %s: the answer is not a %s document", action, root);
	cs = memmem(doc, len, "<Credentials>", 13);
	ce = cs != NULL ? memmem(cs, len - (size_t)(cs - doc), "</Credentials>", 14) : NULL;
	if (ce == NULL)
		return mino_make_error(err, MINO_E_IO, 0, "STS %s: no <Credentials> in the answer", action);
	out->access_key_id = aws_xml_text(cs, (size_t)(ce - cs), "AccessKeyId");
	out->secret_access_key = aws_xml_text(cs, (size_t)(ce - cs), "SecretAccessKey");
	out->session_token = aws_xml_text(cs, (size_t)(ce - cs), "SessionToken");
	exp = aws_xml_text(cs, (size_t)(ce - cs), "Expiration");
	if (out->session_token == NULL || exp == NULL || aws_parse_time(exp, &out->expiration) < 0) {
		aws_creds_clear(out);
		return mino_make_error(err, MINO_E_IO, 0, "STS %s: <Credentials> lacks a SessionToken or a valid Expiration",
		    action);
	}
	if (aws_creds_check(out, "STS answer", err) < 0) {
		aws_creds_clear(out);
		return mino_error_wrap(err, "STS %s", action);
	}
	return 0;
}

/* ---- the client's environment ---- */


static const char *
aws_env_nonempty(char *const *env, const char *name)
{
	return capture_env_get((const char *const *)env, name);
}

static char **
aws_env_copy(const char *const *env)
{
	size_t n = 0;
	char **v;

	while (env != NULL && env[n] != NULL)
		n++;
	v = xcalloc(n + 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(env[i]);
	return v;
}

static void
aws_env_free(char **env)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		secret_free(env[i]);
	free(env);
}


/* ---- options and the source ---- */

static int
aws_check_opts(const struct aws_mint_opts *o, struct mino_error **err)
{
	unsigned d = o->duration_secs ? o->duration_secs : AWS_DURATION_DEFAULT;

	if (o->loop == NULL || o->http == NULL || o->on_done == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "aws: loop, http and on_done are required");
	if (d < AWS_DURATION_MIN || d > AWS_DURATION_MAX)
		return mino_make_error(err, MINO_E_CONFIG, 0,
		    "credentials.aws.session_duration_secs must be %u to %u, not %u", AWS_DURATION_MIN,
		    AWS_DURATION_MAX, d);
	if (o->role_arn != NULL && (strncmp(o->role_arn, "arn:", 4) != 0 || strlen(o->role_arn) > 2048
	    || strpbrk(o->role_arn, " \t\r\n") != NULL))
		return mino_make_error(err, MINO_E_CONFIG, 0, "credentials.aws.role_arn is not a role ARN");
	if (o->external_id != NULL && (strlen(o->external_id) < 2 || strlen(o->external_id) > 1224))
		return mino_make_error(err, MINO_E_CONFIG, 0, "credentials.aws.external_id must be 2 to 1224 characters");
	if (o->external_id != NULL && o->role_arn == NULL)
		return mino_make_error(err, MINO_E_CONFIG, 0, "credentials.aws.external_id needs credentials.aws.role_arn");
	return 0;
}

static bool
aws_region_ok(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > 32)
		return false;
	for (const char *p = r; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return true;
}

/* RoleSessionName: [\w+=,.@-]{2,64}; anything else becomes '-'. */
static char *
aws_session_name(const char *want)
{
	char *s = xstrndup(want != NULL && want[0] != '\0' ? want : "mino", 64);

	for (char *p = s; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || strchr("_+=,.@-", *p) != NULL))
			*p = '-';
	if (strlen(s) < 2) {
		free(s);
		s = xstrdup("mino");
	}
	return s;
}

static int
aws_source_env(struct aws_mint *m, struct mino_error **err)
{
	const char *id = aws_env_nonempty(m->env, "AWS_ACCESS_KEY_ID");
	const char *secret = aws_env_nonempty(m->env, "AWS_SECRET_ACCESS_KEY");
	const char *token = aws_env_nonempty(m->env, "AWS_SESSION_TOKEN");
	const char *exp = aws_env_nonempty(m->env, "AWS_CREDENTIAL_EXPIRATION");

	if (id == NULL || secret == NULL)
		return mino_make_error(err, MINO_E_CONFIG, 0,
		    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
	m->cur.access_key_id = xstrdup(id);
	m->cur.secret_access_key = xstrdup(secret);
	m->cur.session_token = token != NULL ? xstrdup(token) : NULL;
	if (exp != NULL && aws_parse_time(exp, &m->cur.expiration) < 0)
		return mino_make_error(err, MINO_E_CONFIG, 0, "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time");
	m->source = xstrdup("environment");
	m->src_kind = AWSCONF_STATIC;
	return aws_creds_check(&m->cur, "the client's AWS_* variables", err);
}

static char *
aws_file_path(const struct aws_mint *m, const struct aws_mint_opts *o, const char *var, const char *leaf)
{
	const char *v = aws_env_nonempty(m->env, var);
	const char *home = o->home != NULL ? o->home : aws_env_nonempty(m->env, "HOME");

	if (v != NULL)
		return xstrdup(v);
	if (home == NULL)
		home = getenv("HOME") != NULL ? getenv("HOME") : "/";
	return xasprintf("%s/.aws/%s", home, leaf);
}

static void
aws_take_hops(struct aws_mint *m, const struct awsconf_chain *ch)
{
	m->hops = xcalloc(ch->nhops + 1, sizeof *m->hops);
	for (size_t i = 0; i < ch->nhops; i++) {
		const struct awsconf_hop *h = &ch->hops[i];

		m->hops[i].role_arn = xstrdup(h->role_arn);
		m->hops[i].external_id = h->external_id != NULL ? xstrdup(h->external_id) : NULL;
		m->hops[i].session_name = aws_session_name(h->session_name != NULL ? h->session_name : m->session_name);
		m->hops[i].duration_secs = h->duration_secs ? h->duration_secs : 3600;
	}
	m->nhops = ch->nhops;
}

/* Sets m->region to the profile's region, if it has one. */
static int
aws_source_profile(struct aws_mint *m, const struct aws_mint_opts *o, const char *profile,
    struct mino_error **err)
{
	_cleanup_free_ char *cpath = aws_file_path(m, o, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	_cleanup_free_ char *fpath = aws_file_path(m, o, "AWS_CONFIG_FILE", "config");
	struct awsconf *conf = NULL;
	struct awsconf_chain ch;
	int r = 0;

	if (awsconf_load(cpath, fpath, &conf, err) < 0)
		return -1;
	if (awsconf_resolve(conf, profile, &ch, err) < 0) {
		awsconf_free(conf);
		return -1;
	}
	m->profile = xstrdup(profile);
	m->source = xasprintf("profile `%s`", profile);
	m->src_kind = ch.kind;
	aws_take_hops(m, &ch);
	if (ch.region != NULL)
		m->region = xstrdup(ch.region);
	if (ch.ca_bundle != NULL && m->ca_bundle == NULL)
		m->ca_bundle = xstrdup(ch.ca_bundle);
	switch (ch.kind) {
	case AWSCONF_STATIC:
		m->cur.access_key_id = xstrdup(ch.access_key_id);
		m->cur.secret_access_key = xstrdup(ch.secret_access_key);
		m->cur.session_token = ch.session_token != NULL ? xstrdup(ch.session_token) : NULL;
		r = aws_creds_check(&m->cur, m->source, err);
		break;
	case AWSCONF_PROCESS:
		m->process = xstrdup(ch.process);
		break;
	case AWSCONF_CLI:
		m->cli = capture_find_program((const char *const *)m->env, "aws");
		if (m->cli == NULL)
			r = mino_make_error(err, MINO_E_CONFIG, 0,
			    "no AWS credentials: not in the client's environment, profile `%s` %s (%s, %s), and no aws CLI on PATH",
			    profile, ch.cli_reason, cpath, fpath);
		break;
	}
	awsconf_chain_clear(&ch);
	awsconf_free(conf);
	return r;
}

/* The endpoint: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, then regional. */
static int
aws_pick_endpoint(struct aws_mint *m, struct mino_error **err)
{
	const char *e = aws_env_nonempty(m->env, "AWS_ENDPOINT_URL_STS");

	if (e == NULL)
		e = aws_env_nonempty(m->env, "AWS_ENDPOINT_URL");
	if (e == NULL) {
		m->endpoint = xasprintf("https://sts.%s.amazonaws.com/", m->region);
		return 0;
	}
	if (strncmp(e, "https://", 8) != 0 && strncmp(e, "http://", 7) != 0)
		return mino_make_error(err, MINO_E_CONFIG, 0, "AWS_ENDPOINT_URL(_STS) must be an http(s) URL");
	m->endpoint = xstrdup(e);
	return 0;
}

static int
aws_mint_setup(struct aws_mint *m, const struct aws_mint_opts *o, struct mino_error **err)
{
	const char *region = o->region;
	const char *profile = o->profile;

	if (region == NULL)
		region = aws_env_nonempty(m->env, "AWS_REGION");
	if (region == NULL)
		region = aws_env_nonempty(m->env, "AWS_DEFAULT_REGION");
	/* An explicit profile wins over the environment's keys, as in the SDKs. */
	if (profile == NULL && aws_env_nonempty(m->env, "AWS_ACCESS_KEY_ID") != NULL) {
		if (aws_source_env(m, err) < 0)
			return -1;
	} else {
		if (profile == NULL)
			profile = aws_env_nonempty(m->env, "AWS_PROFILE");
		if (profile == NULL)
			profile = "default";
		if (aws_source_profile(m, o, profile, err) < 0)
			return -1;
	}
	/* credentials.aws.region, AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1. */
	if (region != NULL) {
		free(m->region);
		m->region = xstrdup(region);
	} else if (m->region == NULL)
		m->region = xstrdup(AWS_DEFAULT_REGION);
	if (!aws_region_ok(m->region))
		return mino_make_error(err, MINO_E_CONFIG, 0, "AWS region `%s` is not a region name", m->region);
	if (aws_env_nonempty(m->env, "AWS_CA_BUNDLE") != NULL) {
		free(m->ca_bundle);
		m->ca_bundle = xstrdup(aws_env_nonempty(m->env, "AWS_CA_BUNDLE"));
	}
	return aws_pick_endpoint(m, err);
}

struct aws_mint *
aws_mint_start(const struct aws_mint_opts *o, struct mino_error **err)
{
	struct aws_mint *m;

	if (aws_check_opts(o, err) < 0)
		return NULL;
	m = xcalloc(1, sizeof *m);
	m->loop = o->loop;
	m->http = o->http;
	m->cache = o->cache;
	m->fresh = o->fresh;
	m->env = aws_env_copy(o->env);
	m->role_arn = o->role_arn != NULL ? xstrdup(o->role_arn) : NULL;
	m->external_id = o->external_id != NULL ? xstrdup(o->external_id) : NULL;
	m->session_name = aws_session_name(o->session_name);
	m->duration_secs = o->duration_secs ? o->duration_secs : AWS_DURATION_DEFAULT;
	m->timeout_ms = o->timeout_ms ? o->timeout_ms : AWS_DEFAULT_TIMEOUT_MS;
	m->on_done = o->on_done;
	m->data = o->data;
	uv_timer_init(m->loop, &m->kick);
	m->kick.data = m;
	if (aws_mint_setup(m, o, err) < 0) {
		aws_mint_free(m);
		return NULL;
	}
	log_debug("aws: minting from %s, region %s, endpoint %s%s%s", m->source, m->region, m->endpoint,
	    m->role_arn != NULL ? ", role " : "", m->role_arn != NULL ? m->role_arn : "");
	uv_timer_start(&m->kick, aws_kick_cb, 0, 0);
	return m;
}

const char *
aws_mint_source(const struct aws_mint *m)
{
	return m->source;
}

const char *
aws_mint_key(const struct aws_mint *m)
{
	return m->cache_key;
}

bool
aws_mint_from_cache(const struct aws_mint *m)
{
	return m->from_cache;
}

static void
aws_kick_cb(uv_timer_t *t)
{
	aws_mint_step(t->data);
}

/* ---- the helper programs ---- */

static int
aws_creds_from_process_json(struct aws_creds *c, const char *out, size_t len, struct mino_error **err)
{
	json_error_t je;
	json_t *j = json_loadb(out, len, JSON_REJECT_DUPLICATES, &je);
	json_t *v;
	const char *id, *secret, *token, *exp;
	int r = 0;

	if (!json_is_object(j)) {
		json_decref(j);
		return mino_make_error(err, MINO_E_IO, 0, "output is not a JSON object");
	}
	v = json_object_get(j, "Version");
	id = json_string_value(json_object_get(j, "AccessKeyId"));
	secret = json_string_value(json_object_get(j, "SecretAccessKey"));
	token = json_string_value(json_object_get(j, "SessionToken"));
	exp = json_string_value(json_object_get(j, "Expiration"));
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		r = mino_make_error(err, MINO_E_IO, 0, "output has no \"Version\": 1");
	else if (id == NULL || secret == NULL)
		r = mino_make_error(err, MINO_E_IO, 0, "output lacks AccessKeyId or SecretAccessKey");
	else if (json_object_get(j, "Expiration") != NULL && (exp == NULL || aws_parse_time(exp, &c->expiration) < 0))
		r = mino_make_error(err, MINO_E_IO, 0, "output's Expiration is not an ISO 8601 time");
	if (r == 0) {
		c->access_key_id = xstrdup(id);
		c->secret_access_key = xstrdup(secret);
		c->session_token = token != NULL && token[0] != '\0' ? xstrdup(token) : NULL;
		r = aws_creds_check(c, "output", err);
	}
	json_decref(j);
	return r;
}

static int
aws_parse_process_output(struct aws_mint *m, const char *out, size_t len, struct mino_error **err)
{
	return aws_creds_from_process_json(&m->cur, out, len, err);
}

static void
aws_capture_done(struct capture *cp, const struct capture_result *res, const struct mino_error *cerr,
    void *data)
{
	struct aws_mint *m = data;
	struct mino_error *err = NULL;
	const char *what = m->process != NULL ? "credential_process" : "aws configure export-credentials";

	m->cap = NULL;
	if (cerr != NULL)
		mino_make_error(&err, cerr->code, 0, "%s", cerr->msg);
	else if (res->exit_status != 0 || res->term_signal != 0) {
		_cleanup_free_ char *first = xstrndup(res->errout, strcspn(res->errout, "\n"));
		_cleanup_free_ char *clean = log_sanitize(first, strlen(first));

		mino_make_error(&err, MINO_E_IO, 0, "%s exited with %s %d%s%s", what,
		    res->term_signal != 0 ? "signal" : "status",
		    res->term_signal != 0 ? res->term_signal : (int)res->exit_status,
		    clean[0] != '\0' ? ": " : "", clean);
	} else
		aws_parse_process_output(m, res->out, res->out_len, &err);
	if (err != NULL) {
		mino_error_wrap(&err, "%s", m->source);
		aws_mint_fail(m, err);
		return;
	}
	m->stage = AWS_STAGE_CACHE;
	aws_mint_step(m);
}

static int
aws_start_helper(struct aws_mint *m, struct mino_error **err)
{
	char **argv;
	char **env = capture_env_with_defaults((const char *const *)m->env);
	struct capture_opts co = {
		.loop = m->loop,
		.env = (const char *const *)env,
		.timeout_ms = m->timeout_ms * 2,
		.on_done = aws_capture_done,
		.data = m,
	};

	if (m->process != NULL) {
		argv = capture_split_words(m->process, err);
		if (argv == NULL) {
			capture_env_free(env);
			return mino_error_wrap(err, "%s: credential_process", m->source);
		}
		co.what = "credential_process";
	} else {
		const char *v[] = { m->cli, "configure", "export-credentials", "--profile", m->profile,
			"--format", "process", NULL };

		argv = xcalloc(8, sizeof *argv);
		for (size_t i = 0; v[i] != NULL; i++)
			argv[i] = xstrdup(v[i]);
		co.what = "aws configure export-credentials";
	}
	co.argv = (const char *const *)argv;
	log_debug("aws: %s: running %s", m->source, co.what);
	m->cap = capture_start(&co, err);
	capture_argv_free(argv);
	capture_env_free(env);
	if (m->cap == NULL)
		return mino_error_wrap(err, "%s", m->source);
	return 0;
}

/* ---- STS ---- */

static char *
aws_form_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r;

	if (e == NULL)
		fatal("curl_easy_escape: out of memory");
	r = xstrdup(e);
	curl_free(e);
	return r;
}

static char *
aws_sts_body(const char *action, const struct aws_hop *h, unsigned duration)
{
	_cleanup_free_ char *arn = NULL;
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *ext = NULL;

	if (h == NULL)
		return xasprintf("Action=%s&Version=%s&DurationSeconds=%u", action, AWS_STS_VERSION, duration);
	arn = aws_form_escape(h->role_arn);
	name = aws_form_escape(h->session_name);
	ext = h->external_id != NULL ? aws_form_escape(h->external_id) : NULL;
	return xasprintf("Action=%s&Version=%s&RoleArn=%s&RoleSessionName=%s&DurationSeconds=%u%s%s", action,
	    AWS_STS_VERSION, arn, name, h->duration_secs, ext != NULL ? "&ExternalId=" : "", ext != NULL ? ext : "");
}

/* The Host header curl sends for the endpoint: host, plus :port when given. */
static int
aws_endpoint_host(const char *url, char **host_out, struct mino_error **err)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	int r = 0;

	if (u == NULL)
		fatal("curl_url: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		r = mino_make_error(err, MINO_E_CONFIG, 0, "STS endpoint `%s` is not a URL", url);
	else {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		*host_out = port != NULL ? xasprintf("%s:%s", host, port) : xstrdup(host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

static int
aws_sts_call(struct aws_mint *m, const char *action, const struct aws_hop *hop, struct mino_error **err)
{
	static const char ctype[] = "application/x-www-form-urlencoded; charset=utf-8";
	_cleanup_free_ char *body = aws_sts_body(action, hop, m->duration_secs);
	_cleanup_free_ char *host = NULL;
	_cleanup_free_ char *h_host = NULL, *h_date = NULL, *h_auth = NULL;
	_cleanup_secret_ char *h_token = NULL;
	struct sigv4_key key = {
		.access_key_id = m->cur.access_key_id,
		.secret_access_key = m->cur.secret_access_key,
		.session_token = m->cur.session_token,
	};
	struct sigv4_input in = {
		.method = "POST", .path = "/", .region = m->region, .service = "sts",
		.content_type = ctype, .body = body, .body_len = strlen(body), .now = time(NULL),
	};
	struct sigv4_output sig;
	const char *headers[6];
	size_t nh = 0;
	struct http_request_opts ho = {
		.method = "POST", .url = m->endpoint, .headers = headers, .body = body, .body_len = strlen(body),
		.timeout_ms = m->timeout_ms, .ca_bundle = m->ca_bundle, .on_done = aws_sts_done, .data = m,
	};

	if (aws_endpoint_host(m->endpoint, &host, err) < 0)
		return -1;
	in.host = host;
	if (sigv4_sign(&in, &key, &sig, err) < 0)
		return mino_error_wrap(err, "STS %s", action);
	h_host = xasprintf("Host: %s", host);
	h_date = xasprintf("X-Amz-Date: %s", sig.amz_date);
	h_auth = xasprintf("Authorization: %s", sig.authorization);
	sigv4_output_clear(&sig);
	headers[nh++] = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
	headers[nh++] = h_host;
	headers[nh++] = h_date;
	headers[nh++] = h_auth;
	if (m->cur.session_token != NULL) {
		h_token = xasprintf("X-Amz-Security-Token: %s", m->cur.session_token);
		headers[nh++] = h_token;
	}
	headers[nh] = NULL;
	m->action = action;
	log_debug("aws: STS %s at %s (key %s%s%s)", action, m->endpoint, m->cur.access_key_id,
	    hop != NULL ? ", role " : "", hop != NULL ? hop->role_arn : "");
	m->req = http_request(m->http, &ho, err);
	if (m->req == NULL)
		return mino_error_wrap(err, "STS %s", action);
	return 0;
}

static void
aws_sts_done(struct http_req *r, const struct http_response *resp, const struct mino_error *herr, void *data)
{
	struct aws_mint *m = data;
	struct mino_error *err = NULL;
	struct aws_creds fresh;

	m->req = NULL;
	if (herr != NULL) {
		mino_make_error(&err, herr->code, 0, "STS %s: %s", m->action, herr->msg);
		aws_mint_fail(m, err);
		return;
	}
	if (aws_sts_parse(m->action, resp->body, resp->body_len, resp->status, &fresh, &err) < 0) {
		mino_error_wrap(&err, "%s", m->source);
		aws_mint_fail(m, err);
		return;
	}
	log_debug("aws: STS %s gave key %s", m->action, fresh.access_key_id);
	aws_creds_clear(&m->cur);
	m->cur = fresh;
	m->minted = true;
	aws_mint_step(m);
}

/* ---- the steps ---- */

static void
aws_cache_free_fn(void *v)
{
	aws_creds_clear(v);
	free(v);
}

/* Identity: provider, profile, source key id, every hop, role, external
 * id, duration, region and endpoint.  Not the session name. */
static char *
aws_identity_key(const struct aws_mint *m)
{
	char dur[16], hop_dur[AWSCONF_MAX_CHAIN][16];
	struct creds_cache_field f[8 + 3 * AWSCONF_MAX_CHAIN];
	size_t n = 0;

	snprintf(dur, sizeof dur, "%u", m->duration_secs);
	f[n++] = (struct creds_cache_field){ "profile", m->profile };
	f[n++] = (struct creds_cache_field){ "source_key_id", m->cur.access_key_id };
	f[n++] = (struct creds_cache_field){ "role_arn", m->role_arn };
	f[n++] = (struct creds_cache_field){ "external_id", m->external_id };
	f[n++] = (struct creds_cache_field){ "duration", m->role_arn != NULL || m->cur.session_token == NULL ? dur : NULL };
	f[n++] = (struct creds_cache_field){ "region", m->region };
	f[n++] = (struct creds_cache_field){ "endpoint", m->endpoint };
	for (size_t i = 0; i < m->nhops && i < AWSCONF_MAX_CHAIN; i++) {
		f[n++] = (struct creds_cache_field){ "hop_role_arn", m->hops[i].role_arn };
		f[n++] = (struct creds_cache_field){ "hop_external_id", m->hops[i].external_id };
		snprintf(hop_dur[i], sizeof hop_dur[i], "%u", m->hops[i].duration_secs);
		f[n++] = (struct creds_cache_field){ "hop_duration", hop_dur[i] };
	}
	return creds_cache_key("aws", f, n);
}

/* A token persisted by an earlier minod: into m->cur and the memory cache. */
static bool
aws_cache_from_disk(struct aws_mint *m)
{
	_cleanup_secret_ char *text = creds_cache_load(m->cache, m->cache_key, time(NULL), AWS_CACHE_MIN_LEFT);
	struct aws_creds c = { 0 };
	struct aws_creds *mem;
	struct mino_error *err = NULL;

	if (text == NULL)
		return false;
	if (aws_creds_from_process_json(&c, text, strlen(text), &err) < 0 || c.session_token == NULL || c.expiration == 0) {
		log_warn("credential cache: a persisted AWS token is unusable%s%s", err != NULL ? ": " : "",
		    err != NULL ? err->msg : "");
		mino_error_release(&err);
		aws_creds_clear(&c);
		return false;
	}
	mem = xcalloc(1, sizeof *mem);
	aws_creds_copy(mem, &c);
	creds_cache_put(m->cache, m->cache_key, mem, mem->expiration, aws_cache_free_fn);
	aws_creds_clear(&m->cur);
	m->cur = c;
	log_debug("aws: token for this identity read from the cache directory");
	return true;
}

static bool
aws_needs_sts(const struct aws_mint *m)
{
	return m->nhops > 0 || m->role_arn != NULL || m->cur.session_token == NULL;
}

static void
aws_mint_finish(struct aws_mint *m)
{
	struct aws_creds *out = xcalloc(1, sizeof *out);

	m->stage = AWS_STAGE_DONE;
	if (m->minted && m->cache != NULL && m->cache_key != NULL) {
		struct aws_creds *c = xcalloc(1, sizeof *c);

		_cleanup_secret_ char *text = aws_creds_process_json(&m->cur);
		struct mino_error *err = NULL;

		aws_creds_copy(c, &m->cur);
		creds_cache_put(m->cache, m->cache_key, c, c->expiration, aws_cache_free_fn);
		if (creds_cache_persist(m->cache, m->cache_key, text, m->cur.expiration, &err) < 0) {
			log_warn("%s", err->msg);
			mino_error_release(&err);
		}
	}
	*out = m->cur;
	memset(&m->cur, 0, sizeof m->cur);
	free(out->region);
	out->region = xstrdup(m->region);
	log_debug("aws: credentials ready (key %s, %s)", out->access_key_id,
	    m->from_cache ? "cached" : m->minted ? "minted" : "passed through");
	m->on_done(m, out, NULL, m->data);
	aws_creds_clear(out); /* empty if the callee moved them */
	free(out);
	aws_mint_free(m);
}

static void
aws_mint_step(struct aws_mint *m)
{
	struct mino_error *err = NULL;

	switch (m->stage) {
	case AWS_STAGE_SOURCE:
		if (m->src_kind != AWSCONF_STATIC) {
			if (aws_start_helper(m, &err) < 0)
				aws_mint_fail(m, err);
			return; /* aws_capture_done continues */
		}
		m->stage = AWS_STAGE_CACHE;
		/* fallthrough */
	case AWS_STAGE_CACHE:
		m->stage = AWS_STAGE_HOPS;
		free(m->cache_key);
		m->cache_key = aws_identity_key(m);
		if (m->cache != NULL && !m->fresh && aws_needs_sts(m)) {
			const struct aws_creds *hit;

			hit = creds_cache_get(m->cache, m->cache_key, time(NULL), AWS_CACHE_MIN_LEFT);
			if (hit != NULL || aws_cache_from_disk(m)) {
				if (hit != NULL) {
					aws_creds_clear(&m->cur);
					aws_creds_copy(&m->cur, hit);
				}
				m->from_cache = true;
				aws_mint_finish(m);
				return;
			}
		}
		/* fallthrough */
	case AWS_STAGE_HOPS:
		if (m->next_hop < m->nhops) {
			if (aws_sts_call(m, "AssumeRole", &m->hops[m->next_hop++], &err) < 0)
				aws_mint_fail(m, err);
			return;
		}
		m->stage = AWS_STAGE_FINAL;
		if (m->role_arn != NULL) {
			struct aws_hop h = { m->role_arn, m->external_id, m->session_name, m->duration_secs };

			if (aws_sts_call(m, "AssumeRole", &h, &err) < 0)
				aws_mint_fail(m, err);
			return;
		}
		if (m->cur.session_token == NULL) {
			if (aws_sts_call(m, "GetSessionToken", NULL, &err) < 0)
				aws_mint_fail(m, err);
			return;
		}
		/* Temporary already (GetSessionToken refuses those): pass through. */
		/* fallthrough */
	case AWS_STAGE_FINAL:
		aws_mint_finish(m);
		return;
	case AWS_STAGE_DONE:
		return;
	}
}

static void
aws_mint_fail(struct aws_mint *m, struct mino_error *err)
{
	m->stage = AWS_STAGE_DONE;
	log_debug("aws: %s", err->msg);
	m->on_done(m, NULL, err, m->data);
	mino_error_release(&err);
	aws_mint_free(m);
}

static void
aws_kick_close_cb(uv_handle_t *h)
{
	struct aws_mint *m = h->data;

	aws_env_free(m->env);
	for (size_t i = 0; i < m->nhops; i++) {
		free(m->hops[i].role_arn);
		free(m->hops[i].external_id);
		free(m->hops[i].session_name);
	}
	free(m->hops);
	aws_creds_clear(&m->cur);
	free(m->source);
	free(m->profile);
	free(m->process);
	free(m->cli);
	free(m->region);
	free(m->endpoint);
	free(m->ca_bundle);
	free(m->role_arn);
	free(m->external_id);
	free(m->session_name);
	free(m->cache_key);
	free(m);
}

static void
aws_mint_free(struct aws_mint *m)
{
	if (m->req != NULL)
		http_req_cancel(m->req);
	m->req = NULL;
	if (m->cap != NULL)
		capture_cancel(m->cap);
	m->cap = NULL;
	uv_timer_stop(&m->kick);
	uv_close((uv_handle_t *)&m->kick, aws_kick_close_cb);
}

void
aws_mint_cancel(struct aws_mint *m)
{
	if (m->stage == AWS_STAGE_DONE)
		return;
	m->stage = AWS_STAGE_DONE;
	aws_mint_free(m);
}
