/* podman.h: running podman from minod.  Owner: session side.
 * All children get minod.child_env and are spawned with uv_spawn; nothing
 * here blocks the loop. */
#ifndef MINOD_PODMAN_H
#define MINOD_PODMAN_H

#include <stdbool.h>
#include <jansson.h>

#include "error.h"
#include "buf.h"

struct session_spec; /* session.h */

/* Result of a captured podman command. */
struct podman_result {
	int exit_status;      /* -1 if killed by a signal or failed to spawn */
	int term_signal;
	struct buf out;       /* stdout, capped at 4 MiB */
	struct buf err;       /* stderr, capped at 64 KiB */
};
typedef void (*podman_done_cb)(struct podman_result *res, void *arg);

/* Runs `podman argv[0..]` (argv without "podman", NULL-terminated) with
 * stdin /dev/null and stdout/stderr captured; `done` runs once from the
 * loop (res is freed after it returns).  -1 if it could not be spawned. */
int podman_capture(const char *const *argv, podman_done_cb done, void *arg, struct mino_error **err);

/* First line of stderr that starts with "Error: " (without the prefix),
 * else the last non-empty stderr line; caller frees, NULL if none. */
char *podman_error_line(const struct podman_result *res);

/* Cached facts from `podman version` / `podman info` gathered once at start
 * (podman_probe); NULL fields until known.  Used by daemon/status. */
struct podman_facts {
	bool probed;
	char *version;
	bool rootless;
	char *runtime;
};
extern struct podman_facts podman_facts;
void podman_probe(void);

#endif
