/* sigv4.c: AWS Signature Version 4 (sigv4.h), with OpenSSL's SHA-256 and
 * HMAC.  The derived signing keys are zeroed after use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "mino-protocol.h"
#include "secret.h"
#include "sigv4.h"
#include "xalloc.h"

static void sigv4_hex(const unsigned char *in, size_t len, char *out);
static int sigv4_hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32]);
static int sigv4_check_header_value(const char *what, const char *v, struct mino_error **err);

static void
sigv4_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void
sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	sigv4_hex(md, sizeof md, out);
}

static int
sigv4_hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
	unsigned int n = 32;

	return HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &n)
	    != NULL && n == 32 ? 0 : -1;
}

/* Header values we sign must not need canonical whitespace folding. */
static int
sigv4_check_header_value(const char *what, const char *v, struct mino_error **err)
{
	if (v == NULL || v[0] == '\0')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "sigv4: empty %s", what);
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "sigv4: %s has a control or non-ASCII byte", what);
	if (v[0] == ' ' || v[strlen(v) - 1] == ' ' || strstr(v, "  ") != NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "sigv4: %s has stray spaces", what);
	return 0;
}

/* One allocation (no realloc copies): it holds the session token. */
static char *
sigv4_canonical_request(const struct sigv4_input *in, const struct sigv4_key *key, const char *amz_date,
    const char *signed_headers)
{
	char body_hash[65];

	sigv4_sha256_hex(in->body != NULL ? in->body : "", in->body_len, body_hash);
	return xasprintf("%s\n%s\n\ncontent-type:%s\nhost:%s\nx-amz-date:%s\n%s%s%s\n%s\n%s",
	    in->method, in->path, in->content_type, in->host, amz_date,
	    key->session_token != NULL ? "x-amz-security-token:" : "",
	    key->session_token != NULL ? key->session_token : "",
	    key->session_token != NULL ? "\n" : "",
	    signed_headers, body_hash);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static int
sigv4_signing_key(const struct sigv4_input *in, const struct sigv4_key *key, const char *date,
    unsigned char out[32])
{
	unsigned char k1[32], k2[32], k3[32];
	size_t slen = strlen(key->secret_access_key);
	char *ksecret = xmalloc(slen + 5);
	int r;

	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, key->secret_access_key, slen + 1);
	r = sigv4_hmac(ksecret, slen + 4, date, k1);
	if (r == 0)
		r = sigv4_hmac(k1, 32, in->region, k2);
	if (r == 0)
		r = sigv4_hmac(k2, 32, in->service, k3);
	if (r == 0)
		r = sigv4_hmac(k3, 32, "aws4_request", out);
	OPENSSL_cleanse(ksecret, slen + 4);
	free(ksecret);
	OPENSSL_cleanse(k1, sizeof k1);
	OPENSSL_cleanse(k2, sizeof k2);
	OPENSSL_cleanse(k3, sizeof k3);
	return r;
}

int
sigv4_sign(const struct sigv4_input *in, const struct sigv4_key *key, struct sigv4_output *out,
    struct mino_error **err)
{
	const char *signed_headers = key->session_token != NULL
	    ? "content-type;host;x-amz-date;x-amz-security-token" : "content-type;host;x-amz-date";
	_cleanup_secret_ char *creq = NULL;
	_cleanup_free_ char *sts = NULL;
	char date[9], scope_hash[65], sig_hex[65];
	unsigned char kSigning[32], sig[32];
	struct tm tm;
	int r;

	memset(out, 0, sizeof *out);
	if (sigv4_check_header_value("host", in->host, err) < 0
	    || sigv4_check_header_value("content type", in->content_type, err) < 0
	    || sigv4_check_header_value("region", in->region, err) < 0
	    || sigv4_check_header_value("service", in->service, err) < 0
	    || sigv4_check_header_value("access key id", key->access_key_id, err) < 0)
		return -1;
	if (key->session_token != NULL && sigv4_check_header_value("session token", key->session_token, err) < 0)
		return -1;
	if (key->secret_access_key == NULL || key->secret_access_key[0] == '\0')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "sigv4: empty secret access key");
	if (gmtime_r(&in->now, &tm) == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "sigv4: bad time");
	strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date, out->amz_date, 8);
	date[8] = '\0';

	creq = sigv4_canonical_request(in, key, out->amz_date, signed_headers);
	sigv4_sha256_hex(creq, strlen(creq), scope_hash);
	sts = xasprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", out->amz_date, date, in->region,
	    in->service, scope_hash);
	r = sigv4_signing_key(in, key, date, kSigning);
	if (r == 0)
		r = sigv4_hmac(kSigning, sizeof kSigning, sts, sig);
	OPENSSL_cleanse(kSigning, sizeof kSigning);
	if (r < 0)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "sigv4: HMAC-SHA256 failed");
	sigv4_hex(sig, sizeof sig, sig_hex);
	out->authorization = xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
	    "SignedHeaders=%s, Signature=%s", key->access_key_id, date, in->region, in->service,
	    signed_headers, sig_hex);
	return 0;
}

void
sigv4_output_clear(struct sigv4_output *out)
{
	free(out->authorization);
	out->authorization = NULL;
}
