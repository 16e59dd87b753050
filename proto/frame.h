/* frame.h: LSP base-protocol framing ("Content-Length: N\r\n\r\n" + N bytes).
 *
 * The reader buffers at most max_header + max_body bytes; the header
 * section is at most max_header bytes, Content-Length at most max_body,
 * both checked before the body is buffered.  Header names are matched
 * case-insensitively; Content-Type is accepted (one value, the binary
 * output type of mino-protocol.h, sets `binary` for that frame); any other
 * header, a missing, negative, non-numeric or duplicated Content-Length,
 * or a line without ": " is a framing error (code RPC_PARSE_ERROR or
 * RPC_INVALID_REQUEST).  After an error the reader stays failed. */
#ifndef MINO_FRAME_H
#define MINO_FRAME_H

#include <stddef.h>

#include "error.h"

struct frame_reader {
	char *buf;
	size_t len;       /* bytes buffered */
	size_t cap;
	size_t start;     /* offset of the first unconsumed byte */
	size_t max_header;
	size_t max_body;
	size_t body_len;  /* of the frame being read, once its header is parsed */
	size_t body_off;  /* offset of its body in buf */
	int binary;       /* the frame last returned had Content-Type MINO_OUTPUT_CONTENT_TYPE */
	int state;        /* private */
	size_t scan;      /* private: where the header terminator search resumes */
};

void frame_reader_init(struct frame_reader *r, size_t max_header, size_t max_body);
void frame_reader_free(struct frame_reader *r);
void frame_reader_set_max_body(struct frame_reader *r, size_t max_body);

/* Returns a buffer of at least `want` bytes to read into (libuv alloc_cb),
 * and how much room it has in *room.  frame_reader_commit() records n bytes
 * read into it. */
char *frame_reader_space(struct frame_reader *r, size_t want, size_t *room);
void frame_reader_commit(struct frame_reader *r, size_t n);

/* Copies data in (tests, fuzzers).  Returns -1 with *err if that would
 * exceed the buffer limit. */
int frame_reader_feed(struct frame_reader *r, const char *data, size_t len, struct mino_error **err);

/* 1: a whole frame is available at *body (valid until the next call to any
 * frame_reader function), 0: need more bytes, -1: framing error (*err). */
int frame_reader_next(struct frame_reader *r, const char **body, size_t *len, struct mino_error **err);

/* Bytes buffered but not yet returned (to enforce per-connection caps). */
size_t frame_reader_pending(const struct frame_reader *r);

/* "Content-Length: len\r\n\r\n" + body; caller frees. */
char *frame_encode(const char *body, size_t len, size_t *outlen);

#endif
