/* paths.h: where mino keeps things.  Client and daemon use the same
 * functions so they always agree on the socket path. */
#ifndef MINO_PATHS_H
#define MINO_PATHS_H

#include "error.h"

/* $XDG_RUNTIME_DIR if set (must exist, be owned by us and have no group or
 * other bits), else /tmp/mino-UID (created 0700 if missing, then checked the
 * same way; a symlink or a foreign owner is refused).  *out caller frees. */
int paths_runtime_dir(char **out, struct mino_error **err);

/* <runtime dir>/mino.sock; fails with ENAMETOOLONG if it would not fit in
 * sockaddr_un.sun_path. */
int paths_socket(char **out, struct mino_error **err);

/* $XDG_STATE_HOME/mino, else $HOME/.local/state/mino (not created). */
int paths_state_dir(char **out, struct mino_error **err);

/* The global config file: override (-c) if non-NULL, else $MINO_CONFIG,
 * else $XDG_CONFIG_HOME/mino/config.toml, else ~/.config/mino/config.toml. */
int paths_config_file(const char *override, char **out, struct mino_error **err);

/* The first executable regular file `name` in the colon-separated `path`
 * ($PATH; NULL or empty: /usr/local/bin:/usr/bin:/bin).  Only absolute
 * entries count: an empty or relative entry would depend on the current
 * directory, which differs between the client and minod.  Caller frees;
 * NULL if not found. */
char *paths_find_program(const char *name, const char *path);

/* The directory of the running executable (for finding sibling helpers). */
int paths_self_dir(char **out, struct mino_error **err);

#endif
