/* cache-store.c: the cache state file minod owns, the volumes its live
 * sandboxes mount, the volumes known to exist, and the clock (cache.h).
 *
 * <state_dir>/caches.json (0600):
 *   {"version": 1, "volumes": {NAME: {...}}, "generations": {BASE: N}}
 * Only the loop thread touches it, so two sessions on one key cannot
 * interleave; each change is written whole (temp + rename). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "fsutil.h"
#include "log.h"
#include "minod.h"
#include "xalloc.h"

#define CACHE_STORE_FILE "caches.json"
#define CACHE_STORE_MAX (16u << 20)

static json_t *cache_store;   /* the whole file; NULL until first use */

struct cache_count {
	char *name;
	unsigned n;
};
static struct cache_count *cache_inuse_set;
static size_t cache_inuse_n;
static char **cache_known_set;
static size_t cache_known_n;

time_t
cache_now(void)
{
	const char *v = getenv("MINOD_DEBUG_NOW");
	char *end;
	long long t;

	if (v != NULL && *v != '\0') {
		errno = 0;
		t = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && t > 0)
			return (time_t)t;
	}
	return time(NULL);
}

long long
cache_gb_bytes(void)
{
	const char *v = getenv("MINOD_DEBUG_CACHE_GB_BYTES");
	char *end;
	long long b;

	if (v != NULL && *v != '\0') {
		errno = 0;
		b = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && b > 0)
			return b;
	}
	return 1000000000LL;
}

static char *
cache_store_path(void)
{
	return xasprintf("%s/%s", minod.state_dir, CACHE_STORE_FILE);
}

static json_t *
cache_store_root(void)
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	struct mino_error *err = NULL;
	json_error_t jerr;
	size_t len;

	if (cache_store != NULL)
		return cache_store;
	path = cache_store_path();
	if (fs_read_file(path, CACHE_STORE_MAX, &data, &len, &err) == 0) {
		cache_store = json_loadb(data, len, 0, &jerr);
		if (cache_store == NULL || !json_is_object(json_object_get(cache_store, "volumes")))
			log_warn("cache state %s is not valid (%s); starting afresh", path,
			    cache_store == NULL ? jerr.text : "no volumes");
	} else {
		if (err->errno_ != ENOENT)
			log_warn("cache state: %s", err->msg);
		mino_error_release(&err);
	}
	if (cache_store == NULL || !json_is_object(json_object_get(cache_store, "volumes"))) {
		json_decref(cache_store);
		cache_store = json_pack("{s:i, s:{}, s:{}}", "version", 1, "volumes", "generations");
	}
	if (!json_is_object(json_object_get(cache_store, "generations")))
		json_object_set_new(cache_store, "generations", json_object());
	return cache_store;
}

json_t *
cache_store_volumes(void)
{
	return json_object_get(cache_store_root(), "volumes");
}

json_t *
cache_store_get(const char *name)
{
	return json_object_get(cache_store_volumes(), name);
}

json_t *
cache_store_ensure(const char *name, const char *kind, const char *eco, const char *hash,
    const char *project_dir, bool shared)
{
	json_t *e = cache_store_get(name);
	json_int_t now = (json_int_t)cache_now();

	if (e != NULL)
		return e;
	e = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s, s:I, s:I}",
	    "kind", kind, "ecosystem", eco, "hash", hash, "project_dir", project_dir,
	    "scope", shared ? "shared" : "project", "state", "miss", "created", now, "last_used", now);
	json_object_set_new(cache_store_volumes(), name, e);
	return e;
}

void
cache_store_set(const char *name, const char *key, json_t *value)
{
	json_t *e = cache_store_get(name);

	if (e == NULL) {
		json_decref(value);
		return;
	}
	json_object_set_new(e, key, value);
}

void
cache_store_forget(const char *name)
{
	json_object_del(cache_store_volumes(), name);
}

unsigned
cache_store_generation(const char *base)
{
	json_t *g = json_object_get(json_object_get(cache_store_root(), "generations"), base);

	return json_is_integer(g) && json_integer_value(g) > 0 ? (unsigned)json_integer_value(g) : 0;
}

void
cache_store_set_generation(const char *base, unsigned gen)
{
	json_object_set_new(json_object_get(cache_store_root(), "generations"), base, json_integer(gen));
}

void
cache_store_save(void)
{
	_cleanup_free_ char *path = cache_store_path(), *text = NULL;
	struct mino_error *err = NULL;

	text = json_dumps(cache_store_root(), JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text == NULL) {
		log_err("cache state: cannot encode");
		return;
	}
	if (fs_write_atomic(path, text, strlen(text), 0600, &err) < 0) {
		log_err("cache state: %s", err->msg);
		mino_error_release(&err);
	}
}

/* Saves on the loop's next turn, coalesced: a session's start then does
 * not wait for the file's two fsyncs; cache_store_stop (shutdown, on the
 * loop) and cache_store_free flush one still due. */
static uv_timer_t cache_store_timer;
static bool cache_store_timer_live, cache_store_due;

static void
cache_store_timer_cb(uv_timer_t *t)
{
	(void)t;
	if (!cache_store_due)
		return;
	cache_store_due = false;
	cache_store_save();
}

void
cache_store_save_soon(void)
{
	if (!cache_store_timer_live) {
		uv_timer_init(minod.loop, &cache_store_timer);
		uv_unref((uv_handle_t *)&cache_store_timer);
		cache_store_timer_live = true;
	}
	if (cache_store_due)
		return;
	cache_store_due = true;
	uv_timer_start(&cache_store_timer, cache_store_timer_cb, 0, 0);
}

void
cache_store_stop(void)
{
	if (cache_store_due && cache_store != NULL) {
		cache_store_due = false;
		cache_store_save();
	}
	if (cache_store_timer_live) {
		cache_store_timer_live = false;
		uv_timer_stop(&cache_store_timer);
		uv_close((uv_handle_t *)&cache_store_timer, NULL);
	}
}

void
cache_store_free(void)
{
	if (cache_store_due && cache_store != NULL) {
		cache_store_due = false;
		cache_store_save();
	}
	json_decref(cache_store);
	cache_store = NULL;
	for (size_t i = 0; i < cache_inuse_n; i++)
		free(cache_inuse_set[i].name);
	free(cache_inuse_set);
	cache_inuse_set = NULL;
	cache_inuse_n = 0;
	for (size_t i = 0; i < cache_known_n; i++)
		free(cache_known_set[i]);
	free(cache_known_set);
	cache_known_set = NULL;
	cache_known_n = 0;
}

/* ---------- in use ---------- */

void
cache_inuse_add(const char *name)
{
	for (size_t i = 0; i < cache_inuse_n; i++)
		if (strcmp(cache_inuse_set[i].name, name) == 0) {
			cache_inuse_set[i].n++;
			return;
		}
	cache_inuse_set = xreallocarray(cache_inuse_set, cache_inuse_n + 1, sizeof *cache_inuse_set);
	cache_inuse_set[cache_inuse_n].name = xstrdup(name);
	cache_inuse_set[cache_inuse_n].n = 1;
	cache_inuse_n++;
}

void
cache_inuse_drop(const char *name)
{
	for (size_t i = 0; i < cache_inuse_n; i++) {
		if (strcmp(cache_inuse_set[i].name, name) != 0)
			continue;
		if (--cache_inuse_set[i].n == 0) {
			free(cache_inuse_set[i].name);
			cache_inuse_set[i] = cache_inuse_set[--cache_inuse_n];
		}
		return;
	}
}

bool
cache_inuse(const char *name)
{
	for (size_t i = 0; i < cache_inuse_n; i++)
		if (strcmp(cache_inuse_set[i].name, name) == 0)
			return true;
	return false;
}

/* ---------- known to exist ---------- */

bool
cache_known(const char *name)
{
	for (size_t i = 0; i < cache_known_n; i++)
		if (strcmp(cache_known_set[i], name) == 0)
			return true;
	return false;
}

void
cache_know(const char *name)
{
	if (cache_known(name))
		return;
	cache_known_set = xreallocarray(cache_known_set, cache_known_n + 1, sizeof *cache_known_set);
	cache_known_set[cache_known_n++] = xstrdup(name);
}

void
cache_unknow(const char *name)
{
	for (size_t i = 0; i < cache_known_n; i++)
		if (strcmp(cache_known_set[i], name) == 0) {
			free(cache_known_set[i]);
			cache_known_set[i] = cache_known_set[--cache_known_n];
			return;
		}
}
