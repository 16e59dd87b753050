/* creds-cache.h: minted tokens keyed by identity, in memory (minod owns it).
 *
 * The key is a hash of the provider and every input that determines the
 * identity (profile, role, external id, region, duration, source key id,
 * endpoint, ...), so changing any of them never finds the previous
 * identity's token.  A token is handed out only while it has more than
 * `min_left` seconds left.  Values are opaque to the cache; it frees them
 * with the free_fn given to creds_cache_put. */
#ifndef MINOD_CREDS_CACHE_H
#define MINOD_CREDS_CACHE_H

#include <stddef.h>
#include <stdbool.h>
#include <time.h>

#include "error.h"

struct creds_cache;

struct creds_cache_field {
	const char *name;
	const char *value;   /* NULL is distinct from "" */
};

struct creds_cache *creds_cache_new(void);
void creds_cache_free(struct creds_cache *c);

/* "provider:" + hex SHA-256 over the length-prefixed fields (order
 * matters).  Caller frees. */
char *creds_cache_key(const char *provider, const struct creds_cache_field *f, size_t n);

/* Borrowed until the next put or drop of that key; NULL when absent or
 * expiring within min_left seconds (such an entry is dropped). */
const void *creds_cache_get(struct creds_cache *c, const char *key, time_t now, unsigned min_left);
/* Takes value; replaces (and frees) a previous value under key. */
void creds_cache_put(struct creds_cache *c, const char *key, void *value, time_t expiry,
    void (*free_fn)(void *value));
void creds_cache_drop(struct creds_cache *c, const char *key);
size_t creds_cache_count(const struct creds_cache *c);

/* Optional persistence, so a restarted minod reuses live tokens: with a
 * directory set (created 0700, checked private), creds_cache_persist
 * writes <dir>/<provider>-<hash>.json (0600, atomic) holding the expiry
 * and the provider's own text rendering of the token; creds_cache_load
 * reads it back while more than min_left seconds are left (an expired
 * or unreadable file is removed).  The key's hash is the file name, so
 * another identity never finds it. */
int creds_cache_set_dir(struct creds_cache *c, const char *dir, struct mino_error **err);
int creds_cache_persist(struct creds_cache *c, const char *key, const char *text, time_t expiry,
    struct mino_error **err);
/* The text (caller secret_free()s) or NULL. */
char *creds_cache_load(struct creds_cache *c, const char *key, time_t now, unsigned min_left);
/* The file for key, or NULL without a directory.  Caller frees. */
char *creds_cache_path(const struct creds_cache *c, const char *key);

#endif
