/* spawn-proto.h: the exec spawner's messages (spawn-proto.c; issue 14).
 *
 * Two SOCK_SEQPACKET channels, one message per record:
 *
 *   control   minod <-> the spawner (`mino-entry --spawner-fd 3`, started
 *             once per session by `podman exec -d --preserve-fds=1`)
 *               spawner -> minod  HELLO  value = its pid in the container
 *               minod -> spawner  OPEN   + SCM_RIGHTS [one end of a new exec channel]
 *   exec      the host-side client (`mino-entry --spawn-client`) <-> the spawner
 *               client -> spawner REQUEST flags, payload = argc NUL-terminated
 *                                 strings (mino-entry's own arguments:
 *                                 `[--env FILE]... [--cwd DIR] -- CMD...`)
 *                                 + SCM_RIGHTS [stdin, stdout, stderr]
 *               spawner -> client STARTED value = the command's pid
 *                                 EXITED  value = its exit status (128+N: signal N)
 *                                 FAILED  value = errno (nothing was started)
 *
 * Every message starts with the fixed header below (host byte order: both
 * ends run on one machine).  The parsers never trust a length, a count or
 * a string that a container process could have written.
 */
#ifndef MINO_SPAWN_PROTO_H
#define MINO_SPAWN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SPAWN_MAGIC 0x4e50534du     /* "MSPN" */
#define SPAWN_VERSION 1u
#define SPAWN_MSG_MAX (64u * 1024)  /* header + payload; a longer command goes through podman exec */
#define SPAWN_ARGC_MAX 4096u
#define SPAWN_NFDS 3                /* REQUEST: stdin, stdout, stderr */

enum spawn_type {
	SPAWN_HELLO = 1,
	SPAWN_OPEN = 2,
	SPAWN_REQUEST = 3,
	SPAWN_STARTED = 4,
	SPAWN_EXITED = 5,
	SPAWN_FAILED = 6,
};

#define SPAWN_REQ_TTY 0x1u          /* REQUEST: stdin is a terminal, make it the controlling one */

struct spawn_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	int32_t value;      /* pid, exit status, errno; REQUEST: flags */
	uint32_t len;       /* payload bytes after the header */
};

/* A parsed REQUEST: argv points into the caller's buffer (argv[argc] is
 * NULL); free argv only. */
struct spawn_req {
	uint32_t flags;
	size_t argc;
	char **argv;
};

/* A header-only message of `type` with `value`. */
void spawn_hdr_make(struct spawn_hdr *h, enum spawn_type type, int32_t value);
/* Checks magic, version, a known type and len == n - header; 0 or -1 with
 * a reason in *why (a static string). */
int spawn_hdr_check(const void *buf, size_t n, struct spawn_hdr *h, const char **why);
/* Encodes a REQUEST of argv (NULL-terminated) into buf (size bytes);
 * returns its length, or 0 if it does not fit (or argv is empty). */
size_t spawn_req_encode(uint32_t flags, char *const *argv, void *buf, size_t size);
/* Parses a REQUEST message of n bytes in buf (NUL-terminates nothing: every
 * string must end inside the payload); 0, or -1 with *why. */
int spawn_req_parse(void *buf, size_t n, struct spawn_req *req, const char **why);

#endif
