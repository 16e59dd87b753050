/* test-fsutil.c: atomic writes and the other file helpers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "tap.h"
#include "xalloc.h"

static int count_entries(const char *dir);
static void remove_tree(const char *dir);
static void test_hostile_files(const char *dir);
static void test_append_undo(const char *dir);

/* Issue 13 item 5: a FIFO or a symlink where minod expects its own file
 * is refused at once (never blocks, never followed); FS_FOLLOW allows a
 * symlink (the user's own dotfiles), never a FIFO. */
static void
test_hostile_files(const char *dir)
{
	char *fifo = xasprintf("%s/sessions.fifo", dir), *real = xasprintf("%s/real.json", dir);
	char *link = xasprintf("%s/link.json", dir), *data = NULL, buf[32];
	struct mino_error *err = NULL;
	size_t len;

	ok(mkfifo(fifo, 0600) == 0, "mkfifo");
	ok(fs_write_atomic(real, "{}", 2, 0600, &err) == 0 && symlink(real, link) == 0, "a file and a symlink");
	alarm(10); /* a blocking open would hang here */
	ok(fs_read_file(fifo, 100, &data, &len, &err) < 0 && strstr(err->msg, "not a regular file") != NULL,
		"reading a FIFO is refused, not blocked on");
	mino_error_release(&err);
	ok(fs_read_file_flags(fifo, 100, FS_FOLLOW, &data, &len, &err) < 0, "FS_FOLLOW still refuses a FIFO");
	mino_error_release(&err);
	ok(fs_append_line(fifo, "x", 1, 0600, &err) < 0 && strstr(err->msg, "not a regular file") != NULL,
		"appending to a FIFO is refused, not blocked on");
	mino_error_release(&err);
	ok(fs_read_small(fifo, buf, sizeof buf, 0, &err) < 0, "fs_read_small refuses a FIFO");
	mino_error_release(&err);
	ok(fs_read_file(link, 100, &data, &len, &err) < 0 && err->errno_ == ELOOP &&
		strstr(err->msg, "symlink") != NULL, "a symlink is not followed");
	mino_error_release(&err);
	ok(fs_append_line(link, "x", 1, 0600, &err) < 0 && err->errno_ == ELOOP, "no append through a symlink");
	mino_error_release(&err);
	ok(fs_read_file(real, 100, &data, &len, &err) == 0 && strcmp(data, "{}") == 0,
		"the target is untouched");
	free(data);
	ok(fs_read_file_flags(link, 100, FS_FOLLOW, &data, &len, &err) == 0 && strcmp(data, "{}") == 0,
		"FS_FOLLOW reads through a symlink");
	free(data);
	ok(fs_read_small(real, buf, sizeof buf, 0, &err) == 2 && strcmp(buf, "{}") == 0, "fs_read_small");
	ok(fs_read_small(link, buf, sizeof buf, 0, &err) < 0, "fs_read_small refuses a symlink");
	mino_error_release(&err);
	ok(fs_read_file("/dev/null", 100, &data, &len, &err) < 0, "a device is refused");
	mino_error_release(&err);
	alarm(0);
	free(fifo);
	free(real);
	free(link);
}

/* Issue 13 item 4: a write cut short by RLIMIT_FSIZE (as by a full disk)
 * is undone, so the file holds whole lines only. */
static void
test_append_undo(const char *dir)
{
	char *log = xasprintf("%s/audit.log", dir), *data = NULL, line[200];
	struct mino_error *err = NULL;
	struct rlimit old, lim;
	struct stat st;
	size_t len;
	int failed = 0;

	memset(line, 'a', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	signal(SIGXFSZ, SIG_IGN);
	ok(getrlimit(RLIMIT_FSIZE, &old) == 0, "getrlimit");
	ok(fs_append_line(log, "first", 5, 0600, &err) == 0, "a first line");
	lim = old;
	lim.rlim_cur = 100; /* room for part of the next line only */
	ok(setrlimit(RLIMIT_FSIZE, &lim) == 0, "RLIMIT_FSIZE 100");
	if (fs_append_line(log, line, strlen(line), 0600, &err) < 0)
		failed = 1;
	ok(failed && strstr(err->msg, "undone") != NULL, "a short append fails and says it was undone");
	tap_diag("%s", err != NULL ? err->msg : "(no error)");
	mino_error_release(&err);
	ok(stat(log, &st) == 0 && st.st_size == 6, "the file is back at its previous end");
	ok(fs_append_line(log, line, 150, 0600, &err) < 0 && stat(log, &st) == 0 && st.st_size == 6,
		"a second short append is undone too");
	mino_error_release(&err);
	ok(setrlimit(RLIMIT_FSIZE, &old) == 0, "limit restored");
	ok(fs_append_line(log, "next", 4, 0600, &err) == 0, "the next append succeeds");
	ok(fs_read_file(log, 1000, &data, &len, &err) == 0 && strcmp(data, "first\nnext\n") == 0,
		"no torn or glued line");
	free(data);
	signal(SIGXFSZ, SIG_DFL);
	free(log);
}

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

	test_hostile_files(dir);
	test_append_undo(dir);

	fd = open(path, O_RDONLY);
	ok(fs_set_cloexec(fd) == 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "fs_set_cloexec");
	ok(fs_set_nonblock(fd) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "fs_set_nonblock");
	close(fd);
	ok(fs_set_cloexec(-1) == -1, "fs_set_cloexec on a bad fd");

	free(path);
	remove_tree(dir);
	return tap_done();
}
