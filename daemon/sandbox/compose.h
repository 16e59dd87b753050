/* compose.h: composed images: a base image plus layers, built by
 * `podman build` from a generated Containerfile (one COPY and one RUN per
 * layer, in the user's order), tagged localhost/mino-composed-<hash>.
 * Owner: sandbox side; knows nothing of sessions.
 *
 * The hash covers the Containerfile (which names the base image by its
 * id, and holds every layer's env) and every layer file's bytes, so a new
 * base or an edited layer rebuilds and nothing else does.  A build runs
 * off the loop (a podman child) and reports each line of its output.
 * Waiters for the same tag share one build; a waiter that cancels leaves
 * the others' build running, and the last one to cancel kills it (podman
 * tags only a finished image: nothing half-tagged is left). */
#ifndef MINOD_COMPOSE_H
#define MINOD_COMPOSE_H

#include "error.h"
#include "layers.h"

#define COMPOSE_TAG_PREFIX "localhost/mino-composed-"

struct compose_base {
	const char *name;   /* as asked, e.g. localhost/mino-base */
	const char *id;     /* podman's image id */
	const char *user;   /* Config.User, "" for root */
};

struct compose_callbacks {
	void (*on_line)(const char *line, void *arg);
	/* Once: the image (err NULL) or why not (borrowed). */
	void (*on_done)(const char *image, const struct mino_error *err, void *arg);
};

struct compose_waiter;

/* Pure: the Containerfile and the tag (caller frees). */
char *compose_containerfile(const struct layer_set *ls, const struct compose_base *base);
char *compose_tag(const struct layer_set *ls, const struct compose_base *base);

/* Starts or joins the build; on_done may run before this returns (the
 * image exists).  *out: the handle for compose_cancel until on_done. */
int compose_start(const struct layer_set *ls, const struct compose_base *base,
    const struct compose_callbacks *cb, void *arg, struct compose_waiter **out, struct mino_error **err);
/* No callback runs for `w` after this. */
void compose_cancel(struct compose_waiter *w);

#endif
