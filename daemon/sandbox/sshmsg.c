/* sshmsg.c: judging SSH agent messages (sshmsg.h). */
#include <string.h>

#include <openssl/sha.h>

#include "b64.h"
#include "sshmsg.h"

static uint32_t
sshmsg_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t
sshmsg_frame(const uint8_t *buf, size_t len)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = sshmsg_u32(buf);
	if (n == 0 || n > SSHMSG_MAX)
		return (size_t)-1;
	return len - 4 >= n ? (size_t)n + 4 : 0;
}

/* A string (uint32 length + bytes) at *p within end; advances *p. */
static int
sshmsg_string(const uint8_t **p, const uint8_t *end, const uint8_t **s, size_t *slen)
{
	uint32_t n;

	if (end - *p < 4)
		return -1;
	n = sshmsg_u32(*p);
	*p += 4;
	if ((size_t)(end - *p) < n)
		return -1;
	*s = *p;
	*slen = n;
	*p += n;
	return 0;
}

static void
sshmsg_fingerprint(const uint8_t *blob, size_t len, char fp[SSHMSG_FP_MAX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char b64[B64_ENCODED_LEN(SHA256_DIGEST_LENGTH) + 1];
	size_t n;

	SHA256(blob, len, md);
	n = b64_encode_into(b64, md, sizeof md);
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	memcpy(fp, "SHA256:", 7);
	memcpy(fp + 7, b64, n + 1);
}

enum sshmsg_verdict
sshmsg_judge(const uint8_t *buf, size_t len, size_t *frame_len, uint8_t *type, char fp[SSHMSG_FP_MAX])
{
	size_t n = sshmsg_frame(buf, len), klen, dlen;
	const uint8_t *p, *end, *key, *data;

	if (n == 0)
		return SSHMSG_INCOMPLETE;
	if (n == (size_t)-1)
		return SSHMSG_BAD;
	*frame_len = n;
	*type = buf[4];
	p = buf + 5;
	end = buf + n;
	switch (*type) {
	case SSHMSG_REQUEST_IDENTITIES:
		return p == end ? SSHMSG_PASS : SSHMSG_BAD;
	case SSHMSG_SIGN_REQUEST:
		/* string key blob, string data, uint32 flags */
		if (sshmsg_string(&p, end, &key, &klen) < 0 || klen == 0 ||
		    sshmsg_string(&p, end, &data, &dlen) < 0 || end - p != 4)
			return SSHMSG_BAD;
		sshmsg_fingerprint(key, klen, fp);
		return SSHMSG_PASS;
	default:
		return SSHMSG_REFUSE;
	}
}
