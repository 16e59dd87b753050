/* container-id.c: podman commands on any container of ours, by id
 * (container.h): remove (coalesced), kill, stop, inspect. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "log.h"
#include "podman.h"
#include "xalloc.h"

/* Removals are coalesced while one runs: a lone removal starts at once,
 * and those asked for meanwhile go together in the next `podman rm`, so
 * twenty sessions that end together cost a few podman processes, not
 * twenty.  Each caller's `done` gets the shared result. */
struct container_rm_req {
	char *id;
	podman_done_cb done;
	void *arg;
};

struct container_rm_batch {
	struct container_rm_req *v;
	size_t n, cap;
};

static struct container_rm_batch rm_waiting;
static bool rm_running;

static void container_rm_flush(void);

static void
container_rm_batch_free(struct container_rm_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].id);
	free(b->v);
	free(b);
}

static void
container_rm_answer(struct container_rm_batch *b, struct podman_result *res)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].done != NULL)
			b->v[i].done(res, b->v[i].arg);
		else if (res->exit_status != 0)
			log_debug("podman rm %.12s: failed", b->v[i].id);
}

static void
container_rm_cb(struct podman_result *res, void *arg)
{
	struct container_rm_batch *b = arg;

	if (res->exit_status != 0) {
		_cleanup_free_ char *line = podman_error_line(res);

		log_debug("podman rm of %zu container(s): %s", b->n, line ? line : "failed");
	}
	container_rm_answer(b, res);
	container_rm_batch_free(b);
	rm_running = false;
	container_rm_flush();
}

static void
container_rm_flush(void)
{
	struct container_rm_batch *b;
	struct podman_result failed = { .exit_status = -1 };
	struct mino_error *err = NULL;
	const char **argv;

	if (rm_running || rm_waiting.n == 0)
		return;
	b = xmalloc(sizeof *b);
	*b = rm_waiting;
	memset(&rm_waiting, 0, sizeof rm_waiting);
	argv = xcalloc(b->n + 5, sizeof *argv);
	argv[0] = "rm";
	argv[1] = "-f";
	argv[2] = "-t";
	argv[3] = "0";
	for (size_t i = 0; i < b->n; i++)
		argv[4 + i] = b->v[i].id;
	if (podman_capture(argv, container_rm_cb, b, &err) == 0) {
		rm_running = true;
	} else {
		log_warn("removing %zu container(s): %s", b->n, err->msg);
		mino_error_release(&err);
		container_rm_answer(b, &failed);
		container_rm_batch_free(b);
	}
	free(argv);
}

void
container_remove(const char *id, podman_done_cb done, void *arg)
{
	struct container_rm_batch *w = &rm_waiting;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 8;
		w->v = xreallocarray(w->v, w->cap, sizeof *w->v);
	}
	w->v[w->n++] = (struct container_rm_req){ .id = xstrdup(id), .done = done, .arg = arg };
	container_rm_flush();
}

void
container_kill(const char *id)
{
	const char *argv[] = { "kill", id, NULL };

	podman_run_quiet(argv);
}

int
container_stop(const char *id, bool force, podman_done_cb done, void *arg, struct mino_error **err)
{
	const char *stop_argv[] = { "stop", "-t", "10", id, NULL };
	const char *kill_argv[] = { "kill", id, NULL };

	return podman_capture(force ? kill_argv : stop_argv, done, arg, err);
}

int
container_inspect_state(const char *id, podman_done_cb done, void *arg, struct mino_error **err)
{
	const char *argv[] = { "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", id, NULL };

	return podman_capture(argv, done, arg, err);
}
