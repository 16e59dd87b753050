/* envfile.h: environment variables for a session from the client's own
 * environment and from env files, so that secret values never have to be
 * on a command line (/proc/PID/cmdline is readable by every local user).
 *
 * The forms are podman's and docker's:
 *   -e NAME=VALUE   as given;
 *   -e NAME         the client's own NAME, skipped when it is unset;
 *   -e PREFIX*      every variable of the client's whose name starts with
 *                   PREFIX;
 * and an env file (podman run --env-file) has one of these per line;
 * leading white space is dropped, and empty lines and lines starting with
 * `#` are ignored.  The value is everything after the first `=`, as is (no
 * quotes are removed).  Errors name the file, line and variable, never a
 * value (env_validate()). */
#ifndef MINO_ENVFILE_H
#define MINO_ENVFILE_H

#include <stddef.h>

#include "error.h"

#define ENVFILE_MAX (1u << 20)

/* A growing list of "NAME=VALUE" strings; each owned. */
struct envfile_list {
	char **items;
	size_t n;
};

/* Adds what one -e argument means, looking names up in `envp`. */
int envfile_add_arg(struct envfile_list *l, const char *arg, char *const *envp,
	struct mino_error **err);
/* Adds the variables of an env file's text; `origin` names it in errors. */
int envfile_add_text(struct envfile_list *l, const char *origin, const char *data, size_t len,
	char *const *envp, struct mino_error **err);
/* Reads `path` (a regular file, a symlink is fine: it is the user's own,
 * at most ENVFILE_MAX bytes) and adds its variables. */
int envfile_add_file(struct envfile_list *l, const char *path, char *const *envp,
	struct mino_error **err);
void envfile_list_free(struct envfile_list *l);

#endif
