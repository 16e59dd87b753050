/* test-b64.c: base64 round trips and strict decoding. */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "tap.h"
#include "xalloc.h"

static int decodes_to(const char *in, const char *want, size_t want_len);
static int rejects(const char *in);

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
	return tap_done();
}
