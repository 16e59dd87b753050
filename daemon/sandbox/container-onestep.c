/* container-onestep.c: a passthrough run in one `podman run`
 * (container_opts.one_step, container.h).  Its cidfile and pidfile, in
 * minod's state directory, are watched with inotify: the cidfile gives the
 * id (on_created), the pidfile says it runs. */
#include <string.h>

#include "container-int.h"
#include "log.h"
#include "minod.h"

static void container_cid_event_cb(uv_fs_event_t *h, const char *filename, int events, int status);

void
container_unwatch(struct container *c)
{
	if (!c->watching)
		return;
	c->watching = false;
	uv_fs_event_stop(&c->watch);
	uv_close((uv_handle_t *)&c->watch, container_handle_close_cb);
}

/* One step: watches minod's state directory for the cidfile (before the
 * run, so that its writing is not missed); -1 if it cannot. */
int
container_watch(struct container *c)
{
	int r = uv_fs_event_init(minod.loop, &c->watch);

	if (r < 0)
		return -1;
	c->watch.data = c;
	c->refs++; /* held by the watch until closed */
	c->watching = true;
	r = uv_fs_event_start(&c->watch, container_cid_event_cb, minod.state_dir, 0);
	if (r < 0) {
		log_debug("container %s: watching %s: %s", c->name, minod.state_dir, uv_strerror(r));
		container_unwatch(c);
		return -1;
	}
	return 0;
}

/* One step: the id is known (the command may be running already). */
void
container_one_step_created(struct container *c)
{
	struct mino_error *err = NULL;

	if (c->id != NULL || (c->id = container_read_cidfile(c, true)) == NULL)
		return;
	if (c->pid_seen)
		container_unwatch(c);
	log_debug("container %s: created %.12s (one step)", c->name, c->id);
	if (c->cancelled) {
		container_kill(c->id);
		return;
	}
	if (c->abandoned)
		return;
	if (c->o.on_created != NULL && c->o.on_created(c, c->id, c->o.owner, &err) < 0) {
		log_warn("container %s: %s; stopping it", c->name, err->msg);
		mino_error_release(&err);
		c->cancelled = true;
		container_kill(c->id);
		return;
	}
	if (c->pp == NULL)
		return;
	if (c->pid_seen)
		container_mark_running(c);
	else
		container_arm_wait(c);
}

/* One step: the pidfile is written once the container's process exists,
 * right before podman starts it. */
void
container_one_step_pid(struct container *c)
{
	if (c->pid_seen || container_read_pidfile(c->pidfile) <= 0)
		return;
	c->pid_seen = true;   /* the file stays until the run ends: conmon reads it back */
	container_release_held(c);
	if (c->pp == NULL)
		return;         /* seen at its end */
	if (c->id == NULL) {
		container_one_step_created(c);  /* marks it running once the id is there */
		return;
	}
	container_unwatch(c);
	if (!c->cancelled && !c->abandoned)
		container_mark_running(c);
}

static void
container_cid_event_cb(uv_fs_event_t *h, const char *filename, int events, int status)
{
	struct container *c = h->data;
	const char *cid = strrchr(c->cidfile, '/') + 1;
	const char *pid = strrchr(c->pidfile, '/') + 1;

	(void)events;
	if (status < 0)
		return;
	if (filename == NULL || strcmp(filename, cid) == 0)
		container_one_step_created(c);
	if (filename == NULL || strcmp(filename, pid) == 0)
		container_one_step_pid(c);
}
