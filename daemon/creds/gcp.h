/* gcp.h: a GCP access token, minted from the loop.
 *
 * Source: application-default credentials, `GOOGLE_APPLICATION_CREDENTIALS`
 * from the client's environment, else `$CLOUDSDK_CONFIG` (default
 * ~/.config/gcloud) `/application_default_credentials.json`:
 *   - authorized_user: the OAuth refresh-token grant at its token_uri;
 *   - service_account: an RS256 JWT (OpenSSL) exchanged at the file's token_uri.
 * With opts.service_account, that token impersonates it through the IAM
 * Credentials generateAccessToken call (endpoint override:
 * CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS).  Without a usable file:
 * `gcloud auth print-access-token` when gcloud is on the client's PATH.
 *
 * Same contract as aws.h: on_done exactly once from the loop unless
 * cancelled; the gcp_mint frees itself after on_done. */
#ifndef MINOD_CREDS_GCP_H
#define MINOD_CREDS_GCP_H

#include <stdbool.h>
#include <time.h>
#include <uv.h>

#include "error.h"

struct http_client;
struct creds_cache;

#define GCP_SCOPE "https://www.googleapis.com/auth/cloud-platform"
#define GCP_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GCP_IAM_ENDPOINT "https://iamcredentials.googleapis.com/"
#define GCP_LIFETIME_DEFAULT 3600u
/* gcloud prints a token without its expiry: assume this much is left. */
#define GCP_CLI_ASSUMED_LIFETIME 1800

struct gcp_token {
	char *access_token;    /* secret */
	time_t expiration;
	char *account;         /* client_email, the impersonated account, or "user" */
	char *project;         /* credentials.gcp.project, else the file's quota_project_id / project_id */
};

void gcp_token_clear(struct gcp_token *t);
void gcp_token_move(struct gcp_token *dst, struct gcp_token *src);
void gcp_token_copy(struct gcp_token *dst, const struct gcp_token *src);

struct gcp_mint;
/* tok: the result (NULL with err); gcp_token_move() it to keep it. */
typedef void (*gcp_done_fn)(struct gcp_mint *m, struct gcp_token *tok, const struct mino_error *err, void *data);

struct gcp_mint_opts {
	uv_loop_t *loop;
	struct http_client *http;
	struct creds_cache *cache;       /* optional */
	bool fresh;                     /* skip the cache lookup (a refresh), still store the result */
	const char *const *env;          /* the client's environment */
	const char *home;                /* NULL: env's HOME */
	const char *project;             /* credentials.gcp.project */
	const char *service_account;     /* credentials.gcp.service_account: impersonate it */
	unsigned lifetime_secs;          /* impersonated token lifetime; 0: 3600 */
	unsigned timeout_ms;             /* per call; 0: 30 s */
	gcp_done_fn on_done;
	void *data;
};

struct gcp_mint *gcp_mint_start(const struct gcp_mint_opts *o, struct mino_error **err);
void gcp_mint_cancel(struct gcp_mint *m);
const char *gcp_mint_source(const struct gcp_mint *m);
/* The identity's key (creds_cache_key, no secret), set before on_done. */
const char *gcp_mint_key(const struct gcp_mint *m);
bool gcp_mint_from_cache(const struct gcp_mint *m);

/* Exposed for tests: base64url without padding; the signed JWT
 * assertion for a service account (caller frees). */
char *gcp_b64url(const void *data, size_t len);
char *gcp_jwt_assertion(const char *client_email, const char *key_id, const char *private_key_pem,
    const char *audience, const char *scope, time_t now, struct mino_error **err);

#endif
