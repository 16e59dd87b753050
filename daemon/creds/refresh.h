/* refresh.h: when to re-mint a token, and a uv_timer that calls the owner
 * back then (so a running session's credential files are rewritten before
 * they expire).  One creds_refresh per identity, shared by every session
 * that uses it (creds_refresh_join below).
 *
 * Due time: at 80 % of the lifetime, and at least min(5 min, half the
 * lifetime) before expiry.  A failed re-mint is retried with backoff
 * (5 s, doubling, at most 5 min), never later than the margin allows. */
#ifndef MINOD_CREDS_REFRESH_H
#define MINOD_CREDS_REFRESH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <time.h>
#include <uv.h>

#include "error.h"

#define CREDS_REFRESH_MARGIN_MAX 300
#define CREDS_RETRY_FIRST_MS 5000u
#define CREDS_RETRY_MAX_MS 300000u

struct creds_refresh;
typedef void (*creds_refresh_fn)(struct creds_refresh *r, void *data);

/* When a token issued at `issued` (0: now) and expiring at `expires`
 * should be refreshed; never before `now`. */
time_t creds_refresh_due(time_t now, time_t issued, time_t expires);

struct creds_refresh *creds_refresh_new(uv_loop_t *loop, creds_refresh_fn fire, void *data);
/* (Re)arms for a fresh token; resets the backoff.  Returns the due time. */
time_t creds_refresh_arm(struct creds_refresh *r, time_t now, time_t issued, time_t expires);
/* After a failed re-mint: fire again after the next backoff step.
 * Returns the delay in ms. */
unsigned creds_refresh_retry(struct creds_refresh *r);
bool creds_refresh_armed(const struct creds_refresh *r);
void creds_refresh_stop(struct creds_refresh *r);
/* Stops and frees (after the handle closes); fire never runs again. */
void creds_refresh_close(struct creds_refresh *r);

/* ---------- one timer per identity, shared by its sessions ----------
 *
 * Each session's credential part joins the identity's entry (its key:
 * creds_cache_key, no secret) with a creds_refresh_sub.  The entry holds
 * one timer and counts its subscribers; the last to leave closes it.
 * When it fires, the first subscriber starts one re-mint (ops->start);
 * whoever started it reports with creds_refresh_done, and every
 * subscriber gets the result (ops->deliver writes its session's files)
 * or the failure (ops->failed; the retry backoff is shared).  A
 * subscriber that leaves with its mint in flight has it cancelled
 * (ops->cancel) and the next one re-mints at once. */
struct creds_refresh_ident;

struct creds_refresh_sub_ops {
	/* A re-mint for everyone, not from the cache; its end calls
	 * creds_refresh_done.  -1 with err: it could not start. */
	int (*start)(void *data, struct mino_error **err);
	void (*cancel)(void *data);
	/* result is the provider's (borrowed); -1 with err: not written. */
	int (*deliver)(void *data, const void *result, time_t expires, struct mino_error **err);
	void (*failed)(void *data, const char *msg, unsigned retry_ms);
};

struct creds_refresh_sub {
	TAILQ_ENTRY(creds_refresh_sub) link;
	struct creds_refresh_ident *ident;     /* NULL: not joined */
	const struct creds_refresh_sub_ops *ops;
	void *data;
};

/* Joins the entry of `key` (made on first use).  With expires != 0 the
 * timer is armed for that token unless it is already due sooner.  A weak
 * subscriber (a re-adopted session: its source may be gone) re-mints for
 * the others only when no other one is left. */
void creds_refresh_join(uv_loop_t *loop, const char *key, struct creds_refresh_sub *sub,
    const struct creds_refresh_sub_ops *ops, void *data, time_t now, time_t expires, bool weak);
/* Leaves (no-op when not joined); the last subscriber stops the timer. */
void creds_refresh_leave(struct creds_refresh_sub *sub);
/* From the subscriber whose ops->start ran: result (NULL with err). */
void creds_refresh_done(struct creds_refresh_sub *sub, const void *result, time_t expires,
    const struct mino_error *err);
/* For tests and status: identities with a timer, subscribers of one, its due time (0: idle). */
size_t creds_refresh_idents(void);
unsigned creds_refresh_subscribers(const struct creds_refresh_sub *sub);
time_t creds_refresh_due_at(const struct creds_refresh_sub *sub);

#endif
