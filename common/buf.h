/* buf.h: a growable byte buffer.  The struct owns `data`. */
#ifndef MINO_BUF_H
#define MINO_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);          /* room for `extra` more bytes */
void buf_append(struct buf *b, const void *data, size_t len);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_consume(struct buf *b, size_t n);              /* drop n bytes from the front */
char *buf_steal(struct buf *b, size_t *len);            /* NUL-terminated, caller frees; b is reset */

#endif
