/* cache.h: dependency caches and per-project home volumes.  Owner: sandbox
 * side (the part, cache.c) and minod (the state file and GC, cache-store.c,
 * cache-gc.c).
 *
 * A project's lockfiles (cache_ecos[], at the project root) give one volume
 * per ecosystem, keyed by sha256(lockfile bytes)[:12]:
 *   mino-cache-<eco>-<sha12>-<project8>   cache.scope = "project" (default)
 *   mino-cache-<eco>-<sha12>              cache.scope = "shared"
 * with "-g<N>" appended for the N-th --cache-fresh generation.  Each is
 * mounted at /cache/<eco>.  XDG_CACHE_HOME is a per-project volume of its
 * own, mino-cache-xdg-<project12>.  A home volume mino-home-<project12> is
 * mounted at the image's `mino.home` label path.
 *
 * Volume labels hold only what never changes (podman 4.3 cannot relabel):
 * mino.cache.ecosystem, .hash, .project (project8 or "shared"),
 * .project_dir, .created; homes mino.home.project.  What changes (state
 * miss -> building -> complete, last use, generation) is in one state file
 * minod owns, <state_dir>/caches.json, written atomically. */
#ifndef MINOD_CACHE_H
#define MINOD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "error.h"

/* ---- detection and names (cache-detect.c; pure, blocking file reads) ---- */

struct cache_eco {
	const char *name;                 /* "npm": also /cache/npm */
	const char *const *lockfiles;     /* in order of preference */
	const char *const *env;           /* KEY=VALUE set when mounted */
};
extern const struct cache_eco cache_ecos[];   /* terminated by name NULL */
extern const struct cache_eco cache_eco_xdg;  /* the per-project XDG cache */

struct cache_lock {
	const struct cache_eco *eco;
	char *lockfile;                   /* basename, owned */
	char sha12[13];
};

/* The lockfiles at the root of `project` (canonical path), one per
 * ecosystem (the first of its lockfiles present, regular files only).
 * Blocking: run off the loop.  *out owned (cache_locks_free). */
int cache_detect(const char *project, struct cache_lock **out, size_t *n, struct mino_error **err);
void cache_locks_free(struct cache_lock *locks, size_t n);
/* Hex sha256 of a canonical project path (65 bytes). */
void cache_project_hash(const char *project, char out[65]);
/* "mino-cache-<eco>-<sha12>[-<project8>][-g<N>]" (gen 0: no suffix). */
char *cache_volume_name(const char *eco, const char *sha12, const char *project8, unsigned gen);
/* "mino-home-<project12>". */
char *cache_home_name(const char *project_hash);
/* Layers' cache paths against the ecosystems' mounts: one error naming
 * both when a path is an ecosystem's /cache/<eco> (never two mounts at one
 * destination), or is not an absolute path without ':' and ','. */
int cache_check_paths(char *const *paths, const struct cache_lock *locks, size_t n, struct mino_error **err);
/* Sizes like podman prints them ("5.12kB", "1.2GB", "0B") in bytes; -1 if not one. */
long long cache_parse_size(const char *text);

/* ---- state file, in-use set, clock (cache-store.c; on the loop) ---- */

/* Now, or MINOD_DEBUG_NOW (epoch seconds) when set: a documented debug
 * switch so tests can age caches without waiting. */
time_t cache_now(void);
/* Bytes per "GB" of cache.max_total_gb: 10^9, or MINOD_DEBUG_CACHE_GB_BYTES. */
long long cache_gb_bytes(void);
/* Entries: name -> {kind: "cache"|"home", ecosystem, hash, project,
 * project_dir, scope, state, created, last_used, superseded}.  Borrowed. */
json_t *cache_store_volumes(void);
json_t *cache_store_get(const char *name);
/* Adds an entry (state "miss") if absent; returns it (borrowed). */
json_t *cache_store_ensure(const char *name, const char *kind, const char *eco, const char *hash,
    const char *project_dir, bool shared);
void cache_store_set(const char *name, const char *key, json_t *value /* stolen */);
void cache_store_forget(const char *name);
/* The current generation of a base name (0 if none), and a new one. */
unsigned cache_store_generation(const char *base);
void cache_store_set_generation(const char *base, unsigned gen);
/* Writes the file (atomic); errors are logged, never fatal to a session. */
void cache_store_save(void);
/* The same on the loop's next turn (coalesced), off a session's start;
 * cache_store_stop (shutdown, the loop still running) flushes one still
 * due and closes its timer. */
void cache_store_save_soon(void);
void cache_store_stop(void);
void cache_store_free(void);

/* Volumes a live sandbox of this minod mounts (counted). */
void cache_inuse_add(const char *name);
void cache_inuse_drop(const char *name);
bool cache_inuse(const char *name);

/* Volumes known to exist (created or listed), so a create skips podman. */
bool cache_known(const char *name);
void cache_know(const char *name);
void cache_unknow(const char *name);

/* ---- sessions re-adopted after a restart (cache-adopt.c; on the loop) ---- */

/* A live session found at start-up with record `rec`: the volumes of its
 * "caches" and "home" count as in use until cache_adopted_ended. */
void cache_adopt(const char *session, const json_t *rec);
/* Its end, as the part's `ended`: ok (exit 0 by itself) completes its
 * building caches; last use is now.  Once; unknown sessions are ignored. */
void cache_adopted_ended(const char *session, bool ok);
/* Its record's "caches" (with their states now) and "home", for a
 * session that has no parts. */
void cache_adopted_record(const char *session, json_t *rec);
void cache_adopted_free(void);

/* ---- GC and commands (cache-gc.c) ---- */

/* Removes a volume no sandbox of this minod mounts (podman refuses one a
 * container uses), audited `cache.removed` with `reason`; fire and forget. */
void cache_remove_unused(const char *name, const char *reason);
/* Starts the GC timer (now, then hourly) / stops it (shutdown). */
void cache_gc_start(void);
void cache_gc_stop(void);

/* One GC pass: days < 0 means cache.gc_days.  done(result, err, arg):
 * result {removed: [{name, reason, size}], dry_run}, stolen. */
typedef void (*cache_done_cb)(json_t *result, const struct mino_error *err, void *arg);
int cache_gc_run(long long days, bool dry_run, cache_done_cb done, void *arg, struct mino_error **err);
/* Every mino volume with size, state and use: {volumes: [...], total_size, max_total_size}. */
int cache_list(cache_done_cb done, void *arg, struct mino_error **err);
/* Removes what `what` names (CACHE_CLEAR_*), never a volume in use. */
#define CACHE_CLEAR_VOLUMES 0x1
#define CACHE_CLEAR_HOME    0x2
#define CACHE_CLEAR_IMAGES  0x4
int cache_clear(unsigned what, cache_done_cb done, void *arg, struct mino_error **err);

#endif
