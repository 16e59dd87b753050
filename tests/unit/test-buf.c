/* test-buf.c: struct buf, xalloc helpers and mino_error. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "mino-protocol.h"
#include "tap.h"
#include "xalloc.h"

static void test_buf(void);
static void test_error(void);
static void test_xalloc(void);

static void
test_buf(void)
{
	struct buf b;
	char *s;
	size_t len;

	buf_init(&b);
	buf_append(&b, "hello", 5);
	buf_printf(&b, " %s %d", "world", 42);
	ok(b.len == 14 && memcmp(b.data, "hello world 42", 14) == 0, "buf_append + buf_printf");
	buf_consume(&b, 6);
	ok(b.len == 8 && memcmp(b.data, "world 42", 8) == 0, "buf_consume drops the front");
	for (int i = 0; i < 10000; i++)
		buf_append(&b, "x", 1);
	ok(b.len == 10008 && b.cap >= b.len, "buf grows");
	buf_consume(&b, 100000);
	ok(b.len == 0, "buf_consume past the end empties");
	buf_append(&b, "abc", 3);
	s = buf_steal(&b, &len);
	is_str(s, "abc", "buf_steal returns a NUL-terminated string");
	ok(len == 3 && b.data == NULL && b.len == 0, "buf_steal resets the buffer");
	free(s);
	s = buf_steal(&b, &len);
	ok(s != NULL && s[0] == '\0' && len == 0, "buf_steal of an empty buffer");
	free(s);
	buf_free(&b);
}

static void
test_error(void)
{
	struct mino_error *err = NULL;

	ok(mino_make_error(&err, MINO_E_IO, ENOENT, "open `%s`", "/x") == -1, "mino_make_error returns -1");
	is_str(err->msg, "open `/x`: No such file or directory", "errno text appended");
	ok(err->code == MINO_E_IO && err->errno_ == ENOENT, "code and errno kept");
	mino_make_error(&err, MINO_E_LIMIT, 0, "second");
	ok(err->code == MINO_E_IO, "an existing error is kept");
	ok(mino_error_wrap(&err, "loading %s", "thing") == -1, "mino_error_wrap returns -1");
	is_str(err->msg, "loading thing: open `/x`: No such file or directory", "wrap prefixes context");
	mino_error_release(&err);
	ok(err == NULL, "release clears the pointer");
	mino_make_error(&err, MINO_E_INTERNAL, 0, "two\nlines");
	is_str(err->msg, "two lines", "messages are one line");
	mino_error_release(&err);
	ok(mino_make_error(NULL, 1, 0, "x") == -1, "a NULL err pointer is allowed");
}

static void
test_xalloc(void)
{
	_cleanup_free_ char *a = xasprintf("%s-%d", "a", 1);
	_cleanup_free_ char *b = xstrndup("abcdef", 3);
	_cleanup_json_ json_t *j = json_object();
	_cleanup_close_ int fd = -1;
	int *arr = xreallocarray(NULL, 10, sizeof *arr);
	char *stolen;

	is_str(a, "a-1", "xasprintf");
	is_str(b, "abc", "xstrndup");
	arr[9] = 1;
	ok(arr[9] == 1, "xreallocarray");
	free(arr);
	stolen = steal_pointer(&a);
	ok(a == NULL && stolen != NULL, "steal_pointer hands ownership out");
	free(stolen);
	ok(j != NULL, "_cleanup_json_ compiles");
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ok(fd >= 0, "_cleanup_close_ holds an fd");
}

int
main(void)
{
	test_buf();
	test_error();
	test_xalloc();
	return tap_done();
}
