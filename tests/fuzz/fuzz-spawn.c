/* fuzz-spawn.c: the exec spawner's message parsers (daemon/entry/spawn-proto.c)
 * on arbitrary bytes, as a container process holding a channel could send
 * them: no crash, and a parsed request is argc NUL-terminated strings that
 * all lie inside the message and re-encode to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spawn-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char again[SPAWN_MSG_MAX];
	struct spawn_req req;
	struct spawn_hdr h;
	const char *why;
	char *buf = malloc(size ? size : 1);
	size_t n;

	memcpy(buf, data, size);
	if (spawn_hdr_check(buf, size, &h, &why) == 0 && h.len != size - sizeof h)
		abort();
	if (spawn_req_parse(buf, size, &req, &why) == 0) {
		if (req.argc == 0 || req.argv[req.argc] != NULL)
			abort();
		for (size_t i = 0; i < req.argc; i++)
			if (req.argv[i] < buf + sizeof h || req.argv[i] + strlen(req.argv[i]) >= buf + size)
				abort();
		n = spawn_req_encode(req.flags, req.argv, again, sizeof again);
		if (size <= sizeof again && (n != size || memcmp(again, buf, size) != 0))
			abort();
		free(req.argv);
	} else if (why == NULL)
		abort();
	free(buf);
	return 0;
}
