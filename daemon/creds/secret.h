/* secret.h: strings and buffers that hold secrets are zeroed before they
 * are freed (OPENSSL_cleanse, which the compiler cannot elide). */
#ifndef MINOD_CREDS_SECRET_H
#define MINOD_CREDS_SECRET_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* Zeroes strlen(s) bytes, frees s; NULL is fine. */
void secret_free(char *s);
/* *sp = NULL after secret_free(*sp). */
void secret_clear(char **sp);
/* Appends like buf_append, but growth copies and zeroes the old block
 * (realloc would leave a copy behind).  Keeps a NUL after the data. */
void secret_buf_append(struct buf *b, const void *data, size_t len);
/* Zeroes the whole capacity of b, then buf_free(b). */
void secret_buf_free(struct buf *b);

/* A token or key as it may be written into a file or a JSON string
 * without escaping: 1..max bytes of printable ASCII, no space, quote or
 * backslash.  Otherwise an error naming `what` (never the value). */
int secret_check_text(const char *what, const char *v, size_t max, struct mino_error **err);

void cleanup_secretp(char **sp);
#define _cleanup_secret_ __attribute__((cleanup(cleanup_secretp)))

#endif
