/* test-creds-aws-lib.c: what both AWS credential tests use
 * (test-creds-aws.h): the fakes' addresses, minting on the loop, the fake
 * STS's log, files, and the run around the cases (stderr to a log file
 * that is scanned for every secret the cases saw). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "aws.h"
#include "creds-cache.h"
#include "http.h"
#include "log.h"
#include "refresh.h"
#include "secret.h"
#include "sigv4.h"
#include "tap.h"
#include "test-creds-aws.h"
#include "xalloc.h"

uv_loop_t *loop;
struct http_client *http;
const char *tmp;
char *sts_url, *sts_log, *tls_url, *tls_log, *fake_ca;
static char *secrets[256];
static size_t nsecrets;


void
track_secret(const char *s)
{
	if (s != NULL && nsecrets < sizeof secrets / sizeof secrets[0])
		secrets[nsecrets++] = xstrdup(s);
}

void
result_clear(struct mint_result *r)
{
	aws_creds_clear(&r->c);
	free(r->err);
	free(r->source);
	memset(r, 0, sizeof *r);
}

static void
mint_cb(struct aws_mint *m, struct aws_creds *c, const struct mino_error *err, void *data)
{
	struct mint_result *r = data;

	r->done = true;
	if (c != NULL) {
		aws_creds_move(&r->c, c);
		track_secret(r->c.secret_access_key);
		track_secret(r->c.session_token);
	}
	if (err != NULL)
		r->err = xstrdup(err->msg);
	r->from_cache = aws_mint_from_cache(m);
	r->source = xstrdup(aws_mint_source(m));
}

struct aws_mint *
mint_start(struct aws_mint_opts *o, struct mint_result *r)
{
	struct mino_error *err = NULL;
	struct aws_mint *m;

	memset(r, 0, sizeof *r);
	o->loop = loop;
	o->http = http;
	o->on_done = mint_cb;
	o->data = r;
	m = aws_mint_start(o, &err);
	if (m == NULL) {
		r->done = r->sync_error = true;
		r->err = xstrdup(err->msg);
		mino_error_release(&err);
	}
	return m;
}

void
mint(struct aws_mint_opts *o, struct mint_result *r)
{
	mint_start(o, r);
	while (!r->done)
		uv_run(loop, UV_RUN_ONCE);
	if (r->err != NULL)
		tap_diag("mint error: %s", r->err);
}

char *
env_entry(const char *k, const char *v)
{
	return xasprintf("%s=%s", k, v);
}

/* The fake's log: number of lines, and the last one parsed. */
size_t
log_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	if (f == NULL)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		if (ch == '\n')
			n++;
	fclose(f);
	return n;
}

json_t *
log_entry(const char *path, size_t index)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	size_t n = 0;
	json_t *j = NULL;

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof line, f) != NULL)
		if (n++ == index) {
			j = json_loads(line, 0, NULL);
			break;
		}
	fclose(f);
	return j;
}

const char *
jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s != NULL ? s : "(none)";
}

void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		fatal("write %s: %s", path, strerror(errno));
}

char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return xstrdup("");
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b, NULL);
}

bool
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

struct aws_creds first;   /* a GetSessionToken result, reused as a temporary source */

/* ---- the run around the cases (each half's main) ---- */

static char *aws_test_log;
static int aws_test_saved_stderr = -1;

int
aws_test_init(void)
{
	struct mino_error *err = NULL;
	int fd;

	tmp = getenv("CREDS_TMP");
	sts_url = getenv("FAKE_STS_URL");
	sts_log = getenv("FAKE_STS_LOG");
	tls_url = getenv("FAKE_STS_TLS_URL");
	tls_log = getenv("FAKE_STS_TLS_LOG");
	fake_ca = getenv("FAKE_CA");
	if (tmp == NULL || sts_url == NULL || tls_url == NULL) {
		fprintf(stderr, "run me through tests/creds/run.py\n");
		return -1;
	}
	/* minod's log (stderr) at debug level goes to a file scanned at the end. */
	aws_test_log = xasprintf("%s/minod.log", tmp);
	aws_test_saved_stderr = dup(2);
	fd = open(aws_test_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (aws_test_saved_stderr < 0 || fd < 0 || dup2(fd, 2) < 0)
		return -1;
	close(fd);
	log_init("minod", true, true);
	loop = uv_default_loop();
	http = http_client_new(loop, &err);
	mino_error_release(&err);
	return http != NULL ? 0 : -1;
}

static void
aws_test_closed_cb(void *data)
{
	*(bool *)data = true;
}

void
aws_test_mint_first(void)
{
	_cleanup_free_ char *ep = env_entry("AWS_ENDPOINT_URL_STS", sts_url);
	const char *env[] = { "AWS_ACCESS_KEY_ID=" STATIC1_ID, "AWS_SECRET_ACCESS_KEY=" STATIC1_SECRET, ep,
		"AWS_REGION=eu-west-1", NULL };
	struct aws_mint_opts o = { .env = env };
	struct mint_result r;

	mint(&o, &r);
	aws_creds_move(&first, &r.c);
	result_clear(&r);
}

bool
aws_test_finish(int *loop_close, size_t *log_lines_out, size_t *nsecrets_out, size_t *leaked_out)
{
	bool closed = false;
	_cleanup_free_ char *text = NULL;
	size_t lines = 0, leaked = 0;

	http_client_close(http, aws_test_closed_cb, &closed);
	uv_run(loop, UV_RUN_DEFAULT);
	*loop_close = uv_loop_close(loop);
	fflush(stderr);
	dup2(aws_test_saved_stderr, 2);
	close(aws_test_saved_stderr);
	text = read_text(aws_test_log);
	for (const char *p = text; (p = strstr(p, "aws: ")) != NULL; p++)
		lines++;
	track_secret(STATIC1_SECRET);
	track_secret(STATIC2_SECRET);
	track_secret(PROCESS_SECRET);
	for (size_t i = 0; i < nsecrets; i++)
		if (strstr(text, secrets[i]) != NULL) {
			leaked++;
			tap_diag("secret #%zu is in the log", i);
		}
	*log_lines_out = lines;
	*nsecrets_out = nsecrets;
	*leaked_out = leaked;
	aws_creds_clear(&first);
	for (size_t i = 0; i < nsecrets; i++)
		free(secrets[i]);
	free(aws_test_log);
	return closed;
}
