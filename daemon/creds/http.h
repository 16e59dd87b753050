/* http.h: asynchronous HTTP(S) requests on a libuv loop, with libcurl's
 * multi-socket API (uv_poll per socket, one uv_timer per client).  Nothing
 * here blocks the loop.  Owner-agnostic: options, a callback, an opaque
 * pointer (the shape of daemon/pty.c).
 *
 * One http_client per loop.  A request's on_done runs exactly once, from
 * the loop, unless the request is cancelled first (then it never runs);
 * after on_done returns the request is freed.  Request headers and bodies
 * may hold secrets: they are copied, and zeroed when freed, as is the
 * response body.  URLs must not hold secrets (they appear in errors).
 * Only http and https, no redirects, no proxy (curl would read minod's
 * own environment for one). */
#ifndef MINOD_CREDS_HTTP_H
#define MINOD_CREDS_HTTP_H

#include <stddef.h>
#include <uv.h>

#include "error.h"

#define HTTP_DEFAULT_TIMEOUT_MS 30000u
#define HTTP_DEFAULT_MAX_RESPONSE (1024u * 1024)

struct http_client;
struct http_req;

struct http_response {
	long status;            /* HTTP status */
	const char *body;       /* NUL-terminated; borrowed for on_done only */
	size_t body_len;
	const char *headers;    /* the raw header block, borrowed likewise */
};

/* err != NULL: the transfer failed (resp is NULL); a non-2xx status is not
 * an error here, the caller judges resp->status. */
typedef void (*http_done_fn)(struct http_req *r, const struct http_response *resp,
    const struct mino_error *err, void *data);

struct http_request_opts {
	const char *method;            /* "GET" or "POST" */
	const char *url;
	const char *const *headers;    /* "Name: value", NULL-terminated, or NULL */
	const char *body;              /* POST body (copied) */
	size_t body_len;
	unsigned timeout_ms;           /* whole transfer; 0 = HTTP_DEFAULT_TIMEOUT_MS */
	const char *ca_bundle;         /* PEM file of trusted CAs; NULL = system store */
	size_t max_response;           /* 0 = HTTP_DEFAULT_MAX_RESPONSE */
	http_done_fn on_done;
	void *data;
};

struct http_client *http_client_new(uv_loop_t *loop, struct mino_error **err);
/* Cancels every request still running (their on_done never runs), closes
 * the handles and frees the client once they are closed; on_closed
 * (optional) runs then.  Not from inside an on_done. */
void http_client_close(struct http_client *c, void (*on_closed)(void *data), void *data);
unsigned http_client_active(const struct http_client *c);

struct http_req *http_request(struct http_client *c, const struct http_request_opts *o,
    struct mino_error **err);
/* Aborts the transfer and frees r; its on_done never runs.  Not for r
 * inside its own on_done. */
void http_req_cancel(struct http_req *r);

/* The value of header `name` (case-insensitive) in a raw header block, or
 * NULL.  Caller frees. */
char *http_header_value(const char *headers, const char *name);

#endif
