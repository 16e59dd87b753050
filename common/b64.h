/* b64.h: standard base64 (RFC 4648, with padding), built on OpenSSL. */
#ifndef MINO_B64_H
#define MINO_B64_H

#include <stddef.h>

#define B64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/* Writes B64_ENCODED_LEN(len) bytes plus a NUL to dst; returns the length. */
size_t b64_encode_into(char *dst, const void *src, size_t len);
char *b64_encode(const void *src, size_t len, size_t *outlen); /* caller frees */

/* Strict decode: rejects bad characters, bad padding and lengths that are not
 * a multiple of 4.  Returns 0 with *out (caller frees, NUL-terminated) and
 * *outlen, or -1. */
int b64_decode(const char *src, size_t len, unsigned char **out, size_t *outlen);

#endif
