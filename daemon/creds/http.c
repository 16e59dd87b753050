/* http.c: libcurl multi-socket on libuv (http.h).
 *
 * curl tells us which sockets to watch (http_socket_cb) and when to wake
 * it (http_timer_fn); we tell it what happened (curl_multi_socket_action)
 * and collect finished transfers (http_collect_done).  Socket contexts are
 * freed from their uv_close callback; the client is freed when its timer
 * and every socket context are closed. */
#include <ctype.h>
#include <strings.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <openssl/crypto.h>

#include "http.h"
#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

struct http_client {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	unsigned open_handles;   /* timer + socket contexts not yet closed */
	unsigned active;         /* requests in `reqs` */
	struct http_req *reqs;   /* added to the multi handle, not yet done */
	bool in_dispatch;        /* inside http_collect_done */
	bool closing;
	void (*on_closed)(void *data);
	void *closed_data;
};

struct http_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct http_client *c;
};

struct http_req {
	struct http_client *c;
	struct http_req *prev, *next;
	bool added;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	size_t body_len;
	char *method;
	char *url;
	struct buf resp;
	struct buf resp_headers;
	size_t max_response;
	bool too_large;
	char errbuf[CURL_ERROR_SIZE];
	http_done_fn on_done;
	void *data;
};

static unsigned http_curl_users;

static int http_socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp);
static int http_timer_fn(CURLM *multi, long timeout_ms, void *userp);
static void http_timer_cb(uv_timer_t *t);
static void http_poll_cb(uv_poll_t *p, int status, int events);
static void http_sock_close_cb(uv_handle_t *h);
static void http_client_timer_close_cb(uv_handle_t *h);
static void http_collect_done(struct http_client *c);
static void http_req_free(struct http_req *r);
static void http_req_unlink(struct http_req *r);
static void http_client_finish_close(struct http_client *c);
static void http_handle_closed(struct http_client *c);
static size_t http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
static size_t http_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata);

struct http_client *
http_client_new(uv_loop_t *loop, struct mino_error **err)
{
	struct http_client *c;

	if (http_curl_users++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		http_curl_users--;
		mino_make_error(err, MINO_E_INTERNAL, 0, "curl_global_init failed");
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->loop = loop;
	c->multi = curl_multi_init();
	if (c->multi == NULL) {
		free(c);
		if (--http_curl_users == 0)
			curl_global_cleanup();
		mino_make_error(err, MINO_E_INTERNAL, 0, "curl_multi_init failed");
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, http_timer_fn);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 1;
	return c;
}

unsigned
http_client_active(const struct http_client *c)
{
	return c->active;
}

/* curl: start, change or stop watching socket s. */
static int
http_socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_client *c = userp;
	struct http_sock *hs = socketp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			if (!c->closing)
				curl_multi_assign(c->multi, s, NULL);
			uv_poll_stop(&hs->poll);
			uv_close((uv_handle_t *)&hs->poll, http_sock_close_cb);
		}
		return 0;
	}
	if (hs == NULL) {
		hs = xcalloc(1, sizeof *hs);
		hs->fd = s;
		hs->c = c;
		if (uv_poll_init_socket(c->loop, &hs->poll, s) < 0) {
			free(hs);
			return -1;
		}
		hs->poll.data = hs;
		c->open_handles++;
		curl_multi_assign(c->multi, s, hs);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&hs->poll, events, http_poll_cb);
	return 0;
}

static void
http_sock_close_cb(uv_handle_t *h)
{
	struct http_sock *hs = h->data;
	struct http_client *c = hs->c;

	free(hs);
	http_handle_closed(c);
}

/* curl: wake me in timeout_ms (-1: never). */
static int
http_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *c = userp;

	if (c->closing)
		return 0;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, http_timer_cb, (uint64_t)timeout_ms, 0);
	return 0;
}

static void
http_timer_cb(uv_timer_t *t)
{
	struct http_client *c = t->data;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_collect_done(c);
}

static void
http_poll_cb(uv_poll_t *p, int status, int events)
{
	struct http_sock *hs = p->data;
	struct http_client *c = hs->c;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, hs->fd, flags, &running);
	http_collect_done(c);
}

static void
http_report(struct http_req *r, CURLcode code)
{
	struct mino_error *err = NULL;
	struct http_response resp = { 0 };

	if (r->too_large)
		mino_make_error(&err, MINO_E_IO, 0, "%s %s: response larger than %zu bytes",
		    r->method, r->url, r->max_response);
	else if (code != CURLE_OK)
		mino_make_error(&err, MINO_E_IO, 0, "%s %s: %s", r->method, r->url,
		    r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(code));
	if (err == NULL) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp.status);
		resp.body = r->resp.data != NULL ? r->resp.data : "";
		resp.body_len = r->resp.len;
		resp.headers = r->resp_headers.data != NULL ? r->resp_headers.data : "";
	}
	r->on_done(r, err == NULL ? &resp : NULL, err, r->data);
	mino_error_release(&err);
}

/* Hands every finished transfer to its owner. */
static void
http_collect_done(struct http_client *c)
{
	CURLMsg *msg;
	int left;

	c->in_dispatch = true;
	while (!c->closing && (msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		struct http_req *r = NULL;
		CURLcode code;

		if (msg->msg != CURLMSG_DONE)
			continue;
		code = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		http_req_unlink(r);
		http_report(r, code);
		http_req_free(r);
	}
	c->in_dispatch = false;
	if (c->closing)
		http_client_finish_close(c);
}

static size_t
http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_req *r = userdata;
	size_t n = size * nmemb;

	if (n > r->max_response - r->resp.len) {
		r->too_large = true;
		return 0;
	}
	secret_buf_append(&r->resp, ptr, n);
	return n;
}

static size_t
http_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_req *r = userdata;
	size_t n = size * nmemb;

	if (n > 65536 - r->resp_headers.len) {
		r->too_large = true;
		return 0;
	}
	secret_buf_append(&r->resp_headers, ptr, n);
	return n;
}

static int
http_req_setup(struct http_req *r, const struct http_request_opts *o, struct mino_error **err)
{
	CURL *e = r->easy;

	curl_easy_setopt(e, CURLOPT_URL, o->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(o->timeout_ms ? o->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	if (o->ca_bundle != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_bundle);
	if (strcmp(o->method, "POST") == 0) {
		r->body = xmalloc(o->body_len + 1);
		if (o->body_len > 0)
			memcpy(r->body, o->body, o->body_len);
		r->body[o->body_len] = '\0';
		r->body_len = o->body_len;
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	} else if (strcmp(o->method, "GET") != 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "http: unsupported method `%s`", o->method);
	/* curl would add "Expect: 100-continue" to large POSTs. */
	r->headers = curl_slist_append(r->headers, "Expect:");
	for (size_t i = 0; o->headers != NULL && o->headers[i] != NULL; i++) {
		struct curl_slist *n = curl_slist_append(r->headers, o->headers[i]);

		if (n == NULL)
			fatal("curl_slist_append: out of memory");
		r->headers = n;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	return 0;
}

struct http_req *
http_request(struct http_client *c, const struct http_request_opts *o, struct mino_error **err)
{
	struct http_req *r;
	CURLMcode mc;

	if (c->closing) {
		mino_make_error(err, MINO_E_SHUTTING_DOWN, 0, "http: client is closing");
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->c = c;
	r->method = xstrdup(o->method);
	r->url = xstrdup(o->url);
	r->max_response = o->max_response ? o->max_response : HTTP_DEFAULT_MAX_RESPONSE;
	r->on_done = o->on_done;
	r->data = o->data;
	buf_init(&r->resp);
	buf_init(&r->resp_headers);
	r->easy = curl_easy_init();
	if (r->easy == NULL) {
		http_req_free(r);
		mino_make_error(err, MINO_E_INTERNAL, 0, "curl_easy_init failed");
		return NULL;
	}
	if (http_req_setup(r, o, err) < 0) {
		http_req_free(r);
		return NULL;
	}
	mc = curl_multi_add_handle(c->multi, r->easy);
	if (mc != CURLM_OK) {
		http_req_free(r);
		mino_make_error(err, MINO_E_INTERNAL, 0, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
		return NULL;
	}
	r->added = true;
	r->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = r;
	c->reqs = r;
	c->active++;
	return r;
}

static void
http_zero_slist(struct curl_slist *l)
{
	for (; l != NULL; l = l->next)
		if (l->data != NULL)
			OPENSSL_cleanse(l->data, strlen(l->data));
}

/* Takes r out of the multi handle and the client's list. */
static void
http_req_unlink(struct http_req *r)
{
	struct http_client *c = r->c;

	if (!r->added)
		return;
	curl_multi_remove_handle(c->multi, r->easy);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->added = false;
	c->active--;
}

static void
http_req_free(struct http_req *r)
{
	http_req_unlink(r);
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	http_zero_slist(r->headers);
	curl_slist_free_all(r->headers);
	if (r->body != NULL) {
		OPENSSL_cleanse(r->body, r->body_len);
		free(r->body);
	}
	secret_buf_free(&r->resp);
	secret_buf_free(&r->resp_headers);
	free(r->method);
	free(r->url);
	free(r);
}

void
http_req_cancel(struct http_req *r)
{
	http_req_free(r);
}

static void
http_handle_closed(struct http_client *c)
{
	if (--c->open_handles > 0)
		return;
	if (--http_curl_users == 0)
		curl_global_cleanup();
	if (c->on_closed != NULL)
		c->on_closed(c->closed_data);
	free(c);
}

static void
http_client_timer_close_cb(uv_handle_t *h)
{
	http_handle_closed(h->data);
}

/* Removes the remaining transfers, lets curl drop its sockets (REMOVE
 * callbacks close our polls), then closes the timer. */
static void
http_client_finish_close(struct http_client *c)
{
	while (c->reqs != NULL)
		http_req_free(c->reqs);
	/* Closes the cached connections; curl reports each socket REMOVE. */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, http_client_timer_close_cb);
}

void
http_client_close(struct http_client *c, void (*on_closed)(void *data), void *data)
{
	c->closing = true;
	c->on_closed = on_closed;
	c->closed_data = data;
	if (!c->in_dispatch)
		http_client_finish_close(c);
}

char *
http_header_value(const char *headers, const char *name)
{
	size_t nl = strlen(name);
	const char *p = headers;

	while (p != NULL && *p != '\0') {
		const char *eol = strpbrk(p, "\r\n");
		size_t ll = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (ll > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			const char *end = p + ll;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			return xstrndup(v, (size_t)(end - v));
		}
		if (eol == NULL)
			break;
		p = eol + 1;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	return NULL;
}
