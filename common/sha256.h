/* sha256.h: SHA-256 (FIPS 180-4), hand-written so that the client does not
 * load libcrypto for the one digest it needs (the "shown" hash of
 * `mino config trust`, checked against the one minod computes and records).
 * One implementation for both binaries; tested against OpenSSL's EVP. */
#ifndef MINO_SHA256_H
#define MINO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t total;          /* bytes hashed */
	unsigned char block[64];
	size_t fill;             /* bytes in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN]);
/* The digest of data in one call. */
void sha256_digest(const void *data, size_t len, unsigned char out[SHA256_LEN]);

#endif
