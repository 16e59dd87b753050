/* github.h: the client's GitHub token: GH_TOKEN, then GITHUB_TOKEN from the
 * client's environment, then `gh auth token --hostname HOST` when gh is on
 * the client's PATH.  A token from the environment is found synchronously
 * (on_done still runs from the loop).  No source at all is not an error
 * for a default-on provider: on_done gets tok = NULL and err = NULL. */
#ifndef MINOD_CREDS_GITHUB_H
#define MINOD_CREDS_GITHUB_H

#include <uv.h>

#include "error.h"

struct github_token {
	char *token;   /* secret */
	char *host;
	char *source;  /* "GH_TOKEN", "GITHUB_TOKEN", "gh" */
};

void github_token_clear(struct github_token *t);
void github_token_move(struct github_token *dst, struct github_token *src);

struct github_lookup;
typedef void (*github_done_fn)(struct github_lookup *l, struct github_token *tok, const struct mino_error *err,
    void *data);

struct github_lookup_opts {
	uv_loop_t *loop;
	const char *const *env;      /* the client's environment */
	const char *host;            /* credentials.github.host; NULL: github.com */
	unsigned timeout_ms;
	github_done_fn on_done;
	void *data;
};

struct github_lookup *github_lookup_start(const struct github_lookup_opts *o, struct mino_error **err);
void github_lookup_cancel(struct github_lookup *l);

#endif
