/* test-frame.c: the LSP framing reader. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "mino-protocol.h"
#include "tap.h"
#include "xalloc.h"

struct collected {
	int frames;
	struct buf all;  /* bodies joined with '|' */
	int errors;
};

static void collect(struct frame_reader *r, struct collected *c);
static int feed_in_pieces(const char *stream, size_t len, const size_t *cuts, size_t ncuts, struct collected *c);
static void test_split_everywhere(void);
static void test_space_commit(void);
static int expect_error(const char *input, size_t max_header, size_t max_body, const char *want);
static void test_errors(void);
static void test_misc(void);

static const char stream[] =
	"Content-Length: 2\r\n\r\n{}"
	"content-length: 11\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\nhello world"
	"CONTENT-TYPE: x\r\nContent-Length: 9\r\n\r\na\r\n\r\nb:|c"
	"Content-Length:   0  \r\n\r\n"
	"Content-Length: 3\r\n\r\nend";
static const char want_all[] = "{}|hello world|a\r\n\r\nb:|c||end|";

static void
collect(struct frame_reader *r, struct collected *c)
{
	const char *body;
	size_t len;
	struct mino_error *err = NULL;
	int rc;

	while ((rc = frame_reader_next(r, &body, &len, &err)) == 1) {
		c->frames++;
		buf_append(&c->all, body, len);
		buf_append(&c->all, "|", 1);
	}
	if (rc < 0) {
		c->errors++;
		mino_error_release(&err);
	}
}

static int
feed_in_pieces(const char *data, size_t len, const size_t *cuts, size_t ncuts, struct collected *c)
{
	struct frame_reader r;
	struct mino_error *err = NULL;
	size_t prev = 0;

	frame_reader_init(&r, MINO_MAX_HEADER_BYTES, 64);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t at = i < ncuts ? cuts[i] : len;

		if (frame_reader_feed(&r, data + prev, at - prev, &err) < 0) {
			c->errors++;
			mino_error_release(&err);
		}
		collect(&r, c);
		prev = at;
	}
	frame_reader_free(&r);
	return 0;
}

static void
test_split_everywhere(void)
{
	size_t len = sizeof stream - 1;
	bool all_ok = true, byte_ok;
	struct collected c;
	size_t *cuts;

	for (size_t k = 0; k <= len; k++) {
		memset(&c, 0, sizeof c);
		feed_in_pieces(stream, len, &k, 1, &c);
		if (c.frames != 5 || c.errors != 0 || c.all.len != strlen(want_all)
			|| memcmp(c.all.data, want_all, c.all.len) != 0) {
			tap_diag("split at %zu: %d frames, %d errors", k, c.frames, c.errors);
			all_ok = false;
		}
		buf_free(&c.all);
	}
	ok(all_ok, "a 5-frame stream split in two at every byte boundary (%zu splits)", len + 1);

	for (size_t i = 0; i < len && all_ok; i++) {
		for (size_t j = i; j <= len; j += 7) {
			size_t two[2] = { i, j };

			memset(&c, 0, sizeof c);
			feed_in_pieces(stream, len, two, 2, &c);
			if (c.frames != 5 || c.errors != 0)
				all_ok = false;
			buf_free(&c.all);
		}
	}
	ok(all_ok, "split in three at many pairs of boundaries");

	cuts = xcalloc(len, sizeof *cuts);
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	memset(&c, 0, sizeof c);
	feed_in_pieces(stream, len, cuts, len - 1, &c);
	byte_ok = c.frames == 5 && c.errors == 0 && c.all.len == strlen(want_all)
		&& memcmp(c.all.data, want_all, c.all.len) == 0;
	ok(byte_ok, "the stream fed one byte at a time");
	buf_free(&c.all);
	free(cuts);
}

static void
test_space_commit(void)
{
	enum { BODY = 3 * 1024 * 1024 + 17, FRAMES = 3 };
	struct frame_reader r;
	struct mino_error *err = NULL;
	char *body = xmalloc(BODY), *framed, *all;
	size_t flen, total, off = 0, max_cap = 0;
	int got = 0, bad = 0;

	for (size_t i = 0; i < BODY; i++)
		body[i] = (char)('a' + i % 26);
	framed = frame_encode(body, BODY, &flen);
	total = flen * FRAMES;
	all = xmalloc(total);
	for (int i = 0; i < FRAMES; i++)
		memcpy(all + (size_t)i * flen, framed, flen);
	frame_reader_init(&r, MINO_MAX_HEADER_BYTES, MINO_MAX_BODY_DEFAULT);
	while (off < total) {
		size_t room, n;
		char *space = frame_reader_space(&r, 65536, &room);
		const char *b;
		size_t blen;
		int rc;

		n = total - off < 65536 ? total - off : 65536;
		if (n > room)
			n = room;
		memcpy(space, all + off, n);
		frame_reader_commit(&r, n);
		off += n;
		if (r.cap > max_cap)
			max_cap = r.cap;
		while ((rc = frame_reader_next(&r, &b, &blen, &err)) == 1) {
			got++;
			if (blen != BODY || memcmp(b, body, BODY) != 0)
				bad++;
		}
		if (rc < 0) {
			bad++;
			mino_error_release(&err);
			break;
		}
	}
	ok(got == FRAMES && bad == 0, "3 MiB frames through frame_reader_space/commit");
	ok(max_cap <= MINO_MAX_HEADER_BYTES + MINO_MAX_BODY_DEFAULT + 64 * 1024,
		"buffer stays within max_header + max_body + slack (%zu)", max_cap);
	ok(frame_reader_pending(&r) == 0, "nothing pending at the end");
	frame_reader_free(&r);
	free(body);
	free(framed);
	free(all);
}

/* Feeds the input one byte at a time; returns 1 if an error containing
 * `want` came out and the reader then stays failed. */
static int
expect_error(const char *input, size_t max_header, size_t max_body, const char *want)
{
	struct frame_reader r;
	struct mino_error *err = NULL;
	const char *body;
	size_t len, n = strlen(input);
	int rc = 0, result = 0;

	frame_reader_init(&r, max_header, max_body);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		rc = frame_reader_feed(&r, input + i, 1, &err);
		while (rc >= 0 && (rc = frame_reader_next(&r, &body, &len, &err)) == 1)
			;
	}
	if (rc < 0 && err != NULL) {
		result = strstr(err->msg, want) != NULL && err->code == RPC_PARSE_ERROR;
		if (!result)
			tap_diag("error was `%s`", err->msg);
		mino_error_release(&err);
		/* stays failed */
		if (frame_reader_next(&r, &body, &len, &err) != -1)
			result = 0;
		mino_error_release(&err);
	} else {
		tap_diag("no error (rc %d)", rc);
	}
	frame_reader_free(&r);
	return result;
}

static void
test_errors(void)
{
	static char big[3000];

	ok(expect_error("Content-Length: -5\r\n\r\n", 1024, 100, "`-5`"), "negative Content-Length");
	ok(expect_error("Content-Length: abc\r\n\r\n", 1024, 100, "`abc`"), "non-numeric Content-Length");
	ok(expect_error("Content-Length: 12a\r\n\r\n", 1024, 100, "`12a`"), "trailing junk in Content-Length");
	ok(expect_error("Content-Length: \r\n\r\n", 1024, 100, "Content-Length"), "empty Content-Length");
	ok(expect_error("Content-Length: 1 2\r\n\r\n", 1024, 100, "`1 2`"), "two numbers");
	ok(expect_error("Content-Length: +5\r\n\r\n", 1024, 100, "`+5`"), "signed Content-Length");
	ok(expect_error("Content-Length: 99999999999999999999\r\n\r\n", 1024, 100, "digits"),
		"overflowing Content-Length");
	ok(expect_error("Content-Length: 101\r\n\r\n", 1024, 100, "exceeds the limit of 100"),
		"Content-Length over max_body, before the body");
	ok(expect_error("Content-Length: 5\r\ncontent-length: 5\r\n\r\n", 1024, 100, "duplicate"),
		"duplicate Content-Length");
	ok(expect_error("Content-Type: text/plain\r\n\r\n", 1024, 100, "missing Content-Length"),
		"missing Content-Length");
	ok(expect_error("\r\n\r\n", 1024, 100, "missing Content-Length"), "empty header section");
	ok(expect_error("Content-Length:5\r\n\r\n", 1024, 100, "malformed header line"), "no space after colon");
	ok(expect_error("X-Foo: bar\r\nContent-Length: 2\r\n\r\n{}", 1024, 100, "unknown header `X-Foo`"),
		"unknown header");
	ok(expect_error("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1024, 100, "malformed header line"), "HTTP garbage");
	ok(expect_error("Content-Length: 5\nX: y\r\n\r\n", 1024, 100, "bare CR or LF"), "bare LF in a header");
	ok(expect_error("Content-Length: 2\r\n\r\n{}garbage\r\n\r\n", 1024, 100, "malformed header line"),
		"garbage after a good frame");

	memset(big, 'A', 2999);
	big[2999] = '\0';
	ok(expect_error(big, 1024, 100, "longer than 1024"), "header without a terminator within max_header");
	memcpy(big, "Content-Type: ", 14);
	memcpy(big + 1100, "\r\n\r\n", 5);
	ok(expect_error(big, 1024, 100, "longer than 1024"), "terminator present but past max_header");
	memcpy(big, "Content-Length: 5\n\n", 19);
	ok(expect_error(big, 1024, 100, "longer than 1024"), "LF-only line endings never frame");
}

static void
test_misc(void)
{
	struct frame_reader r;
	struct mino_error *err = NULL;
	const char *body;
	size_t len, outlen;
	char *enc = frame_encode("{\"a\":1}", 7, &outlen);
	char *huge;
	int rc;

	is_str(enc, "Content-Length: 7\r\n\r\n{\"a\":1}", "frame_encode");
	ok(outlen == strlen(enc), "frame_encode length");

	frame_reader_init(&r, MINO_MAX_HEADER_BYTES, MINO_MAX_BODY_PREHELLO);
	frame_reader_feed(&r, enc, outlen, &err);
	frame_reader_feed(&r, "Content-Length: 20000\r\n\r\n", 25, &err);
	rc = frame_reader_next(&r, &body, &len, &err);
	ok(rc == 1 && len == 7 && memcmp(body, "{\"a\":1}", 7) == 0, "first frame");
	ok(frame_reader_pending(&r) == 25, "pending counts the unread header");
	frame_reader_set_max_body(&r, MINO_MAX_BODY_DEFAULT);
	rc = frame_reader_next(&r, &body, &len, &err);
	ok(rc == 0 && err == NULL, "a raised max_body admits a 20000-byte frame");
	huge = xcalloc(1, 20000);
	frame_reader_feed(&r, huge, 20000, &err);
	rc = frame_reader_next(&r, &body, &len, &err);
	ok(rc == 1 && len == 20000, "and reads it");
	frame_reader_free(&r);
	free(huge);

	frame_reader_init(&r, 1024, 100);
	huge = xcalloc(1, 200000);
	rc = frame_reader_feed(&r, huge, 200000, &err);
	ok(rc == -1 && err != NULL, "feeding past the buffer limit fails");
	mino_error_release(&err);
	ok(frame_reader_next(&r, &body, &len, &err) == -1, "and the reader stays failed");
	mino_error_release(&err);
	frame_reader_free(&r);
	free(huge);
	free(enc);

	frame_reader_init(&r, 1024, 100);
	ok(frame_reader_next(&r, &body, &len, &err) == 0, "an empty reader needs more");
	frame_reader_free(&r);
}

int
main(void)
{
	test_split_everywhere();
	test_space_commit();
	test_errors();
	test_misc();
	return tap_done();
}
