/* sigv4.h: AWS Signature Version 4 for a request without a query string
 * (the STS Query API is a form POST to "/").  Signed headers:
 * content-type, host, x-amz-date and, with a session token,
 * x-amz-security-token.  The secret key never leaves this module: the
 * output is the Authorization header value and the date that was signed. */
#ifndef MINOD_CREDS_SIGV4_H
#define MINOD_CREDS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "error.h"

struct sigv4_key {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;   /* NULL for long-term keys */
};

struct sigv4_input {
	const char *method;          /* "POST" */
	const char *host;            /* the Host header as sent: "host" or "host:port" */
	const char *path;            /* "/" */
	const char *region;
	const char *service;         /* "sts" */
	const char *content_type;
	const char *body;
	size_t body_len;
	time_t now;
};

struct sigv4_output {
	char amz_date[17];           /* YYYYMMDDTHHMMSSZ */
	char *authorization;         /* owned: "AWS4-HMAC-SHA256 Credential=..." */
};

int sigv4_sign(const struct sigv4_input *in, const struct sigv4_key *key, struct sigv4_output *out,
    struct mino_error **err);
void sigv4_output_clear(struct sigv4_output *out);

/* Lower-case hex of SHA-256(data); out has 65 bytes. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
