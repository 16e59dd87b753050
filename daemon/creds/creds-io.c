/* creds-io.c: a mint's shared plumbing (creds-io.h). */
#include <stdlib.h>

#include "capture.h"
#include "creds-io.h"
#include "http.h"
#include "secret.h"
#include "xalloc.h"

void
creds_io_init(struct creds_io *io, uv_loop_t *loop, struct http_client *http, struct creds_cache *cache,
    bool fresh, const char *const *env, void *owner)
{
	size_t n = 0;

	io->loop = loop;
	io->http = http;
	io->cache = cache;
	io->fresh = fresh;
	while (env != NULL && env[n] != NULL)
		n++;
	io->env = xcalloc(n + 1, sizeof *io->env);
	for (size_t i = 0; i < n; i++)
		io->env[i] = xstrdup(env[i]);
	uv_timer_init(loop, &io->kick);
	io->kick.data = owner;
}

void
creds_io_kick(struct creds_io *io, uv_timer_cb cb)
{
	uv_timer_start(&io->kick, cb, 0, 0);
}

static void
creds_io_closed_cb(uv_handle_t *h)
{
	struct creds_io *io = (struct creds_io *)((char *)h - offsetof(struct creds_io, kick));

	for (size_t i = 0; io->env != NULL && io->env[i] != NULL; i++)
		secret_free(io->env[i]);
	free(io->env);
	io->env = NULL;
	io->freed(h->data);
}

void
creds_io_close(struct creds_io *io, void (*freed)(void *owner))
{
	if (io->req != NULL)
		http_req_cancel(io->req);
	io->req = NULL;
	if (io->cap != NULL)
		capture_cancel(io->cap);
	io->cap = NULL;
	io->freed = freed;
	uv_timer_stop(&io->kick);
	uv_close((uv_handle_t *)&io->kick, creds_io_closed_cb);
}
