/* fsutil.h: small file-system helpers. */
#ifndef MINO_FSUTIL_H
#define MINO_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* mkdir -p; directories it creates get `mode`.  With `private` the last
 * component is checked afterwards: owned by us and no group/other bits. */
int fs_mkdir_p(const char *path, mode_t mode, int private_, struct mino_error **err);

/* Writes a temp file beside `path` (O_CLOEXEC|O_EXCL, `mode`), fsyncs it,
 * renames it over `path`, fsyncs the directory.  Never leaves a torn file
 * or a temp file behind. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct mino_error **err);

/* Reads a whole file of at most `max` bytes; *out NUL-terminated, caller frees. */
int fs_read_file(const char *path, size_t max, char **out, size_t *len, struct mino_error **err);

/* Appends one line with O_APPEND (a single write(2)), creating the file with
 * `mode`. */
int fs_append_line(const char *path, const char *line, size_t len, mode_t mode, struct mino_error **err);

/* Sets FD_CLOEXEC / O_NONBLOCK. */
int fs_set_cloexec(int fd);
int fs_set_nonblock(int fd);

#endif
