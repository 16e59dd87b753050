/* b64.c: standard base64 on OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock.
 * EVP_DecodeBlock takes int lengths, skips surrounding whitespace and
 * counts padding as zero bytes, so input is validated here first and the
 * padding subtracted afterwards. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "xalloc.h"

/* Multiples of 3 (encode) and 4 (decode) that fit an int comfortably. */
#define B64_ENCODE_CHUNK (3u * 1024 * 1024)
#define B64_DECODE_CHUNK (4u * 1024 * 1024)

static int b64_value(unsigned char c);
static int b64_validate(const char *src, size_t len, size_t *pad);

size_t
b64_encode_into(char *dst, const void *src, size_t len)
{
	const unsigned char *in = src;
	size_t o = 0;

	dst[0] = '\0';
	while (len > 0) {
		size_t n = len < B64_ENCODE_CHUNK ? len : B64_ENCODE_CHUNK;

		o += (size_t)EVP_EncodeBlock((unsigned char *)dst + o, in, (int)n);
		in += n;
		len -= n;
	}
	return o;
}

char *
b64_encode(const void *src, size_t len, size_t *outlen)
{
	char *out;
	size_t n;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2)
		fatal("b64_encode: %zu bytes is too large", len);
	out = xmalloc(B64_ENCODED_LEN(len) + 1);
	n = b64_encode_into(out, src, len);
	if (outlen != NULL)
		*outlen = n;
	return out;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Alphabet, padding only as the last one or two characters, and the unused
 * bits of the last group zero (one canonical encoding per input). */
static int
b64_validate(const char *src, size_t len, size_t *pad)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t body;
	int last;

	if (len % 4 != 0)
		return -1;
	*pad = 0;
	if (len == 0)
		return 0;
	if (s[len - 1] == '=')
		*pad = s[len - 2] == '=' ? 2 : 1;
	body = len - *pad;
	for (size_t i = 0; i < body; i++)
		if (b64_value(s[i]) < 0)
			return -1;
	if (*pad == 0)
		return 0;
	last = b64_value(s[body - 1]);
	if ((*pad == 2 && (last & 0x0f) != 0) || (*pad == 1 && (last & 0x03) != 0))
		return -1;
	return 0;
}

int
b64_decode(const char *src, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *dst;
	size_t pad, i = 0, o = 0;

	if (b64_validate(src, len, &pad) < 0)
		return -1;
	dst = xmalloc(len / 4 * 3 + 1);
	while (i < len) {
		size_t n = len - i < B64_DECODE_CHUNK ? len - i : B64_DECODE_CHUNK;
		int got = EVP_DecodeBlock(dst + o, (const unsigned char *)src + i, (int)n);

		if (got < 0 || (size_t)got != n / 4 * 3) {
			free(dst);
			return -1;
		}
		o += (size_t)got;
		i += n;
	}
	o -= pad;
	dst[o] = '\0';
	*out = dst;
	*outlen = o;
	return 0;
}
