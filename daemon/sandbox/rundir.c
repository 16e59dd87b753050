/* rundir.c: a session's run directory (rundir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "mino-protocol.h"
#include "paths.h"
#include "rundir.h"
#include "xalloc.h"

#define RUNDIR_ID_MAX 64

static bool rundir_id_ok(const char *id);
static int rundir_write_file(const char *path, const void *data, size_t len, struct mino_error **err);
static void rundir_empty(const char *dir);

int
rundir_root(char **out, struct mino_error **err)
{
	_cleanup_free_ char *rt = NULL;
	_cleanup_free_ char *top = NULL;
	char *run;

	if (paths_runtime_dir(&rt, err) < 0)
		return mino_error_wrap(err, "run directory");
	top = xasprintf("%s/mino", rt);
	run = xasprintf("%s/run", top);
	if (fs_mkdir_p(top, 0700, 1, err) < 0 || fs_mkdir_p(run, 0700, 1, err) < 0) {
		free(run);
		return mino_error_wrap(err, "run directory");
	}
	*out = run;
	return 0;
}

static bool
rundir_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= RUNDIR_ID_MAX && strspn(id, "0123456789abcdef") == n;
}

int
rundir_create(const char *id, char **out, struct mino_error **err)
{
	_cleanup_free_ char *root = NULL;
	char *dir;

	if (!rundir_id_ok(id))
		return mino_make_error(err, MINO_E_INTERNAL, 0, "invalid session id `%s`", id);
	if (rundir_root(&root, err) < 0)
		return -1;
	dir = xasprintf("%s/%s", root, id);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		mino_make_error(err, MINO_E_IO, errno, "creating `%s`", dir);
		free(dir);
		return -1;
	}
	/* 0755 whatever the umask: the container's own user reads it. */
	if (chmod(dir, 0755) < 0) {
		mino_make_error(err, MINO_E_IO, errno, "chmod `%s`", dir);
		free(dir);
		return -1;
	}
	rundir_empty(dir);
	*out = dir;
	return 0;
}

int
rundir_path(const char *id, char **out, struct mino_error **err)
{
	_cleanup_free_ char *root = NULL;
	struct stat st;
	char *dir;

	if (!rundir_id_ok(id))
		return mino_make_error(err, MINO_E_INTERNAL, 0, "invalid session id `%s`", id);
	if (rundir_root(&root, err) < 0)
		return -1;
	dir = xasprintf("%s/%s", root, id);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mino_make_error(err, MINO_E_IO, errno ? errno : ENOTDIR, "run directory `%s`", dir);
		free(dir);
		return -1;
	}
	*out = dir;
	return 0;
}

/* Temporary file beside `path`, mode 0644 whatever the umask, renamed over it. */
static int
rundir_write_file(const char *path, const void *data, size_t len, struct mino_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	const char *p = data;
	ssize_t n;
	int fd;

	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "creating `%s`", tmp);
	if (fchmod(fd, 0644) < 0)
		goto fail;
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	mino_make_error(err, MINO_E_IO, errno, "writing `%s`", path);
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	return -1;
}

int
rundir_write_env(const char *dir, const char *file, char *const *env, struct mino_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	struct buf b;
	int r;

	buf_init(&b);
	for (; env != NULL && *env != NULL; env++)
		buf_append(&b, *env, strlen(*env) + 1); /* with its NUL */
	r = rundir_write_file(path, b.data ? b.data : "", b.len, err);
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	return r;
}

int
rundir_write(const char *dir, const char *file, const void *data, size_t len, struct mino_error **err)
{
	_cleanup_free_ char *path = NULL;

	if (file[0] == '\0' || file[0] == '.' || strchr(file, '/') != NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "invalid run directory file `%s`", file);
	path = xasprintf("%s/%s", dir, file);
	return rundir_write_file(path, data, len, err);
}

void
rundir_unlink(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("removing `%s`: %s", path, strerror(errno));
}

/* Removes the regular files of `dir` (it holds no directories). */
static void
rundir_empty(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			log_warn("removing `%s/%s`: %s", dir, de->d_name, strerror(errno));
	}
	closedir(d);
}

void
rundir_remove(const char *id)
{
	_cleanup_free_ char *root = NULL;
	_cleanup_free_ char *dir = NULL;
	struct mino_error *err = NULL;
	struct stat st;

	if (!rundir_id_ok(id))
		return;
	if (rundir_root(&root, &err) < 0) {
		log_debug("%s", err->msg);
		mino_error_release(&err);
		return;
	}
	dir = xasprintf("%s/%s", root, id);
	/* A claimed spare's directory is a link to a session's (spare.h):
	 * only the link goes. */
	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (unlink(dir) < 0)
			log_warn("removing `%s`: %s", dir, strerror(errno));
		return;
	}
	rundir_empty(dir);
	if (rmdir(dir) < 0 && errno != ENOENT)
		log_warn("removing `%s`: %s", dir, strerror(errno));
}

void
rundir_sweep(int (*keep)(const char *id))
{
	_cleanup_free_ char *root = NULL;
	struct mino_error *err = NULL;
	struct dirent *de;
	DIR *d;

	if (rundir_root(&root, &err) < 0) {
		log_warn("%s", err->msg);
		mino_error_release(&err);
		return;
	}
	d = opendir(root);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!rundir_id_ok(de->d_name) || keep(de->d_name))
			continue;
		log_info("removing the stale run directory of session id %s", de->d_name);
		rundir_remove(de->d_name);
	}
	closedir(d);
}
