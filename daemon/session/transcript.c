/* transcript.c: a session's output on disk (transcript.h).
 *
 * Writes are batched in memory and reach the file at most once a second
 * (TRANSCRIPT_FLUSH_MS; also when closed and before every read), so a
 * session streaming hundreds of MiB does not pay for writing all of it to
 * disk only to rotate it away: between two flushes at most the last
 * TRANSCRIPT_MAX..2*TRANSCRIPT_MAX bytes are kept, in two buffers swapped
 * without copying.  What is dropped would have been rotated out anyway. */
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

#define TRANSCRIPT_FLUSH_MS 1000
#define TRANSCRIPT_KEEP_CAP (256u * 1024) /* buffer memory kept after a flush */

struct transcript {
	char *path;
	char *path1;
	int fd;
	size_t size;
	int failed;
	struct buf cur;          /* newest unwritten output */
	struct buf prev;         /* the TRANSCRIPT_MAX bytes before `cur`, if it filled */
	uint64_t last_flush;     /* uv_now() */
	struct transcript *next; /* transcript_all */
};

static struct transcript *transcript_all;
static uv_timer_t transcript_timer;
static bool transcript_timer_on;

static void transcript_disk_write(struct transcript *t, const char *data, size_t len);
static void transcript_timer_cb(uv_timer_t *timer);

static int
transcript_open_fd(struct transcript *t, int extra_flags)
{
	struct mino_error *e = NULL;
	struct stat st;

	t->fd = fs_open_regular(t->path, O_WRONLY | O_APPEND | O_CREAT | extra_flags, 0, 0600, &e);
	if (t->fd < 0) {
		log_warn("transcript: %s", e->msg);
		errno = e->errno_ != 0 ? e->errno_ : EIO;
		mino_error_release(&e);
		return -1;
	}
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
	buf_init(&t->cur);
	buf_init(&t->prev);
	t->last_flush = uv_now(minod.loop);
	t->next = transcript_all;
	transcript_all = t;
	if (!transcript_timer_on) {
		uv_timer_init(minod.loop, &transcript_timer);
		uv_timer_start(&transcript_timer, transcript_timer_cb, TRANSCRIPT_FLUSH_MS, TRANSCRIPT_FLUSH_MS);
		uv_unref((uv_handle_t *)&transcript_timer);
		transcript_timer_on = true;
	}
	return t;
}

static void
transcript_timer_cb(uv_timer_t *timer)
{
	struct transcript *t;

	for (t = transcript_all; t != NULL; t = t->next)
		transcript_flush(t);
}

void
transcript_flush(struct transcript *t)
{
	if (t == NULL)
		return;
	t->last_flush = uv_now(minod.loop);
	if (t->prev.len > 0)
		transcript_disk_write(t, t->prev.data, t->prev.len);
	if (t->cur.len > 0)
		transcript_disk_write(t, t->cur.data, t->cur.len);
	t->prev.len = t->cur.len = 0;
	if (t->prev.cap > TRANSCRIPT_KEEP_CAP)
		buf_free(&t->prev);
	if (t->cur.cap > TRANSCRIPT_KEEP_CAP)
		buf_free(&t->cur);
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
	struct buf tmp;

	if (t == NULL || t->failed)
		return;
	if (t->cur.len + len > TRANSCRIPT_MAX && t->cur.len > 0) {
		/* `cur` is full: it becomes `prev`, the older `prev` is dropped */
		tmp = t->prev;
		t->prev = t->cur;
		t->cur = tmp;
		t->cur.len = 0;
	}
	buf_append(&t->cur, data, len);
	if (uv_now(minod.loop) - t->last_flush >= TRANSCRIPT_FLUSH_MS)
		transcript_flush(t);
}

static void
transcript_disk_write(struct transcript *t, const char *data, size_t len)
{
	ssize_t n;

	if (t->failed)
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
	struct transcript **pp;

	if (t == NULL)
		return;
	transcript_flush(t);
	for (pp = &transcript_all; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	buf_free(&t->cur);
	buf_free(&t->prev);
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	free(t->path1);
	free(t);
}

void
transcript_stop_timer(void)
{
	if (!transcript_timer_on)
		return;
	transcript_timer_on = false;
	uv_timer_stop(&transcript_timer);
	uv_close((uv_handle_t *)&transcript_timer, NULL);
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
