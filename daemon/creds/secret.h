/* secret.h: strings and buffers that hold secrets are zeroed before they
 * are freed (OPENSSL_cleanse, which the compiler cannot elide). */
#ifndef MINOD_CREDS_SECRET_H
#define MINOD_CREDS_SECRET_H

#include <stddef.h>

#include "buf.h"

/* Zeroes strlen(s) bytes, frees s; NULL is fine. */
void secret_free(char *s);
/* *sp = NULL after secret_free(*sp). */
void secret_clear(char **sp);
/* Appends like buf_append, but growth copies and zeroes the old block
 * (realloc would leave a copy behind).  Keeps a NUL after the data. */
void secret_buf_append(struct buf *b, const void *data, size_t len);
/* Zeroes the whole capacity of b, then buf_free(b). */
void secret_buf_free(struct buf *b);

void cleanup_secretp(char **sp);
#define _cleanup_secret_ __attribute__((cleanup(cleanup_secretp)))

#endif
