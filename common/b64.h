/* b64.h: standard base64 (RFC 4648, with padding), hand-written so that
 * neither binary needs libcrypto for it.  One codec for mino and minod. */
#ifndef MINO_B64_H
#define MINO_B64_H

#include <stddef.h>

#define B64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
#define B64_DECODED_MAX(n) ((n) / 4 * 3)

/* Writes B64_ENCODED_LEN(len) bytes plus a NUL to dst; returns the length. */
size_t b64_encode_into(char *dst, const void *src, size_t len);
char *b64_encode(const void *src, size_t len, size_t *outlen); /* caller frees */

/* Strict decode into `out` (room for B64_DECODED_MAX(len) bytes, not
 * NUL-terminated): rejects characters outside the alphabet, padding
 * anywhere but the last one or two characters, non-zero unused bits in the
 * last group and lengths that are not a multiple of 4.  Returns the number
 * of bytes, or -1. */
long b64_decode_into(const char *src, size_t len, unsigned char *out);

/* The same; *out (caller frees, NUL-terminated) and *outlen, or -1. */
int b64_decode(const char *src, size_t len, unsigned char **out, size_t *outlen);

#endif
