/* cache-gc.c: minod's cache GC (a timer at start-up, then hourly), and
 * what `mino cache list|gc|clear` ask of it (cache.h).
 *
 * Every operation first lists mino's volumes (`podman volume ls --format
 * json`: only those with a mino.cache.ecosystem or mino.home.project
 * label) and their sizes (`podman system df -v`, podman's own numbers),
 * all off the loop, then decides, then removes one volume at a time with
 * `podman volume rm NAME` (never -f: podman refuses a volume a container
 * uses, and a volume a sandbox of this minod mounts is never asked for).
 * Each removal is audited `cache.removed` {name, reason, size}. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "audit.h"
#include "cache.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "podman.h"
#include "xalloc.h"

#define CACHE_GC_PERIOD_MS (3600u * 1000u)
#define CACHE_COMPOSED_PREFIX "localhost/mino-composed-"

enum cache_op_kind { CACHE_OP_LIST, CACHE_OP_GC, CACHE_OP_CLEAR };

struct cache_op {
	enum cache_op_kind kind;
	long long days;
	bool dry_run;
	unsigned what;
	cache_done_cb done;
	void *arg;
	long long started;   /* cache_now() when it listed */
	json_t *vols;        /* [{name, kind, labels...}] from volume ls */
	json_t *sizes;       /* name -> bytes */
	json_t *plan;        /* [{name, reason, size}] */
	json_t *removed;
	json_t *failed;
	json_t *in_use;      /* names podman would not remove: a container uses them */
	json_t *images;      /* composed image names to remove */
	size_t next;
};

static uv_timer_t cache_gc_timer;
static bool cache_gc_timer_on, cache_gc_running;

static void cache_op_sizes(struct cache_op *op);
static void cache_op_decide(struct cache_op *op);
static void cache_op_remove_next(struct cache_op *op);

static void
cache_op_free(struct cache_op *op)
{
	json_decref(op->vols);
	json_decref(op->sizes);
	json_decref(op->plan);
	json_decref(op->removed);
	json_decref(op->failed);
	json_decref(op->in_use);
	json_decref(op->images);
	free(op);
}

static void
cache_op_fail(struct cache_op *op, const char *what, struct podman_result *res)
{
	_cleanup_free_ char *line = res ? podman_error_line(res) : NULL;
	struct mino_error *err = NULL;

	mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman %s: %s", what, line ? line : "failed");
	op->done(NULL, err, op->arg);
	mino_error_release(&err);
	cache_op_free(op);
}

static int
cache_op_capture(struct cache_op *op, const char *const *argv, podman_done_cb cb, struct mino_error **err)
{
	return podman_capture(argv, cb, op, err);
}

/* ---------- listing ---------- */

static const char *
cache_label(const json_t *vol, const char *key)
{
	return json_string_value(json_object_get(json_object_get(vol, "Labels"), key));
}

static void
cache_op_ls_cb(struct podman_result *res, void *arg)
{
	struct cache_op *op = arg;
	json_t *all, *v;
	json_error_t jerr;
	size_t i;

	if (res->exit_status != 0) {
		cache_op_fail(op, "volume ls", res);
		return;
	}
	all = res->out.len > 0 ? json_loadb(res->out.data, res->out.len, 0, &jerr) : json_array();
	op->vols = json_array();
	json_array_foreach(all, i, v) {
		const char *name = json_string_value(json_object_get(v, "Name"));

		if (name == NULL)
			continue;
		if (cache_label(v, "mino.cache.ecosystem") != NULL && strncmp(name, "mino-cache-", 11) == 0)
			json_array_append(op->vols, v);
		else if (cache_label(v, "mino.home.project") != NULL && strncmp(name, "mino-home-", 10) == 0)
			json_array_append(op->vols, v);
	}
	json_decref(all);
	cache_op_sizes(op);
}

/* `podman system df -v`: the "Local Volumes space usage" table, NAME LINKS SIZE. */
static void
cache_op_df_cb(struct podman_result *res, void *arg)
{
	struct cache_op *op = arg;
	char *save = NULL, *line, name[256], size[64];
	bool in_volumes = false;
	unsigned links;
	long long bytes;

	if (res->exit_status != 0) {
		cache_op_fail(op, "system df -v", res);
		return;
	}
	op->sizes = json_object();
	for (line = res->out.data ? strtok_r(res->out.data, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Local Volumes space usage", 25) == 0) {
			in_volumes = true;
			continue;
		}
		if (!in_volumes || sscanf(line, "%255s %u %63s", name, &links, size) != 3)
			continue;
		bytes = cache_parse_size(size);
		if (bytes >= 0)
			json_object_set_new(op->sizes, name, json_integer(bytes));
	}
	cache_op_decide(op);
}

static void
cache_op_sizes(struct cache_op *op)
{
	const char *argv[] = { "system", "df", "-v", NULL };
	struct mino_error *err = NULL;

	if (json_array_size(op->vols) == 0) {
		op->sizes = json_object();
		cache_op_decide(op);
		return;
	}
	if (cache_op_capture(op, argv, cache_op_df_cb, &err) < 0) {
		op->done(NULL, err, op->arg);
		mino_error_release(&err);
		cache_op_free(op);
	}
}

static int
cache_op_start(struct cache_op *op, struct mino_error **err)
{
	const char *argv[] = { "volume", "ls", "--format", "json", NULL };

	op->started = (long long)cache_now();
	op->plan = json_array();
	op->removed = json_array();
	op->failed = json_array();
	op->in_use = json_array();
	op->images = json_array();
	if (cache_op_capture(op, argv, cache_op_ls_cb, err) < 0) {
		cache_op_free(op);
		return -1;
	}
	return 0;
}

/* One volume as `cache list` shows it: labels, state file and size. */
static json_t *
cache_op_entry(struct cache_op *op, const json_t *v)
{
	const char *name = json_string_value(json_object_get(v, "Name"));
	json_t *st = cache_store_get(name);
	bool home = cache_label(v, "mino.home.project") != NULL;
	const char *project = cache_label(v, "mino.cache.project");
	json_t *size = json_object_get(op->sizes, name);
	json_t *last = json_object_get(st, "last_used");
	const char *created = cache_label(v, home ? "mino.home.created" : "mino.cache.created");

	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:O, s:I, s:O, s:b, s:b}",
	    "name", name,
	    "kind", home ? "home" : "cache",
	    "ecosystem", cache_label(v, "mino.cache.ecosystem"),
	    "hash", cache_label(v, "mino.cache.hash"),
	    "project_dir", home ? cache_label(v, "mino.home.project") : cache_label(v, "mino.cache.project_dir"),
	    "scope", home ? "project" : project != NULL && strcmp(project, "shared") == 0 ? "shared" : "project",
	    "state", home ? "home" : st != NULL && json_string_value(json_object_get(st, "state")) ?
	        json_string_value(json_object_get(st, "state")) : "unknown",
	    "size", size != NULL ? size : json_null(),
	    "created", (json_int_t)(created ? strtoll(created, NULL, 10) : 0),
	    "last_used", last != NULL ? last : json_null(),
	    "in_use", cache_inuse(name),
	    "superseded", json_is_true(json_object_get(st, "superseded")));
}

static json_t *
cache_op_entries(struct cache_op *op, long long *total)
{
	json_t *arr = json_array(), *v;
	size_t i;

	*total = 0;
	json_array_foreach(op->vols, i, v) {
		json_t *e = cache_op_entry(op, v);

		*total += json_integer_value(json_object_get(e, "size"));
		json_array_append_new(arr, e);
	}
	return arr;
}

/* The state file forgets volumes that are gone. */
static void
cache_op_forget_gone(struct cache_op *op)
{
	json_t *vols = cache_store_volumes(), *v, *e;
	const char *name;
	void *tmp;
	size_t i;
	bool found, changed = false;

	json_object_foreach_safe(vols, tmp, name, e) {
		found = false;
		json_array_foreach(op->vols, i, v)
			if (strcmp(json_string_value(json_object_get(v, "Name")), name) == 0)
				found = true;
		/* Not one made or used since the listing began. */
		if (!found && !cache_inuse(name) &&
		    json_integer_value(json_object_get(e, "last_used")) < op->started) {
			json_object_del(vols, name);
			changed = true;
		}
	}
	if (changed)
		cache_store_save();
}

/* ---------- deciding ---------- */

static void
cache_plan_add(struct cache_op *op, const json_t *e, const char *reason)
{
	json_array_append_new(op->plan, json_pack("{s:O, s:s, s:O}", "name", json_object_get(e, "name"),
	    "reason", reason, "size", json_object_get(e, "size")));
}

static bool
cache_planned(const struct cache_op *op, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(op->plan, i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
			return true;
	return false;
}

static long long
cache_last_used(const json_t *e)
{
	json_t *l = json_object_get(e, "last_used");

	return json_is_integer(l) ? json_integer_value(l) : json_integer_value(json_object_get(e, "created"));
}

static int
cache_by_last_use(const void *a, const void *b)
{
	long long x = cache_last_used(*(json_t *const *)a), y = cache_last_used(*(json_t *const *)b);

	return x < y ? -1 : x > y;
}

static bool
cache_project_gone(const char *dir)
{
	struct stat st;

	return dir != NULL && dir[0] == '/' && stat(dir, &st) < 0 && errno == ENOENT;
}

static void
cache_plan_gc(struct cache_op *op, json_t *entries, long long total)
{
	long long days = op->days >= 0 ? op->days : cfg_int(&minod.cfg, "cache.gc_days");
	long long max = cfg_int(&minod.cfg, "cache.max_total_gb") * cache_gb_bytes();
	long long now = (long long)cache_now();
	json_t *e, **lru;
	size_t i, n = 0;

	json_array_foreach(entries, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		bool home = strcmp(json_string_value(json_object_get(e, "kind")), "home") == 0;

		if (cache_inuse(name))
			continue;
		if (home) {
			if (cache_project_gone(json_string_value(json_object_get(e, "project_dir"))))
				cache_plan_add(op, e, "orphaned");
			continue;
		}
		if (json_is_true(json_object_get(e, "superseded")))
			cache_plan_add(op, e, "superseded");
		else if ((days > 0 || op->days == 0) && now - cache_last_used(e) >= days * 86400)
			cache_plan_add(op, e, "age");
	}
	/* Least recently used first while the total is over the limit. */
	lru = xcalloc(json_array_size(entries) + 1, sizeof *lru);
	json_array_foreach(entries, i, e) {
		if (cache_planned(op, json_string_value(json_object_get(e, "name"))))
			total -= json_integer_value(json_object_get(e, "size"));
		else if (strcmp(json_string_value(json_object_get(e, "kind")), "cache") == 0 &&
		    !cache_inuse(json_string_value(json_object_get(e, "name"))))
			lru[n++] = e;
	}
	qsort(lru, n, sizeof *lru, cache_by_last_use);
	for (i = 0; i < n && total > max; i++) {
		cache_plan_add(op, lru[i], "lru");
		total -= json_integer_value(json_object_get(lru[i], "size"));
	}
	free(lru);
}

static void
cache_plan_clear(struct cache_op *op, json_t *entries)
{
	json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		bool home = strcmp(json_string_value(json_object_get(e, "kind")), "home") == 0;

		if (cache_inuse(json_string_value(json_object_get(e, "name"))))
			continue;
		if ((home && (op->what & CACHE_CLEAR_HOME)) || (!home && (op->what & CACHE_CLEAR_VOLUMES)))
			cache_plan_add(op, e, "cleared");
	}
}

static void
cache_op_images_cb(struct podman_result *res, void *arg)
{
	struct cache_op *op = arg;
	char *save = NULL, *line;

	if (res->exit_status != 0) {
		cache_op_fail(op, "images", res);
		return;
	}
	/* Only mino's composed images, by name: never an image id, which a
	 * user's own tag may share (rmi NAME only untags it then). */
	for (line = res->out.data ? strtok_r(res->out.data, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, CACHE_COMPOSED_PREFIX, strlen(CACHE_COMPOSED_PREFIX)) == 0)
			json_array_append_new(op->images, json_string(line));
	op->next = 0;
	cache_op_remove_next(op);
}

static void
cache_op_decide(struct cache_op *op)
{
	const char *argv[] = { "images", "--format", "{{.Repository}}:{{.Tag}}", NULL };
	struct mino_error *err = NULL;
	long long total;
	json_t *entries;

	cache_op_forget_gone(op);
	entries = cache_op_entries(op, &total);
	if (op->kind == CACHE_OP_LIST) {
		op->done(json_pack("{s:o, s:I, s:I}", "volumes", entries, "total_size", (json_int_t)total,
		    "max_total_size", (json_int_t)(cfg_int(&minod.cfg, "cache.max_total_gb") * cache_gb_bytes())),
		    NULL, op->arg);
		cache_op_free(op);
		return;
	}
	if (op->kind == CACHE_OP_GC)
		cache_plan_gc(op, entries, total);
	else
		cache_plan_clear(op, entries);
	json_decref(entries);
	op->next = 0;
	if (op->kind == CACHE_OP_CLEAR && (op->what & CACHE_CLEAR_IMAGES)) {
		if (cache_op_capture(op, argv, cache_op_images_cb, &err) < 0) {
			op->done(NULL, err, op->arg);
			mino_error_release(&err);
			cache_op_free(op);
		}
		return;
	}
	cache_op_remove_next(op);
}

/* ---------- removing ---------- */

static void
cache_removed(const char *name, const char *reason, json_t *size)
{
	cache_store_forget(name);
	cache_unknow(name);
	cache_store_save();
	audit_event("cache.removed", json_pack("{s:s, s:s, s:O}", "name", name, "reason", reason,
	    "size", size != NULL ? size : json_null()));
	log_info("cache: removed %s (%s)", name, reason);
}

static void
cache_op_rm_cb(struct podman_result *res, void *arg)
{
	struct cache_op *op = arg;
	json_t *p = json_array_get(op->plan, op->next);
	_cleanup_free_ char *line = NULL;

	if (op->next < json_array_size(op->plan)) {
		if (res->exit_status == 0) {
			cache_removed(json_string_value(json_object_get(p, "name")),
			    json_string_value(json_object_get(p, "reason")), json_object_get(p, "size"));
			json_array_append(op->removed, p);
		} else {
			line = podman_error_line(res);
			log_info("cache: keeping %s: %s", json_string_value(json_object_get(p, "name")),
			    line ? line : "podman volume rm failed");
			/* A container of this user uses it (another minod's session,
			 * a re-adopted one): kept, as a live session's volume is. */
			if (line != NULL && strstr(line, "is being used") != NULL)
				json_array_append(op->in_use, json_object_get(p, "name"));
			else
				json_array_append_new(op->failed, json_pack("{s:O, s:s}", "name",
				    json_object_get(p, "name"), "error", line ? line : "podman volume rm failed"));
		}
	} else {
		p = json_array_get(op->images, op->next - json_array_size(op->plan));
		if (res->exit_status == 0) {
			audit_event("cache.removed", json_pack("{s:O, s:s}", "image", p, "reason", "cleared"));
			json_array_append_new(op->removed, json_pack("{s:O, s:s}", "image", p, "reason", "cleared"));
		} else {
			line = podman_error_line(res);
			json_array_append_new(op->failed, json_pack("{s:O, s:s}", "image", p,
			    "error", line ? line : "podman rmi failed"));
		}
	}
	op->next++;
	cache_op_remove_next(op);
}

static void
cache_op_remove_next(struct cache_op *op)
{
	size_t nplan = json_array_size(op->plan), nimg = json_array_size(op->images);
	const char *argv[] = { "volume", "rm", NULL, NULL };
	struct mino_error *err = NULL;

	if (op->dry_run || op->next >= nplan + nimg) {
		op->done(json_pack("{s:O, s:O, s:O, s:O, s:b}", "removed", op->dry_run ? op->plan : op->removed,
		    "failed", op->failed, "in_use", op->in_use, "images", op->images, "dry_run", op->dry_run),
		    NULL, op->arg);
		cache_op_free(op);
		return;
	}
	if (op->next < nplan) {
		argv[2] = json_string_value(json_object_get(json_array_get(op->plan, op->next), "name"));
	} else {
		argv[0] = "rmi";
		argv[1] = json_string_value(json_array_get(op->images, op->next - nplan));
		argv[2] = NULL;
	}
	if (cache_op_capture(op, argv, cache_op_rm_cb, &err) < 0) {
		op->done(NULL, err, op->arg);
		mino_error_release(&err);
		cache_op_free(op);
	}
}

/* ---------- entry points ---------- */

int
cache_list(cache_done_cb done, void *arg, struct mino_error **err)
{
	struct cache_op *op = xcalloc(1, sizeof *op);

	op->kind = CACHE_OP_LIST;
	op->done = done;
	op->arg = arg;
	return cache_op_start(op, err);
}

int
cache_gc_run(long long days, bool dry_run, cache_done_cb done, void *arg, struct mino_error **err)
{
	struct cache_op *op = xcalloc(1, sizeof *op);

	op->kind = CACHE_OP_GC;
	op->days = days;
	op->dry_run = dry_run;
	op->done = done;
	op->arg = arg;
	return cache_op_start(op, err);
}

int
cache_clear(unsigned what, cache_done_cb done, void *arg, struct mino_error **err)
{
	struct cache_op *op = xcalloc(1, sizeof *op);

	op->kind = CACHE_OP_CLEAR;
	op->what = what;
	op->done = done;
	op->arg = arg;
	return cache_op_start(op, err);
}

struct cache_rm {
	char *name;
	char *reason;
};

static void
cache_rm_cb(struct podman_result *res, void *arg)
{
	struct cache_rm *rm = arg;
	_cleanup_free_ char *line = NULL;

	if (res->exit_status == 0) {
		cache_removed(rm->name, rm->reason, NULL);
	} else {
		line = podman_error_line(res);
		log_info("cache: keeping %s for now: %s", rm->name, line ? line : "podman volume rm failed");
	}
	free(rm->name);
	free(rm->reason);
	free(rm);
}

void
cache_remove_unused(const char *name, const char *reason)
{
	const char *argv[] = { "volume", "rm", name, NULL };
	struct cache_rm *rm;
	struct mino_error *err = NULL;

	if (cache_inuse(name))
		return;
	rm = xcalloc(1, sizeof *rm);
	rm->name = xstrdup(name);
	rm->reason = xstrdup(reason);
	if (podman_capture(argv, cache_rm_cb, rm, &err) < 0) {
		log_warn("cache: %s", err->msg);
		mino_error_release(&err);
		free(rm->name);
		free(rm->reason);
		free(rm);
	}
}

/* ---------- the timer ---------- */

static void
cache_gc_timer_done(json_t *result, const struct mino_error *err, void *arg)
{
	(void)arg;
	cache_gc_running = false;
	if (err != NULL)
		log_warn("cache gc: %s", err->msg);
	else
		log_info("cache gc: %zu removed", json_array_size(json_object_get(result, "removed")));
	json_decref(result);
}

static void
cache_gc_timer_cb(uv_timer_t *t)
{
	struct mino_error *err = NULL;

	(void)t;
	if (cache_gc_running || minod.shutting_down || minod.podman_path == NULL)
		return;
	cache_gc_running = true;
	if (cache_gc_run(-1, false, cache_gc_timer_done, NULL, &err) < 0) {
		cache_gc_running = false;
		log_warn("cache gc: %s", err->msg);
		mino_error_release(&err);
	}
}

void
cache_gc_start(void)
{
	if (cache_gc_timer_on)
		return;
	uv_timer_init(minod.loop, &cache_gc_timer);
	uv_timer_start(&cache_gc_timer, cache_gc_timer_cb, 0, CACHE_GC_PERIOD_MS);
	cache_gc_timer_on = true;
}

void
cache_gc_stop(void)
{
	cache_store_stop();
	if (!cache_gc_timer_on)
		return;
	uv_timer_stop(&cache_gc_timer);
	uv_close((uv_handle_t *)&cache_gc_timer, NULL);
	cache_gc_timer_on = false;
}
