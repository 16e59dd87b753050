/* error.c: struct mino_error construction, wrapping and release. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "xalloc.h"

static void error_flatten(char *msg);

/* Messages are one line: newlines from foreign text become spaces. */
static void
error_flatten(char *msg)
{
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

int
mino_make_error(struct mino_error **err, int code, int errno_, const char *fmt, ...)
{
	struct mino_error *e;
	va_list ap;
	char *msg;

	if (err == NULL || *err != NULL)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (errno_ != 0) {
		char *full = xasprintf("%s: %s", msg, strerror(errno_));

		free(msg);
		msg = full;
	}
	error_flatten(msg);
	e = xcalloc(1, sizeof *e);
	e->code = code;
	e->errno_ = errno_;
	e->msg = msg;
	*err = e;
	return -1;
}

int
mino_error_wrap(struct mino_error **err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	error_flatten(ctx);
	if (*err == NULL) {
		*err = xcalloc(1, sizeof **err);
		(*err)->code = MINO_E_INTERNAL; /* wrapping nothing is a bug */
		(*err)->msg = ctx;
		return -1;
	}
	msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

void
mino_error_release(struct mino_error **err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}
