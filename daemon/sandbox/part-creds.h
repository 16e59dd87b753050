/* part-creds.h: what the credential parts (part-aws.c, part-tokens.c)
 * share: minod's one HTTP client and token cache, the client's
 * environment, the strict/lenient failure rule, audit events, run
 * directory files and the record's `credentials` object.  Nothing here
 * takes or logs a secret value except part_creds_write's data. */
#ifndef MINOD_PART_CREDS_H
#define MINOD_PART_CREDS_H

#include <stdbool.h>
#include <sys/queue.h>
#include <time.h>
#include <jansson.h>

#include "error.h"
#include "parts.h"

struct http_client;
struct creds_cache;

/* minod's HTTP client and token cache (<state>/credentials), made on first use. */
struct http_client *part_creds_http(struct mino_error **err);
struct creds_cache *part_creds_cache(void);
/* The client's credential environment ("K=V", NULL-terminated, never NULL). */
const char *const *part_creds_env(const struct part_ctx *ctx);
/* "mino-<session name>", at most 64 bytes; caller frees. */
char *part_creds_session_name(const struct part_ctx *ctx);
/* A provider's prepare failed: with --strict-credentials the create fails
 * with err; otherwise one warning and the session goes on without it.
 * Audited as credentials.failed either way.  Ends the prepare. */
void part_creds_failed(struct part_ctx *ctx, const char *provider, const struct mino_error *err);
/* credentials.injected / credentials.refreshed / credentials.failed. */
void part_creds_audit(const struct part_ctx *ctx, const char *event, const char *provider,
    const char *identity, time_t expires, const char *error);
/* Replaces run directory file `file` of the live session (atomic, 0644). */
int part_creds_write(const struct part_ctx *ctx, const char *file, const char *data, struct mino_error **err);
/* rec.credentials.<provider> = {identity, identity_key, expires (ISO 8601
 * UTC), refreshes, last_error}.  identity_key is creds_cache_key's hash
 * (no secret): what a re-adopted session's refresh must mint again. */
void part_creds_record(json_t *rec, const char *provider, const char *key, const char *identity,
    time_t expires, unsigned refreshes, const char *last_error);

/* What the record of a re-adopted session (spec.creds.resumed) says of a
 * provider; borrowed from the spec.  -1: nothing to resume. */
struct part_creds_resumed {
	const char *key;
	const char *identity;
	time_t expires;
	unsigned refreshes;
};
int part_creds_resumed(const struct part_ctx *ctx, const char *provider, struct part_creds_resumed *out);

/* Live credential state (a timer, a mint in flight, a relay) that minod's
 * shutdown must stop: part_creds_fini calls each `stop` once, then closes
 * the HTTP client and frees the cache, so no handle is left to uv_walk. */
struct part_creds_view;
struct part_creds_live {
	LIST_ENTRY(part_creds_live) link;
	void (*stop)(void *arg);
	/* Optional: what daemon/status shows of it (false: nothing yet). */
	bool (*view)(void *arg, struct part_creds_view *out);
	void *arg;
	bool linked;
};

/* One session's credential of one provider, for daemon/status (borrowed; no secret). */
struct part_creds_view {
	const char *provider, *key, *identity, *source, *last_error, *session;
	time_t expires, next_refresh;
};
/* daemon/status `credentials`: one entry per identity (PROTOCOL.md). */
json_t *part_creds_status(void);
void part_creds_live_add(struct part_creds_live *l, void (*stop)(void *arg), void *arg);
void part_creds_live_del(struct part_creds_live *l);
void part_creds_fini(void);

#endif
