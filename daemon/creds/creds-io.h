/* creds-io.h: what every mint (aws.c, gcp.c, azure.c) holds the same way:
 * the loop, minod's HTTP client and token cache, its own copy of the
 * client's environment (values may be secrets), the request or child
 * process in flight, and the 0 ms timer that runs its first step from the
 * loop (so on_done never runs inside *_mint_start).
 *
 * creds_io_close cancels whatever is in flight, and once the timer has
 * closed zeroes and frees the environment, then calls `freed` with the
 * owner (which frees the rest). */
#ifndef MINOD_CREDS_IO_H
#define MINOD_CREDS_IO_H

#include <stdbool.h>
#include <uv.h>

struct http_client;
struct http_req;
struct capture;
struct creds_cache;

struct creds_io {
	uv_loop_t *loop;
	struct http_client *http;
	struct creds_cache *cache;   /* optional */
	bool fresh;                  /* skip the cache lookup, still store */
	char **env;                  /* "K=V", NULL-terminated, owned */
	struct http_req *req;        /* in flight, or NULL */
	struct capture *cap;         /* in flight, or NULL */
	uv_timer_t kick;             /* data: the owner */
	void (*freed)(void *owner);
};

/* Copies env; kick.data = owner. */
void creds_io_init(struct creds_io *io, uv_loop_t *loop, struct http_client *http, struct creds_cache *cache,
    bool fresh, const char *const *env, void *owner);
/* Runs cb from the loop, at once. */
void creds_io_kick(struct creds_io *io, uv_timer_cb cb);
/* Cancels, closes; freed(owner) follows from the loop. */
void creds_io_close(struct creds_io *io, void (*freed)(void *owner));

#endif
