/* refresh.h: when to re-mint a token, and a uv_timer that calls the owner
 * back then (so a running session's credential files are rewritten before
 * they expire).  One creds_refresh per identity.
 *
 * Due time: at 80 % of the lifetime, and at least min(5 min, half the
 * lifetime) before expiry.  A failed re-mint is retried with backoff
 * (5 s, doubling, at most 5 min), never later than the margin allows. */
#ifndef MINOD_CREDS_REFRESH_H
#define MINOD_CREDS_REFRESH_H

#include <stdbool.h>
#include <time.h>
#include <uv.h>

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

#endif
