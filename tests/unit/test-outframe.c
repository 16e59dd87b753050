/* test-outframe.c: the binary session/output frame, written by minod's
 * outframe_head and read back through the frame reader as the client does. */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "frame.h"
#include "mino-protocol.h"
#include "outframe.h"
#include "tap.h"
#include "xalloc.h"

/* A binary frame for `data`, then a JSON one: the reader says which is which. */
static void
test_through_reader(void)
{
	static const char data[] = "\0\n\r\n\r\nbinary\xff{\"x\":1}";
	static const char json_frame[] = "Content-Length: 2\r\n\r\n{}";
	char *stream = xmalloc(OUTFRAME_HEAD_MAX + sizeof data + sizeof json_frame);
	struct frame_reader r;
	struct mino_error *err = NULL;
	json_t *head = NULL;
	const char *body, *got;
	size_t n, len, glen;

	n = outframe_head(stream, "\"s-1\"", 3, "stderr", 42, sizeof data - 1);
	memcpy(stream + n, data, sizeof data - 1);
	n += sizeof data - 1;
	memcpy(stream + n, json_frame, sizeof json_frame - 1);
	n += sizeof json_frame - 1;
	frame_reader_init(&r, MINO_MAX_HEADER_BYTES, MINO_MAX_BODY_DEFAULT);
	ok(frame_reader_feed(&r, stream, n, &err) == 0, "fed");
	ok(frame_reader_next(&r, &body, &len, &err) == 1 && r.binary, "first frame is binary");
	ok(outframe_parse(body, len, &head, &got, &glen) == 0, "its body parses");
	is_str(json_string_value(json_object_get(head, "session")), "s-1", "session");
	is_str(json_string_value(json_object_get(head, "stream")), "stderr", "stream");
	is_int(json_integer_value(json_object_get(head, "exec")), 3, "exec");
	is_int(json_integer_value(json_object_get(head, "seq")), 42, "seq");
	ok(glen == sizeof data - 1 && memcmp(got, data, glen) == 0, "the bytes, NUL, CR LF and all");
	json_decref(head);
	ok(frame_reader_next(&r, &body, &len, &err) == 1 && !r.binary && len == 2, "then a JSON frame");
	frame_reader_free(&r);
	free(stream);
}

static void
test_session_output_has_no_exec(void)
{
	char buf[OUTFRAME_HEAD_MAX];
	size_t n = outframe_head(buf, "\"a\"", 0, "stdout", 0, 5);

	buf[n] = '\0';
	is_str(buf, "Content-Length: 47\r\nContent-Type: application/x-mino-output\r\n\r\n"
	    "{\"session\":\"a\",\"stream\":\"stdout\",\"seq\":0}\n", "exact header and head (no exec)");
}

static void
test_notification(void)
{
	static const char body[] = "{\"session\":\"a\",\"stream\":\"stdout\",\"seq\":7}\n\x01\x02\x03hi";
	json_t *n = outframe_to_notification(body, sizeof body - 1);
	json_t *p = json_object_get(n, "params");
	unsigned char *raw = NULL;
	size_t rlen = 0;
	const char *d = json_string_value(json_object_get(p, "data"));

	is_str(json_string_value(json_object_get(n, "method")), "session/output", "as a notification");
	is_int(json_integer_value(json_object_get(p, "seq")), 7, "same seq");
	ok(d != NULL && b64_decode(d, strlen(d), &raw, &rlen) == 0 && rlen == 5 &&
	    memcmp(raw, "\x01\x02\x03hi", 5) == 0, "data is the bytes in base64");
	free(raw);
	json_decref(n);
}

static void
test_malformed(void)
{
	json_t *head = NULL;
	const char *d;
	size_t dl;

	ok(outframe_parse("no newline", 10, &head, &d, &dl) < 0, "no head line");
	ok(outframe_parse("[1]\nxx", 6, &head, &d, &dl) < 0, "head not an object");
	ok(outframe_parse("{\"session\":\"a\"}\nxx", 18, &head, &d, &dl) < 0, "head without stream");
	ok(outframe_to_notification("{}\n", 3) == NULL, "no notification from a bad body");
}

int
main(void)
{
	test_through_reader();
	test_session_output_has_no_exec();
	test_notification();
	test_malformed();
	return tap_done();
}
