/* test-spawn-proto.c: the exec spawner's messages (daemon/entry/spawn-proto.c):
 * a request survives encode/parse, and every malformed one a container
 * process could send is refused with a reason. */
#include <stdlib.h>
#include <string.h>

#include "spawn-proto.h"
#include "tap.h"

static size_t
req_of(char *const *argv, uint32_t flags, char *buf, size_t size)
{
	return spawn_req_encode(flags, argv, buf, size);
}

int
main(void)
{
	static char buf[SPAWN_MSG_MAX];
	char *const argv[] = { "/run/mino-entry", "--env", "/run/mino/env", "--", "sh", "-c", "", NULL };
	char *const one[] = { "x", NULL };
	char *const none[] = { NULL };
	struct spawn_req req;
	struct spawn_hdr h, *hp;
	const char *why = NULL;
	size_t n, i;
	char *big;


	n = req_of(argv, SPAWN_REQ_TTY, buf, sizeof buf);
	ok(n > sizeof(struct spawn_hdr), "a request encodes");
	ok(spawn_req_parse(buf, n, &req, &why) == 0, "and parses");
	ok(req.argc == 7 && req.flags == SPAWN_REQ_TTY, "argc and flags kept");
	for (i = 0; i < 7 && strcmp(req.argv[i], argv[i]) == 0; i++)
		;
	ok(i == 7 && req.argv[7] == NULL, "every argument kept, the empty one too, NULL-terminated");
	free(req.argv);

	ok(req_of(none, 0, buf, sizeof buf) == 0, "an empty argv is not encoded");
	ok(req_of(argv, 0, buf, 40) == 0, "an argv that does not fit is not encoded");
	big = malloc(SPAWN_MSG_MAX + 1);
	memset(big, 'a', SPAWN_MSG_MAX);
	big[SPAWN_MSG_MAX] = '\0';
	{
		char *const v[] = { big, NULL };

		ok(req_of(v, 0, buf, sizeof buf) == 0, "an argument over the message size is refused");
	}
	free(big);

	n = req_of(one, 0, buf, sizeof buf);
	ok(spawn_req_parse(buf, n - 1, &req, &why) < 0 && why != NULL, "a short payload is refused");
	ok(spawn_req_parse(buf, 3, &req, &why) < 0 && strcmp(why, "short message") == 0,
	    "a message shorter than the header is refused");
	hp = (struct spawn_hdr *)buf;
	hp->magic ^= 1;
	ok(spawn_req_parse(buf, n, &req, &why) < 0 && strcmp(why, "bad magic") == 0, "bad magic");
	hp->magic ^= 1;
	hp->version = 7;
	ok(spawn_req_parse(buf, n, &req, &why) < 0 && strcmp(why, "unknown version") == 0, "unknown version");
	hp->version = SPAWN_VERSION;
	hp->type = 99;
	ok(spawn_req_parse(buf, n, &req, &why) < 0, "unknown type");
	hp->type = SPAWN_STARTED;
	ok(spawn_req_parse(buf, n, &req, &why) < 0, "a payload on a STARTED is refused");
	hp->type = SPAWN_REQUEST;
	hp->value = 0x100;
	ok(spawn_req_parse(buf, n, &req, &why) < 0 && strcmp(why, "unknown request flags") == 0,
	    "unknown flags are refused");
	hp->value = 0;
	buf[n - 1] = 'z';
	ok(spawn_req_parse(buf, n, &req, &why) < 0, "a last argument without its NUL is refused");
	buf[n - 1] = '\0';
	hp->len = 0;
	ok(spawn_req_parse(buf, sizeof *hp, &req, &why) < 0, "a request without arguments is refused");
	hp->len = 1000;
	ok(spawn_req_parse(buf, n, &req, &why) < 0, "a length that lies is refused");
	hp->len = (uint32_t)(n - sizeof *hp);
	ok(spawn_req_parse(buf, n, &req, &why) == 0 && req.argc == 1, "restored, it parses again");
	free(req.argv);

	spawn_hdr_make(&h, SPAWN_EXITED, 137);
	ok(spawn_hdr_check(&h, sizeof h, &h, &why) == 0 && h.value == 137, "a header-only message checks");
	ok(spawn_hdr_check(&h, sizeof h + 1, &h, &why) < 0, "with a trailing byte it does not");
	spawn_hdr_make(&h, SPAWN_HELLO, 5);
	ok(spawn_hdr_check(&h, sizeof h, &h, &why) == 0 && h.type == SPAWN_HELLO, "HELLO");
	h.type = 0;
	ok(spawn_hdr_check(&h, sizeof h, &h, &why) < 0, "type 0 is unknown");

	/* SPAWN_ARGC_MAX + 1 empty strings */
	memset(buf, 0, sizeof buf);
	spawn_hdr_make(&h, SPAWN_REQUEST, 0);
	h.len = SPAWN_ARGC_MAX + 1;
	memcpy(buf, &h, sizeof h);
	ok(spawn_req_parse(buf, sizeof h + h.len, &req, &why) < 0 && strcmp(why, "too many arguments") == 0,
	    "too many arguments are refused");
	h.len = SPAWN_ARGC_MAX;
	memcpy(buf, &h, sizeof h);
	ok(spawn_req_parse(buf, sizeof h + h.len, &req, &why) == 0 && req.argc == SPAWN_ARGC_MAX,
	    "SPAWN_ARGC_MAX arguments are taken");
	free(req.argv);
	return tap_done();
}
