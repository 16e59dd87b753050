/* cache.c: the cache part (cache.h, one row of parts-table.c).
 *
 *   prepare     off the loop: the canonical project path and the lockfiles'
 *               hashes (a worker thread); the image's `mino.home` label
 *               (`podman image inspect`, remembered per image); then the
 *               volumes not known to exist: one `podman volume ls`, and
 *               `podman volume create --label ...` for each missing one
 *               (podman 4.3 has no `create --ignore`: "already exists" from
 *               a create racing another session is success).  States go to
 *               the state file: a new volume is a miss, a mounted one is
 *               building until a session on it exits 0.
 *   contribute  --volume=NAME:/cache/<eco> (and the home), the variables
 *               to the env file; the volumes count as in use.
 *   ended       exit 0: building -> complete; else they stay building.
 *               Last use is now; a superseded generation nobody uses goes.
 *   record      "caches" and "home" of the session record. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cache.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "parts.h"
#include "podman.h"
#include "strv.h"
#include "xalloc.h"

struct cache_vol {
	char *name;
	char *dest;                     /* /cache/<eco>, or the home path */
	const struct cache_eco *eco;    /* NULL: the home volume */
	char *hash;                     /* sha12 (xdg, home: of the project) */
	char *lockfile;                 /* NULL: xdg, home */
	char *old;                      /* --cache-fresh: the generation it replaces */
	char *state_at_start;           /* miss, building or complete */
	char *owner;                    /* home: "UID:GID" of the image's user, or NULL */
};

struct cache_job {
	struct part_ctx *ctx;           /* NULL once the part is freed */
	uv_work_t work;
	char *project;
	char *canon;                    /* worker's results */
	char phash[65];
	struct cache_lock *locks;
	size_t nlocks;
	struct mino_error *werr;
	struct cache_vol *vols;
	size_t nvols;
	size_t next;                    /* the next volume to create */
	bool detect;                    /* cache.enabled (read by the worker) */
	bool inflight, cancelled, mounted;
};

/* Images and their `mino.home` label ("" = none), remembered. */
#define CACHE_HOME_IMAGES 16
static struct {
	char *image;
	char *home;
} cache_home_images[CACHE_HOME_IMAGES];
static unsigned cache_home_next;

static int cache_prepare(struct part_ctx *ctx, struct mino_error **err);
static void cache_cancel(struct part_ctx *ctx);
static void cache_undo(struct part_ctx *ctx);
static int cache_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err);
static void cache_ended(struct part_ctx *ctx);
static void cache_record(struct part_ctx *ctx, json_t *rec);
static void cache_free(struct part_ctx *ctx);
static void cache_home_step(struct cache_job *j);
static void cache_list_step(struct cache_job *j);
static void cache_create_step(struct cache_job *j);
static void cache_finish(struct cache_job *j, const struct mino_error *err);

const struct part_ops cache_part = {
	.name = "cache",
	.prepare = cache_prepare,
	.cancel = cache_cancel,
	.undo = cache_undo,
	.contribute = cache_contribute,
	.ended = cache_ended,
	.record = cache_record,
	.free = cache_free,
};

static void
cache_job_free(struct cache_job *j)
{
	for (size_t i = 0; i < j->nvols; i++) {
		free(j->vols[i].name);
		free(j->vols[i].dest);
		free(j->vols[i].hash);
		free(j->vols[i].lockfile);
		free(j->vols[i].old);
		free(j->vols[i].state_at_start);
		free(j->vols[i].owner);
	}
	free(j->vols);
	cache_locks_free(j->locks, j->nlocks);
	mino_error_release(&j->werr);
	free(j->project);
	free(j->canon);
	free(j);
}

/* An asynchronous step has come back: false if the part is gone (the job
 * is freed) or was cancelled (the part hears it). */
static bool
cache_job_alive(struct cache_job *j)
{
	struct mino_error *err = NULL;

	j->inflight = false;
	if (j->ctx == NULL) {
		cache_job_free(j);
		return false;
	}
	if (j->cancelled) {
		mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled");
		cache_finish(j, err);
		mino_error_release(&err);
		return false;
	}
	return true;
}

/* ---------- worker: canonical path and lockfiles ---------- */

static void
cache_work(uv_work_t *w)
{
	struct cache_job *j = w->data;
	char real[PATH_MAX];

	if (realpath(j->project, real) == NULL) {
		mino_make_error(&j->werr, MINO_E_PROJECT_MISSING, errno, "project directory `%s`", j->project);
		return;
	}
	j->canon = xstrdup(real);
	cache_project_hash(j->canon, j->phash);
	if (j->detect)
		cache_detect(j->canon, &j->locks, &j->nlocks, &j->werr);
}

static struct cache_vol *
cache_add_vol(struct cache_job *j, const struct cache_eco *eco, const char *hash, const char *lockfile)
{
	struct cache_vol *v;

	j->vols = xreallocarray(j->vols, j->nvols + 1, sizeof *j->vols);
	v = &j->vols[j->nvols++];
	memset(v, 0, sizeof *v);
	v->eco = eco;
	v->hash = xstrdup(hash);
	v->lockfile = lockfile ? xstrdup(lockfile) : NULL;
	return v;
}

/* Names for each cache volume: its generation, a new one for --cache-fresh. */
static void
cache_name_vol(struct cache_job *j, struct cache_vol *v, bool per_project)
{
	const struct sandbox_spec *spec = j->ctx->spec;
	_cleanup_free_ char *base = cache_volume_name(v->eco->name, v->hash, per_project ? j->phash : NULL, 0);
	unsigned gen = cache_store_generation(base);

	if (spec->cache.fresh) {
		v->old = cache_volume_name(v->eco->name, v->hash, per_project ? j->phash : NULL, gen);
		gen++;
		cache_store_set_generation(base, gen);
	}
	v->name = cache_volume_name(v->eco->name, v->hash, per_project ? j->phash : NULL, gen);
	v->dest = xasprintf("/cache/%s", v->eco->name);
}

/* Layers' `[cache] paths`: a volume each, mino-cache-layer-<sha12 of the
 * path>-<project8>, at that path; a collision with an ecosystem fails. */
static int
cache_add_layer_vols(struct cache_job *j)
{
	static const struct cache_eco layer_eco = { "layer", NULL, NULL };
	char *const *paths = j->ctx->spec->cache.paths;
	struct mino_error *err = NULL;
	struct cache_vol *v;
	char h[65];

	if (cache_check_paths(paths, j->locks, j->nlocks, &err) < 0) {
		cache_finish(j, err);
		mino_error_release(&err);
		return -1;
	}
	for (size_t i = 0; paths != NULL && paths[i] != NULL; i++) {
		bool dup = false;

		for (size_t k = 0; k < i; k++)
			dup = dup || strcmp(paths[k], paths[i]) == 0;
		if (dup)
			continue; /* two layers, one path: one mount */
		cache_project_hash(paths[i], h);
		h[12] = '\0';
		v = cache_add_vol(j, &layer_eco, h, NULL);
		cache_name_vol(j, v, true);
		free(v->dest);
		v->dest = xstrdup(paths[i]);
	}
	return 0;
}

static void
cache_after_work(uv_work_t *w, int status)
{
	struct cache_job *j = w->data;
	struct cache_vol *v;
	char p12[13];

	(void)status;
	if (!cache_job_alive(j))
		return;
	if (j->werr != NULL) {
		cache_finish(j, j->werr);
		return;
	}
	for (size_t i = 0; i < j->nlocks; i++) {
		v = cache_add_vol(j, j->locks[i].eco, j->locks[i].sha12, j->locks[i].lockfile);
		cache_name_vol(j, v, !j->ctx->spec->cache.shared);
	}
	if (j->ctx->spec->cache.enabled) {
		memcpy(p12, j->phash, 12);
		p12[12] = '\0';
		v = cache_add_vol(j, &cache_eco_xdg, p12, NULL);
		cache_name_vol(j, v, false);
		if (cache_add_layer_vols(j) < 0)
			return;
	}
	cache_home_step(j);
}

/* ---------- the image's home ---------- */

static const char *
cache_home_cached(const char *image)
{
	for (unsigned i = 0; i < CACHE_HOME_IMAGES; i++)
		if (cache_home_images[i].image != NULL && strcmp(cache_home_images[i].image, image) == 0)
			return cache_home_images[i].home;
	return NULL;
}

static void
cache_home_remember(const char *image, const char *home)
{
	unsigned i = cache_home_next;

	free(cache_home_images[i].image);
	free(cache_home_images[i].home);
	cache_home_images[i].image = xstrdup(image);
	cache_home_images[i].home = xstrdup(home);
	cache_home_next = (i + 1) % CACHE_HOME_IMAGES;
}

/* The image's user as "UID:GID" when numeric ("", "0", "1000", "1000:1000");
 * NULL for a user name (podman then gives a new volume the owner of the
 * image's directory). */
static char *
cache_home_owner(const char *user)
{
	unsigned long uid = 0, gid;
	char *end;

	if (*user == '\0')
		return xstrdup("0:0");
	uid = strtoul(user, &end, 10);
	if (end == user || (*end != '\0' && *end != ':'))
		return NULL;
	gid = uid;
	if (*end == ':') {
		user = end + 1;
		gid = strtoul(user, &end, 10);
		if (end == user || *end != '\0')
			return NULL;
	}
	return xasprintf("%lu:%lu", uid, gid);
}

/* `label` is "HOME|USER" from the image (either may be empty). */
static void
cache_home_use(struct cache_job *j, const char *label)
{
	_cleanup_free_ char *home = xstrdup(label);
	char *user = strchr(home, '|');
	struct cache_vol *v;
	char p12[13];

	if (user != NULL)
		*user++ = '\0';
	if (home[0] != '/' || strpbrk(home, ":,\n") != NULL) {
		if (home[0] != '\0')
			log_warn("image %s: label mino.home=%s is not a usable path; no home volume",
			    j->ctx->spec->image, home);
		return;
	}
	memcpy(p12, j->phash, 12);
	p12[12] = '\0';
	v = cache_add_vol(j, NULL, p12, NULL);
	v->name = cache_home_name(j->phash);
	v->dest = xstrdup(home);
	v->owner = cache_home_owner(user != NULL ? user : "");
}

static void
cache_home_cb(struct podman_result *res, void *arg)
{
	struct cache_job *j = arg;
	char *nl;

	if (!cache_job_alive(j))
		return;
	if (res->exit_status != 0) {
		/* The image part reports a missing image; no home here. */
		cache_home_remember(j->ctx->spec->image, "");
	} else {
		nl = memchr(res->out.data, '\n', res->out.len);
		if (nl != NULL)
			*nl = '\0';
		cache_home_remember(j->ctx->spec->image, res->out.data ? res->out.data : "");
		cache_home_use(j, res->out.data ? res->out.data : "");
	}
	cache_list_step(j);
}

static void
cache_home_step(struct cache_job *j)
{
	const char *image = j->ctx->spec->image;
	const char *argv[] = { "image", "inspect", "--format", "{{index .Config.Labels \"mino.home\"}}|{{.Config.User}}", image, NULL };
	const char *home;
	struct mino_error *err = NULL;

	if (j->ctx->spec->cache.no_home) {
		cache_list_step(j);
		return;
	}
	home = cache_home_cached(image);
	if (home != NULL) {
		cache_home_use(j, home);
		cache_list_step(j);
		return;
	}
	if (podman_capture(argv, cache_home_cb, j, &err) < 0) {
		cache_finish(j, err);
		mino_error_release(&err);
		return;
	}
	j->inflight = true;
}

/* ---------- volumes ---------- */

static void
cache_list_cb(struct podman_result *res, void *arg)
{
	struct cache_job *j = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;
	char *save = NULL, *name;

	if (!cache_job_alive(j))
		return;
	if (res->exit_status != 0) {
		line = podman_error_line(res);
		mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman volume ls: %s", line ? line : "failed");
		cache_finish(j, err);
		mino_error_release(&err);
		return;
	}
	for (name = res->out.data ? strtok_r(res->out.data, "\n", &save) : NULL; name != NULL;
	    name = strtok_r(NULL, "\n", &save))
		if (strncmp(name, "mino-", 5) == 0)
			cache_know(name);
	j->next = 0;
	cache_create_step(j);
}

static void
cache_list_step(struct cache_job *j)
{
	const char *argv[] = { "volume", "ls", "--format", "{{.Name}}", NULL };
	struct mino_error *err = NULL;
	bool all_known = true;

	for (size_t i = 0; i < j->nvols; i++)
		if (!cache_known(j->vols[i].name))
			all_known = false;
	if (all_known) {
		j->next = j->nvols;
		cache_create_step(j);
		return;
	}
	if (podman_capture(argv, cache_list_cb, j, &err) < 0) {
		cache_finish(j, err);
		mino_error_release(&err);
		return;
	}
	j->inflight = true;
}

static void
cache_create_cb(struct podman_result *res, void *arg)
{
	struct cache_job *j = arg;
	struct cache_vol *v;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	if (!cache_job_alive(j))
		return;
	v = &j->vols[j->next];
	line = podman_error_line(res);
	if (res->exit_status != 0 && (line == NULL || strstr(line, "already exists") == NULL)) {
		mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman volume create %s: %s", v->name,
		    line ? line : "failed");
		cache_finish(j, err);
		mino_error_release(&err);
		return;
	}
	cache_know(v->name);
	v->state_at_start = xstrdup("miss");
	j->next++;
	cache_create_step(j);
}

static char **
cache_create_argv(const struct cache_job *j, const struct cache_vol *v)
{
	char **a = xcalloc(12, sizeof *a);
	size_t n = 0;
	bool shared = j->ctx->spec->cache.shared && v->eco != NULL && v->eco != &cache_eco_xdg;

	a[n++] = xstrdup("volume");
	a[n++] = xstrdup("create");
	if (v->eco == NULL) {
		a[n++] = xasprintf("--label=mino.home.project=%s", j->canon);
		if (v->owner != NULL) {
			/* Owned by the container's user (podman 4.3 and 5: o=uid=,gid=). */
			char *colon = strchr(v->owner, ':');

			a[n++] = xasprintf("--opt=o=uid=%.*s,gid=%s", (int)(colon - v->owner), v->owner, colon + 1);
		}
	} else {
		a[n++] = xasprintf("--label=mino.cache.ecosystem=%s", v->eco->name);
		a[n++] = xasprintf("--label=mino.cache.hash=%s", v->hash);
		a[n++] = xasprintf("--label=mino.cache.project=%.8s", shared ? "shared" : j->phash);
		if (!shared)
			a[n++] = xasprintf("--label=mino.cache.project_dir=%s", j->canon);
	}
	a[n++] = xasprintf("--label=mino.%s.created=%lld", v->eco == NULL ? "home" : "cache",
	    (long long)cache_now());
	a[n++] = xstrdup(v->name);
	return a;
}

/* Creates the next volume not known to exist, or finishes. */
static void
cache_create_step(struct cache_job *j)
{
	char **argv;
	struct mino_error *err = NULL;
	int r;

	while (j->next < j->nvols && cache_known(j->vols[j->next].name))
		j->next++;
	if (j->next == j->nvols) {
		cache_finish(j, NULL);
		return;
	}
	argv = cache_create_argv(j, &j->vols[j->next]);
	r = podman_capture((const char *const *)argv, cache_create_cb, j, &err);
	strv_free(argv);
	if (r < 0) {
		cache_finish(j, err);
		mino_error_release(&err);
		return;
	}
	j->inflight = true;
}

/* The volumes exist: their states, last use and superseded generations. */
static void
cache_record_states(struct cache_job *j)
{
	const struct sandbox_spec *spec = j->ctx->spec;
	const char *st;
	json_t *e;

	for (size_t i = 0; i < j->nvols; i++) {
		struct cache_vol *v = &j->vols[i];
		bool xdg_or_home = v->eco == NULL || v->eco == &cache_eco_xdg;

		e = cache_store_ensure(v->name, v->eco == NULL ? "home" : "cache", v->eco ? v->eco->name : NULL,
		    v->hash, j->canon, spec->cache.shared && !xdg_or_home);
		st = json_string_value(json_object_get(e, "state"));
		if (v->state_at_start == NULL)
			v->state_at_start = xstrdup(st != NULL ? st : "building");
		if (v->eco != NULL && (st == NULL || strcmp(st, "complete") != 0))
			cache_store_set(v->name, "state", json_string("building"));
		cache_store_set(v->name, "last_used", json_integer((json_int_t)cache_now()));
		if (v->old != NULL && cache_store_get(v->old) != NULL)
			cache_store_set(v->old, "superseded", json_true());
	}
	cache_store_save_soon();
	for (size_t i = 0; i < j->nvols; i++)
		if (j->vols[i].old != NULL && cache_store_get(j->vols[i].old) != NULL && !cache_inuse(j->vols[i].old))
			cache_remove_unused(j->vols[i].old, "superseded");
}

static void
cache_finish(struct cache_job *j, const struct mino_error *err)
{
	if (err == NULL)
		cache_record_states(j);
	part_prepared(j->ctx, err);
}

/* ---------- hooks ---------- */

static int
cache_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	struct cache_job *j;
	int r;

	if (!ctx->spec->cache.enabled && ctx->spec->cache.no_home) {
		part_prepared(ctx, NULL);
		return 0;
	}
	j = xcalloc(1, sizeof *j);
	j->ctx = ctx;
	j->project = xstrdup(ctx->spec->project_dir);
	j->detect = ctx->spec->cache.enabled;
	j->work.data = j;
	r = uv_queue_work(minod.loop, &j->work, cache_work, cache_after_work);
	if (r < 0) {
		cache_job_free(j);
		return mino_make_error(err, MINO_E_INTERNAL, 0, "uv_queue_work: %s", uv_strerror(r));
	}
	j->inflight = true;
	ctx->state = j;
	return 0;
}

static void
cache_cancel(struct part_ctx *ctx)
{
	struct cache_job *j = ctx->state;

	if (j != NULL)
		j->cancelled = true;
}

static void
cache_unmount(struct cache_job *j)
{
	if (!j->mounted)
		return;
	j->mounted = false;
	for (size_t i = 0; i < j->nvols; i++)
		cache_inuse_drop(j->vols[i].name);
}

static void
cache_undo(struct part_ctx *ctx)
{
	struct cache_job *j = ctx->state;

	if (j != NULL)
		cache_unmount(j);
}


/* Whether the session's own environment (-e, container.env) sets the
 * variable of KEY=VALUE `kv`: then the user's value stays. */
static bool
cache_env_set_by_user(const struct sandbox_spec *spec, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (char **e = spec->env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=')
			return true;
	return false;
}

static int
cache_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err)
{
	struct cache_job *j = ctx->state;

	(void)err;
	if (j == NULL || j->mounted)
		return 0;
	for (size_t i = 0; i < j->nvols; i++) {
		const struct cache_vol *v = &j->vols[i];

		strv_push(&o->args, xasprintf("--volume=%s:%s", v->name, v->dest));
		for (const char *const *e = v->eco ? v->eco->env : NULL; e != NULL && *e != NULL; e++)
			if (!cache_env_set_by_user(ctx->spec, *e))
				strv_push(&o->env, xstrdup(*e));
		cache_inuse_add(v->name);
	}
	j->mounted = true;
	return 0;
}

static void
cache_ended(struct part_ctx *ctx)
{
	struct cache_job *j = ctx->state;
	bool ok = part_exited_ok(ctx);
	const char *st;

	if (j == NULL || !j->mounted)
		return;
	for (size_t i = 0; i < j->nvols; i++) {
		const struct cache_vol *v = &j->vols[i];

		if (cache_store_get(v->name) == NULL)
			continue; /* removed meanwhile (cache clear) */
		st = json_string_value(json_object_get(cache_store_get(v->name), "state"));
		if (ok && v->eco != NULL && st != NULL && strcmp(st, "building") == 0)
			cache_store_set(v->name, "state", json_string("complete"));
		cache_store_set(v->name, "last_used", json_integer((json_int_t)cache_now()));
	}
	cache_unmount(j);
	cache_store_save();
	for (size_t i = 0; i < j->nvols; i++) {
		json_t *e = cache_store_get(j->vols[i].name);

		if (json_is_true(json_object_get(e, "superseded")) && !cache_inuse(j->vols[i].name))
			cache_remove_unused(j->vols[i].name, "superseded");
	}
}

static void
cache_record(struct part_ctx *ctx, json_t *rec)
{
	struct cache_job *j = ctx->state;
	json_t *arr = json_array(), *home = json_null();
	const char *st;

	for (size_t i = 0; j != NULL && !j->inflight && i < j->nvols; i++) {
		const struct cache_vol *v = &j->vols[i];

		if (v->eco == NULL) {
			json_decref(home);
			home = json_pack("{s:s, s:s}", "volume", v->name, "path", v->dest);
			continue;
		}
		st = json_string_value(json_object_get(cache_store_get(v->name), "state"));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s}",
		    "volume", v->name, "ecosystem", v->eco->name, "path", v->dest,
		    "lockfile", v->lockfile, "hash", v->eco == &cache_eco_xdg ? NULL : v->hash,
		    "state", st != NULL ? st : "removed"));
	}
	json_object_set_new(rec, "caches", arr);
	json_object_set_new(rec, "home", home);
}

static void
cache_free(struct part_ctx *ctx)
{
	struct cache_job *j = ctx->state;

	ctx->state = NULL;
	if (j == NULL)
		return;
	cache_unmount(j);
	j->ctx = NULL;
	if (!j->inflight)
		cache_job_free(j);
	/* else the step in flight frees it */
}
