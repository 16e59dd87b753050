/* error.h: the one error type.  Fallible functions return int (negative on
 * failure) and fill *err; the RPC dispatcher converts it to JSON-RPC at one
 * place.  `code` is a JSON-RPC code: negative standard ones
 * (proto/mino-protocol.h) or one of mino's error kinds below, whose wire
 * names are in proto/protocol.c. */
#ifndef MINO_ERROR_H
#define MINO_ERROR_H

/* The error kinds: mino's own JSON-RPC error codes, positive, one per
 * name; keep in sync with proto/protocol.c and PROTOCOL.md.  Never
 * renumber. */
enum mino_errcode {
	MINO_E_INTERNAL = 1000,
	MINO_E_PROTOCOL_MISMATCH = 1001,
	MINO_E_HELLO_REQUIRED = 1002,
	MINO_E_INVALID_ARGUMENT = 1003,
	MINO_E_SESSION_NOT_FOUND = 1004,
	MINO_E_NAME_TAKEN = 1005,
	MINO_E_PODMAN_MISSING = 1006,
	MINO_E_IMAGE_MISSING = 1007,
	MINO_E_PROJECT_MISSING = 1008,
	MINO_E_NOT_RUNNING = 1009,
	MINO_E_PODMAN_FAILED = 1010,
	MINO_E_LIMIT = 1011,
	MINO_E_SHUTTING_DOWN = 1012,
	MINO_E_PERMISSION = 1013,
	MINO_E_NOT_ATTACHED = 1014,
	MINO_E_CONFIG = 1015,
	MINO_E_IO = 1016,
	MINO_E_TRUST_REQUIRED = 1017,
};

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
