/* error.h: the one error type.  Fallible functions return int (negative on
 * failure) and fill *err; the RPC dispatcher converts it to JSON-RPC at one
 * place.  `code` is a JSON-RPC code: negative standard ones or mino's
 * positive codes from proto/mino-protocol.h. */
#ifndef MINO_ERROR_H
#define MINO_ERROR_H

struct mino_error {
	int code;
	int errno_;   /* 0 if none */
	char *msg;    /* owned; one line, no trailing newline */
};

/* Sets *err (if err != NULL and *err == NULL; an existing error is kept)
 * and returns -1.  With errno_ != 0 the message gets ": strerror(errno_)"
 * appended. */
int mino_make_error(struct mino_error **err, int code, int errno_, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prefixes context: "ctx: previous message".  Returns -1. */
int mino_error_wrap(struct mino_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees *err and sets it to NULL. */
void mino_error_release(struct mino_error **err);

#endif
