/* aws.h: temporary AWS credentials, minted from the loop.
 *
 * Sources, in the SDKs' order: the client's environment (unless a profile
 * is named explicitly), then the shared files' profile (`source_profile`
 * chains with `role_arn`, static keys, `credential_process`), then
 * `aws configure export-credentials --profile P --format process` when the
 * CLI is on the client's PATH and nothing else gave credentials.  Then STS
 * (SigV4-signed Query API POSTs): each profile role hop is an AssumeRole;
 * then AssumeRole for opts.role_arn, or GetSessionToken for long-term keys;
 * already temporary credentials without role_arn pass through with their
 * own expiry (GetSessionToken refuses them).
 *
 * Owner-agnostic: on_done runs exactly once, from the loop (never inside
 * aws_mint_start), unless aws_mint_cancel comes first; the aws_mint frees
 * itself after on_done.  Nothing here logs a secret or puts one in an argv. */
#ifndef MINOD_CREDS_AWS_H
#define MINOD_CREDS_AWS_H

#include <stdbool.h>
#include <time.h>
#include <uv.h>

#include "error.h"

struct http_client;
struct creds_cache;

#define AWS_DURATION_MIN 3600u
#define AWS_DURATION_MAX 43200u
#define AWS_DURATION_DEFAULT 3600u
#define AWS_CACHE_MIN_LEFT 300u       /* reuse a cached token only with > 5 min left */

struct aws_creds {
	char *access_key_id;
	char *secret_access_key;      /* secret */
	char *session_token;          /* secret; NULL for long-term keys */
	time_t expiration;            /* 0: unknown (never for STS results) */
	char *region;
};

/* Zeroes the secrets, frees the strings, leaves *c empty. */
void aws_creds_clear(struct aws_creds *c);
void aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src);
/* *dst = *src, and *src is left empty. */
void aws_creds_move(struct aws_creds *dst, struct aws_creds *src);

/* What `credential_process` prints (Version 1).  Caller secret_free()s. */
char *aws_creds_process_json(const struct aws_creds *c);
/* A shared credentials file with one [profile] section.  Caller secret_free()s. */
char *aws_creds_ini(const struct aws_creds *c, const char *profile);
/* A config file whose [default] profile runs `credential_process` (no
 * secret in it) and names the region. */
char *aws_config_render(const char *credential_process, const char *region);

struct aws_mint;
/* creds: the result (NULL with err).  Take it with aws_creds_move();
 * whatever is left in it is cleared after on_done returns. */
typedef void (*aws_done_fn)(struct aws_mint *m, struct aws_creds *creds, const struct mino_error *err,
    void *data);

struct aws_mint_opts {
	uv_loop_t *loop;
	struct http_client *http;
	struct creds_cache *cache;      /* optional: identity-keyed reuse */
	bool fresh;                     /* skip the cache lookup (a refresh), still store the result */
	const char *const *env;         /* the client's environment, "K=V", NULL-terminated */
	const char *home;               /* the client's home (for ~/.aws); NULL: env's HOME */
	const char *profile;            /* credentials.aws.profile; NULL: AWS_PROFILE or default */
	const char *role_arn;           /* credentials.aws.role_arn */
	const char *external_id;
	const char *region;             /* credentials.aws.region */
	unsigned duration_secs;         /* 0: AWS_DURATION_DEFAULT */
	const char *session_name;       /* RoleSessionName (e.g. "mino-<session>") */
	unsigned timeout_ms;            /* per STS call / process; 0: 30 s */
	aws_done_fn on_done;
	void *data;
};

/* Bad options and unreadable or malformed files fail here, synchronously. */
struct aws_mint *aws_mint_start(const struct aws_mint_opts *o, struct mino_error **err);
/* Stops whatever is in flight; on_done never runs. */
void aws_mint_cancel(struct aws_mint *m);
/* Where the source credentials came from ("environment", "profile `dev`",
 * ...), for messages and audit. */
const char *aws_mint_source(const struct aws_mint *m);
/* The identity's key (creds_cache_key: provider and every input that
 * determines the identity, no secret), set before on_done; NULL before. */
const char *aws_mint_key(const struct aws_mint *m);
/* True once the result came from the cache. */
bool aws_mint_from_cache(const struct aws_mint *m);

/* Exposed for tests. */
int aws_parse_time(const char *s, time_t *out);
int aws_sts_parse(const char *action, const char *doc, size_t len, long status, struct aws_creds *out,
    struct mino_error **err);

#endif
