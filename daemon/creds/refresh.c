/* refresh.c: the refresh timer (refresh.h). */
#include <stdlib.h>
#include <string.h>

#include "refresh.h"
#include "xalloc.h"

struct creds_refresh {
	uv_timer_t timer;
	unsigned backoff_ms;
	creds_refresh_fn fire;
	void *data;
};

static void creds_refresh_timer_cb(uv_timer_t *t);
static void creds_refresh_close_cb(uv_handle_t *h);

time_t
creds_refresh_due(time_t now, time_t issued, time_t expires)
{
	time_t life, margin, floor_margin, due;

	if (issued == 0 || issued > now)
		issued = now;
	life = expires - issued;
	if (life <= 0)
		return now;
	margin = life / 5;
	floor_margin = life / 2 < CREDS_REFRESH_MARGIN_MAX ? life / 2 : CREDS_REFRESH_MARGIN_MAX;
	if (margin < floor_margin)
		margin = floor_margin;
	due = expires - margin;
	return due < now ? now : due;
}

struct creds_refresh *
creds_refresh_new(uv_loop_t *loop, creds_refresh_fn fire, void *data)
{
	struct creds_refresh *r = xcalloc(1, sizeof *r);

	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	r->fire = fire;
	r->data = data;
	return r;
}

static void
creds_refresh_timer_cb(uv_timer_t *t)
{
	struct creds_refresh *r = t->data;

	r->fire(r, r->data);
}

time_t
creds_refresh_arm(struct creds_refresh *r, time_t now, time_t issued, time_t expires)
{
	time_t due = creds_refresh_due(now, issued, expires);

	r->backoff_ms = 0;
	uv_timer_start(&r->timer, creds_refresh_timer_cb, (uint64_t)(due - now) * 1000, 0);
	return due;
}

unsigned
creds_refresh_retry(struct creds_refresh *r)
{
	r->backoff_ms = r->backoff_ms == 0 ? CREDS_RETRY_FIRST_MS
	    : r->backoff_ms >= CREDS_RETRY_MAX_MS / 2 ? CREDS_RETRY_MAX_MS : r->backoff_ms * 2;
	uv_timer_start(&r->timer, creds_refresh_timer_cb, r->backoff_ms, 0);
	return r->backoff_ms;
}

bool
creds_refresh_armed(const struct creds_refresh *r)
{
	return uv_is_active((const uv_handle_t *)&r->timer);
}

void
creds_refresh_stop(struct creds_refresh *r)
{
	uv_timer_stop(&r->timer);
}

static void
creds_refresh_close_cb(uv_handle_t *h)
{
	free(h->data);
}

void
creds_refresh_close(struct creds_refresh *r)
{
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, creds_refresh_close_cb);
}

/* ---------- one timer per identity (refresh.h) ---------- */

struct creds_refresh_ident {
	LIST_ENTRY(creds_refresh_ident) link;
	char *key;
	struct creds_refresh *timer;
	TAILQ_HEAD(, creds_refresh_sub) subs;   /* the ones that can mint first */
	unsigned nsubs;
	struct creds_refresh_sub *minting;   /* whose ops->start is in flight */
	time_t due;                          /* what the timer is armed for (0: a retry or idle) */
};

static LIST_HEAD(, creds_refresh_ident) creds_refresh_all = LIST_HEAD_INITIALIZER(creds_refresh_all);

static void creds_refresh_ident_fire(struct creds_refresh *r, void *data);

static struct creds_refresh_ident *
creds_refresh_ident_find(const char *key)
{
	struct creds_refresh_ident *id;

	LIST_FOREACH(id, &creds_refresh_all, link)
		if (strcmp(id->key, key) == 0)
			return id;
	return NULL;
}

void
creds_refresh_join(uv_loop_t *loop, const char *key, struct creds_refresh_sub *sub,
    const struct creds_refresh_sub_ops *ops, void *data, time_t now, time_t expires, bool weak)
{
	struct creds_refresh_ident *id = creds_refresh_ident_find(key);
	time_t due;

	if (sub->ident != NULL)
		creds_refresh_leave(sub);
	if (id == NULL) {
		id = xcalloc(1, sizeof *id);
		id->key = xstrdup(key);
		id->timer = creds_refresh_new(loop, creds_refresh_ident_fire, id);
		TAILQ_INIT(&id->subs);
		LIST_INSERT_HEAD(&creds_refresh_all, id, link);
	}
	sub->ident = id;
	sub->ops = ops;
	sub->data = data;
	if (weak)
		TAILQ_INSERT_TAIL(&id->subs, sub, link);
	else
		TAILQ_INSERT_HEAD(&id->subs, sub, link);
	id->nsubs++;
	if (expires == 0 || id->minting != NULL)
		return;
	due = creds_refresh_due(now, now, expires);
	/* A session with an older token of this identity keeps the sooner time. */
	if (!creds_refresh_armed(id->timer) || id->due == 0 || due < id->due)
		id->due = creds_refresh_arm(id->timer, now, now, expires);
}

static void
creds_refresh_ident_start(struct creds_refresh_ident *id)
{
	struct creds_refresh_sub *sub = TAILQ_FIRST(&id->subs);
	struct mino_error *err = NULL;

	if (sub == NULL || id->minting != NULL)
		return;
	id->minting = sub;
	id->due = 0;
	if (sub->ops->start(sub->data, &err) < 0) {
		creds_refresh_done(sub, NULL, 0, err);
		mino_error_release(&err);
	}
}

static void
creds_refresh_ident_fire(struct creds_refresh *r, void *data)
{
	(void)r;
	creds_refresh_ident_start(data);
}

void
creds_refresh_done(struct creds_refresh_sub *sub, const void *result, time_t expires,
    const struct mino_error *err)
{
	struct creds_refresh_ident *id = sub->ident;
	struct creds_refresh_sub *s;
	struct mino_error *werr = NULL;
	_cleanup_free_ char *first = NULL;
	unsigned delay;
	time_t now = time(NULL);

	if (id == NULL || id->minting != sub)
		return;
	id->minting = NULL;
	if (err == NULL && result != NULL) {
		TAILQ_FOREACH(s, &id->subs, link)
			if (s->ops->deliver(s->data, result, expires, &werr) < 0) {
				if (first == NULL)
					first = xstrdup(werr->msg);
				s->ops->failed(s->data, werr->msg, 0);
				mino_error_release(&werr);
			}
		if (first == NULL) {
			if (expires != 0)
				id->due = creds_refresh_arm(id->timer, now, now, expires);
			return;
		}
	}
	/* One backoff for the identity; every session hears of it. */
	delay = creds_refresh_retry(id->timer);
	if (first == NULL)
		TAILQ_FOREACH(s, &id->subs, link)
			s->ops->failed(s->data, err != NULL ? err->msg : "no token", delay);
}

void
creds_refresh_leave(struct creds_refresh_sub *sub)
{
	struct creds_refresh_ident *id = sub->ident;

	if (id == NULL)
		return;
	TAILQ_REMOVE(&id->subs, sub, link);
	sub->ident = NULL;
	id->nsubs--;
	if (id->minting == sub) {
		id->minting = NULL;
		sub->ops->cancel(sub->data);
		if (id->nsubs > 0) {
			/* The next session re-mints for the others, now. */
			creds_refresh_ident_start(id);
			return;
		}
	}
	if (id->nsubs > 0)
		return;
	LIST_REMOVE(id, link);
	creds_refresh_close(id->timer);
	free(id->key);
	free(id);
}

size_t
creds_refresh_idents(void)
{
	struct creds_refresh_ident *id;
	size_t n = 0;

	LIST_FOREACH(id, &creds_refresh_all, link)
		n++;
	return n;
}

unsigned
creds_refresh_subscribers(const struct creds_refresh_sub *sub)
{
	return sub->ident != NULL ? sub->ident->nsubs : 0;
}

time_t
creds_refresh_due_at(const struct creds_refresh_sub *sub)
{
	return sub->ident != NULL ? sub->ident->due : 0;
}
