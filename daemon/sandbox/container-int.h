/* container-int.h: what container.c and container-onestep.c share of one
 * container run (container.h); nobody else includes it. */
#ifndef MINOD_CONTAINER_INT_H
#define MINOD_CONTAINER_INT_H

#include <stdbool.h>
#include <uv.h>

#include "buf.h"
#include "container.h"

#define CONTAINER_HANGUP_GRACE_MS 3000
#define CONTAINER_ATTACH_ATTEMPTS 3
#define CONTAINER_WAIT_DELAY_MS 50
/* One step: its pidfile says it runs; `podman wait` only if that has not
 * been seen by then (an inotify queue overflow). */
#define CONTAINER_ONE_STEP_WAIT_MS 3000
/* One step: what `podman run` prints before the container runs is its
 * own (an error), held back from the owner up to this much. */
#define CONTAINER_HELD_MAX (64 * 1024)

enum container_phase {
	CONTAINER_CREATING,
	CONTAINER_INITIALIZING,
	CONTAINER_STARTING,       /* `podman start --attach` runs, not yet running */
	CONTAINER_RUNNING,
	CONTAINER_ENDED,
};

struct container {
	unsigned refs;            /* the run itself, each capture and the attach client */
	struct container_opts o;
	char **create_args;
	char *pidfile;
	char *id;
	char *name;
	char *cidfile;            /* passthrough: where `podman create` writes the id */
	bool one_step;            /* one `podman run` (container_opts.one_step) */
	bool pid_seen;            /* one step: its pidfile was written (it runs) */
	struct buf held_out, held_err; /* one step, until pid_seen: podman's own lines */
	uv_fs_event_t watch;      /* one step: for the cidfile, in minod's state directory */
	bool watching;
	enum container_phase phase;
	struct pty_proc *pp;
	struct podman_capture *wait;   /* `podman wait --condition=running` */
	uv_timer_t timer;              /* starts the wait */
	bool timer_live;
	unsigned attach_attempts;
	bool reattach;
	struct container_end end;      /* held while its conmon is asked about */
	bool abandoned;
	bool cancelled;
	uv_timer_t defer;              /* a created container given: on_created from the loop */
};

/* container.c */
void container_unref(struct container *c);
void container_handle_close_cb(uv_handle_t *h);  /* a handle that held a reference */
void container_mark_running(struct container *c);
void container_arm_wait(struct container *c);
void container_release_held(struct container *c);
int container_read_pidfile(const char *path);
char *container_read_cidfile(struct container *c, bool quiet);

/* container-onestep.c: one `podman run` (container_opts.one_step) */
int container_watch(struct container *c);
void container_unwatch(struct container *c);
void container_one_step_created(struct container *c);
void container_one_step_pid(struct container *c);

#endif
