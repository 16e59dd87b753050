/* github.c: the client's GitHub token (github.h). */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "github.h"
#include "log.h"
#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

#define GITHUB_MAX_TOKEN 4096u

struct github_lookup {
	uv_timer_t kick;
	uv_loop_t *loop;
	char **env;
	char *host;
	char *gh;
	unsigned timeout_ms;
	struct github_token found;
	struct capture *cap;
	bool done;
	github_done_fn on_done;
	void *data;
};

static void github_free(struct github_lookup *l);

void
github_token_clear(struct github_token *t)
{
	secret_free(t->token);
	free(t->host);
	free(t->source);
	memset(t, 0, sizeof *t);
}

void
github_token_move(struct github_token *dst, struct github_token *src)
{
	*dst = *src;
	memset(src, 0, sizeof *src);
}




static void
github_report(struct github_lookup *l, const struct mino_error *err)
{
	struct github_token *out = NULL;

	l->done = true;
	if (err == NULL && l->found.token != NULL) {
		out = xcalloc(1, sizeof *out);
		github_token_move(out, &l->found);
	}
	l->on_done(l, out, err, l->data);
	if (out != NULL) {
		github_token_clear(out);
		free(out);
	}
	github_free(l);
}

static void
github_capture_done(struct capture *cp, const struct capture_result *res, const struct mino_error *cerr, void *data)
{
	struct github_lookup *l = data;
	struct mino_error *err = NULL;
	_cleanup_secret_ char *tok = NULL;

	l->cap = NULL;
	if (cerr != NULL)
		mino_make_error(&err, cerr->code, 0, "%s", cerr->msg);
	else if (res->exit_status != 0 || res->term_signal != 0) {
		/* gh exits 1 when not logged in to the host: no source, not an error. */
		log_debug("github: gh auth token --hostname %s exited with %d", l->host, (int)res->exit_status);
		github_report(l, NULL);
		return;
	} else {
		tok = xstrndup(res->out, strcspn(res->out, "\r\n"));
		if (secret_check_text("the GitHub token", tok, GITHUB_MAX_TOKEN, &err) == 0) {
			l->found.token = steal_pointer(&tok);
			l->found.host = xstrdup(l->host);
			l->found.source = xstrdup("gh");
		} else
			mino_error_wrap(&err, "gh auth token");
	}
	github_report(l, err);
	mino_error_release(&err);
}

static void
github_kick_cb(uv_timer_t *t)
{
	struct github_lookup *l = t->data;
	struct mino_error *err = NULL;
	const char *argv[] = { l->gh, "auth", "token", "--hostname", l->host, NULL };
	char **env;
	struct capture_opts co = {
		.loop = l->loop, .argv = argv, .what = "gh auth token", .timeout_ms = l->timeout_ms,
		.on_done = github_capture_done, .data = l,
	};

	if (l->found.token != NULL || l->gh == NULL) {
		github_report(l, NULL);
		return;
	}
	env = capture_env_with_defaults((const char *const *)l->env);
	co.env = (const char *const *)env;
	l->cap = capture_start(&co, &err);
	capture_env_free(env);
	if (l->cap == NULL) {
		github_report(l, err);
		mino_error_release(&err);
	}
}

struct github_lookup *
github_lookup_start(const struct github_lookup_opts *o, struct mino_error **err)
{
	struct github_lookup *l;
	const char *tok, *name = "GH_TOKEN";
	size_t n = 0;

	if (o->loop == NULL || o->on_done == NULL) {
		mino_make_error(err, MINO_E_INTERNAL, 0, "github: loop and on_done are required");
		return NULL;
	}
	if (o->host != NULL) {
		for (const char *p = o->host; *p != '\0'; p++)
			if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':')) {
				mino_make_error(err, MINO_E_CONFIG, 0, "credentials.github.host is not a host name");
				return NULL;
			}
		if (o->host[0] == '\0' || o->host[0] == '-') {
			mino_make_error(err, MINO_E_CONFIG, 0, "credentials.github.host is not a host name");
			return NULL;
		}
	}
	l = xcalloc(1, sizeof *l);
	l->loop = o->loop;
	while (o->env != NULL && o->env[n] != NULL)
		n++;
	l->env = xcalloc(n + 1, sizeof *l->env);
	for (size_t i = 0; i < n; i++)
		l->env[i] = xstrdup(o->env[i]);
	l->host = xstrdup(o->host != NULL ? o->host : "github.com");
	l->timeout_ms = o->timeout_ms ? o->timeout_ms : 30000;
	l->on_done = o->on_done;
	l->data = o->data;
	uv_timer_init(l->loop, &l->kick);
	l->kick.data = l;
	tok = capture_env_get((const char *const *)l->env, "GH_TOKEN");
	if (tok == NULL) {
		tok = capture_env_get((const char *const *)l->env, "GITHUB_TOKEN");
		name = "GITHUB_TOKEN";
	}
	if (tok != NULL) {
		if (secret_check_text("the GitHub token", tok, GITHUB_MAX_TOKEN, err) < 0) {
			mino_error_wrap(err, "%s", name);
			github_free(l);
			return NULL;
		}
		l->found.token = xstrdup(tok);
		l->found.host = xstrdup(l->host);
		l->found.source = xstrdup(name);
	} else
		l->gh = capture_find_program((const char *const *)l->env, "gh");
	uv_timer_start(&l->kick, github_kick_cb, 0, 0);
	return l;
}

static void
github_close_cb(uv_handle_t *h)
{
	struct github_lookup *l = h->data;

	for (size_t i = 0; l->env[i] != NULL; i++)
		secret_free(l->env[i]);
	free(l->env);
	free(l->host);
	free(l->gh);
	github_token_clear(&l->found);
	free(l);
}

static void
github_free(struct github_lookup *l)
{
	if (l->cap != NULL)
		capture_cancel(l->cap);
	l->cap = NULL;
	uv_timer_stop(&l->kick);
	uv_close((uv_handle_t *)&l->kick, github_close_cb);
}

void
github_lookup_cancel(struct github_lookup *l)
{
	if (l->done)
		return;
	l->done = true;
	github_free(l);
}
