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

/* Flags for the opens below.  By default a file is opened O_NOFOLLOW:
 * minod's own state and runtime files are never symlinks.  The user's own
 * files (~/.aws/config, config.toml) may be, as dotfile managers make them:
 * FS_FOLLOW. */
#define FS_FOLLOW 0x1

/* open(2) with O_CLOEXEC|O_NONBLOCK|O_NOCTTY (and O_NOFOLLOW unless
 * FS_FOLLOW) that succeeds only for a regular file, so a FIFO, a device or
 * a symlink can neither block the caller nor be read through.  Returns the
 * descriptor (blocking again), or -1 with *err: "`PATH` is a symlink ...",
 * "`PATH` is not a regular file", or the errno of open(2) (ENOENT kept). */
int fs_open_regular(const char *path, int oflags, unsigned flags, mode_t mode, struct mino_error **err);

/* Reads a whole regular file of at most `max` bytes (fs_open_regular());
 * *out NUL-terminated, caller frees. */
int fs_read_file(const char *path, size_t max, char **out, size_t *len, struct mino_error **err);
int fs_read_file_flags(const char *path, size_t max, unsigned flags, char **out, size_t *len,
	struct mino_error **err);

/* The rest of an open file, of at most `max` bytes, NUL-terminated, into a
 * new *out (the one read loop: every whole-file read goes through it);
 * `path` names it in errors. */
int fs_read_fd(int fd, const char *path, size_t max, char **out, size_t *len, struct mino_error **err);

/* Reads at most `size - 1` bytes of a small regular file (pid and cid
 * files) into `buf`, NUL-terminated; returns the byte count or -1. */
ssize_t fs_read_small(const char *path, char *buf, size_t size, unsigned flags, struct mino_error **err);

/* Appends one line with O_APPEND (a single write(2)) to a regular file that
 * is not a symlink, creating it with `mode`.  An append that cannot complete
 * (a short write: a full disk, RLIMIT_FSIZE) is undone by truncating the
 * file back to its previous end, so a line is never torn and the next one
 * never glued onto a fragment. */
int fs_append_line(const char *path, const char *line, size_t len, mode_t mode, struct mino_error **err);

/* Sets FD_CLOEXEC / O_NONBLOCK. */
int fs_set_cloexec(int fd);
int fs_set_nonblock(int fd);

#endif
