/* trust.h: the trust store for project-local .mino.toml files.
 *
 * A file is trusted per canonical path and SHA-256 of its bytes: any byte
 * change makes it untrusted again.  The store is one JSON file, by default
 * <state dir>/trust.json, mode 0600, owned by us, always replaced
 * atomically:
 *   {"version": 1, "files": {"/abs/.mino.toml": {"sha256": "<hex>",
 *    "trusted_at": "2026-03-09T12:00:00Z"}}}
 * A store that is not ours, is group/other accessible, is not a regular
 * file or does not parse is an error, never "nothing trusted" that a
 * later write would silently overwrite. */
#ifndef MINO_TRUST_H
#define MINO_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

#define TRUST_HEX_LEN 64
#define TRUST_MAX_STORE (4u * 1024 * 1024)

struct trust_store {
	char *path;
	json_t *files;     /* owned: path -> {sha256, trusted_at} */
};

/* <state dir>/trust.json (caller frees). */
int trust_default_path(char **out, struct mino_error **err);

/* Loads `path`; a missing file is an empty store. */
int trust_store_load(struct trust_store *ts, const char *path, struct mino_error **err);
void trust_store_free(struct trust_store *ts);

/* Whether `canon` is trusted with exactly this hash. */
bool trust_store_lookup(const struct trust_store *ts, const char *canon, const char *sha256);
/* Records (or updates) the trust and writes the store. */
int trust_store_add(struct trust_store *ts, const char *canon, const char *sha256,
    struct mino_error **err);
/* Forgets `canon` (*removed says whether it was there) and writes the store. */
int trust_store_remove(struct trust_store *ts, const char *canon, bool *removed,
    struct mino_error **err);

/* Lower-case hex SHA-256 (OpenSSL EVP) of `len` bytes. */
void trust_sha256_hex(const void *data, size_t len, char out[TRUST_HEX_LEN + 1]);
/* Canonical path (cfgfile_canon_parent(): a symlink is refused, not
 * followed; caller frees) and hash of the file's bytes. */
int trust_hash_file(const char *path, char **canon, char out[TRUST_HEX_LEN + 1],
    struct mino_error **err);

#endif
