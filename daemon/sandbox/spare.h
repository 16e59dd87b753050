/* spare.h: warm starts.  Owner: sandbox side; knows nothing of sessions.
 *
 * minod keeps created, never-started containers ("spares") ready for the
 * next session whose sandbox settings are the same as an earlier one's
 * (issue 14, target 3).  A spare is made with the same `podman create`
 * arguments a session would get (podman_create_argv with
 * PODMAN_ARGV_SPARE), except what is per session:
 *   - its name is mino-spare-HEX and it carries --label=mino.spare=1 and no
 *     mino.session / mino.id label, so that it is never listed as a session;
 *   - its run directory is a fresh, empty one of its own (rundir.h, id HEX);
 *   - its command is `/run/mino-entry --env /run/mino/env --cmd /run/mino/cmd`:
 *     the command is read from the run directory at start.
 * The key is that argument list with the name and the run directory left
 * out, so it holds the image, the project, the workdir, the tty, the
 * network, the mounts and every part's create options: any change of
 * settings is another key.
 *
 * When a session claims a spare, the spare's (empty) run directory is
 * replaced by a symlink to the session's own run directory before
 * `podman start` (the bind mount is made at start and follows it): the
 * session's environment, command and part files (credentials) go only to
 * the session's directory, never to a spare.  A spare holds no value of
 * any session.
 *
 * Bounds, from minod's environment at start (the spec's configuration
 * table has no key for them): at most MINO_WARM_SPARES spares in all
 * (default SPARE_DEFAULT_MAX = 0: warm starts are off; at most
 * SPARE_LIMIT_MAX) and one per key; each lives at most
 * MINO_WARM_SPARE_SECONDS (default 600).  Off by default because a spare
 * holds its image and volumes in use (`podman rmi` of that image, or the
 * removal of a cache volume, fails while it exists).  Offering a spare for
 * a key drops the spares of the same project with another key (its
 * settings changed).  The GC timer drops old ones; spare_shutdown drops
 * all.  Spares left by a minod that died are removed at the next start
 * (reconcile.c: a container with label mino.spare that no record claims). */
#ifndef MINOD_SPARE_H
#define MINOD_SPARE_H

#include <stdbool.h>
#include <stddef.h>

#define SPARE_LABEL "mino.spare"        /* the label a spare carries */
#define SPARE_PLACEHOLDER "@"           /* name id and run directory in a key */
#define SPARE_GC_MS 1000u
#define SPARE_RENAME_MS 2000u
#define SPARE_ENV_MAX "MINO_WARM_SPARES"
#define SPARE_ENV_AGE "MINO_WARM_SPARE_SECONDS"
#define SPARE_DEFAULT_MAX 0
#define SPARE_LIMIT_MAX 16
#define SPARE_DEFAULT_AGE_S 600

/* Whether warm starts are on (MINO_WARM_SPARES > 0, mino-entry found). */
bool spare_enabled(void);
/* The key of a template made with PODMAN_ARGV_SPARE, the spec's id and the
 * run directory being SPARE_PLACEHOLDER.  Caller frees. */
char *spare_key(char *const *tmpl, size_t *len);
/* A ready spare of this key, taken out of the pool: its container id and
 * the path of its run directory (to be replaced by a link to the
 * session's).  false if none. */
bool spare_claim(const char *key, size_t len, char **id, char **rundir);
/* Asks for a spare of this template's key (no-op if there is one, if the
 * pool is full or off, or minod is stopping).  The template is copied. */
void spare_offer(char *const *tmpl);
/* A claimed spare still running SPARE_RENAME_MS from now takes the
 * session's container name then (`podman rename`, off the client's path:
 * a short command never pays for it); cancelled by spare_rename_cancel
 * (its end) and at shutdown. */
void spare_rename_later(const char *id, const char *name);
void spare_rename_cancel(const char *id);
/* Drops every spare (e.g. before an image or a cache volume is removed). */
void spare_drop_all(void);
/* Starts the GC timer. */
void spare_init(void);
/* minod is stopping: drop every spare, stop the timer. */
void spare_shutdown(void);

/* Counters for daemon/status. */
struct spare_stats {
	unsigned ready, creating;
	unsigned long long created, claimed, dropped;
};
void spare_get_stats(struct spare_stats *st);

#endif
