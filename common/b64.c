/* b64.c: standard base64 (RFC 4648) with padding, strict on decode.
 *
 * The decoder uses four tables that give each character's six bits already
 * in place: the three bytes of a group are bits 0-7, 8-15 and 16-23 of the
 * OR of four lookups, and bit 31 marks a character outside the alphabet, so
 * the inner loop has no shifts and no branch per character. */
#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "xalloc.h"

#define B64_BAD 0x80000000u

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint32_t b64_table[4][256];
static int8_t b64_value[256];

static void b64_init(void) __attribute__((constructor));
static long b64_decode_tail(const unsigned char *p, unsigned char *o);

/* Runs before main (a constructor), so the tables are ready in every thread. */
static void
b64_init(void)
{
	uint32_t v;
	int i, j;

	for (j = 0; j < 4; j++)
		for (i = 0; i < 256; i++)
			b64_table[j][i] = B64_BAD;
	memset(b64_value, -1, sizeof b64_value);
	for (i = 0; i < 64; i++) {
		unsigned char c = (unsigned char)b64_alphabet[i];

		v = (uint32_t)i;
		b64_value[c] = (int8_t)i;
		b64_table[0][c] = v << 2;
		b64_table[1][c] = (v >> 4) | (v & 0xf) << 12;
		b64_table[2][c] = (v >> 2) << 8 | (v & 0x3) << 22;
		b64_table[3][c] = v << 16;
	}
}

size_t
b64_encode_into(char *dst, const void *src, size_t len)
{
	const unsigned char *in = src;
	char *o = dst;
	uint32_t v;
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (size_t)(o - dst);
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

/* The last group, which may carry padding; its unused bits must be zero
 * (one canonical encoding per input). */
static long
b64_decode_tail(const unsigned char *p, unsigned char *o)
{
	int32_t a = b64_value[p[0]], b = b64_value[p[1]], c, d;
	uint32_t v;

	if ((a | b) < 0)
		return -1;
	v = (uint32_t)a << 18 | (uint32_t)b << 12;
	if (p[2] == '=') {
		if (p[3] != '=' || (b & 0x0f) != 0)
			return -1;
		o[0] = (unsigned char)(v >> 16);
		return 1;
	}
	c = b64_value[p[2]];
	if (c < 0)
		return -1;
	v |= (uint32_t)c << 6;
	if (p[3] == '=') {
		if ((c & 0x03) != 0)
			return -1;
		o[0] = (unsigned char)(v >> 16);
		o[1] = (unsigned char)(v >> 8);
		return 2;
	}
	d = b64_value[p[3]];
	if (d < 0)
		return -1;
	v |= (uint32_t)d;
	o[0] = (unsigned char)(v >> 16);
	o[1] = (unsigned char)(v >> 8);
	o[2] = (unsigned char)v;
	return 3;
}

long
b64_decode_into(const char *src, size_t len, unsigned char *out)
{
	const unsigned char *p = (const unsigned char *)src;
	const uint32_t *t0 = b64_table[0], *t1 = b64_table[1];
	const uint32_t *t2 = b64_table[2], *t3 = b64_table[3];
	unsigned char *o = out;
	uint32_t w, bad = 0;
	size_t i, last;
	long n;

	if (len % 4 != 0 || len / 4 * 3 > (size_t)LONG_MAX)
		return -1;
	if (len == 0)
		return 0;
	last = len - 4;
	for (i = 0; i < last; i += 4) {
		w = t0[p[i]] | t1[p[i + 1]] | t2[p[i + 2]] | t3[p[i + 3]];
		bad |= w;
		o[0] = (unsigned char)w;
		o[1] = (unsigned char)(w >> 8);
		o[2] = (unsigned char)(w >> 16);
		o += 3;
	}
	if (bad & B64_BAD)
		return -1;
	n = b64_decode_tail(p + last, o);
	if (n < 0)
		return -1;
	return (long)(o - out) + n;
}

int
b64_decode(const char *src, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *dst;
	long n;

	if (len % 4 != 0)
		return -1;
	dst = xmalloc(B64_DECODED_MAX(len) + 1);
	n = b64_decode_into(src, len, dst);
	if (n < 0) {
		free(dst);
		return -1;
	}
	dst[n] = '\0';
	*out = dst;
	*outlen = (size_t)n;
	return 0;
}
