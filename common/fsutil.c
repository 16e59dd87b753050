/* fsutil.c: small file-system helpers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fsutil.h"
#include "error.h"
#include "xalloc.h"

static int fs_mkdir_one(const char *path, mode_t mode, struct mino_error **err);
static int fs_check_private(const char *path, struct mino_error **err);
static int fs_write_all(int fd, const void *data, size_t len);
static int fs_fsync_parent(const char *path, struct mino_error **err);

static int
fs_mkdir_one(const char *path, mode_t mode, struct mino_error **err)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return mino_make_error(err, MINO_E_IO, errno, "mkdir `%s`", path);
	if (stat(path, &st) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "stat `%s`", path);
	if (!S_ISDIR(st.st_mode))
		return mino_make_error(err, MINO_E_IO, ENOTDIR, "mkdir `%s`", path);
	return 0;
}

static int
fs_check_private(const char *path, struct mino_error **err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "lstat `%s`", path);
	if (!S_ISDIR(st.st_mode))
		return mino_make_error(err, MINO_E_PERMISSION, 0, "`%s` is not a directory", path);
	if (st.st_uid != getuid())
		return mino_make_error(err, MINO_E_PERMISSION, 0, "directory `%s` is owned by uid %lu, not by us",
			path, (unsigned long)st.st_uid);
	if ((st.st_mode & 077) != 0)
		return mino_make_error(err, MINO_E_PERMISSION, 0,
			"directory `%s` is accessible by group or others (mode %04o)", path,
			(unsigned)(st.st_mode & 07777));
	return 0;
}

int
fs_mkdir_p(const char *path, mode_t mode, int private_, struct mino_error **err)
{
	_cleanup_free_ char *copy = xstrdup(path);
	size_t len = strlen(copy);

	if (len == 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "mkdir: empty path");
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	for (char *p = copy + 1; *p != '\0'; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		if (fs_mkdir_one(copy, mode, err) < 0)
			return -1;
		*p = '/';
	}
	if (fs_mkdir_one(copy, mode, err) < 0)
		return -1;
	return private_ ? fs_check_private(copy, err) : 0;
}

static int
fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fs_fsync_parent(const char *path, struct mino_error **err)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "open directory `%s`", dir);
	if (fsync(fd) < 0 && errno != EINVAL && errno != ENOTSUP)
		return mino_make_error(err, MINO_E_IO, errno, "fsync directory `%s`", dir);
	return 0;
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct mino_error **err)
{
	static unsigned long counter;
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld.%lu", path, (long)getpid(), ++counter);
	int fd, saved;

	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "create `%s`", tmp);
	if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return mino_make_error(err, MINO_E_IO, saved, "write `%s`", tmp);
	}
	if (close(fd) < 0) {
		saved = errno;
		unlink(tmp);
		return mino_make_error(err, MINO_E_IO, saved, "close `%s`", tmp);
	}
	if (rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		return mino_make_error(err, MINO_E_IO, saved, "rename `%s` to `%s`", tmp, path);
	}
	return fs_fsync_parent(path, err);
}

int
fs_open_regular(const char *path, int oflags, unsigned flags, mode_t mode, struct mino_error **err)
{
	int extra = O_CLOEXEC | O_NONBLOCK | O_NOCTTY | ((flags & FS_FOLLOW) ? 0 : O_NOFOLLOW);
	int fd = open(path, oflags | extra, mode), saved;
	struct stat st;

	if (fd < 0) {
		saved = errno;
		if (saved == ELOOP && !(flags & FS_FOLLOW))
			return mino_make_error(err, MINO_E_IO, ELOOP, "`%s` is a symlink; not following it",
				path);
		if (saved == ENXIO) /* a FIFO without a reader, a socket */
			return mino_make_error(err, MINO_E_IO, 0, "`%s` is not a regular file", path);
		return mino_make_error(err, MINO_E_IO, saved, "open `%s`", path);
	}
	if (fstat(fd, &st) < 0) {
		saved = errno;
		close(fd);
		return mino_make_error(err, MINO_E_IO, saved, "stat `%s`", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return mino_make_error(err, MINO_E_IO, 0, "`%s` is not a regular file", path);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		saved = errno;
		close(fd);
		return mino_make_error(err, MINO_E_IO, saved, "fcntl `%s`", path);
	}
	return fd;
}

int
fs_read_file(const char *path, size_t max, char **out, size_t *len, struct mino_error **err)
{
	return fs_read_file_flags(path, max, 0, out, len, err);
}

int
fs_read_file_flags(const char *path, size_t max, unsigned flags, char **out, size_t *len,
	struct mino_error **err)
{
	_cleanup_close_ int fd = fs_open_regular(path, O_RDONLY, flags, 0, err);

	if (fd < 0)
		return -1;
	return fs_read_fd(fd, path, max, out, len, err);
}

int
fs_read_fd(int fd, const char *path, size_t max, char **out, size_t *len, struct mino_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t used = 0, cap = 0;

	if (max > SIZE_MAX - 2)
		max = SIZE_MAX - 2;
	for (;;) {
		ssize_t n;

		if (cap - used < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > max + 2)
				cap = max + 2;
			data = xrealloc(data, cap);
		}
		if (used + 1 >= cap) /* read one byte past max to detect overflow */
			return mino_make_error(err, MINO_E_IO, EFBIG, "`%s` is larger than %zu bytes", path, max);
		n = read(fd, data + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return mino_make_error(err, MINO_E_IO, errno, "read `%s`", path);
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return mino_make_error(err, MINO_E_IO, EFBIG, "`%s` is larger than %zu bytes", path, max);
	}
	data[used] = '\0';
	*out = steal_pointer(&data);
	if (len != NULL)
		*len = used;
	return 0;
}

ssize_t
fs_read_small(const char *path, char *buf, size_t size, unsigned flags, struct mino_error **err)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (size == 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "read `%s`: no room", path);
	fd = fs_open_regular(path, O_RDONLY, flags, 0, err);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return mino_make_error(err, MINO_E_IO, errno, "read `%s`", path);
	buf[n] = '\0';
	return n;
}

int
fs_append_line(const char *path, const char *line, size_t len, mode_t mode, struct mino_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *data = NULL;
	size_t total = len;
	struct stat st;
	ssize_t n;
	int saved;

	data = xmalloc(len + 1);
	memcpy(data, line, len);
	if (len == 0 || line[len - 1] != '\n')
		data[total++] = '\n';
	fd = fs_open_regular(path, O_WRONLY | O_APPEND | O_CREAT, 0, mode, err);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "stat `%s`", path);
	do
		n = write(fd, data, total);
	while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n == total)
		return 0;
	saved = n < 0 ? errno : 0;
	if (n > 0 && ftruncate(fd, st.st_size) < 0)
		return mino_make_error(err, MINO_E_IO, errno,
			"append to `%s`: short write, and truncating it back failed", path);
	if (n < 0)
		return mino_make_error(err, MINO_E_IO, saved, "append to `%s`", path);
	return mino_make_error(err, MINO_E_IO, saved, "append to `%s`: short write (undone)", path);
}

int
fs_set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -1;
	if (flags & FD_CLOEXEC)
		return 0;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int
fs_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
