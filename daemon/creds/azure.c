/* azure.c: the client-credentials grant and the az fallback (azure.h). */
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
#include "azure.h"
#include "creds-cache.h"
#include "creds-io.h"
#include "capture.h"
#include "http.h"
#include "log.h"
#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

#define AZURE_DEFAULT_TIMEOUT_MS 30000u
#define AZURE_MAX_TOKEN 16384u

struct azure_mint {
	struct creds_io io;      /* loop, http, cache, the client's env (copied), req, cap, kick */
	bool use_cli;
	char *source;
	char *authority;
	char *tenant, *subscription, *scope;
	char *client_id;
	char *client_secret;      /* secret */
	char *az;
	unsigned timeout_ms;
	struct azure_token cur;
	bool done, from_cache;
	char *cache_key;
	azure_done_fn on_done;
	void *data;
};

static void azure_finish(struct azure_mint *m);
static void azure_fail(struct azure_mint *m, struct mino_error *err);
static void azure_free(struct azure_mint *m);

void
azure_token_clear(struct azure_token *t)
{
	secret_free(t->access_token);
	free(t->tenant);
	free(t->subscription);
	free(t->client_id);
	memset(t, 0, sizeof *t);
}

void
azure_token_move(struct azure_token *dst, struct azure_token *src)
{
	*dst = *src;
	memset(src, 0, sizeof *src);
}

static void
azure_token_copy(struct azure_token *dst, const struct azure_token *src)
{
	dst->access_token = src->access_token != NULL ? xstrdup(src->access_token) : NULL;
	dst->tenant = src->tenant != NULL ? xstrdup(src->tenant) : NULL;
	dst->subscription = src->subscription != NULL ? xstrdup(src->subscription) : NULL;
	dst->client_id = src->client_id != NULL ? xstrdup(src->client_id) : NULL;
	dst->expiration = src->expiration;
}

int
azure_parse_az_expiry(const char *expires_on, const char *expiresOn, time_t *out)
{
	if (expires_on != NULL) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(expires_on, &end, 10);
		if (errno == 0 && *end == '\0' && end != expires_on && v > 0) {
			*out = (time_t)v;
			return 0;
		}
	}
	if (expiresOn != NULL) {
		struct tm tm = { 0 };
		int n = 0;
		const char *p;
		time_t t;

		/* "2026-12-01 22:00:00.000000": local time, no zone. */
		if (sscanf(expiresOn, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
			return -1;
		p = expiresOn + n;
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12)
			return -1;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -1;
		*out = t;
		return 0;
	}
	return -1;
}



static bool
azure_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 100)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_'))
			return false;
	return true;
}


static void
azure_http_done(struct http_req *r, const struct http_response *resp, const struct mino_error *herr, void *data)
{
	struct azure_mint *m = data;
	struct mino_error *err = NULL;
	json_t *j;
	const char *tok;
	json_t *exp;

	m->io.req = NULL;
	if (herr != NULL) {
		mino_make_error(&err, herr->code, 0, "%s: %s", m->source, herr->msg);
		azure_fail(m, err);
		return;
	}
	j = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, NULL);
	tok = json_string_value(json_object_get(j, "access_token"));
	exp = json_object_get(j, "expires_in");
	if (resp->status != 200) {
		const char *e = json_string_value(json_object_get(j, "error"));
		const char *d = json_string_value(json_object_get(j, "error_description"));

		if (e != NULL)
			mino_make_error(&err, MINO_E_IO, 0, "%s: token endpoint: %s: %.300s (HTTP %ld)", m->source, e,
			    d != NULL ? d : "(no description)", resp->status);
		else
			mino_make_error(&err, MINO_E_IO, 0, "%s: token endpoint: HTTP %ld without an OAuth error", m->source,
			    resp->status);
	} else if (tok == NULL || !json_is_integer(exp) || json_integer_value(exp) <= 0 || json_integer_value(exp) > 86400)
		mino_make_error(&err, MINO_E_IO, 0, "%s: token endpoint: no access_token or expires_in", m->source);
	else if (secret_check_text("the access token", tok, AZURE_MAX_TOKEN, &err) < 0)
		mino_error_wrap(&err, "%s: token endpoint", m->source);
	else {
		m->cur.access_token = xstrdup(tok);
		m->cur.expiration = time(NULL) + (time_t)json_integer_value(exp);
	}
	json_decref(j);
	if (err != NULL) {
		azure_fail(m, err);
		return;
	}
	azure_finish(m);
}

static int
azure_request(struct azure_mint *m, struct mino_error **err)
{
	_cleanup_free_ char *url = xasprintf("%s%s%s/oauth2/v2.0/token", m->authority,
	    m->authority[strlen(m->authority) - 1] == '/' ? "" : "/", m->tenant);
	char *id = curl_easy_escape(NULL, m->client_id, 0);
	char *secret = curl_easy_escape(NULL, m->client_secret, 0);
	char *scope = curl_easy_escape(NULL, m->scope, 0);
	_cleanup_secret_ char *body = NULL;
	const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL };
	struct http_request_opts ho = {
		.method = "POST", .url = url, .headers = headers, .timeout_ms = m->timeout_ms,
		.on_done = azure_http_done, .data = m,
	};

	if (id == NULL || secret == NULL || scope == NULL)
		fatal("curl_easy_escape: out of memory");
	body = xasprintf("grant_type=client_credentials&client_id=%s&client_secret=%s&scope=%s", id, secret, scope);
	OPENSSL_cleanse(secret, strlen(secret));
	curl_free(id);
	curl_free(secret);
	curl_free(scope);
	ho.body = body;
	ho.body_len = strlen(body);
	log_debug("azure: client-credentials grant for %s at %s", m->client_id, url);
	m->io.req = http_request(m->io.http, &ho, err);
	return m->io.req != NULL ? 0 : -1;
}

static void
azure_capture_done(struct capture *cp, const struct capture_result *res, const struct mino_error *cerr, void *data)
{
	struct azure_mint *m = data;
	struct mino_error *err = NULL;
	json_t *j = NULL;

	m->io.cap = NULL;
	if (cerr != NULL)
		mino_make_error(&err, cerr->code, 0, "%s", cerr->msg);
	else if (res->exit_status != 0 || res->term_signal != 0) {
		_cleanup_free_ char *first = xstrndup(res->errout, strcspn(res->errout, "\n"));
		_cleanup_free_ char *clean = log_sanitize(first, strlen(first));

		mino_make_error(&err, MINO_E_IO, 0, "az account get-access-token exited with status %d%s%s",
		    res->term_signal != 0 ? 128 + res->term_signal : (int)res->exit_status, clean[0] != '\0' ? ": " : "", clean);
	} else {
		const char *tok, *sub, *ten;
		json_t *eo;
		char eobuf[32] = "";

		j = json_loadb(res->out, res->out_len, JSON_REJECT_DUPLICATES, NULL);
		tok = json_string_value(json_object_get(j, "accessToken"));
		eo = json_object_get(j, "expires_on");
		if (json_is_integer(eo))
			snprintf(eobuf, sizeof eobuf, "%lld", (long long)json_integer_value(eo));
		else if (json_is_string(eo))
			snprintf(eobuf, sizeof eobuf, "%s", json_string_value(eo));
		sub = json_string_value(json_object_get(j, "subscription"));
		ten = json_string_value(json_object_get(j, "tenant"));
		if (tok == NULL)
			mino_make_error(&err, MINO_E_IO, 0, "az account get-access-token: no accessToken in its output");
		else if (azure_parse_az_expiry(eobuf[0] != '\0' ? eobuf : NULL,
		    json_string_value(json_object_get(j, "expiresOn")), &m->cur.expiration) < 0)
			mino_make_error(&err, MINO_E_IO, 0, "az account get-access-token: no valid expires_on or expiresOn");
		else if (secret_check_text("the access token", tok, AZURE_MAX_TOKEN, &err) < 0)
			mino_error_wrap(&err, "az account get-access-token");
		else {
			m->cur.access_token = xstrdup(tok);
			if (m->subscription == NULL && sub != NULL)
				m->subscription = xstrdup(sub);
			if (m->tenant == NULL && ten != NULL)
				m->tenant = xstrdup(ten);
		}
	}
	json_decref(j);
	if (err != NULL) {
		azure_fail(m, err);
		return;
	}
	azure_finish(m);
}

static int
azure_start_az(struct azure_mint *m, struct mino_error **err)
{
	const char *argv[10] = { m->az, "account", "get-access-token", "--output", "json" };
	size_t n = 5;
	char **env = capture_env_with_defaults((const char *const *)m->io.env);
	struct capture_opts co = {
		.loop = m->io.loop, .argv = argv, .env = (const char *const *)env, .what = "az account get-access-token",
		.timeout_ms = m->timeout_ms * 2, .on_done = azure_capture_done, .data = m,
	};

	if (m->subscription != NULL) {
		argv[n++] = "--subscription";
		argv[n++] = m->subscription;
	} else if (m->tenant != NULL) {
		argv[n++] = "--tenant";
		argv[n++] = m->tenant;
	}
	argv[n] = NULL;
	log_debug("azure: running az account get-access-token");
	m->io.cap = capture_start(&co, err);
	capture_env_free(env);
	return m->io.cap != NULL ? 0 : -1;
}

static void
azure_cache_free_fn(void *v)
{
	azure_token_clear(v);
	free(v);
}

static void
azure_kick_cb(uv_timer_t *t)
{
	struct azure_mint *m = t->data;
	struct mino_error *err = NULL;
	struct creds_cache_field f[] = {
		{ "source", m->use_cli ? "az" : "client_credentials" }, { "client_id", m->client_id },
		{ "tenant", m->tenant }, { "subscription", m->subscription }, { "scope", m->scope },
		{ "authority", m->authority },
	};

	free(m->cache_key);
	m->cache_key = creds_cache_key("azure", f, sizeof f / sizeof f[0]);
	if (m->io.cache != NULL && !m->io.fresh) {
		const struct azure_token *hit;

		hit = creds_cache_get(m->io.cache, m->cache_key, time(NULL), AWS_CACHE_MIN_LEFT);
		if (hit != NULL) {
			azure_token_copy(&m->cur, hit);
			m->from_cache = true;
			azure_finish(m);
			return;
		}
	}
	if ((m->use_cli ? azure_start_az(m, &err) : azure_request(m, &err)) < 0) {
		mino_error_wrap(&err, "%s", m->source);
		azure_fail(m, err);
	}
}

struct azure_mint *
azure_mint_start(const struct azure_mint_opts *o, struct mino_error **err)
{
	struct azure_mint *m;
	const char *id, *secret, *tenant, *authority;

	if (o->loop == NULL || o->http == NULL || o->on_done == NULL) {
		mino_make_error(err, MINO_E_INTERNAL, 0, "azure: loop, http and on_done are required");
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	creds_io_init(&m->io, o->loop, o->http, o->cache, o->fresh, o->env, m);
	m->timeout_ms = o->timeout_ms ? o->timeout_ms : AZURE_DEFAULT_TIMEOUT_MS;
	m->on_done = o->on_done;
	m->data = o->data;
	m->scope = xstrdup(o->scope != NULL ? o->scope : AZURE_SCOPE_DEFAULT);
	m->subscription = o->subscription != NULL ? xstrdup(o->subscription) : NULL;
	id = capture_env_get((const char *const *)m->io.env, "AZURE_CLIENT_ID");
	secret = capture_env_get((const char *const *)m->io.env, "AZURE_CLIENT_SECRET");
	tenant = o->tenant != NULL ? o->tenant : capture_env_get((const char *const *)m->io.env, "AZURE_TENANT_ID");
	authority = capture_env_get((const char *const *)m->io.env, "AZURE_AUTHORITY_HOST");
	if (tenant != NULL && !azure_name_ok(tenant)) {
		mino_make_error(err, MINO_E_CONFIG, 0, "Azure tenant `%s` is not a tenant id or domain", tenant);
		azure_free(m);
		return NULL;
	}
	if (m->subscription != NULL && !azure_name_ok(m->subscription)) {
		mino_make_error(err, MINO_E_CONFIG, 0, "credentials.azure.subscription is not a subscription id");
		azure_free(m);
		return NULL;
	}
	m->tenant = tenant != NULL ? xstrdup(tenant) : NULL;
	if (id != NULL && secret != NULL && tenant != NULL) {
		m->client_id = xstrdup(id);
		m->client_secret = xstrdup(secret);
		m->authority = xstrdup(authority != NULL ? authority : AZURE_AUTHORITY_DEFAULT);
		m->source = xasprintf("service principal %s", id);
		if (strncmp(m->authority, "https://", 8) != 0 && strncmp(m->authority, "http://", 7) != 0) {
			mino_make_error(err, MINO_E_CONFIG, 0, "AZURE_AUTHORITY_HOST must be an http(s) URL");
			azure_free(m);
			return NULL;
		}
	} else {
		m->az = capture_find_program((const char *const *)m->io.env, "az");
		if (m->az == NULL) {
			mino_make_error(err, MINO_E_CONFIG, 0, "no Azure credentials: %s, and no az on PATH",
			    id != NULL || secret != NULL ? "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and a tenant must all be set"
			    : "no AZURE_CLIENT_ID/AZURE_CLIENT_SECRET in the client's environment");
			azure_free(m);
			return NULL;
		}
		m->use_cli = true;
		m->source = xstrdup("az");
	}
	creds_io_kick(&m->io, azure_kick_cb);
	return m;
}

const char *
azure_mint_key(const struct azure_mint *m)
{
	return m->cache_key;
}

const char *
azure_mint_source(const struct azure_mint *m)
{
	return m->source;
}

bool
azure_mint_from_cache(const struct azure_mint *m)
{
	return m->from_cache;
}

static void
azure_finish(struct azure_mint *m)
{
	struct azure_token *out = xcalloc(1, sizeof *out);

	m->done = true;
	if (!m->from_cache) {
		m->cur.tenant = m->tenant != NULL ? xstrdup(m->tenant) : NULL;
		m->cur.subscription = m->subscription != NULL ? xstrdup(m->subscription) : NULL;
		m->cur.client_id = m->client_id != NULL ? xstrdup(m->client_id) : NULL;
		if (m->io.cache != NULL && m->cache_key != NULL) {
			struct azure_token *c = xcalloc(1, sizeof *c);

			azure_token_copy(c, &m->cur);
			creds_cache_put(m->io.cache, m->cache_key, c, c->expiration, azure_cache_free_fn);
		}
	}
	azure_token_move(out, &m->cur);
	log_debug("azure: token ready (%s, %s)", m->source, m->from_cache ? "cached" : "minted");
	m->on_done(m, out, NULL, m->data);
	azure_token_clear(out);
	free(out);
	azure_free(m);
}

static void
azure_fail(struct azure_mint *m, struct mino_error *err)
{
	m->done = true;
	log_debug("azure: %s", err->msg);
	m->on_done(m, NULL, err, m->data);
	mino_error_release(&err);
	azure_free(m);
}

static void
azure_freed(void *owner)
{
	struct azure_mint *m = owner;

	free(m->source);
	free(m->authority);
	free(m->tenant);
	free(m->subscription);
	free(m->scope);
	free(m->client_id);
	secret_free(m->client_secret);
	free(m->az);
	free(m->cache_key);
	azure_token_clear(&m->cur);
	free(m);
}

static void
azure_free(struct azure_mint *m)
{
	creds_io_close(&m->io, azure_freed);
}

void
azure_mint_cancel(struct azure_mint *m)
{
	if (m->done)
		return;
	m->done = true;
	azure_free(m);
}
