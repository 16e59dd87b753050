/* azure.h: an Azure access token, minted from the loop.
 *
 * Source: a service principal in the client's environment
 * (AZURE_CLIENT_ID, AZURE_TENANT_ID or opts.tenant, AZURE_CLIENT_SECRET):
 * the OAuth client-credentials grant at AZURE_AUTHORITY_HOST (default
 * https://login.microsoftonline.com/) `<tenant>/oauth2/v2.0/token`.
 * Fallback: `az account get-access-token --output json [--subscription S]
 * [--tenant T]` when az is on the client's PATH; its `expires_on` (epoch)
 * is preferred, else `expiresOn`, which az prints in local time without a
 * zone.  Same contract as aws.h / gcp.h. */
#ifndef MINOD_CREDS_AZURE_H
#define MINOD_CREDS_AZURE_H

#include <stdbool.h>
#include <time.h>
#include <uv.h>

#include "error.h"

struct http_client;
struct creds_cache;

#define AZURE_AUTHORITY_DEFAULT "https://login.microsoftonline.com/"
#define AZURE_SCOPE_DEFAULT "https://management.azure.com/.default"

struct azure_token {
	char *access_token;     /* secret */
	time_t expiration;
	char *tenant;
	char *subscription;     /* opts.subscription, else az's */
	char *client_id;        /* the service principal, NULL for az */
};

void azure_token_clear(struct azure_token *t);
void azure_token_move(struct azure_token *dst, struct azure_token *src);

struct azure_mint;
typedef void (*azure_done_fn)(struct azure_mint *m, struct azure_token *tok, const struct mino_error *err,
    void *data);

struct azure_mint_opts {
	uv_loop_t *loop;
	struct http_client *http;
	struct creds_cache *cache;      /* optional */
	bool fresh;                     /* skip the cache lookup (a refresh), still store the result */
	const char *const *env;         /* the client's environment */
	const char *tenant;             /* credentials.azure.tenant */
	const char *subscription;       /* credentials.azure.subscription */
	const char *scope;              /* NULL: AZURE_SCOPE_DEFAULT */
	unsigned timeout_ms;
	azure_done_fn on_done;
	void *data;
};

struct azure_mint *azure_mint_start(const struct azure_mint_opts *o, struct mino_error **err);
void azure_mint_cancel(struct azure_mint *m);
const char *azure_mint_source(const struct azure_mint *m);
/* The identity's key (creds_cache_key, no secret), set before on_done. */
const char *azure_mint_key(const struct azure_mint *m);
bool azure_mint_from_cache(const struct azure_mint *m);

/* Exposed for tests: az's expiry fields (expires_on first). */
int azure_parse_az_expiry(const char *expires_on, const char *expiresOn, time_t *out);

#endif
