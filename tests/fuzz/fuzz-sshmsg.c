/* fuzz-sshmsg.c: the SSH agent relay's judge of what a container sends
 * (daemon/sandbox/sshmsg.c): a stream of messages, judged one after the
 * other as the relay does; a message it passes must lie inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sshmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char fp[SSHMSG_FP_MAX];
	size_t n, off = 0;
	uint8_t type;

	while (off < size) {
		n = 0;
		switch (sshmsg_judge(data + off, size - off, &n, &type, fp)) {
		case SSHMSG_INCOMPLETE:
		case SSHMSG_BAD:
			return 0;
		case SSHMSG_PASS:
		case SSHMSG_REFUSE:
			if (n < 5 || n > size - off)
				__builtin_trap();
			if (type == SSHMSG_SIGN_REQUEST && strncmp(fp, "SHA256:", 7) != 0)
				__builtin_trap();
			off += n;
			break;
		}
	}
	(void)sshmsg_frame(data, size);
	return 0;
}
