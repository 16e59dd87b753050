/* podman.h: running podman from minod.  Owner: session side.
 * All children get minod.child_env and are spawned with uv_spawn; nothing
 * here blocks the loop. */
#ifndef MINOD_PODMAN_H
#define MINOD_PODMAN_H

#include <stdbool.h>
#include <jansson.h>

#include "error.h"
#include "buf.h"

struct sandbox_spec; /* spec.h */

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
/* The same, with a handle to kill it by; *out is valid until `done` has run. */
struct podman_capture;
int podman_capture_start(const char *const *argv, podman_done_cb done, void *arg,
    struct podman_capture **out, struct mino_error **err);
void podman_capture_kill(struct podman_capture *pc, int sig);
/* Also hand each line of its stdout and stderr to `cb` (with done's arg)
 * as it arrives (a build's or a pull's progress). */
typedef void (*podman_line_cb)(const char *line, void *arg);
void podman_capture_on_line(struct podman_capture *pc, podman_line_cb cb);

/* Fire and forget (e.g. `rm -f`): failures are logged at debug level. */
void podman_run_quiet(const char *const *argv);

/* Captures not yet finished (shutdown waits for 0), and a way to end them. */
unsigned podman_capture_count(void);
void podman_capture_kill_all(int sig);

/* First line of stderr that starts with "Error: " (without the prefix),
 * else the last non-empty stderr line; caller frees, NULL if none. */
char *podman_error_line(const struct podman_result *res);
/* The same over any text (e.g. the tail of a session's output). */
char *podman_error_line_in(const char *text, size_t len, bool error_prefix_only);

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
/* Runs cb(arg) once the probe has finished (at once if it has, or if there
 * is no podman): for daemon/status to defer its answer right after start. */
void podman_probe_wait(void (*cb)(void *arg), void *arg);

/* ---- argv builders (pure; tests/unit/test-podman-argv.c) ---- */

/* Flags for podman_create_argv. */
#define PODMAN_ARGV_NO_PIDS_LIMIT 0x1 /* rootless on cgroup v1: podman ignores it and warns on stderr */
/* A spare (spare.h): --name=mino-spare-ID, --label=mino.spare=1 instead of
 * mino.session / mino.id, and the command read from the run directory
 * (`/run/mino-entry --env /run/mino/env --cmd /run/mino/cmd`). */
#define PODMAN_ARGV_SPARE 0x2

/* Where a session's run directory and mino-entry are on the host
 * (rundir.h): both are mounted read-only into the container. */
struct podman_mounts {
	const char *rundir;
	const char *entry;
};

/* The builders below return podman's arguments without the program;
 * podman_capture runs them, podman_command makes the full command line
 * (for a process on a PTY).  Both go through the one place that adds
 * podman's global arguments. */
char **podman_command(const char *podman, char *const *args);

/* `create --name=mino-NAME --label=mino.session=NAME --label=mino.id=ID
 * --label=mino.tty=0|1 --label=mino.project=DIR --label=mino.workdir=WORKDIR
 * [--label=mino.shell=SHELL] --label=mino.audit=0|1 [--label=mino.state=STATE_DIR] --cap-drop=ALL --security-opt=no-new-privileges
 * [--pids-limit=4096] --init --pull=never [--network=MODE] -v DIR:WORKDIR -w WORKDIR
 * -v RUNDIR:/run/mino:ro -v ENTRY:/run/mino-entry:ro [-v VOL]... [EXTRA]... -i [-t] IMAGE
 * /run/mino-entry --env /run/mino/env -- CMD...`.
 * No environment value is on it: spec->env goes to the run directory's env
 * file (rundir_write_env), which mino-entry loads in the container.
 * EXTRA: the parts' create options (parts_contribute).
 * No --rm: minod records the exit code, then removes the container by id.
 * The labels let a session be rebuilt with its own values if its record is
 * lost (reconcile.c).  --network is left out for "bridge" (podman's own default).  mino.state
 * (minod.state_dir, if set) keeps minods of other state directories from
 * adopting each other's containers.  NULL-terminated, free with
 * podman_argv_free. */
char **podman_create_argv(const struct sandbox_spec *spec, const struct podman_mounts *m, char *const *extra,
    unsigned flags);
/* `start --attach [--interactive] --sig-proxy=false --detach-keys= CONTAINER` */
char **podman_start_argv(const char *container, bool want_stdin);
/* `exec -i [-t] --detach-keys= CONTAINER /run/mino-entry --env /run/mino/env
 * --env ENV_FILE -- CMD...`: the session's environment, then the exec's own
 * (ENV_FILE, a path inside the container) over it. */
char **podman_exec_argv(const char *container, const char *env_file, const char *const *cmd, bool tty);
/* `attach [--no-stdin] --sig-proxy=false --detach-keys= CONTAINER` (re-adoption). */
char **podman_attach_argv(const char *container, bool tty);
void podman_argv_free(char **argv);
/* One line for logs: values of -e/--env are elided.  Caller frees. */
char *podman_argv_loggable(char *const *argv);
/* The container name of a session: "mino-" + name.  Caller frees. */
char *podman_container_name(const char *session);
/* Rootless podman on cgroup v1 ignores resource limits (checked once). */
bool podman_limits_ignored(void);

#endif
