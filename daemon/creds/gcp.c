/* gcp.c: application-default credentials, JWT, impersonation (gcp.h).
 *
 * Steps: read the ADC file (or pick gcloud) -> cache lookup -> token
 * endpoint (refresh grant or JWT bearer) -> generateAccessToken when
 * impersonating -> cache store.  As in aws.c the first step runs from a
 * 0 ms timer, so on_done never runs inside gcp_mint_start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "aws.h"
#include "b64.h"
#include "creds-cache.h"
#include "creds-io.h"
#include "capture.h"
#include "fsutil.h"
#include "gcp.h"
#include "http.h"
#include "log.h"
#include "mino-protocol.h"
#include "secret.h"
#include "sigv4.h"
#include "xalloc.h"

#define GCP_DEFAULT_TIMEOUT_MS 30000u
#define GCP_MAX_FILE (256u * 1024)
#define GCP_MAX_TOKEN 8192u
#define GCP_JWT_LIFETIME 3600

enum gcp_kind { GCP_USER, GCP_SERVICE_ACCOUNT, GCP_CLI };
enum gcp_stage { GCP_STAGE_START, GCP_STAGE_TOKEN, GCP_STAGE_IMPERSONATE, GCP_STAGE_DONE };

struct gcp_mint {
	struct creds_io io;      /* loop, http, cache, the client's env (copied), req, cap, kick */
	enum gcp_kind kind;
	enum gcp_stage stage;
	char *source;            /* "application default credentials (FILE)", "gcloud" */
	char *token_uri;
	char *client_id;         /* user */
	char *client_secret;     /* user, secret */
	char *refresh_token;     /* user, secret */
	char *client_email;      /* service account */
	char *private_key_id;
	char *private_key;       /* service account, secret */
	char *file_project;
	char *project;
	char *impersonate;
	char *iam_endpoint;
	char *ca_bundle;
	char *gcloud;
	unsigned lifetime_secs, timeout_ms;
	struct gcp_token cur;
	bool from_cache;
	char *cache_key;
	gcp_done_fn on_done;
	void *data;
};

static void gcp_step(struct gcp_mint *m);
static void gcp_fail(struct gcp_mint *m, struct mino_error *err);
static void gcp_free(struct gcp_mint *m);
static void gcp_kick_cb(uv_timer_t *t);
static void gcp_http_done(struct http_req *r, const struct http_response *resp, const struct mino_error *herr, void *data);

void
gcp_token_clear(struct gcp_token *t)
{
	secret_free(t->access_token);
	free(t->account);
	free(t->project);
	memset(t, 0, sizeof *t);
}

void
gcp_token_move(struct gcp_token *dst, struct gcp_token *src)
{
	*dst = *src;
	memset(src, 0, sizeof *src);
}

void
gcp_token_copy(struct gcp_token *dst, const struct gcp_token *src)
{
	dst->access_token = src->access_token != NULL ? xstrdup(src->access_token) : NULL;
	dst->account = src->account != NULL ? xstrdup(src->account) : NULL;
	dst->project = src->project != NULL ? xstrdup(src->project) : NULL;
	dst->expiration = src->expiration;
}

char *
gcp_b64url(const void *data, size_t len)
{
	char *s = b64_encode(data, len, NULL);
	char *w = s;

	for (char *p = s; *p != '\0'; p++) {
		if (*p == '=')
			continue;
		*w++ = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	}
	*w = '\0';
	return s;
}

static int
gcp_rs256(const char *pem, const char *input, char **sig_b64, struct mino_error **err)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int r = -1;

	BIO_free(bio);
	if (pkey == NULL)
		return mino_make_error(err, MINO_E_CONFIG, 0, "private_key is not a PEM private key");
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return mino_make_error(err, MINO_E_CONFIG, 0, "private_key is not an RSA key");
	}
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1
	    && EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, strlen(input)) == 1) {
		sig = xmalloc(siglen);
		if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) == 1) {
			*sig_b64 = gcp_b64url(sig, siglen);
			r = 0;
		}
	}
	free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (r < 0)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "RS256 signing failed");
	return 0;
}

char *
gcp_jwt_assertion(const char *client_email, const char *key_id, const char *private_key_pem,
    const char *audience, const char *scope, time_t now, struct mino_error **err)
{
	json_t *hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", client_email, "scope", scope,
	    "aud", audience, "iat", (json_int_t)now, "exp", (json_int_t)(now + GCP_JWT_LIFETIME));
	_cleanup_free_ char *h = NULL, *c = NULL, *hb = NULL, *cb = NULL, *input = NULL, *sig = NULL;

	if (hdr == NULL || claims == NULL)
		fatal("gcp_jwt_assertion: json_pack");
	if (key_id != NULL)
		json_object_set_new(hdr, "kid", json_string(key_id));
	h = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
	c = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(hdr);
	json_decref(claims);
	hb = gcp_b64url(h, strlen(h));
	cb = gcp_b64url(c, strlen(c));
	input = xasprintf("%s.%s", hb, cb);
	if (gcp_rs256(private_key_pem, input, &sig, err) < 0)
		return NULL;
	return xasprintf("%s.%s", input, sig);
}

/* ---- environment, as in aws.c ---- */



static char *
gcp_json_str(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s != NULL && s[0] != '\0' ? xstrdup(s) : NULL;
}

static int
gcp_read_adc(struct gcp_mint *m, const char *path, struct mino_error **err)
{
	_cleanup_secret_ char *text = NULL;
	size_t len;
	json_error_t je;
	json_t *j;
	const char *type;
	int r = 0;

	if (fs_read_file(path, GCP_MAX_FILE, &text, &len, err) < 0)
		return mino_error_wrap(err, "GCP application default credentials");
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s: not a JSON object (line %d: %s)", path, je.line, je.text);
	}
	type = json_string_value(json_object_get(j, "type"));
	m->token_uri = gcp_json_str(j, "token_uri");
	if (m->token_uri == NULL)
		m->token_uri = xstrdup(GCP_DEFAULT_TOKEN_URI);
	if (type != NULL && strcmp(type, "authorized_user") == 0) {
		m->kind = GCP_USER;
		m->client_id = gcp_json_str(j, "client_id");
		m->client_secret = gcp_json_str(j, "client_secret");
		m->refresh_token = gcp_json_str(j, "refresh_token");
		m->file_project = gcp_json_str(j, "quota_project_id");
		if (m->client_id == NULL || m->client_secret == NULL || m->refresh_token == NULL)
			r = mino_make_error(err, MINO_E_CONFIG, 0, "%s: authorized_user needs client_id, client_secret and refresh_token", path);
	} else if (type != NULL && strcmp(type, "service_account") == 0) {
		m->kind = GCP_SERVICE_ACCOUNT;
		m->client_email = gcp_json_str(j, "client_email");
		m->private_key_id = gcp_json_str(j, "private_key_id");
		m->private_key = gcp_json_str(j, "private_key");
		m->file_project = gcp_json_str(j, "project_id");
		if (m->client_email == NULL || m->private_key == NULL)
			r = mino_make_error(err, MINO_E_CONFIG, 0, "%s: service_account needs client_email and private_key", path);
	} else
		r = mino_make_error(err, MINO_E_CONFIG, 0, "%s: credential type `%s` is not supported (authorized_user, service_account)",
		    path, type != NULL ? type : "(none)");
	json_decref(j);
	if (r == 0 && strncmp(m->token_uri, "https://", 8) != 0 && strncmp(m->token_uri, "http://", 7) != 0)
		r = mino_make_error(err, MINO_E_CONFIG, 0, "%s: token_uri is not an http(s) URL", path);
	return r;
}

static int
gcp_setup(struct gcp_mint *m, const struct gcp_mint_opts *o, struct mino_error **err)
{
	const char *adc = capture_env_get((const char *const *)m->io.env, "GOOGLE_APPLICATION_CREDENTIALS");
	_cleanup_free_ char *def = NULL;
	const char *iam = capture_env_get((const char *const *)m->io.env, "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS");
	const char *ca = capture_env_get((const char *const *)m->io.env, "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE");
	struct stat st;

	if (adc == NULL) {
		const char *cfg = capture_env_get((const char *const *)m->io.env, "CLOUDSDK_CONFIG");
		const char *home = o->home != NULL ? o->home : capture_env_get((const char *const *)m->io.env, "HOME");

		if (home == NULL)
			home = getenv("HOME") != NULL ? getenv("HOME") : "/";
		def = cfg != NULL ? xasprintf("%s/application_default_credentials.json", cfg)
		    : xasprintf("%s/.config/gcloud/application_default_credentials.json", home);
	}
	if (adc != NULL || stat(def, &st) == 0) {
		const char *path = adc != NULL ? adc : def;

		m->source = xasprintf("application default credentials (%s)", path);
		if (gcp_read_adc(m, path, err) < 0)
			return -1;
	} else {
		m->gcloud = capture_find_program((const char *const *)m->io.env, "gcloud");
		if (m->gcloud == NULL)
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "no GCP credentials: no GOOGLE_APPLICATION_CREDENTIALS, no %s, and no gcloud on PATH", def);
		m->kind = GCP_CLI;
		m->source = xstrdup("gcloud");
	}
	m->iam_endpoint = xstrdup(iam != NULL ? iam : GCP_IAM_ENDPOINT);
	m->ca_bundle = ca != NULL ? xstrdup(ca) : NULL;
	return 0;
}

struct gcp_mint *
gcp_mint_start(const struct gcp_mint_opts *o, struct mino_error **err)
{
	struct gcp_mint *m;

	if (o->loop == NULL || o->http == NULL || o->on_done == NULL) {
		mino_make_error(err, MINO_E_INTERNAL, 0, "gcp: loop, http and on_done are required");
		return NULL;
	}
	if (o->lifetime_secs != 0 && (o->lifetime_secs < 600 || o->lifetime_secs > 43200)) {
		mino_make_error(err, MINO_E_CONFIG, 0, "GCP token lifetime must be 600 to 43200 seconds");
		return NULL;
	}
	if (o->service_account != NULL && (strchr(o->service_account, '@') == NULL
	    || strpbrk(o->service_account, "/?#: \t") != NULL)) {
		mino_make_error(err, MINO_E_CONFIG, 0, "credentials.gcp.service_account is not an account e-mail");
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	creds_io_init(&m->io, o->loop, o->http, o->cache, o->fresh, o->env, m);
	m->project = o->project != NULL ? xstrdup(o->project) : NULL;
	m->impersonate = o->service_account != NULL ? xstrdup(o->service_account) : NULL;
	m->lifetime_secs = o->lifetime_secs ? o->lifetime_secs : GCP_LIFETIME_DEFAULT;
	m->timeout_ms = o->timeout_ms ? o->timeout_ms : GCP_DEFAULT_TIMEOUT_MS;
	m->on_done = o->on_done;
	m->data = o->data;
	if (gcp_setup(m, o, err) < 0) {
		gcp_free(m);
		return NULL;
	}
	log_debug("gcp: minting from %s%s%s", m->source, m->impersonate != NULL ? ", impersonating " : "",
	    m->impersonate != NULL ? m->impersonate : "");
	creds_io_kick(&m->io, gcp_kick_cb);
	return m;
}

const char *
gcp_mint_key(const struct gcp_mint *m)
{
	return m->cache_key;
}

const char *
gcp_mint_source(const struct gcp_mint *m)
{
	return m->source;
}

bool
gcp_mint_from_cache(const struct gcp_mint *m)
{
	return m->from_cache;
}

static void
gcp_kick_cb(uv_timer_t *t)
{
	gcp_step(t->data);
}

static char *
gcp_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r;

	if (e == NULL)
		fatal("curl_easy_escape: out of memory");
	r = xstrdup(e);
	OPENSSL_cleanse(e, strlen(e));
	curl_free(e);
	return r;
}

/* The token endpoint: refresh grant (user) or JWT bearer (service account). */
static int
gcp_request_token(struct gcp_mint *m, struct mino_error **err)
{
	_cleanup_secret_ char *body = NULL;
	const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL };
	struct http_request_opts ho = {
		.method = "POST", .url = m->token_uri, .headers = headers, .timeout_ms = m->timeout_ms,
		.ca_bundle = m->ca_bundle, .on_done = gcp_http_done, .data = m,
	};

	if (m->kind == GCP_USER) {
		_cleanup_secret_ char *id = gcp_escape(m->client_id);
		_cleanup_secret_ char *secret = gcp_escape(m->client_secret);
		_cleanup_secret_ char *refresh = gcp_escape(m->refresh_token);

		body = xasprintf("grant_type=refresh_token&client_id=%s&client_secret=%s&refresh_token=%s", id, secret, refresh);
	} else {
		_cleanup_secret_ char *jwt = gcp_jwt_assertion(m->client_email, m->private_key_id, m->private_key,
		    m->token_uri, GCP_SCOPE, time(NULL), err);

		if (jwt == NULL)
			return mino_error_wrap(err, "%s", m->source);
		body = xasprintf("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s", jwt);
	}
	ho.body = body;
	ho.body_len = strlen(body);
	m->stage = GCP_STAGE_TOKEN;
	log_debug("gcp: token request to %s (%s)", m->token_uri, m->kind == GCP_USER ? "refresh token" : m->client_email);
	m->io.req = http_request(m->io.http, &ho, err);
	return m->io.req != NULL ? 0 : -1;
}

static int
gcp_request_impersonation(struct gcp_mint *m, struct mino_error **err)
{
	_cleanup_free_ char *url = xasprintf("%s%sv1/projects/-/serviceAccounts/%s:generateAccessToken", m->iam_endpoint,
	    m->iam_endpoint[strlen(m->iam_endpoint) - 1] == '/' ? "" : "/", m->impersonate);
	_cleanup_secret_ char *auth = xasprintf("Authorization: Bearer %s", m->cur.access_token);
	_cleanup_free_ char *body = xasprintf("{\"scope\":[\"%s\"],\"lifetime\":\"%us\"}", GCP_SCOPE, m->lifetime_secs);
	const char *headers[] = { "Content-Type: application/json", "Accept: application/json", auth, NULL };
	struct http_request_opts ho = {
		.method = "POST", .url = url, .headers = headers, .body = body, .body_len = strlen(body),
		.timeout_ms = m->timeout_ms, .ca_bundle = m->ca_bundle, .on_done = gcp_http_done, .data = m,
	};

	m->stage = GCP_STAGE_IMPERSONATE;
	log_debug("gcp: generateAccessToken for %s", m->impersonate);
	m->io.req = http_request(m->io.http, &ho, err);
	return m->io.req != NULL ? 0 : -1;
}


/* OAuth token endpoint answer: {access_token, expires_in} or {error, error_description}. */
static int
gcp_parse_token(struct gcp_mint *m, const struct http_response *resp, struct mino_error **err)
{
	json_t *j = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, NULL);
	const char *tok = json_string_value(json_object_get(j, "access_token"));
	json_t *exp = json_object_get(j, "expires_in");
	int r = 0;

	if (resp->status != 200) {
		const char *e = json_string_value(json_object_get(j, "error"));
		const char *d = json_string_value(json_object_get(j, "error_description"));

		r = e != NULL ? mino_make_error(err, MINO_E_IO, 0, "token endpoint: %s: %.300s (HTTP %ld)", e,
		    d != NULL ? d : "(no description)", resp->status)
		    : mino_make_error(err, MINO_E_IO, 0, "token endpoint: HTTP %ld without an OAuth error", resp->status);
	} else if (tok == NULL || !json_is_integer(exp) || json_integer_value(exp) <= 0 || json_integer_value(exp) > 86400)
		r = mino_make_error(err, MINO_E_IO, 0, "token endpoint: no access_token or expires_in in the answer");
	else if (secret_check_text("the access token", tok, GCP_MAX_TOKEN, err) < 0)
		r = mino_error_wrap(err, "token endpoint");
	else {
		gcp_token_clear(&m->cur);
		m->cur.access_token = xstrdup(tok);
		m->cur.expiration = time(NULL) + (time_t)json_integer_value(exp);
	}
	json_decref(j);
	return r;
}

/* generateAccessToken answer: {accessToken, expireTime} or {error: {status, message}}. */
static int
gcp_parse_impersonation(struct gcp_mint *m, const struct http_response *resp, struct mino_error **err)
{
	json_t *j = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, NULL);
	const char *tok = json_string_value(json_object_get(j, "accessToken"));
	const char *exp = json_string_value(json_object_get(j, "expireTime"));
	time_t t = 0;
	int r = 0;

	if (resp->status != 200) {
		json_t *e = json_object_get(j, "error");
		const char *st = json_string_value(json_object_get(e, "status"));
		const char *msg = json_string_value(json_object_get(e, "message"));

		r = st != NULL ? mino_make_error(err, MINO_E_IO, 0, "IAM generateAccessToken for %s: %s: %.300s (HTTP %ld)",
		    m->impersonate, st, msg != NULL ? msg : "(no message)", resp->status)
		    : mino_make_error(err, MINO_E_IO, 0, "IAM generateAccessToken for %s: HTTP %ld", m->impersonate, resp->status);
	} else if (tok == NULL || exp == NULL || aws_parse_time(exp, &t) < 0)
		r = mino_make_error(err, MINO_E_IO, 0, "IAM generateAccessToken: no accessToken or expireTime in the answer");
	else if (secret_check_text("the access token", tok, GCP_MAX_TOKEN, err) < 0)
		r = mino_error_wrap(err, "IAM generateAccessToken");
	else {
		gcp_token_clear(&m->cur);
		m->cur.access_token = xstrdup(tok);
		m->cur.expiration = t;
	}
	json_decref(j);
	return r;
}

static void
gcp_http_done(struct http_req *r, const struct http_response *resp, const struct mino_error *herr, void *data)
{
	struct gcp_mint *m = data;
	struct mino_error *err = NULL;
	int rc;

	m->io.req = NULL;
	if (herr != NULL) {
		mino_make_error(&err, herr->code, 0, "%s", herr->msg);
		mino_error_wrap(&err, "%s", m->source);
		gcp_fail(m, err);
		return;
	}
	rc = m->stage == GCP_STAGE_TOKEN ? gcp_parse_token(m, resp, &err) : gcp_parse_impersonation(m, resp, &err);
	if (rc < 0) {
		mino_error_wrap(&err, "%s", m->source);
		gcp_fail(m, err);
		return;
	}
	gcp_step(m);
}

static void
gcp_capture_done(struct capture *cp, const struct capture_result *res, const struct mino_error *cerr, void *data)
{
	struct gcp_mint *m = data;
	struct mino_error *err = NULL;
	_cleanup_secret_ char *tok = NULL;

	m->io.cap = NULL;
	if (cerr != NULL)
		mino_make_error(&err, cerr->code, 0, "%s", cerr->msg);
	else if (res->exit_status != 0 || res->term_signal != 0) {
		_cleanup_free_ char *first = xstrndup(res->errout, strcspn(res->errout, "\n"));
		_cleanup_free_ char *clean = log_sanitize(first, strlen(first));

		mino_make_error(&err, MINO_E_IO, 0, "gcloud auth print-access-token exited with status %d%s%s",
		    res->term_signal != 0 ? 128 + res->term_signal : (int)res->exit_status, clean[0] != '\0' ? ": " : "", clean);
	} else {
		tok = xstrndup(res->out, strcspn(res->out, "\r\n"));
		if (secret_check_text("the access token", tok, GCP_MAX_TOKEN, &err) < 0)
			mino_error_wrap(&err, "gcloud auth print-access-token");
	}
	if (err != NULL) {
		gcp_fail(m, err);
		return;
	}
	gcp_token_clear(&m->cur);
	m->cur.access_token = steal_pointer(&tok);
	m->cur.expiration = time(NULL) + GCP_CLI_ASSUMED_LIFETIME;
	m->stage = GCP_STAGE_TOKEN;
	gcp_step(m);
}

static int
gcp_start_gcloud(struct gcp_mint *m, struct mino_error **err)
{
	const char *argv[] = { m->gcloud, "auth", "print-access-token", NULL, NULL };
	_cleanup_free_ char *imp = NULL;
	char **env = capture_env_with_defaults((const char *const *)m->io.env);
	struct capture_opts co = {
		.loop = m->io.loop, .argv = argv, .env = (const char *const *)env, .what = "gcloud auth print-access-token",
		.timeout_ms = m->timeout_ms * 2, .on_done = gcp_capture_done, .data = m,
	};

	if (m->impersonate != NULL) {
		imp = xasprintf("--impersonate-service-account=%s", m->impersonate);
		argv[3] = imp;
	}
	m->stage = GCP_STAGE_TOKEN;
	m->io.cap = capture_start(&co, err);
	capture_env_free(env);
	return m->io.cap != NULL ? 0 : -1;
}

static void
gcp_cache_free_fn(void *v)
{
	gcp_token_clear(v);
	free(v);
}

static char *
gcp_identity_key(const struct gcp_mint *m)
{
	char life[16];
	struct creds_cache_field f[] = {
		{ "kind", m->kind == GCP_USER ? "authorized_user" : m->kind == GCP_SERVICE_ACCOUNT ? "service_account" : "gcloud" },
		{ "account", m->kind == GCP_USER ? m->client_id : m->client_email },
		{ "refresh_token_hash", NULL },
		{ "token_uri", m->token_uri },
		{ "impersonate", m->impersonate },
		{ "lifetime", life },
		{ "iam_endpoint", m->iam_endpoint },
	};
	char hash[65];

	snprintf(life, sizeof life, "%u", m->lifetime_secs);
	if (m->refresh_token != NULL) {
		/* A different refresh token is a different login, even for one client id. */
		sigv4_sha256_hex(m->refresh_token, strlen(m->refresh_token), hash);
		f[2].value = hash;
	}
	return creds_cache_key("gcp", f, sizeof f / sizeof f[0]);
}

static void
gcp_finish(struct gcp_mint *m)
{
	struct gcp_token *out = xcalloc(1, sizeof *out);
	bool minted = !m->from_cache;

	m->stage = GCP_STAGE_DONE;
	free(m->cur.account);
	m->cur.account = xstrdup(m->impersonate != NULL ? m->impersonate
	    : m->kind == GCP_SERVICE_ACCOUNT ? m->client_email : "user");
	free(m->cur.project);
	m->cur.project = m->project != NULL ? xstrdup(m->project) : m->file_project != NULL ? xstrdup(m->file_project) : NULL;
	if (minted && m->io.cache != NULL && m->cache_key != NULL) {
		struct gcp_token *c = xcalloc(1, sizeof *c);

		gcp_token_copy(c, &m->cur);
		creds_cache_put(m->io.cache, m->cache_key, c, c->expiration, gcp_cache_free_fn);
	}
	gcp_token_move(out, &m->cur);
	log_debug("gcp: token ready for %s (%s)", out->account, m->from_cache ? "cached" : "minted");
	m->on_done(m, out, NULL, m->data);
	gcp_token_clear(out);
	free(out);
	gcp_free(m);
}

static void
gcp_step(struct gcp_mint *m)
{
	struct mino_error *err = NULL;

	switch (m->stage) {
	case GCP_STAGE_START:
		free(m->cache_key);
		m->cache_key = gcp_identity_key(m);
		if (m->io.cache != NULL && !m->io.fresh) {
			const struct gcp_token *hit;

			hit = creds_cache_get(m->io.cache, m->cache_key, time(NULL), AWS_CACHE_MIN_LEFT);
			if (hit != NULL) {
				gcp_token_copy(&m->cur, hit);
				m->from_cache = true;
				gcp_finish(m);
				return;
			}
		}
		if ((m->kind == GCP_CLI ? gcp_start_gcloud(m, &err) : gcp_request_token(m, &err)) < 0)
			gcp_fail(m, err);
		return;
	case GCP_STAGE_TOKEN:
		/* gcloud impersonates by itself. */
		if (m->impersonate != NULL && m->kind != GCP_CLI) {
			if (gcp_request_impersonation(m, &err) < 0)
				gcp_fail(m, err);
			return;
		}
		/* fallthrough */
	case GCP_STAGE_IMPERSONATE:
		gcp_finish(m);
		return;
	case GCP_STAGE_DONE:
		return;
	}
}

static void
gcp_fail(struct gcp_mint *m, struct mino_error *err)
{
	m->stage = GCP_STAGE_DONE;
	log_debug("gcp: %s", err->msg);
	m->on_done(m, NULL, err, m->data);
	mino_error_release(&err);
	gcp_free(m);
}

static void
gcp_freed(void *owner)
{
	struct gcp_mint *m = owner;

	free(m->source);
	free(m->token_uri);
	free(m->client_id);
	secret_free(m->client_secret);
	secret_free(m->refresh_token);
	free(m->client_email);
	free(m->private_key_id);
	secret_free(m->private_key);
	free(m->file_project);
	free(m->project);
	free(m->impersonate);
	free(m->iam_endpoint);
	free(m->ca_bundle);
	free(m->gcloud);
	free(m->cache_key);
	gcp_token_clear(&m->cur);
	free(m);
}

static void
gcp_free(struct gcp_mint *m)
{
	creds_io_close(&m->io, gcp_freed);
}

void
gcp_mint_cancel(struct gcp_mint *m)
{
	if (m->stage == GCP_STAGE_DONE)
		return;
	m->stage = GCP_STAGE_DONE;
	gcp_free(m);
}
