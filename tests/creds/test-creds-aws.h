/* test-creds-aws.h: what the two AWS credential tests share
 * (test-creds-aws-lib.c); test-creds-aws.c: HTTP, SigV4, STS basics;
 * test-creds-aws-sources.c: profile chains, helper programs, the cache,
 * refresh, the loop never blocked, TLS. */
#ifndef TEST_CREDS_AWS_H
#define TEST_CREDS_AWS_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include <jansson.h>

#include "aws.h"

#define STATIC1_ID "AKIAFAKESTATIC000001"
#define STATIC1_SECRET "fakeSecretKey0000000000000000000000000001"
#define STATIC2_ID "AKIAFAKESTATIC000002"
#define STATIC2_SECRET "fakeSecretKey0000000000000000000000000002"
#define PROCESS_ID "AKIAFAKEPROCESS00001"
#define PROCESS_SECRET "fakeSecretKey000000000000000000000process"
#define ROLE(name) "arn:aws:iam::123456789012:role/" name


extern uv_loop_t *loop;
extern struct http_client *http;
extern const char *tmp;
extern char *sts_url, *sts_log, *tls_url, *tls_log, *fake_ca;
extern struct aws_creds first;

struct mint_result {
	bool done;
	bool sync_error;
	struct aws_creds c;
	char *err;
	bool from_cache;
	char *source;
};


void track_secret(const char *s);
void result_clear(struct mint_result *r);
struct aws_mint *mint_start(struct aws_mint_opts *o, struct mint_result *r);
void mint(struct aws_mint_opts *o, struct mint_result *r);
char *env_entry(const char *k, const char *v);
size_t log_lines(const char *path);
json_t *log_entry(const char *path, size_t index);
const char *jstr(json_t *j, const char *k);
void write_file(const char *path, const char *text, mode_t mode);
char *read_text(const char *path);
bool contains(const char *hay, const char *needle);

int aws_test_init(void);
void aws_test_mint_first(void);
/* Closes the client and the loop, restores stderr, scans the log. */
bool aws_test_finish(int *loop_close, size_t *log_lines, size_t *nsecrets, size_t *leaked);

#endif
