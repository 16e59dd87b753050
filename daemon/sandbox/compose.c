/* compose.c: composed images (compose.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "compose.h"
#include "fsutil.h"
#include "log.h"
#include "mino-protocol.h"
#include "paths.h"
#include "podman.h"
#include "trust.h"
#include "xalloc.h"

struct compose_build;

struct compose_waiter {
	struct compose_build *b;
	struct compose_callbacks cb;
	void *arg;
	LIST_ENTRY(compose_waiter) link;
};

enum compose_phase { COMPOSE_CHECKING, COMPOSE_BUILDING };

struct compose_build {
	char *tag;
	char *containerfile;
	char *ctxdir;                 /* the build context, removed when done */
	struct layer_set files;       /* copies of the layers' files (paths, bytes) */
	enum compose_phase phase;
	bool orphaned;                /* every waiter cancelled: killed, not joinable */
	struct podman_capture *pc;
	LIST_HEAD(, compose_waiter) waiters;
	LIST_ENTRY(compose_build) link;
};

static LIST_HEAD(, compose_build) compose_builds = LIST_HEAD_INITIALIZER(compose_builds);
static unsigned compose_counter;

static void compose_exists_cb(struct podman_result *res, void *arg);
static void compose_build_cb(struct podman_result *res, void *arg);
static void compose_line_cb(const char *line, void *arg);
static void compose_finish(struct compose_build *b, const struct mino_error *err);
static void compose_build_free(struct compose_build *b);

/* ---------- the Containerfile ---------- */

/* "value" with \ " $ escaped: the build passes it literally. */
static void
compose_quote(struct buf *b, const char *s)
{
	buf_append(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"' || *s == '$')
			buf_append(b, "\\", 1);
		buf_append(b, s, 1);
	}
	buf_append(b, "\"", 1);
}

static void
compose_layer_lines(struct buf *b, const struct layer *l, size_t i)
{
	buf_printf(b, "COPY l%zu-%s/ /opt/mino/layers/%s/\n", i, l->name, l->name);
	buf_printf(b, "RUN cd /opt/mino/layers/%s && ./install.sh\n", l->name);
	for (char **e = l->env; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');

		buf_printf(b, "ENV %.*s=", (int)(eq - *e), *e);
		compose_quote(b, eq + 1);
		buf_append(b, "\n", 1);
	}
	if (l->path_prepend != NULL && l->path_prepend[0] != NULL) {
		buf_printf(b, "ENV PATH=\"");
		for (char **d = l->path_prepend; *d != NULL; d++)
			buf_printf(b, "%s:", *d); /* validated: no quote, $ or backslash */
		buf_printf(b, "${PATH}\"\n");
	}
}

static bool
compose_user_ok(const char *u)
{
	return strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") == strlen(u);
}

char *
compose_containerfile(const struct layer_set *ls, const struct compose_base *base)
{
	struct buf b = { 0 };

	buf_printf(&b, "# mino composed image (generated)\nFROM %s\nUSER root\n", base->id);
	for (size_t i = 0; i < ls->n; i++)
		compose_layer_lines(&b, &ls->v[i], i);
	/* The base's user back (USER takes no quotes: only a plain name or
	 * uid[:gid]; anything else would leave root, so no USER line then
	 * would be wrong: the build fails on the bad line instead). */
	if (base->user != NULL && base->user[0] != '\0')
		buf_printf(&b, "USER %s\n", compose_user_ok(base->user) ? base->user : "\"invalid user\"");
	buf_printf(&b, "LABEL mino.composed=\"1\" mino.base.id=\"%s\" mino.base=", base->id);
	compose_quote(&b, base->name);
	buf_printf(&b, " mino.layers=\"");
	for (size_t i = 0; i < ls->n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", ls->v[i].name);
	buf_printf(&b, "\"\n");
	buf_reserve(&b, 1);
	b.data[b.len] = '\0';
	return b.data;
}

char *
compose_tag(const struct layer_set *ls, const struct compose_base *base)
{
	_cleanup_free_ char *cf = compose_containerfile(ls, base);
	struct buf b = { 0 };
	char hex[TRUST_HEX_LEN + 1];

	buf_printf(&b, "mino-compose-1\n%s", cf);
	for (size_t i = 0; i < ls->n; i++)
		buf_printf(&b, "%s %s\n", ls->v[i].name, ls->v[i].sha256);
	trust_sha256_hex(b.data, b.len, hex);
	buf_free(&b);
	hex[24] = '\0';
	return xasprintf(COMPOSE_TAG_PREFIX "%s", hex);
}

/* ---------- the build context ---------- */

static int
compose_write_file(const char *path, const char *data, size_t len, mode_t mode, struct mino_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t off = 0;
	ssize_t n;

	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "creating `%s`", path);
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mino_make_error(err, MINO_E_IO, errno, "writing `%s`", path);
		off += (size_t)n;
	}
	if (fchmod(fd, mode) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "chmod `%s`", path);
	return 0;
}

static int
compose_write_layer(const char *ctx, const struct layer *l, size_t i, struct mino_error **err)
{
	_cleanup_free_ char *top = xasprintf("%s/l%zu-%s", ctx, i, l->name);
	char *p;
	int r = 0;

	if (mkdir(top, 0755) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "creating `%s`", top);
	for (size_t k = 0; k < l->n_files && r == 0; k++) {
		const struct layer_file *f = &l->files[k];
		size_t plen = strlen(f->path);

		p = xasprintf("%s/%.*s", top, (int)(f->path[plen - 1] == '/' ? plen - 1 : plen), f->path);
		if (f->path[plen - 1] == '/')
			r = mkdir(p, 0755) < 0 ? mino_make_error(err, MINO_E_IO, errno, "creating `%s`", p) : 0;
		else
			r = compose_write_file(p, f->data, f->len,
			    f->exec || strcmp(f->path, "install.sh") == 0 ? 0755 : 0644, err);
		free(p);
	}
	return r;
}

/* Removes what compose_write_context made (the paths are known: no walk). */
static void
compose_remove_context(struct compose_build *b)
{
	char *p;

	if (b->ctxdir == NULL)
		return;
	for (size_t i = b->files.n; i-- > 0;) {
		const struct layer *l = &b->files.v[i];

		for (size_t k = l->n_files; k-- > 0;) {
			p = xasprintf("%s/l%zu-%s/%s", b->ctxdir, i, l->name, l->files[k].path);
			if (p[strlen(p) - 1] == '/')
				(void)rmdir(p);
			else
				(void)unlink(p);
			free(p);
		}
		p = xasprintf("%s/l%zu-%s", b->ctxdir, i, l->name);
		(void)rmdir(p);
		free(p);
	}
	p = xasprintf("%s/Containerfile", b->ctxdir);
	(void)unlink(p);
	free(p);
	if (rmdir(b->ctxdir) < 0 && errno != ENOENT)
		log_warn("build context `%s` not removed: %s", b->ctxdir, strerror(errno));
	free(b->ctxdir);
	b->ctxdir = NULL;
}

static int
compose_write_context(struct compose_build *b, struct mino_error **err)
{
	_cleanup_free_ char *rt = NULL;
	_cleanup_free_ char *top = NULL;
	_cleanup_free_ char *cf = NULL;

	if (paths_runtime_dir(&rt, err) < 0)
		return -1;
	top = xasprintf("%s/mino/build", rt);
	if (fs_mkdir_p(top, 0700, 1, err) < 0)
		return -1;
	b->ctxdir = xasprintf("%s/%s.%ld.%u", top, b->tag + strlen(COMPOSE_TAG_PREFIX), (long)getpid(),
	    compose_counter++);
	if (mkdir(b->ctxdir, 0700) < 0) {
		mino_make_error(err, MINO_E_IO, errno, "creating `%s`", b->ctxdir);
		free(b->ctxdir);
		b->ctxdir = NULL;
		return -1;
	}
	cf = xasprintf("%s/Containerfile", b->ctxdir);
	if (compose_write_file(cf, b->containerfile, strlen(b->containerfile), 0644, err) < 0)
		goto fail;
	for (size_t i = 0; i < b->files.n; i++)
		if (compose_write_layer(b->ctxdir, &b->files.v[i], i, err) < 0)
			goto fail;
	return 0;
fail:
	compose_remove_context(b);
	return -1;
}

/* ---------- builds and waiters ---------- */

static void
compose_copy_layers(struct layer_set *dst, const struct layer_set *src)
{
	dst->n = src->n;
	dst->v = xcalloc(src->n ? src->n : 1, sizeof *dst->v);
	for (size_t i = 0; i < src->n; i++) {
		const struct layer *s = &src->v[i];
		struct layer *d = &dst->v[i];

		d->name = xstrdup(s->name);
		d->n_files = s->n_files;
		d->files = xcalloc(s->n_files ? s->n_files : 1, sizeof *d->files);
		for (size_t k = 0; k < s->n_files; k++) {
			d->files[k].path = xstrdup(s->files[k].path);
			d->files[k].exec = s->files[k].exec;
			d->files[k].len = s->files[k].len;
			d->files[k].data = xmalloc(s->files[k].len + 1);
			memcpy(d->files[k].data, s->files[k].data, s->files[k].len + 1);
		}
	}
}

static struct compose_build *
compose_find(const char *tag)
{
	struct compose_build *b;

	LIST_FOREACH(b, &compose_builds, link)
		if (!b->orphaned && strcmp(b->tag, tag) == 0)
			return b;
	return NULL;
}

static struct compose_waiter *
compose_join(struct compose_build *b, const struct compose_callbacks *cb, void *arg)
{
	struct compose_waiter *w = xcalloc(1, sizeof *w);

	w->b = b;
	w->cb = *cb;
	w->arg = arg;
	LIST_INSERT_HEAD(&b->waiters, w, link);
	return w;
}

int
compose_start(const struct layer_set *ls, const struct compose_base *base,
    const struct compose_callbacks *cb, void *arg, struct compose_waiter **out, struct mino_error **err)
{
	_cleanup_free_ char *tag = compose_tag(ls, base);
	struct compose_build *b = compose_find(tag);
	const char *argv[] = { "image", "exists", tag, NULL };

	if (b != NULL) {
		*out = compose_join(b, cb, arg);
		return 0;
	}
	b = xcalloc(1, sizeof *b);
	b->tag = steal_pointer(&tag);
	b->containerfile = compose_containerfile(ls, base);
	LIST_INIT(&b->waiters);
	compose_copy_layers(&b->files, ls);
	b->phase = COMPOSE_CHECKING;
	if (podman_capture_start(argv, compose_exists_cb, b, &b->pc, err) < 0) {
		compose_build_free(b);
		return -1;
	}
	LIST_INSERT_HEAD(&compose_builds, b, link);
	*out = compose_join(b, cb, arg);
	return 0;
}

static void
compose_start_build(struct compose_build *b)
{
	_cleanup_free_ char *cf = NULL;
	_cleanup_free_ char *msg = NULL;
	struct mino_error *err = NULL;

	if (compose_write_context(b, &err) < 0) {
		compose_finish(b, err);
		mino_error_release(&err);
		return;
	}
	cf = xasprintf("%s/Containerfile", b->ctxdir);
	{
		const char *argv[] = { "build", "--layers=false", "--pull=never", "--force-rm", "-f", cf,
			"-t", b->tag, b->ctxdir, NULL };

		if (podman_capture_start(argv, compose_build_cb, b, &b->pc, &err) < 0) {
			compose_finish(b, err);
			mino_error_release(&err);
			return;
		}
	}
	podman_capture_on_line(b->pc, compose_line_cb);
	b->phase = COMPOSE_BUILDING;
	msg = xasprintf("building %s", b->tag);
	compose_line_cb(msg, b);
}

static void
compose_exists_cb(struct podman_result *res, void *arg)
{
	struct compose_build *b = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	b->pc = NULL;
	if (b->orphaned) {
		compose_finish(b, NULL);
		return;
	}
	if (res->exit_status == 0) {
		compose_finish(b, NULL);
		return;
	}
	if (res->exit_status != 1) {
		line = podman_error_line(res);
		mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "podman image exists %s: %s", b->tag,
		    line ? line : "failed");
		compose_finish(b, err);
		mino_error_release(&err);
		return;
	}
	compose_start_build(b);
}

static void
compose_build_cb(struct podman_result *res, void *arg)
{
	struct compose_build *b = arg;
	_cleanup_free_ char *line = NULL;
	struct mino_error *err = NULL;

	b->pc = NULL;
	compose_remove_context(b);
	if (res->exit_status != 0) {
		line = podman_error_line(res);
		mino_make_error(&err, MINO_E_IMAGE_MISSING, 0, "building %s failed: %s", b->tag,
		    line ? line : "podman build failed");
	} else {
		log_info("built %s", b->tag);
	}
	compose_finish(b, err);
	mino_error_release(&err);
}

static void
compose_line_cb(const char *line, void *arg)
{
	struct compose_build *b = arg;
	struct compose_waiter *w, *next;

	for (w = LIST_FIRST(&b->waiters); w != NULL; w = next) {
		next = LIST_NEXT(w, link);
		if (w->cb.on_line != NULL)
			w->cb.on_line(line, w->arg);
	}
}

/* Every waiter hears the result; the build goes. */
static void
compose_finish(struct compose_build *b, const struct mino_error *err)
{
	struct compose_waiter *w;

	LIST_REMOVE(b, link);
	while ((w = LIST_FIRST(&b->waiters)) != NULL) {
		LIST_REMOVE(w, link);
		w->cb.on_done(err == NULL ? b->tag : NULL, err, w->arg);
		free(w);
	}
	compose_build_free(b);
}

void
compose_cancel(struct compose_waiter *w)
{
	struct compose_build *b = w->b;

	LIST_REMOVE(w, link);
	free(w);
	if (!LIST_EMPTY(&b->waiters))
		return;
	b->orphaned = true;
	if (b->pc != NULL)
		podman_capture_kill(b->pc, b->phase == COMPOSE_BUILDING ? SIGTERM : SIGKILL);
}

static void
compose_build_free(struct compose_build *b)
{
	compose_remove_context(b);
	layers_set_free(&b->files);
	free(b->tag);
	free(b->containerfile);
	free(b);
}
