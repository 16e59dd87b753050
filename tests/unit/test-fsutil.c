/* test-fsutil.c: atomic writes and the other file helpers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "tap.h"
#include "xalloc.h"

static int count_entries(const char *dir);
static void remove_tree(const char *dir);

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
remove_tree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	free(cmd);
}

int
main(void)
{
	char tmpl[] = "/tmp/mino-test-fsutil-XXXXXX";
	char *dir = mkdtemp(tmpl), *path, *missing, *data = NULL, *nested, *blocker;
	struct mino_error *err = NULL;
	struct stat st;
	size_t len = 0;
	int fd;

	if (dir == NULL) {
		printf("1..0 # SKIP mkdtemp failed\n");
		return 77;
	}
	umask(022);
	path = xasprintf("%s/state.json", dir);
	ok(fs_write_atomic(path, "{\"a\":1}\n", 8, 0600, &err) == 0 && err == NULL, "fs_write_atomic succeeds");
	ok(fs_read_file(path, 1024, &data, &len, &err) == 0 && len == 8 && strcmp(data, "{\"a\":1}\n") == 0,
		"the file has the content");
	free(data);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "mode 0600");
	ok(count_entries(dir) == 1, "no temp file left behind");
	ok(fs_write_atomic(path, "new", 3, 0640, &err) == 0, "overwrite");
	ok(fs_read_file(path, 1024, &data, &len, &err) == 0 && strcmp(data, "new") == 0 && count_entries(dir) == 1,
		"overwritten in place, still one file");
	free(data);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "mode follows the argument, not the umask");
	ok(fs_write_atomic(path, "", 0, 0600, &err) == 0 && stat(path, &st) == 0 && st.st_size == 0,
		"empty content");

	missing = xasprintf("%s/no/such/dir/file", dir);
	ok(fs_write_atomic(missing, "x", 1, 0600, &err) == -1 && err != NULL && err->errno_ == ENOENT,
		"a missing directory fails with ENOENT");
	mino_error_release(&err);
	ok(count_entries(dir) == 1, "and leaves nothing behind");
	free(missing);

	ok(fs_read_file(path, 0, &data, &len, &err) == 0 && len == 0, "read an empty file with max 0");
	free(data);
	fs_write_atomic(path, "0123456789", 10, 0600, &err);
	ok(fs_read_file(path, 9, &data, &len, &err) == -1 && err->errno_ == EFBIG, "a file over max is refused");
	mino_error_release(&err);
	ok(fs_read_file(path, 10, &data, &len, &err) == 0 && len == 10, "a file of exactly max is read");
	free(data);
	missing = xasprintf("%s/missing", dir);
	ok(fs_read_file(missing, 10, &data, &len, &err) == -1 && err->errno_ == ENOENT, "read a missing file");
	mino_error_release(&err);

	ok(fs_append_line(missing, "one", 3, 0600, &err) == 0 && fs_append_line(missing, "two\n", 4, 0600, &err) == 0,
		"fs_append_line twice");
	ok(fs_read_file(missing, 100, &data, &len, &err) == 0 && strcmp(data, "one\ntwo\n") == 0,
		"lines appended with one newline each");
	free(data);
	ok(stat(missing, &st) == 0 && (st.st_mode & 0777) == 0600, "append creates with the mode");
	free(missing);

	nested = xasprintf("%s/a/b//c/", dir);
	ok(fs_mkdir_p(nested, 0700, 1, &err) == 0, "fs_mkdir_p creates nested private dirs");
	ok(fs_mkdir_p(nested, 0700, 1, &err) == 0, "fs_mkdir_p again is fine");
	free(nested);
	nested = xasprintf("%s/open", dir);
	ok(fs_mkdir_p(nested, 0755, 1, &err) == -1 && strstr(err->msg, "group or others") != NULL,
		"a private dir with group/other bits is refused");
	mino_error_release(&err);
	ok(fs_mkdir_p(nested, 0755, 0, &err) == 0, "without `private` it is fine");
	free(nested);
	blocker = xasprintf("%s/state.json/sub", dir);
	ok(fs_mkdir_p(blocker, 0700, 0, &err) == -1 && err->errno_ == ENOTDIR, "a file in the way");
	mino_error_release(&err);
	free(blocker);

	fd = open(path, O_RDONLY);
	ok(fs_set_cloexec(fd) == 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "fs_set_cloexec");
	ok(fs_set_nonblock(fd) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "fs_set_nonblock");
	close(fd);
	ok(fs_set_cloexec(-1) == -1, "fs_set_cloexec on a bad fd");

	free(path);
	remove_tree(dir);
	return tap_done();
}
