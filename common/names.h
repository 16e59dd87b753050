/* names.h: validation of user-supplied names and specs, and workdir
 * derivation.  Pure functions, unit-tested. */
#ifndef MINO_NAMES_H
#define MINO_NAMES_H

#include <stdbool.h>

#include "error.h"

#define MINO_NAME_MAX 63

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,62} */
bool name_is_valid(const char *name);
int name_validate(const char *name, struct mino_error **err); /* "invalid session name `x`: ..." */

/* A fresh name "<adjective>-<noun>-<4 hex>"; caller frees. */
char *name_generate(void);

/* Where the project is mounted inside the container.  If `configured` is
 * non-NULL and not "/workspace" (an explicit choice) it is used as is
 * (must be absolute).  Otherwise "/" + basename(project) when that basename
 * is a plain name ([A-Za-z0-9_.-], not "." or "..") and not a reserved
 * top-level directory (bin boot dev etc home lib lib32 lib64 libx32 media mnt
 * opt proc root run sbin srv sys tmp usr var cache workspace); else
 * "/workspace".  Caller frees. */
char *workdir_for_project(const char *project_dir, const char *configured);

/* KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]*; VALUE may be empty and
 * must not contain NUL or newline.  Errors never show the value. */
int env_validate(const char *kv, struct mino_error **err);

/* HOST:CONTAINER[:OPTS]; HOST and CONTAINER absolute, no "..", no ',' ;
 * OPTS a comma list of ro, rw, z, Z.  HOST must exist. */
int volume_validate(const char *spec, struct mino_error **err);
/* The same without looking at the host (the config key table's check). */
bool volume_syntax_is_valid(const char *spec);

/* bridge | host | none */
bool network_is_valid(const char *mode);
int network_validate(const char *mode, struct mino_error **err);

/* An image reference: 1-255 bytes, no leading `-`, no blank or control
 * character.  One rule for session/create's params and the config key. */
#define MINO_IMAGE_MAX 255
bool image_is_valid(const char *image);
int image_validate(const char *image, struct mino_error **err);

/* The part of KEY=VALUE that may be shown: KEY (values are secrets). */
bool env_name_is_valid(const char *name, size_t len);

#endif
