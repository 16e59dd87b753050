/* projectdir.h: which project directories a session may mount read-write.
 *
 * A session can write everything under its project directory.  If that
 * holds mino's own configuration, state or runtime directory, or podman's
 * (~/.config/containers), a sandboxed agent can rewrite the configuration
 * of the next session (volumes, host networking) or the trust store.  So
 * such a directory is refused, and so are `/` and $HOME, unless the user
 * passes --unsafe-project-dir; then those directories are masked inside
 * the container with empty read-only tmpfs mounts.
 *
 * Pure policy: no I/O except projectdir_env_default(); paths are compared
 * as strings, so every path given must be absolute and canonical
 * (realpath) where it exists. */
#ifndef MINO_PROJECTDIR_H
#define MINO_PROJECTDIR_H

#include <stddef.h>

#include "error.h"

enum projectdir_kind {
	PROJECTDIR_CONFIG,        /* mino's config dir (the global config.toml's) */
	PROJECTDIR_STATE,         /* mino's state dir (records, trust store, audit log) */
	PROJECTDIR_RUNTIME,       /* mino's runtime dir (the socket) */
	PROJECTDIR_CONTAINERS,    /* ~/.config/containers (podman's own config) */
	PROJECTDIR_NKINDS,
};

/* The directories the policy protects; any may be NULL (unknown). */
struct projectdir_env {
	char *home;
	char *dirs[PROJECTDIR_NKINDS];
};

/* One mask: an empty read-only tmpfs at `container_path` for the
 * directory `host_path` (which the caller creates, mode 0700, if it is
 * missing, so that the session cannot create it either). */
struct projectdir_mask {
	enum projectdir_kind kind;
	char *host_path;
	char *container_path;
};

/* The environment of this process: $HOME, dirname(paths_config_file(
 * config_override)), paths_state_dir(), paths_runtime_dir(),
 * $XDG_CONFIG_HOME/containers or ~/.config/containers; each canonical when
 * it exists.  Free with projectdir_env_free(). */
int projectdir_env_default(struct projectdir_env *env, const char *config_override,
	struct mino_error **err);
void projectdir_env_free(struct projectdir_env *env);

/* 0 if the canonical `project` may be mounted.  Else -1 and *err
 * (MINO_E_PERMISSION), one line naming the reason and --unsafe-project-dir:
 *   "refusing project directory `/home/u`: it is your home directory, which
 *    holds mino's own configuration; pass --unsafe-project-dir to mount it
 *    anyway"
 * Refused: `/`, $HOME, a directory that contains or is one of env->dirs,
 * and one inside env->dirs. */
int projectdir_check(const char *project, const struct projectdir_env *env,
	struct mino_error **err);

/* With --unsafe-project-dir: the masks for the project mounted at
 * `mount_point` in the container (e.g. "/workspace"): one per env->dirs
 * entry that is, or is inside, `project`, in enum order.  Returns the
 * count; *out (caller frees with projectdir_masks_free) may be NULL when 0. */
size_t projectdir_masks(const char *project, const char *mount_point,
	const struct projectdir_env *env, struct projectdir_mask **out);
void projectdir_masks_free(struct projectdir_mask *masks, size_t n);

/* "mino's config directory", ... for messages. */
const char *projectdir_kind_name(enum projectdir_kind kind);

#endif
