/* parts.c: a sandbox's set of parts and the order of their hooks (parts.h);
 * the table itself is parts-table.c. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mino-protocol.h"
#include "parts.h"
#include "strv.h"
#include "xalloc.h"

struct parts {
	struct part_ctx *ctx;
	size_t n;
	size_t next;              /* the next part to prepare */
	bool preparing, prepared, cancelled, stepping;
	bool exited_ok;               /* parts_set_exit */
	bool resumed;                 /* parts_resume: only parts with `resume` take part */
	struct mino_error *failure;   /* the first part that failed (owned until finished) */
	struct parts_callbacks cb;
	void *owner;
};

static void parts_step(struct parts *p);
static void parts_finish(struct parts *p);

struct parts *
parts_new(const struct part_ops *const *table, const struct sandbox_spec *spec,
    const struct parts_callbacks *cb, void *owner)
{
	struct parts *p = xcalloc(1, sizeof *p);

	while (table[p->n] != NULL)
		p->n++;
	p->ctx = xcalloc(p->n ? p->n : 1, sizeof *p->ctx);
	for (size_t i = 0; i < p->n; i++) {
		p->ctx[i].ops = table[i];
		p->ctx[i].set = p;
		p->ctx[i].spec = spec;
	}
	if (cb != NULL)
		p->cb = *cb;
	p->owner = owner;
	return p;
}

void
parts_free(struct parts *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (p->ctx[i].ops->free != NULL)
			p->ctx[i].ops->free(&p->ctx[i]);
	free(p->ctx);
	free(p);
}

int
parts_prepare(struct parts *p, struct mino_error **err)
{
	if (p->preparing || p->prepared)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "parts already prepared");
	p->preparing = true;
	p->next = 0;
	parts_step(p);
	return 0;
}

bool
parts_preparing(const struct parts *p)
{
	return p->preparing;
}

/* Prepares the next parts until one is asynchronous, one fails, or all
 * are done.  part_prepared called from inside a prepare only records. */
static void
parts_step(struct parts *p)
{
	struct part_ctx *ctx;

	if (p->stepping)
		return;
	p->stepping = true;
	while (p->failure == NULL && p->next < p->n) {
		ctx = &p->ctx[p->next];
		if (p->cancelled) {
			mino_make_error(&p->failure, MINO_E_NOT_RUNNING, 0, "cancelled");
			break;
		}
		if (ctx->ops->prepare == NULL) {
			ctx->st = PART_PREPARED;
			p->next++;
			continue;
		}
		ctx->st = PART_PREPARING;
		if (ctx->ops->prepare(ctx, &p->failure) < 0) {
			ctx->st = PART_FAILED;
			break;
		}
		if (ctx->st == PART_PREPARING) {
			p->stepping = false;
			return; /* part_prepared follows */
		}
	}
	p->stepping = false;
	parts_finish(p);
}

/* The end of a prepare: undo on failure, then tell the owner (who may
 * free the set: nothing here touches it afterwards). */
static void
parts_finish(struct parts *p)
{
	struct mino_error *err = p->failure;

	p->failure = NULL;
	p->preparing = false;
	if (err != NULL)
		parts_undo(p);
	else
		p->prepared = true;
	if (p->cb.on_prepared != NULL)
		p->cb.on_prepared(p, err, p->owner);
	mino_error_release(&err);
}

void
part_prepared(struct part_ctx *ctx, const struct mino_error *err)
{
	struct parts *p = ctx->set;

	if (ctx->st != PART_PREPARING)
		return;
	if (err != NULL) {
		ctx->st = PART_FAILED;
		mino_make_error(&p->failure, err->code, err->errno_, "%s", err->msg);
	} else {
		ctx->st = PART_PREPARED;
		p->next++;
	}
	if (!p->stepping)
		parts_step(p);
}

void
part_progress(struct part_ctx *ctx, const char *message)
{
	struct parts *p = ctx->set;

	if (p->cb.on_progress != NULL)
		p->cb.on_progress(p, ctx->ops->name, message, p->owner);
}

void
part_warn(struct part_ctx *ctx, const char *message)
{
	struct parts *p = ctx->set;

	if (p->cb.on_warning != NULL)
		p->cb.on_warning(p, ctx->ops->name, message, p->owner);
}

void
part_changed(struct part_ctx *ctx)
{
	struct parts *p = ctx->set;

	if (p->cb.on_changed != NULL)
		p->cb.on_changed(p, p->owner);
}

void
part_opts_add_file(struct part_opts *o, const char *name, const char *content)
{
	size_t n = strv_len(o->files);

	o->files = xreallocarray(o->files, n + 3, sizeof *o->files);
	o->files[n] = xstrdup(name);
	o->files[n + 1] = xstrdup(content);
	o->files[n + 2] = NULL;
}

void
parts_cancel(struct parts *p)
{
	struct part_ctx *ctx;

	if (!p->preparing) {
		parts_undo(p);
		return;
	}
	p->cancelled = true;
	ctx = p->next < p->n ? &p->ctx[p->next] : NULL;
	if (ctx != NULL && ctx->st == PART_PREPARING && ctx->ops->cancel != NULL)
		ctx->ops->cancel(ctx);
	/* else: the set stops once the part in flight answers */
}

void
parts_undo(struct parts *p)
{
	struct part_ctx *ctx;

	for (size_t i = p->n; i-- > 0;) {
		ctx = &p->ctx[i];
		if (ctx->st != PART_PREPARED)
			continue;
		ctx->st = PART_UNDONE;
		if (ctx->ops->undo != NULL)
			ctx->ops->undo(ctx);
	}
	p->prepared = false;
}

int
parts_contribute(struct parts *p, struct part_opts *o, struct mino_error **err)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ctx[i].ops->contribute != NULL && p->ctx[i].ops->contribute(&p->ctx[i], o, err) < 0)
			return mino_error_wrap(err, "%s", p->ctx[i].ops->name);
	return 0;
}

bool
parts_want_container(const struct parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ctx[i].ops->before_start != NULL &&
		    (p->ctx[i].ops->wants_container == NULL || p->ctx[i].ops->wants_container(&p->ctx[i])))
			return true;
	return false;
}

int
parts_before_start(struct parts *p, const struct container_info *info, const char *rundir,
    struct mino_error **err)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ctx[i].ops->before_start != NULL &&
		    p->ctx[i].ops->before_start(&p->ctx[i], info, rundir, err) < 0)
			return mino_error_wrap(err, "%s", p->ctx[i].ops->name);
	return 0;
}

void
parts_set_exit(struct parts *p, bool ok)
{
	p->exited_ok = ok;
}

bool
part_exited_ok(const struct part_ctx *ctx)
{
	return ctx->set->exited_ok;
}

void
parts_resume(struct parts *p)
{
	p->resumed = true;
	p->prepared = true;
	for (size_t i = 0; i < p->n; i++)
		if (p->ctx[i].ops->resume != NULL) {
			p->ctx[i].st = PART_PREPARED;
			p->ctx[i].ops->resume(&p->ctx[i]);
		}
}

static bool
parts_takes_part(const struct parts *p, size_t i)
{
	return !p->resumed || p->ctx[i].ops->resume != NULL;
}

void
parts_ended(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ctx[i].ops->ended != NULL && parts_takes_part(p, i))
			p->ctx[i].ops->ended(&p->ctx[i]);
}

void
parts_record(struct parts *p, json_t *rec)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ctx[i].ops->record != NULL && parts_takes_part(p, i))
			p->ctx[i].ops->record(&p->ctx[i], rec);
}

int
parts_call(struct parts *p, const char *part, const char *what, json_t *params, json_t **result,
    struct mino_error **err)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->ctx[i].ops->name, part) != 0)
			continue;
		if (p->ctx[i].ops->call == NULL)
			break;
		return p->ctx[i].ops->call(&p->ctx[i], what, params, result, err);
	}
	return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "no part `%s` that answers `%s`", part, what);
}

void
part_opts_free(struct part_opts *o)
{
	strv_free(o->args);
	if (o->env != NULL)
		for (char **e = o->env; *e != NULL; e++)
			explicit_bzero(*e, strlen(*e));
	strv_free(o->env);
	free(o->image);
	if (o->files != NULL)
		for (char **f = o->files; *f != NULL; f++)
			explicit_bzero(*f, strlen(*f));
	strv_free(o->files);
	memset(o, 0, sizeof *o);
}
