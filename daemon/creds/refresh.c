/* refresh.c: the refresh timer (refresh.h). */
#include <stdlib.h>

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
