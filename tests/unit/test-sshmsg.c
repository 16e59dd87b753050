/* test-sshmsg.c: what the SSH agent relay lets through (sshmsg.c). */
#include <string.h>

#include "sshmsg.h"
#include "tap.h"

static size_t
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

/* A framed message: type, then `body` of `len` bytes. */
static size_t
frame(uint8_t *out, uint8_t type, const void *body, size_t len)
{
	put_u32(out, (uint32_t)(len + 1));
	out[4] = type;
	memcpy(out + 5, body, len);
	return len + 5;
}

/* A sign request body: string key, string data, uint32 flags. */
static size_t
sign_body(uint8_t *out, const char *key, const char *data, bool with_flags)
{
	size_t n = 0;

	n += put_u32(out + n, (uint32_t)strlen(key));
	memcpy(out + n, key, strlen(key));
	n += strlen(key);
	n += put_u32(out + n, (uint32_t)strlen(data));
	memcpy(out + n, data, strlen(data));
	n += strlen(data);
	if (with_flags)
		n += put_u32(out + n, 0);
	return n;
}

int
main(void)
{
	uint8_t msg[512], body[256];
	char fp[SSHMSG_FP_MAX] = "";
	size_t n, flen = 0, blen;
	uint8_t type = 0;

	n = frame(msg, SSHMSG_REQUEST_IDENTITIES, "", 0);
	ok(sshmsg_judge(msg, n, &flen, &type, fp) == SSHMSG_PASS && flen == 5 && type == 11,
	    "list identities passes");
	ok(sshmsg_judge(msg, 3, &flen, &type, fp) == SSHMSG_INCOMPLETE, "three bytes: incomplete");
	ok(sshmsg_judge(msg, 4, &flen, &type, fp) == SSHMSG_INCOMPLETE, "the length alone: incomplete");
	n = frame(msg, SSHMSG_REQUEST_IDENTITIES, "x", 1);
	ok(sshmsg_judge(msg, n, &flen, &type, fp) == SSHMSG_BAD, "list identities with a body is malformed");

	blen = sign_body(body, "abc", "data to sign", true);
	n = frame(msg, SSHMSG_SIGN_REQUEST, body, blen);
	ok(sshmsg_judge(msg, n, &flen, &type, fp) == SSHMSG_PASS && flen == n && type == 13,
	    "a well-formed sign request passes");
	ok(strcmp(fp, "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0") == 0,
	    "its fingerprint is ssh-keygen's SHA256 of the key blob (%s)", fp);
	ok(sshmsg_judge(msg, n - 1, &flen, &type, fp) == SSHMSG_INCOMPLETE, "one byte short: incomplete");
	msg[n] = 0;
	ok(sshmsg_judge(msg, n + 1, &flen, &type, fp) == SSHMSG_PASS && flen == n,
	    "a following byte belongs to the next message");
	blen = sign_body(body, "abc", "data", false);
	n = frame(msg, SSHMSG_SIGN_REQUEST, body, blen);
	ok(sshmsg_judge(msg, n, &flen, &type, fp) == SSHMSG_BAD, "a sign request without flags is malformed");
	blen = sign_body(body, "", "data", true);
	n = frame(msg, SSHMSG_SIGN_REQUEST, body, blen);
	ok(sshmsg_judge(msg, n, &flen, &type, fp) == SSHMSG_BAD, "an empty key is malformed");
	blen = sign_body(body, "abc", "data", true);
	put_u32(body, 200); /* the key string claims more than there is */
	n = frame(msg, SSHMSG_SIGN_REQUEST, body, blen);
	ok(sshmsg_judge(msg, n, &flen, &type, fp) == SSHMSG_BAD, "a string past the end is malformed");

	/* add (17), remove (18), remove all (19), lock (22), unlock (23), extension (27) */
	static const uint8_t refused[] = { 17, 18, 19, 22, 23, 25, 27, 1, 0, 255 };
	for (size_t i = 0; i < sizeof refused; i++) {
		n = frame(msg, refused[i], "zz", 2);
		ok(sshmsg_judge(msg, n, &flen, &type, fp) == SSHMSG_REFUSE && flen == n && type == refused[i],
		    "type %u is refused", refused[i]);
	}
	put_u32(msg, 0);
	ok(sshmsg_judge(msg, 4, &flen, &type, fp) == SSHMSG_BAD, "length 0 is malformed");
	put_u32(msg, SSHMSG_MAX + 1);
	ok(sshmsg_judge(msg, 4, &flen, &type, fp) == SSHMSG_BAD, "longer than the limit is malformed");
	ok(sshmsg_frame(msg, 4) == (size_t)-1, "an answer longer than the limit is refused");
	put_u32(msg, 2);
	ok(sshmsg_frame(msg, 5) == 0 && sshmsg_frame(msg, 6) == 6, "answer framing");
	return tap_done();
}
