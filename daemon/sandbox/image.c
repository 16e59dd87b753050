/* image.c: the image part, the first row of the parts table: the image
 * must exist locally (`podman image exists`; --pull=never).  Images known
 * to exist are remembered, so most creates skip the check.  Nothing to
 * undo: an image is shared with other sessions. */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "log.h"
#include "mino-protocol.h"
#include "parts.h"
#include "podman.h"
#include "xalloc.h"

#define IMAGE_CACHE 16

static char *image_cache[IMAGE_CACHE];
static unsigned image_next;

/* A check in flight; outlives its part if the set is freed meanwhile. */
struct image_check {
	struct part_ctx *ctx;     /* NULL once the part is gone */
	char *image;
	bool cancelled;
};

static int image_prepare(struct part_ctx *ctx, struct mino_error **err);
static void image_cancel(struct part_ctx *ctx);
static void image_free(struct part_ctx *ctx);
static void image_record(struct part_ctx *ctx, json_t *rec);

const struct part_ops image_part = {
	.name = "image",
	.prepare = image_prepare,
	.cancel = image_cancel,
	.record = image_record,
	.free = image_free,
};

bool
image_cached(const char *image)
{
	for (unsigned i = 0; i < IMAGE_CACHE; i++)
		if (image_cache[i] != NULL && strcmp(image_cache[i], image) == 0)
			return true;
	return false;
}

void
image_remember(const char *image)
{
	if (image_cached(image))
		return;
	free(image_cache[image_next]);
	image_cache[image_next] = xstrdup(image);
	image_next = (image_next + 1) % IMAGE_CACHE;
}

void
image_forget(const char *image)
{
	for (unsigned i = 0; i < IMAGE_CACHE; i++)
		if (image_cache[i] != NULL && strcmp(image_cache[i], image) == 0) {
			free(image_cache[i]);
			image_cache[i] = NULL;
		}
}

void
image_forget_all(void)
{
	for (unsigned i = 0; i < IMAGE_CACHE; i++) {
		free(image_cache[i]);
		image_cache[i] = NULL;
	}
}

static void
image_exists_cb(struct podman_result *res, void *arg)
{
	struct image_check *ic = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	if (ic->ctx != NULL) {
		ic->ctx->state = NULL;
		if (ic->cancelled)
			mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled");
		else if (res->exit_status == 0)
			image_remember(ic->image);
		else if (res->exit_status == 1)
			mino_make_error(&err, MINO_E_IMAGE_MISSING, 0, "image `%s` not found locally", ic->image);
		else {
			line = podman_error_line(res);
			mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman image exists %s: %s", ic->image,
			    line ? line : "failed");
		}
		part_prepared(ic->ctx, err);
		mino_error_release(&err);
	}
	free(ic->image);
	free(ic);
}

static int
image_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	const char *image = ctx->spec->image;
	const char *argv[] = { "image", "exists", image, NULL };
	struct image_check *ic;

	if (image_cached(image)) {
		part_prepared(ctx, NULL);
		return 0;
	}
	ic = xcalloc(1, sizeof *ic);
	ic->ctx = ctx;
	ic->image = xstrdup(image);
	if (podman_capture(argv, image_exists_cb, ic, err) < 0) {
		free(ic->image);
		free(ic);
		return -1;
	}
	ctx->state = ic;
	return 0;
}

static void
image_cancel(struct part_ctx *ctx)
{
	struct image_check *ic = ctx->state;

	if (ic != NULL)
		ic->cancelled = true;
}

static void
image_free(struct part_ctx *ctx)
{
	struct image_check *ic = ctx->state;

	if (ic != NULL)
		ic->ctx = NULL; /* the capture frees it */
	ctx->state = NULL;
}

static void
image_record(struct part_ctx *ctx, json_t *rec)
{
	json_object_set_new(rec, "image", json_string(ctx->spec->image));
}
