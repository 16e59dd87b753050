/* aws.c: the AWS source chain and the mint's steps (aws.h).
 *
 * An aws_mint walks: source (env | profile chain | credential_process |
 * aws CLI) -> cache lookup -> one AssumeRole per profile role hop -> the
 * final AssumeRole / GetSessionToken / pass-through -> cache store.
 * Every step that waits is a capture (aws-process.c) or an STS http_req
 * (aws-sts.c); aws_mint_step() decides what comes next.  on_done is never
 * called inside aws_mint_start: the first step runs from a 0 ms timer. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "aws-int.h"
#include "creds-cache.h"
#include "capture.h"
#include "log.h"
#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

static void aws_mint_free(struct aws_mint *m);
static void aws_kick_cb(uv_timer_t *t);

/* ---- the client's environment ---- */

static const char *
aws_env_nonempty(char *const *env, const char *name)
{
	return capture_env_get((const char *const *)env, name);
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
	const char *id = aws_env_nonempty(m->io.env, "AWS_ACCESS_KEY_ID");
	const char *secret = aws_env_nonempty(m->io.env, "AWS_SECRET_ACCESS_KEY");
	const char *token = aws_env_nonempty(m->io.env, "AWS_SESSION_TOKEN");
	const char *exp = aws_env_nonempty(m->io.env, "AWS_CREDENTIAL_EXPIRATION");

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
	const char *v = aws_env_nonempty(m->io.env, var);
	const char *home = o->home != NULL ? o->home : aws_env_nonempty(m->io.env, "HOME");

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
		m->cli = capture_find_program((const char *const *)m->io.env, "aws");
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
	const char *e = aws_env_nonempty(m->io.env, "AWS_ENDPOINT_URL_STS");

	if (e == NULL)
		e = aws_env_nonempty(m->io.env, "AWS_ENDPOINT_URL");
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
		region = aws_env_nonempty(m->io.env, "AWS_REGION");
	if (region == NULL)
		region = aws_env_nonempty(m->io.env, "AWS_DEFAULT_REGION");
	/* An explicit profile wins over the environment's keys, as in the SDKs. */
	if (profile == NULL && aws_env_nonempty(m->io.env, "AWS_ACCESS_KEY_ID") != NULL) {
		if (aws_source_env(m, err) < 0)
			return -1;
	} else {
		if (profile == NULL)
			profile = aws_env_nonempty(m->io.env, "AWS_PROFILE");
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
	if (aws_env_nonempty(m->io.env, "AWS_CA_BUNDLE") != NULL) {
		free(m->ca_bundle);
		m->ca_bundle = xstrdup(aws_env_nonempty(m->io.env, "AWS_CA_BUNDLE"));
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
	creds_io_init(&m->io, o->loop, o->http, o->cache, o->fresh, o->env, m);
	m->role_arn = o->role_arn != NULL ? xstrdup(o->role_arn) : NULL;
	m->external_id = o->external_id != NULL ? xstrdup(o->external_id) : NULL;
	m->session_name = aws_session_name(o->session_name);
	m->duration_secs = o->duration_secs ? o->duration_secs : AWS_DURATION_DEFAULT;
	m->timeout_ms = o->timeout_ms ? o->timeout_ms : AWS_DEFAULT_TIMEOUT_MS;
	m->on_done = o->on_done;
	m->data = o->data;
	if (aws_mint_setup(m, o, err) < 0) {
		aws_mint_free(m);
		return NULL;
	}
	log_debug("aws: minting from %s, region %s, endpoint %s%s%s", m->source, m->region, m->endpoint,
	    m->role_arn != NULL ? ", role " : "", m->role_arn != NULL ? m->role_arn : "");
	creds_io_kick(&m->io, aws_kick_cb);
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
	_cleanup_secret_ char *text = creds_cache_load(m->io.cache, m->cache_key, time(NULL), AWS_CACHE_MIN_LEFT);
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
	creds_cache_put(m->io.cache, m->cache_key, mem, mem->expiration, aws_cache_free_fn);
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
	if (m->minted && m->io.cache != NULL && m->cache_key != NULL) {
		struct aws_creds *c = xcalloc(1, sizeof *c);

		_cleanup_secret_ char *text = aws_creds_process_json(&m->cur);
		struct mino_error *err = NULL;

		aws_creds_copy(c, &m->cur);
		creds_cache_put(m->io.cache, m->cache_key, c, c->expiration, aws_cache_free_fn);
		if (creds_cache_persist(m->io.cache, m->cache_key, text, m->cur.expiration, &err) < 0) {
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

void
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
		if (m->io.cache != NULL && !m->io.fresh && aws_needs_sts(m)) {
			const struct aws_creds *hit;

			hit = creds_cache_get(m->io.cache, m->cache_key, time(NULL), AWS_CACHE_MIN_LEFT);
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

void
aws_mint_fail(struct aws_mint *m, struct mino_error *err)
{
	m->stage = AWS_STAGE_DONE;
	log_debug("aws: %s", err->msg);
	m->on_done(m, NULL, err, m->data);
	mino_error_release(&err);
	aws_mint_free(m);
}

static void
aws_mint_freed(void *owner)
{
	struct aws_mint *m = owner;

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
	creds_io_close(&m->io, aws_mint_freed);
}

void
aws_mint_cancel(struct aws_mint *m)
{
	if (m->stage == AWS_STAGE_DONE)
		return;
	m->stage = AWS_STAGE_DONE;
	aws_mint_free(m);
}
