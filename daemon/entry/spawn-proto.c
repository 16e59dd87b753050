/* spawn-proto.c: the exec spawner's messages (spawn-proto.h).  Pure: no
 * I/O, no globals; linked into mino-entry and into its unit test and fuzz
 * harness. */
#include <stdlib.h>
#include <string.h>

#include "spawn-proto.h"

void
spawn_hdr_make(struct spawn_hdr *h, enum spawn_type type, int32_t value)
{
	memset(h, 0, sizeof *h);
	h->magic = SPAWN_MAGIC;
	h->version = SPAWN_VERSION;
	h->type = (uint16_t)type;
	h->value = value;
	h->len = 0;
}

int
spawn_hdr_check(const void *buf, size_t n, struct spawn_hdr *h, const char **why)
{
	if (n < sizeof *h) {
		*why = "short message";
		return -1;
	}
	memcpy(h, buf, sizeof *h);
	if (h->magic != SPAWN_MAGIC) {
		*why = "bad magic";
		return -1;
	}
	if (h->version != SPAWN_VERSION) {
		*why = "unknown version";
		return -1;
	}
	if (h->type < SPAWN_HELLO || h->type > SPAWN_FAILED) {
		*why = "unknown message type";
		return -1;
	}
	if (h->len != n - sizeof *h) {
		*why = "length does not match the message";
		return -1;
	}
	if (h->type != SPAWN_REQUEST && h->len != 0) {
		*why = "payload on a message that has none";
		return -1;
	}
	return 0;
}

size_t
spawn_req_encode(uint32_t flags, char *const *argv, void *buf, size_t size)
{
	struct spawn_hdr h;
	size_t off = sizeof h, len, argc = 0;
	char *p = buf;

	if (size < sizeof h || argv == NULL || argv[0] == NULL)
		return 0;
	for (; argv[argc] != NULL; argc++) {
		len = strlen(argv[argc]) + 1;
		if (argc >= SPAWN_ARGC_MAX || len > size - off)
			return 0;
		memcpy(p + off, argv[argc], len);
		off += len;
	}
	spawn_hdr_make(&h, SPAWN_REQUEST, (int32_t)flags);
	h.len = (uint32_t)(off - sizeof h);
	memcpy(p, &h, sizeof h);
	return off;
}

int
spawn_req_parse(void *buf, size_t n, struct spawn_req *req, const char **why)
{
	struct spawn_hdr h;
	char *p = buf, *end, *s, *z;
	size_t argc = 0, i;

	memset(req, 0, sizeof *req);
	if (spawn_hdr_check(buf, n, &h, why) < 0)
		return -1;
	if (h.type != SPAWN_REQUEST) {
		*why = "not a request";
		return -1;
	}
	if ((uint32_t)h.value & ~SPAWN_REQ_TTY) {
		*why = "unknown request flags";
		return -1;
	}
	s = p + sizeof h;
	end = p + n;
	if (s == end || end[-1] != '\0') {
		*why = "the arguments do not end with a NUL";
		return -1;
	}
	for (z = s; z < end; z++)
		if (*z == '\0')
			argc++;
	if (argc > SPAWN_ARGC_MAX) {
		*why = "too many arguments";
		return -1;
	}
	req->argv = calloc(argc + 1, sizeof *req->argv);
	if (req->argv == NULL) {
		*why = "out of memory";
		return -1;
	}
	for (i = 0; i < argc; i++) {
		req->argv[i] = s;
		s += strlen(s) + 1;
	}
	req->argc = argc;
	req->flags = (uint32_t)h.value;
	return 0;
}
