/* test-b64.c: base64 round trips and strict decoding. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "tap.h"
#include "xalloc.h"

static int decodes_to(const char *in, const char *want, size_t want_len);
static int rejects(const char *in);
static void against_openssl(void);

static int
decodes_to(const char *in, const char *want, size_t want_len)
{
	unsigned char *out = NULL;
	size_t len = 0;
	int r;

	if (b64_decode(in, strlen(in), &out, &len) < 0)
		return 0;
	r = len == want_len && memcmp(out, want, len) == 0 && out[len] == '\0';
	free(out);
	return r;
}

static int
rejects(const char *in)
{
	unsigned char *out = NULL;
	size_t len = 0;

	if (b64_decode(in, strlen(in), &out, &len) == 0) {
		free(out);
		return 0;
	}
	return 1;
}

/* The hand-written codec agrees with OpenSSL's EVP on random inputs: the
 * same encoding, and EVP's encoding decodes back to the input (EVP's decoder
 * is laxer, so for decoding both must agree on random valid text). */
static void
against_openssl(void)
{
	static unsigned char raw[4099], evp[B64_ENCODED_LEN(sizeof raw) + 1], evp_dec[sizeof evp];
	static char ours[sizeof evp], text[sizeof evp];
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *dec = NULL;
	size_t declen = 0, len, tlen;
	int enc_same = 1, dec_same = 1, text_same = 1, rounds = 2000;
	unsigned seed = 20261201;
	long n;
	int got;

	srand(seed);
	for (int r = 0; r < rounds; r++) {
		len = (size_t)rand() % sizeof raw;
		for (size_t i = 0; i < len; i++)
			raw[i] = (unsigned char)rand();
		got = EVP_EncodeBlock(evp, raw, (int)len);
		n = (long)b64_encode_into(ours, raw, len);
		if (got != n || memcmp(evp, ours, (size_t)n) != 0)
			enc_same = 0;
		if (b64_decode((const char *)evp, (size_t)got, &dec, &declen) < 0 || declen != len ||
		    memcmp(dec, raw, len) != 0)
			dec_same = 0;
		free(dec);
		dec = NULL;
		/* random text of whole unpadded groups: every byte pattern is valid */
		tlen = ((size_t)rand() % (sizeof text / 4)) * 4;
		for (size_t i = 0; i < tlen; i++)
			text[i] = alphabet[rand() % 64];
		got = EVP_DecodeBlock(evp_dec, (const unsigned char *)text, (int)tlen);
		n = b64_decode_into(text, tlen, (unsigned char *)ours);
		if (got < 0 || n != got || memcmp(evp_dec, ours, (size_t)n) != 0)
			text_same = 0;
	}
	ok(enc_same, "encoding equals EVP_EncodeBlock on %d random inputs (seed %u)", rounds, seed);
	ok(dec_same, "EVP_EncodeBlock's output decodes back to the input on %d random inputs", rounds);
	ok(text_same, "decoding equals EVP_DecodeBlock on %d random unpadded texts", rounds);
}

int
main(void)
{
	static const struct {
		const char *raw, *enc;
	} vec[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	unsigned char bytes[1000];
	char *enc;
	size_t n;
	int all = 1;

	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		enc = b64_encode(vec[i].raw, strlen(vec[i].raw), &n);
		is_str(enc, vec[i].enc, "encode `%s` (RFC 4648 vector)", vec[i].raw);
		free(enc);
		ok(decodes_to(vec[i].enc, vec[i].raw, strlen(vec[i].raw)), "decode `%s`", vec[i].enc);
	}
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (unsigned char)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof bytes; len += 1 + len / 10) {
		enc = b64_encode(bytes, len, &n);
		if (n != B64_ENCODED_LEN(len) || strlen(enc) != n || !decodes_to(enc, (const char *)bytes, len))
			all = 0;
		free(enc);
	}
	ok(all, "binary round trips of many lengths");
	{
		char buf[B64_ENCODED_LEN(3) + 1];

		ok(b64_encode_into(buf, "\0\xff\x10", 3) == 4 && strcmp(buf, "AP8Q") == 0, "b64_encode_into");
	}
	ok(decodes_to("AP8Q", "\0\xff\x10", 3), "decode with NUL byte inside");
	ok(rejects("Zg="), "length not a multiple of 4");
	ok(rejects("Zg"), "missing padding");
	ok(rejects("Zm9v!A=="), "bad character");
	ok(rejects("Zm9v YmFy"), "embedded space");
	ok(rejects(" Zm9v"), "leading space (OpenSSL would skip it)");
	ok(rejects("Zm9v\n"), "trailing newline (OpenSSL would skip it)");
	ok(rejects("Zg==Zm9v"), "padding in the middle");
	ok(rejects("Z==="), "three padding characters");
	ok(rejects("===="), "only padding");
	ok(rejects("Zm=v"), "padding before data in the last group");
	ok(rejects("Zh=="), "non-zero unused bits with ==");
	ok(rejects("Zm9="), "non-zero unused bits with =");
	ok(rejects("Zm9v-_=="), "base64url alphabet");
	against_openssl();
	return tap_done();
}
