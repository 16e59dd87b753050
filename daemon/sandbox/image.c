/* image.c: the image part, the first row of the parts table.
 *
 * prepare: `podman image inspect` the image (the spec's image, or the base
 * of its layers).  Missing and neither local (localhost/...) nor composed:
 * `podman pull` it (--pull=missing semantics), its output as progress.
 * With layers (spec->layers): compose them on the base (compose.c), the
 * build's output as progress.  contribute: the composed image in place of
 * the spec's, and for a mino image (label mino.home) --userns=keep-id with
 * its user's uid and gid (label mino.uid, default 1000), so that the
 * container's user owns the bind-mounted project.
 * Images known to exist are remembered, so most plain creates inspect
 * nothing.  Nothing to undo: an image is shared with other sessions. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "image.h"
#include "layers.h"
#include "log.h"
#include "mino-protocol.h"
#include "parts.h"
#include "podman.h"
#include "strv.h"
#include "xalloc.h"

#define IMAGE_CACHE 16

struct image_known {
	char *image;
	char *uid;           /* keep-id's uid for a mino image, else NULL */
};
static struct image_known image_cache[IMAGE_CACHE];
static unsigned image_next;

enum image_stage { IMAGE_IDLE, IMAGE_INSPECT, IMAGE_PULL, IMAGE_COMPOSE };

/* The part's state.  A podman child in flight holds it too (ctx NULL once
 * the part is gone: the child's callback frees it). */
struct image_job {
	struct part_ctx *ctx;
	enum image_stage stage;
	bool cancelled, pulled;
	char *inspect;          /* what the inspect is about */
	char *run_image;        /* the image the container runs (composed, or the spec's) */
	char *uid;              /* keep-id uid (mino image), or NULL */
	struct podman_capture *pc;
	struct compose_waiter *cw;
};

static int image_prepare(struct part_ctx *ctx, struct mino_error **err);
static void image_cancel(struct part_ctx *ctx);
static int image_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err);
static void image_free(struct part_ctx *ctx);
static void image_record(struct part_ctx *ctx, json_t *rec);
static int image_inspect(struct image_job *j, const char *image, struct mino_error **err);
static void image_done(struct image_job *j, const struct mino_error *err);

const struct part_ops image_part = {
	.name = "image",
	.prepare = image_prepare,
	.cancel = image_cancel,
	.contribute = image_contribute,
	.record = image_record,
	.free = image_free,
};

/* ---------- the cache ---------- */

static struct image_known *
image_lookup(const char *image)
{
	for (unsigned i = 0; i < IMAGE_CACHE; i++)
		if (image_cache[i].image != NULL && strcmp(image_cache[i].image, image) == 0)
			return &image_cache[i];
	return NULL;
}

bool
image_cached(const char *image)
{
	return image_lookup(image) != NULL;
}

static void
image_remember_uid(const char *image, const char *uid)
{
	struct image_known *k = image_lookup(image);

	if (k == NULL) {
		k = &image_cache[image_next];
		image_next = (image_next + 1) % IMAGE_CACHE;
		free(k->image);
		free(k->uid);
		k->image = xstrdup(image);
		k->uid = NULL;
	}
	free(k->uid);
	k->uid = uid ? xstrdup(uid) : NULL;
}

void
image_remember(const char *image)
{
	image_remember_uid(image, NULL);
}

void
image_forget(const char *image)
{
	struct image_known *k;

	while ((k = image_lookup(image)) != NULL) {
		free(k->image);
		free(k->uid);
		k->image = k->uid = NULL;
	}
}

void
image_forget_all(void)
{
	for (unsigned i = 0; i < IMAGE_CACHE; i++) {
		free(image_cache[i].image);
		free(image_cache[i].uid);
		image_cache[i].image = image_cache[i].uid = NULL;
	}
}

/* ---------- the job ---------- */

static void
image_job_free(struct image_job *j)
{
	free(j->inspect);
	free(j->run_image);
	free(j->uid);
	free(j);
}

/* Reported once; the job stays as the part's state (for contribute). */
static void
image_done(struct image_job *j, const struct mino_error *err)
{
	struct part_ctx *ctx = j->ctx;

	j->stage = IMAGE_IDLE;
	if (ctx != NULL)
		part_prepared(ctx, err);
}

static bool
image_is_local_name(const char *image)
{
	return strncmp(image, "localhost/", 10) == 0 || strncmp(image, COMPOSE_TAG_PREFIX, strlen(COMPOSE_TAG_PREFIX)) == 0;
}

static int
image_missing(struct image_job *j, struct mino_error **err)
{
	const char *image = j->inspect;

	if (strcmp(image, LAYERS_DEFAULT_BASE) == 0 || j->ctx->spec->layers != NULL)
		return mino_make_error(err, MINO_E_IMAGE_MISSING, 0,
		    "the mino base image `%s` is not built yet; build it with `mino image build base`", image);
	if (image_is_local_name(image) || j->pulled)
		return mino_make_error(err, MINO_E_IMAGE_MISSING, 0,
		    "image `%s` not found locally (build it, or pull it with `podman pull`)", image);
	return 1;
}

static void image_pull_cb(struct podman_result *res, void *arg);

static void
image_line_cb(const char *line, void *arg)
{
	struct image_job *j = arg;

	if (j->ctx != NULL && !j->cancelled)
		part_progress(j->ctx, line);
}

static int
image_pull(struct image_job *j, struct mino_error **err)
{
	const char *argv[] = { "pull", j->inspect, NULL };
	_cleanup_free_ char *msg = xasprintf("pulling %s", j->inspect);

	if (podman_capture_start(argv, image_pull_cb, j, &j->pc, err) < 0)
		return -1;
	podman_capture_on_line(j->pc, image_line_cb);
	j->stage = IMAGE_PULL;
	if (j->ctx != NULL)
		part_progress(j->ctx, msg);
	return 0;
}

static void
image_pull_cb(struct podman_result *res, void *arg)
{
	struct image_job *j = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	j->pc = NULL;
	if (j->ctx == NULL) {
		image_job_free(j);
		return;
	}
	j->pulled = true;
	if (j->cancelled)
		mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled");
	else if (res->exit_status != 0) {
		line = podman_error_line(res);
		mino_make_error(&err, MINO_E_IMAGE_MISSING, 0, "image `%s` is not local and could not be pulled: %s",
		    j->inspect, line ? line : "podman pull failed");
	} else if (image_inspect(j, j->inspect, &err) == 0)
		return;
	image_done(j, err);
	mino_error_release(&err);
}

static void
image_compose_line(const char *line, void *arg)
{
	image_line_cb(line, arg);
}

static void
image_compose_done(const char *image, const struct mino_error *err, void *arg)
{
	struct image_job *j = arg;

	j->cw = NULL;
	if (err == NULL) {
		free(j->run_image);
		j->run_image = xstrdup(image);
	}
	image_done(j, err);
}

static int
image_compose(struct image_job *j, const char *id, const char *user, struct mino_error **err)
{
	static const struct compose_callbacks cb = {
		.on_line = image_compose_line,
		.on_done = image_compose_done,
	};
	struct compose_base base = { .name = j->inspect, .id = id, .user = user ? user : "" };

	j->stage = IMAGE_COMPOSE;
	return compose_start(j->ctx->spec->layers, &base, &cb, j, &j->cw, err);
}

int
image_inspect_parse(const char *out, const char **id, const char **user, const char **home,
    const char **uid, json_t **root)
{
	json_t *img, *labels;

	*root = json_loads(out, 0, NULL);
	img = json_array_get(*root, 0);
	*id = json_string_value(json_object_get(img, "Id"));
	if (*id == NULL)
		return -1;
	*user = json_string_value(json_object_get(json_object_get(img, "Config"), "User"));
	labels = json_object_get(img, "Labels");
	if (!json_is_object(labels))
		labels = json_object_get(json_object_get(img, "Config"), "Labels");
	*home = json_string_value(json_object_get(labels, "mino.home"));
	*uid = json_string_value(json_object_get(labels, "mino.uid"));
	return 0;
}

static void
image_inspect_cb(struct podman_result *res, void *arg)
{
	struct image_job *j = arg;
	_cleanup_json_ json_t *root = NULL;
	_cleanup_free_ char *line = NULL;
	const char *id, *user, *home, *uid;
	struct mino_error *err = NULL;
	int r;

	j->pc = NULL;
	if (j->ctx == NULL) {
		image_job_free(j);
		return;
	}
	if (j->cancelled) {
		mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled");
		goto out;
	}
	if (res->exit_status != 0) {
		line = podman_error_line(res);
		if (line == NULL || strstr(line, "image not known") == NULL) {
			mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman image inspect %s: %s", j->inspect,
			    line ? line : "failed");
			goto out;
		}
		r = image_missing(j, &err);
		if (r > 0 && image_pull(j, &err) == 0)
			return;
		goto out;
	}
	if (image_inspect_parse(res->out.data, &id, &user, &home, &uid, &root) < 0) {
		mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman image inspect %s: no image id", j->inspect);
		goto out;
	}
	free(j->uid);
	j->uid = home != NULL ? xstrdup(uid != NULL ? uid : "1000") : NULL;
	if (j->ctx->spec->layers != NULL) {
		if (image_compose(j, id, user, &err) == 0)
			return;
		goto out;
	}
	image_remember_uid(j->inspect, j->uid);
out:
	image_done(j, err);
	mino_error_release(&err);
}

static int
image_inspect(struct image_job *j, const char *image, struct mino_error **err)
{
	const char *argv[] = { "image", "inspect", image, NULL };

	if (podman_capture_start(argv, image_inspect_cb, j, &j->pc, err) < 0)
		return -1;
	j->stage = IMAGE_INSPECT;
	return 0;
}

/* ---------- the part ---------- */

static int
image_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	const char *image = ctx->spec->image;
	struct image_known *k = ctx->spec->layers == NULL ? image_lookup(image) : NULL;
	struct image_job *j = xcalloc(1, sizeof *j);

	j->ctx = ctx;
	j->inspect = xstrdup(image);
	j->run_image = xstrdup(image);
	ctx->state = j;
	if (k != NULL) {
		j->uid = k->uid ? xstrdup(k->uid) : NULL;
		part_prepared(ctx, NULL);
		return 0;
	}
	if (image_inspect(j, image, err) < 0) {
		ctx->state = NULL;
		image_job_free(j);
		return -1;
	}
	return 0;
}

static void
image_cancel(struct part_ctx *ctx)
{
	struct image_job *j = ctx->state;
	struct mino_error *err = NULL;

	if (j == NULL)
		return;
	j->cancelled = true;
	if (j->pc != NULL && j->stage == IMAGE_PULL)
		podman_capture_kill(j->pc, SIGTERM);
	if (j->cw != NULL) {
		compose_cancel(j->cw);
		j->cw = NULL;
		mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled");
		image_done(j, err); /* may free the set: nothing after this */
		mino_error_release(&err);
	}
}

static int
image_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err)
{
	struct image_job *j = ctx->state;
	char *arg;
	size_t n;

	(void)err;
	if (j == NULL)
		return 0;
	if (strcmp(j->run_image, ctx->spec->image) != 0) {
		free(o->image);
		o->image = xstrdup(j->run_image);
	}
	if (j->uid != NULL && strspn(j->uid, "0123456789") == strlen(j->uid) && j->uid[0] != '\0') {
		arg = xasprintf("--userns=keep-id:uid=%s,gid=%s", j->uid, j->uid);
		n = strv_len(o->args);
		o->args = xreallocarray(o->args, n + 2, sizeof *o->args);
		o->args[n] = arg;
		o->args[n + 1] = NULL;
	}
	return 0;
}

static void
image_free(struct part_ctx *ctx)
{
	struct image_job *j = ctx->state;

	ctx->state = NULL;
	if (j == NULL)
		return;
	if (j->cw != NULL) {
		compose_cancel(j->cw);
		j->cw = NULL;
	}
	if (j->pc != NULL) {
		j->ctx = NULL; /* the child's callback frees it */
		return;
	}
	image_job_free(j);
}

static void
image_record(struct part_ctx *ctx, json_t *rec)
{
	struct image_job *j = ctx->state;

	json_object_set_new(rec, "image", json_string(ctx->spec->image));
	if (ctx->spec->layers != NULL) {
		json_t *a = json_array();

		for (size_t i = 0; i < ctx->spec->layers->n; i++)
			json_array_append_new(a, json_string(ctx->spec->layers->v[i].name));
		json_object_set_new(rec, "layers", a);
	}
	if (ctx->spec->cache.paths != NULL)
		json_object_set_new(rec, "cache_paths", strv_to_json(ctx->spec->cache.paths));
	if (j != NULL && strcmp(j->run_image, ctx->spec->image) != 0)
		json_object_set_new(rec, "composed_image", json_string(j->run_image));
}
