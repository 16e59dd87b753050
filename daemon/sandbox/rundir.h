/* rundir.h: a session's run directory, the way values reach a container
 * without passing through podman's command line or stored config.
 * Owner: sandbox side.
 *
 *   $XDG_RUNTIME_DIR/mino/            0700 (minod's, checked private)
 *   $XDG_RUNTIME_DIR/mino/run/        0700
 *   $XDG_RUNTIME_DIR/mino/run/ID/     0755, bind-mounted read-only at /run/mino
 *   .../ID/env, .../ID/exec-N.env     0644, KEY=VALUE\0 records (mino-entry --env)
 *
 * The session directory and its files are readable by all because the
 * image's own non-root user must read them; the 0700 parents keep other
 * host users out.  Files are replaced atomically (write a temporary file,
 * rename), so a part may refresh one while the session runs. */
#ifndef MINOD_RUNDIR_H
#define MINOD_RUNDIR_H

#include <stddef.h>

#include "error.h"

#define RUNDIR_MOUNT "/run/mino"              /* the run directory in the container */
#define RUNDIR_ENTRY "/run/mino-entry"        /* mino-entry in the container */
#define RUNDIR_ENV_FILE "env"                 /* the session's environment */
#define RUNDIR_CMD_FILE "cmd"                 /* a warm start's command, ARG\0 records (spare.h) */

/* $XDG_RUNTIME_DIR/mino/run (parents created 0700 and checked); caller frees. */
int rundir_root(char **out, struct mino_error **err);
/* Creates (or empties) the directory of session `id`; *out its path. */
int rundir_create(const char *id, char **out, struct mino_error **err);
/* The existing directory of session `id` (after a restart); *out its path. */
int rundir_path(const char *id, char **out, struct mino_error **err);
/* Writes KEY=VALUE\0 records of `env` (NULL-terminated, may be NULL) to
 * DIR/FILE atomically, mode 0644. */
int rundir_write_env(const char *dir, const char *file, char *const *env, struct mino_error **err);
/* Writes DATA to DIR/FILE atomically, mode 0644 (a part's file, e.g. a
 * credential that is refreshed while the session runs). */
int rundir_write(const char *dir, const char *file, const void *data, size_t len, struct mino_error **err);
/* Removes DIR/FILE; a missing file is not an error. */
void rundir_unlink(const char *dir, const char *file);
/* Removes the directory of session `id` and every file in it. */
void rundir_remove(const char *id);
/* Removes every session directory whose id `keep` does not claim (reconcile). */
void rundir_sweep(int (*keep)(const char *id));

#endif
