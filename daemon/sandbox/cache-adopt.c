/* cache-adopt.c: the caches of sessions that minod re-adopted after a
 * restart (cache.h).  Such a session has no cache part (its prepare ran in
 * the minod that created it); its record says which volumes it mounts
 * ("caches" and "home").  Re-adopted, they count as in use; at its end
 * they are finalized as the part's `ended` does (exit 0: building ->
 * complete; last use now; a superseded generation nobody uses goes), and
 * its later records keep naming them. */
#include <string.h>

#include "cache.h"
#include "log.h"
#include "xalloc.h"

/* session name -> {"caches": [...], "home": {...}|null, "ended": bool} */
static json_t *cache_adopted;

/* Each volume name of an adopted entry: its caches, then its home. */
static size_t
cache_adopt_names(const json_t *entry, const char **names, size_t max)
{
	const json_t *caches = json_object_get(entry, "caches"), *c;
	const char *home = json_string_value(json_object_get(json_object_get(entry, "home"), "volume"));
	size_t i, n = 0;

	json_array_foreach(caches, i, c) {
		const char *v = json_string_value(json_object_get(c, "volume"));

		if (v != NULL && n < max)
			names[n++] = v;
	}
	if (home != NULL && n < max)
		names[n++] = home;
	return n;
}

void
cache_adopt(const char *session, const json_t *rec)
{
	json_t *caches = json_object_get(rec, "caches"), *home = json_object_get(rec, "home"), *entry;
	const char *names[64];
	size_t n;

	if (json_array_size(caches) == 0 && !json_is_object(home))
		return;
	if (cache_adopted == NULL)
		cache_adopted = json_object();
	if (json_object_get(cache_adopted, session) != NULL)
		return;
	entry = json_pack("{s:o, s:o, s:b}", "caches", json_is_array(caches) ? json_deep_copy(caches) : json_array(),
	    "home", json_is_object(home) ? json_deep_copy(home) : json_null(), "ended", 0);
	json_object_set_new(cache_adopted, session, entry);
	n = cache_adopt_names(entry, names, 64);
	for (size_t i = 0; i < n; i++)
		cache_inuse_add(names[i]);
	log_info("session %s: re-adopted with %zu cache volumes", session, n);
}

void
cache_adopted_ended(const char *session, bool ok)
{
	json_t *entry = json_object_get(cache_adopted, session), *c, *e;
	const char *names[64], *st;
	size_t i, n;

	if (entry == NULL || json_is_true(json_object_get(entry, "ended")))
		return;
	json_object_set_new(entry, "ended", json_true());
	json_array_foreach(json_object_get(entry, "caches"), i, c) {
		const char *v = json_string_value(json_object_get(c, "volume"));

		if (v == NULL || (e = cache_store_get(v)) == NULL)
			continue; /* removed meanwhile (cache clear) */
		st = json_string_value(json_object_get(e, "state"));
		if (ok && st != NULL && strcmp(st, "building") == 0)
			cache_store_set(v, "state", json_string("complete"));
	}
	n = cache_adopt_names(entry, names, 64);
	for (i = 0; i < n; i++) {
		if (cache_store_get(names[i]) != NULL)
			cache_store_set(names[i], "last_used", json_integer((json_int_t)cache_now()));
		cache_inuse_drop(names[i]);
	}
	cache_store_save();
	for (i = 0; i < n; i++) {
		e = cache_store_get(names[i]);
		if (json_is_true(json_object_get(e, "superseded")) && !cache_inuse(names[i]))
			cache_remove_unused(names[i], "superseded");
	}
	log_info("session %s: caches finalized after re-adoption (%s)", session, ok ? "exit 0" : "not exit 0");
}

void
cache_adopted_record(const char *session, json_t *rec)
{
	json_t *entry = json_object_get(cache_adopted, session), *caches, *c, *copy;
	const char *st;
	size_t i;

	if (entry == NULL)
		return;
	caches = json_array();
	json_array_foreach(json_object_get(entry, "caches"), i, c) {
		copy = json_deep_copy(c);
		st = json_string_value(json_object_get(cache_store_get(json_string_value(json_object_get(c, "volume"))),
		    "state"));
		json_object_set_new(copy, "state", json_string(st != NULL ? st : "removed"));
		json_array_append_new(caches, copy);
	}
	json_object_set_new(rec, "caches", caches);
	json_object_set(rec, "home", json_object_get(entry, "home"));
}

void
cache_adopted_free(void)
{
	json_decref(cache_adopted);
	cache_adopted = NULL;
}
