/* transcript.c: a session's output on disk (transcript.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "state.h"
#include "transcript.h"
#include "xalloc.h"

struct transcript {
	char *path;
	char *path1;
	int fd;
	size_t size;
	int failed;
};

static int
transcript_open_fd(struct transcript *t, int extra_flags)
{
	struct stat st;

	t->fd = open(t->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | extra_flags, 0600);
	if (t->fd < 0)
		return -1;
	t->size = fstat(t->fd, &st) == 0 ? (size_t)st.st_size : 0;
	return 0;
}

struct transcript *
transcript_open(const char *name, struct mino_error **err)
{
	struct transcript *t = xcalloc(1, sizeof *t);

	t->path = state_path("logs", name, ".log");
	t->path1 = state_path("logs", name, ".log.1");
	if (transcript_open_fd(t, 0) < 0) {
		mino_make_error(err, MINO_E_IO, errno, "opening `%s`", t->path);
		free(t->path);
		free(t->path1);
		free(t);
		return NULL;
	}
	return t;
}

static void
transcript_fail(struct transcript *t, const char *what)
{
	if (!t->failed)
		log_warn("transcript `%s`: %s: %s", t->path, what, strerror(errno));
	t->failed = 1;
}

static void
transcript_rotate(struct transcript *t)
{
	close(t->fd);
	t->fd = -1;
	if (rename(t->path, t->path1) < 0) {
		transcript_fail(t, "rotate");
		return;
	}
	if (transcript_open_fd(t, O_TRUNC) < 0)
		transcript_fail(t, "reopen");
}

void
transcript_write(struct transcript *t, const char *data, size_t len)
{
	ssize_t n;

	if (t == NULL || t->failed)
		return;
	if (t->size > 0 && t->size + len > TRANSCRIPT_MAX) {
		transcript_rotate(t);
		if (t->failed)
			return;
	}
	while (len > 0) {
		n = write(t->fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			transcript_fail(t, "write");
			return;
		}
		data += n;
		len -= (size_t)n;
		t->size += (size_t)n;
	}
}

void
transcript_close(struct transcript *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	free(t->path1);
	free(t);
}

void
transcript_remove(const char *name)
{
	_cleanup_free_ char *p = state_path("logs", name, ".log");
	_cleanup_free_ char *p1 = state_path("logs", name, ".log.1");

	if (unlink(p) < 0 && errno != ENOENT)
		log_warn("removing `%s`: %s", p, strerror(errno));
	if (unlink(p1) < 0 && errno != ENOENT)
		log_warn("removing `%s`: %s", p1, strerror(errno));
}

static int
transcript_read_into(const char *path, struct buf *b, struct mino_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;

	if (access(path, F_OK) < 0)
		return 0;
	if (fs_read_file(path, TRANSCRIPT_MAX * 2, &data, &len, err) < 0)
		return -1;
	buf_append(b, data, len);
	return 0;
}

int
transcript_tail(const char *name, size_t lines, size_t max, char **out, size_t *len,
    struct mino_error **err)
{
	_cleanup_free_ char *p = state_path("logs", name, ".log");
	_cleanup_free_ char *p1 = state_path("logs", name, ".log.1");
	struct buf b;
	size_t start, seen = 0, i;

	buf_init(&b);
	if (transcript_read_into(p1, &b, err) < 0 || transcript_read_into(p, &b, err) < 0) {
		buf_free(&b);
		return -1;
	}
	start = 0;
	if (lines > 0 && b.len > 0) {
		/* A final line without '\n' counts as a line. */
		i = b.len;
		if (b.data[i - 1] == '\n')
			i--;
		while (i > 0) {
			if (b.data[i - 1] == '\n' && ++seen == lines)
				break;
			i--;
		}
		start = i;
	}
	if (b.len - start > max)
		start = b.len - max;
	buf_consume(&b, start);
	*out = buf_steal(&b, len);
	return 0;
}
