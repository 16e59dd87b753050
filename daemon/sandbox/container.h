/* container.h: one run of a podman container, from `podman create` (or,
 * after a restart, an existing running container) to its end.
 * Owner: sandbox side; knows nothing of sessions.
 *
 * On the model of pty.h: options, callbacks and an opaque owner.  A run goes
 *   create -> [init -> inspect -> before_start] -> start --attach -> running -> exit
 * or, for a passthrough run that asks for one_step, `podman run` -> running -> exit.
 * `podman create` gives the container id (on_created: the owner records it
 * before anything runs).  With init_first, `podman init` makes the
 * container's process and namespaces without running anything of the
 * user's, and before_start is given its pid and network namespace.  Then
 * `podman start --attach` runs on a PTY (tty) or pipes: that client is the
 * stdio path (CONTAINER_STDIO_ATTACH, conmon's attach, or
 * CONTAINER_STDIO_PASSTHROUGH, the client's own pipes).  `podman wait --condition=running` says
 * when it runs (on_running).  on_exit runs exactly once, after which the
 * container object frees itself; every other callback stops after
 * container_abandon.  The container itself outlives the run: the owner
 * removes it by id (container_remove). */
#ifndef MINOD_CONTAINER_H
#define MINOD_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "podman.h"
#include "pty.h"

enum container_stdio {
	CONTAINER_STDIO_ATTACH,   /* `podman start --attach` / `podman attach` (conmon) */
	/* `--log-driver=passthrough`: the container's stdin, stdout and stderr
	 * are the start client's pipes, so its output reaches minod without
	 * conmon relaying it.  Only for a non-tty run that is not init_first
	 * (else it is ATTACH); it cannot be re-attached after a minod restart. */
	CONTAINER_STDIO_PASSTHROUGH,
};

/* What before_start is given: the created (initialized) container. */
struct container_info {
	const char *id;
	int pid;                  /* its init process, 0 if unknown */
	const char *netns;        /* its network namespace path, "" if none */
};

struct container_end {
	bool started;             /* false: it never ran (create, init or a hook failed, or cancelled) */
	bool cancelled;           /* container_cancel before it ran */
	bool lost;                /* it runs on, but its conmon died: its end cannot be seen */
	bool have_code;
	int code;                 /* exit status of the podman client (the command's, or podman's 125-127) */
	int sig;                  /* the podman client was killed by this signal */
	const char *error;        /* why it never ran or was lost, or NULL */
};

struct container;

struct container_opts {
	char *const *create_args; /* `create ...` (copied); NULL: re-attach to `id` */
	const char *id;           /* re-attach: a running container */
	const char *created_id;   /* with create_args NULL: a created, never-started container
	                           * (a warm start, spare.h): no create, on_created from the loop */
	const char *name;         /* for logs */
	enum container_stdio stdio;
	bool tty;
	bool want_stdin;          /* non-tty: a pipe for stdin */
	unsigned rows, cols;
	bool init_first;          /* `podman init` + inspect, then before_start */
	/* A passthrough run with nothing to do between create and start: one
	 * `podman run` instead of `create` + `start` (one podman process
	 * fewer).  on_created then comes when podman has written the id
	 * (watched, not polled), which may be after the command began; if it
	 * fails, the container is killed. */
	bool one_step;
	const char *pidfile;      /* init_first: where create's --pidfile writes the pid
	                           * (read and removed after init, instead of an inspect) */
	/* -1 stops the run: the container is removed, on_exit(started=false). */
	int (*on_created)(struct container *c, const char *id, void *owner, struct mino_error **err);
	int (*before_start)(struct container *c, const struct container_info *info, void *owner,
	    struct mino_error **err);
	void (*on_running)(struct container *c, void *owner);
	void (*on_output)(struct container *c, enum pty_stream st, const char *data, size_t len, void *owner);
	void (*on_input_low)(struct container *c, void *owner);
	void (*on_exit)(struct container *c, const struct container_end *end, void *owner);
	void *owner;
};

/* Starts a run; callbacks come later, from the loop.  NULL with *err if
 * nothing could be started (no callback is then called). */
struct container *container_run(const struct container_opts *o, struct mino_error **err);
const char *container_id(const struct container *c);       /* NULL until created */
struct pty_proc *container_proc(const struct container *c); /* the attach client, NULL when none */
bool container_is_running(const struct container *c);
/* Before it runs: stop the run, remove what was created, on_exit(cancelled).
 * Once it runs: `podman kill` it (its exit follows). */
void container_cancel(struct container *c);
/* minod is stopping: let the podman clients go (a starting one once the
 * container runs), leave the container as it is.  Only on_exit follows. */
void container_abandon(struct container *c);

/* By id, for any container of ours. */
void container_remove(const char *id, podman_done_cb done, void *arg);
void container_kill(const char *id);
int container_stop(const char *id, bool force, podman_done_cb done, void *arg, struct mino_error **err);
/* `{{.State.Status}} {{.State.ExitCode}}` of a container. */
int container_inspect_state(const char *id, podman_done_cb done, void *arg, struct mino_error **err);

#endif
