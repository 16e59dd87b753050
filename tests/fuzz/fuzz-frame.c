/* fuzz-frame.c: the framing reader, fed in chunks through both the feed
 * and the space/commit paths.  Byte 0 picks the chunk size and path. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "jsonrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_reader r;
	struct mino_error *err = NULL;
	size_t chunk, off = 1;
	int use_space, rc = 0;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] & 0x3f) + 1;
	use_space = data[0] & 0x40;
	frame_reader_init(&r, 256, 2048);
	while (off < size && rc >= 0) {
		size_t n = size - off < chunk ? size - off : chunk;
		const char *body;
		size_t len;

		if (use_space) {
			size_t room;
			char *dst = frame_reader_space(&r, n, &room);

			if (room < n)
				abort(); /* the reader must always make room for what it asked */
			memcpy(dst, data + off, n);
			frame_reader_commit(&r, n);
		} else if (frame_reader_feed(&r, (const char *)data + off, n, &err) < 0) {
			break;
		}
		off += n;
		while ((rc = frame_reader_next(&r, &body, &len, &err)) == 1) {
			if (len > 2048 || body < r.buf || body + len > r.buf + r.len)
				abort();
		}
		if (frame_reader_pending(&r) > 256 + 2048 + 64 * 1024)
			abort();
	}
	mino_error_release(&err);
	frame_reader_free(&r);
	return 0;
}
