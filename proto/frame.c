/* frame.c: incremental reader and writer of LSP base-protocol frames.
 *
 * Buffer layout: buf[start, len) is unconsumed input.  While reading a
 * header, `scan` remembers how far the search for "\r\n\r\n" got, so a
 * header arriving one byte at a time is scanned once in total.  The buffer
 * never grows past max_header + max_body + FRAME_SLACK. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frame.h"
#include "log.h"
#include "mino-protocol.h"
#include "xalloc.h"

#define FRAME_SLACK (64u * 1024)
#define FRAME_INITIAL_CAP 4096u
#define FRAME_MAX_DIGITS 10

enum frame_state {
	FRAME_HEADER,
	FRAME_BODY,
	FRAME_FAILED,
};

static size_t frame_reader_limit(const struct frame_reader *r);
static void frame_reader_compact(struct frame_reader *r);
static void frame_reader_make_room(struct frame_reader *r, size_t want);
static int frame_reader_fail(struct frame_reader *r, struct mino_error **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int frame_parse_length(struct frame_reader *r, const char *v, size_t n, size_t *out,
	struct mino_error **err);
static int frame_parse_line(struct frame_reader *r, const char *line, size_t n, bool *have_len,
	size_t *out, struct mino_error **err);
static int frame_parse_header(struct frame_reader *r, const char *hdr, size_t n, size_t *out,
	struct mino_error **err);
static int frame_find_header(struct frame_reader *r, struct mino_error **err);

void
frame_reader_init(struct frame_reader *r, size_t max_header, size_t max_body)
{
	memset(r, 0, sizeof *r);
	r->max_header = max_header;
	r->max_body = max_body;
	r->state = FRAME_HEADER;
}

void
frame_reader_free(struct frame_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = r->start = r->scan = 0;
}

void
frame_reader_set_max_body(struct frame_reader *r, size_t max_body)
{
	r->max_body = max_body;
}

static size_t
frame_reader_limit(const struct frame_reader *r)
{
	size_t limit = r->max_header + r->max_body;

	if (limit < r->max_header || SIZE_MAX - limit < FRAME_SLACK)
		return SIZE_MAX;
	return limit + FRAME_SLACK;
}

static void
frame_reader_compact(struct frame_reader *r)
{
	size_t pending = r->len - r->start;

	if (r->start == 0)
		return;
	if (pending > 0)
		memmove(r->buf, r->buf + r->start, pending);
	if (r->state == FRAME_BODY)
		r->body_off -= r->start;
	r->scan = r->scan > r->start ? r->scan - r->start : 0;
	r->len = pending;
	r->start = 0;
}

static void
frame_reader_make_room(struct frame_reader *r, size_t want)
{
	size_t limit, need, cap;

	if (r->start > 0 && (r->start == r->len || r->start >= r->cap / 2 || r->cap - r->len < want))
		frame_reader_compact(r);
	if (r->cap - r->len >= want)
		return;
	limit = frame_reader_limit(r);
	need = SIZE_MAX - r->len < want ? SIZE_MAX : r->len + want;
	if (need > limit)
		need = limit;
	cap = r->cap > 0 ? r->cap : FRAME_INITIAL_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > limit)
		cap = limit;
	if (cap <= r->cap)
		return;
	r->buf = xrealloc(r->buf, cap);
	r->cap = cap;
}

char *
frame_reader_space(struct frame_reader *r, size_t want, size_t *room)
{
	if (want == 0)
		want = 1;
	if (r->state == FRAME_BODY && r->body_off + r->body_len > r->len) {
		size_t rest = r->body_off + r->body_len - r->len;

		if (rest > want)
			want = rest;
	}
	frame_reader_make_room(r, want);
	*room = r->cap - r->len;
	return r->buf + r->len;
}

void
frame_reader_commit(struct frame_reader *r, size_t n)
{
	if (n > r->cap - r->len)
		fatal("frame_reader_commit: %zu bytes into %zu of room", n, r->cap - r->len);
	r->len += n;
}

int
frame_reader_feed(struct frame_reader *r, const char *data, size_t len, struct mino_error **err)
{
	size_t pending = r->len - r->start;

	if (r->state == FRAME_FAILED)
		return frame_reader_fail(r, err, "framing error earlier on this stream");
	if (len > frame_reader_limit(r) - pending)
		return frame_reader_fail(r, err, "more than %zu bytes of unread input", frame_reader_limit(r));
	if (len == 0)
		return 0;
	frame_reader_make_room(r, len);
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	return 0;
}

static int
frame_reader_fail(struct frame_reader *r, struct mino_error **err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	r->state = FRAME_FAILED;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	mino_make_error(err, RPC_PARSE_ERROR, 0, "framing error: %s", msg);
	free(msg);
	return -1;
}

static int
frame_parse_length(struct frame_reader *r, const char *v, size_t n, size_t *out, struct mino_error **err)
{
	uint64_t value = 0;
	_cleanup_free_ char *sample = NULL;

	if (n == 0 || n > FRAME_MAX_DIGITS)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			goto bad;
		value = value * 10 + (uint64_t)(v[i] - '0');
	}
	if (value > r->max_body)
		return frame_reader_fail(r, err, "Content-Length %llu exceeds the limit of %zu bytes",
			(unsigned long long)value, r->max_body);
	*out = (size_t)value;
	return 0;
bad:
	sample = log_sanitize(v, n);
	return frame_reader_fail(r, err, "Content-Length `%s` is not a non-negative number of at most %d digits",
		sample, FRAME_MAX_DIGITS);
}

static int
frame_parse_line(struct frame_reader *r, const char *line, size_t n, bool *have_len, size_t *out,
	struct mino_error **err)
{
	const char *colon, *v, *end = line + n;
	_cleanup_free_ char *sample = NULL;
	size_t name_len;

	if (memchr(line, '\r', n) != NULL || memchr(line, '\n', n) != NULL) {
		sample = log_sanitize(line, n);
		return frame_reader_fail(r, err, "header line `%s` contains a bare CR or LF", sample);
	}
	colon = memchr(line, ':', n);
	if (colon == NULL || colon == line || colon + 1 == end || colon[1] != ' ') {
		sample = log_sanitize(line, n);
		return frame_reader_fail(r, err, "malformed header line `%s` (expected `Name: value`)", sample);
	}
	name_len = (size_t)(colon - line);
	for (v = colon + 2; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (name_len == strlen("Content-Length") && strncasecmp(line, "Content-Length", name_len) == 0) {
		if (*have_len)
			return frame_reader_fail(r, err, "duplicate Content-Length header");
		*have_len = true;
		return frame_parse_length(r, v, (size_t)(end - v), out, err);
	}
	if (name_len == strlen("Content-Type") && strncasecmp(line, "Content-Type", name_len) == 0) {
		if ((size_t)(end - v) == strlen(MINO_OUTPUT_CONTENT_TYPE) &&
		    strncasecmp(v, MINO_OUTPUT_CONTENT_TYPE, (size_t)(end - v)) == 0)
			r->binary = 1;
		return 0;
	}
	sample = log_sanitize(line, name_len);
	return frame_reader_fail(r, err, "unknown header `%s`", sample);
}

/* hdr[0, n) is the header section without its final "\r\n\r\n". */
static int
frame_parse_header(struct frame_reader *r, const char *hdr, size_t n, size_t *out, struct mino_error **err)
{
	bool have_len = false;
	size_t pos = 0, i;

	if (n == 0)
		return frame_reader_fail(r, err, "empty header section (missing Content-Length)");
	r->binary = 0;
	for (;;) {
		/* at most max_header bytes: a plain loop is fine */
		for (i = pos; i + 1 < n && !(hdr[i] == '\r' && hdr[i + 1] == '\n'); i++)
			;
		if (i + 1 >= n)
			i = n;
		if (frame_parse_line(r, hdr + pos, i - pos, &have_len, out, err) < 0)
			return -1;
		if (i == n)
			break;
		pos = i + 2;
	}
	if (!have_len)
		return frame_reader_fail(r, err, "missing Content-Length header");
	return 0;
}

/* 1: header parsed (state FRAME_BODY), 0: need more, -1: error. */
static int
frame_find_header(struct frame_reader *r, struct mino_error **err)
{
	size_t from, end, body_len = 0;
	const char *p = NULL;

	if (r->buf == NULL)
		return 0;
	/* A blank line first ends an empty header section: fail now rather
	 * than wait for a terminator that may never come. */
	if (r->len - r->start >= 2 && r->buf[r->start] == '\r' && r->buf[r->start + 1] == '\n')
		return frame_reader_fail(r, err, "empty header section (missing Content-Length)");
	from = r->scan > r->start + 3 ? r->scan - 3 : r->start;
	end = r->len - r->start > r->max_header ? r->start + r->max_header : r->len;
	if (end > from && end - from >= 4)
		p = memmem(r->buf + from, end - from, "\r\n\r\n", 4);
	if (p == NULL) {
		if (r->len - r->start >= r->max_header)
			return frame_reader_fail(r, err, "header section longer than %zu bytes", r->max_header);
		r->scan = end;
		return 0;
	}
	if (frame_parse_header(r, r->buf + r->start, (size_t)(p - (r->buf + r->start)), &body_len, err) < 0)
		return -1;
	r->body_off = (size_t)(p - r->buf) + 4;
	r->body_len = body_len;
	r->state = FRAME_BODY;
	return 1;
}

int
frame_reader_next(struct frame_reader *r, const char **body, size_t *len, struct mino_error **err)
{
	if (r->state == FRAME_FAILED)
		return frame_reader_fail(r, err, "framing error earlier on this stream");
	if (r->state == FRAME_HEADER) {
		int rc;

		if (r->start == r->len) {
			r->start = r->len = r->scan = 0;
			return 0;
		}
		rc = frame_find_header(r, err);
		if (rc <= 0)
			return rc;
	}
	if (r->len - r->body_off < r->body_len)
		return 0;
	*body = r->buf + r->body_off;
	*len = r->body_len;
	r->start = r->body_off + r->body_len;
	r->scan = r->start;
	r->state = FRAME_HEADER;
	return 1;
}

size_t
frame_reader_pending(const struct frame_reader *r)
{
	return r->len - r->start;
}

char *
frame_encode(const char *body, size_t len, size_t *outlen)
{
	char header[64];
	int hlen = snprintf(header, sizeof header, "Content-Length: %zu\r\n\r\n", len);
	char *out = xmalloc((size_t)hlen + len + 1);

	memcpy(out, header, (size_t)hlen);
	if (len > 0)
		memcpy(out + hlen, body, len);
	out[(size_t)hlen + len] = '\0';
	if (outlen != NULL)
		*outlen = (size_t)hlen + len;
	return out;
}
