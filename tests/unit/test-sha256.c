/* test-sha256.c: the hand-written SHA-256 against FIPS 180-4's examples and
 * OpenSSL's EVP on random inputs, in one call and fed in random pieces. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sha256.h"
#include "tap.h"

static void
hex(const unsigned char *md, char out[2 * SHA256_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[2 * SHA256_LEN] = '\0';
}

static void
known_answers(void)
{
	static const struct { const char *in, *md; } vec[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	unsigned char md[SHA256_LEN];
	char got[2 * SHA256_LEN + 1];

	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		sha256_digest(vec[i].in, strlen(vec[i].in), md);
		hex(md, got);
		is_str(got, vec[i].md, "FIPS 180-4 example of %zu bytes", strlen(vec[i].in));
	}
}

static void
against_openssl(void)
{
	static unsigned char raw[5000];
	unsigned char ours[SHA256_LEN], ours_pieces[SHA256_LEN], evp[EVP_MAX_MD_SIZE];
	unsigned int evplen;
	int same = 1, same_pieces = 1, rounds = 2000;
	unsigned seed = 20261201;
	struct sha256 c;
	size_t len, off, n;

	srand(seed);
	for (int r = 0; r < rounds; r++) {
		len = (size_t)rand() % sizeof raw;
		for (size_t i = 0; i < len; i++)
			raw[i] = (unsigned char)rand();
		sha256_digest(raw, len, ours);
		sha256_init(&c);
		for (off = 0; off < len; off += n) {
			n = (size_t)rand() % 130;
			if (n > len - off)
				n = len - off;
			sha256_update(&c, raw + off, n);
		}
		sha256_final(&c, ours_pieces);
		if (EVP_Digest(raw, len, evp, &evplen, EVP_sha256(), NULL) != 1 || evplen != SHA256_LEN)
			same = 0;
		same &= memcmp(ours, evp, SHA256_LEN) == 0;
		same_pieces &= memcmp(ours_pieces, evp, SHA256_LEN) == 0;
	}
	ok(same, "equals EVP_sha256 on %d random inputs of 0..%zu bytes (seed %u)", rounds, sizeof raw - 1, seed);
	ok(same_pieces, "fed in random pieces, still equals EVP_sha256");
}

int
main(void)
{
	known_answers();
	against_openssl();
	return tap_done();
}
