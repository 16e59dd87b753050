/* part-tokens.c: the bearer-token credential parts, one part each:
 *
 *   gcp     (--gcp, credentials.gcp.*)   creds/gcp.h; delivered as the file
 *           /run/mino/gcloud-token (CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: gcloud
 *           reads it on every call, so a refresh reaches it), the variable
 *           CLOUDSDK_AUTH_ACCESS_TOKEN and CLOUDSDK_CORE_PROJECT;
 *   azure   (--azure, credentials.azure.*) creds/azure.h; AZURE_ACCESS_TOKEN,
 *           and the refreshed file /run/mino/azure-token (AZURE_ACCESS_TOKEN_FILE);
 *   github  (default on, --no-github; credentials.github.host) creds/github.h;
 *           GH_TOKEN and GITHUB_TOKEN, and a git credential helper for the
 *           host through GIT_CONFIG_COUNT/KEY/VALUE (no file of the project
 *           changes).  No source at all is silent (one line with -v).
 *
 * Token values go to the env file and the run directory only.  GCP and
 * Azure tokens expire: a timer re-mints them (not from the cache, which
 * would hand back the token being replaced) and rewrites the file. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azure.h"
#include "gcp.h"
#include "github.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "part-creds.h"
#include "parts.h"
#include "refresh.h"
#include "rundir.h"
#include "secret.h"
#include "xalloc.h"

struct tok_part;

struct tok_provider {
	const char *name;        /* the part and the record's key: "gcp" */
	const char *title;       /* in messages: "GCP" */
	const char *file;        /* the refreshed token file in the run directory, or NULL */
	bool (*enabled)(const struct sandbox_creds *c);
	/* Starts a mint (tp->op); tok_part_done follows from the loop.
	 * fresh: not from the cache (a refresh). */
	int (*start)(struct tok_part *tp, bool fresh, struct mino_error **err);
	void (*cancel)(struct tok_part *tp);
	void (*deliver)(struct tok_part *tp, struct part_opts *o);
};

struct tok_part {
	struct part_ctx *ctx;
	const struct tok_provider *pv;
	void *op;                        /* the mint in flight */
	bool refreshing;                 /* op is a refresh */
	bool have;                       /* the prepare got a token */
	bool resumed;                    /* re-adopted after a minod restart */
	char *token;                     /* secret; until delivered */
	char *identity;                  /* account, tenant, host + source (no secret) */
	char *project;                   /* GCP: the project; GitHub: the host */
	time_t expires;                  /* 0: does not expire (GitHub) */
	unsigned refreshes;
	char *last_error;
	char *key;                       /* the identity (creds_cache_key; no secret) */
	struct creds_refresh_sub sub;    /* the identity's shared refresh timer */
	struct part_creds_live live;     /* stopped by minod's shutdown */
};

/* What a shared refresh hands every session of the identity. */
struct tok_result {
	const char *token, *identity, *project;
};

static void tok_part_done(struct tok_part *tp, const char *key, const char *token, time_t expires,
    const char *identity, const char *project, bool none, const struct mino_error *err);
static const struct creds_refresh_sub_ops tok_part_sub_ops;

static void
tok_env_add(struct part_opts *o, char *kv)
{
	size_t n = 0;

	while (o->env != NULL && o->env[n] != NULL)
		n++;
	o->env = xreallocarray(o->env, n + 2, sizeof *o->env);
	o->env[n] = kv;
	o->env[n + 1] = NULL;
}

/* ---------- GCP ---------- */

static bool
gcp_enabled(const struct sandbox_creds *c)
{
	return c->gcp;
}

static void
gcp_done(struct gcp_mint *m, struct gcp_token *tok, const struct mino_error *err, void *data)
{
	struct tok_part *tp = data;
	_cleanup_free_ char *id = NULL;

	tp->op = NULL;
	if (tok != NULL)
		id = xasprintf("%s (from %s)", tok->account ? tok->account : "?", gcp_mint_source(m));
	tok_part_done(tp, gcp_mint_key(m), tok ? tok->access_token : NULL, tok ? tok->expiration : 0, id,
	    tok ? tok->project : NULL, false, err);
}

static int
gcp_start(struct tok_part *tp, bool fresh, struct mino_error **err)
{
	const struct sandbox_creds *c = &tp->ctx->spec->creds;
	struct http_client *http = part_creds_http(err);

	if (http == NULL)
		return -1;
	tp->op = gcp_mint_start(&(struct gcp_mint_opts){
	    .loop = minod.loop, .http = http, .cache = part_creds_cache(), .fresh = fresh,
	    .env = part_creds_env(tp->ctx), .project = c->gcp_project,
	    .service_account = c->gcp_service_account, .on_done = gcp_done, .data = tp,
	}, err);
	return tp->op != NULL ? 0 : -1;
}

static void
gcp_cancel(struct tok_part *tp)
{
	gcp_mint_cancel(tp->op);
}

static void
gcp_deliver(struct tok_part *tp, struct part_opts *o)
{
	part_opts_add_file(o, "gcloud-token", tp->token);
	tok_env_add(o, xstrdup("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE=" RUNDIR_MOUNT "/gcloud-token"));
	tok_env_add(o, xasprintf("CLOUDSDK_AUTH_ACCESS_TOKEN=%s", tp->token));
	if (tp->project != NULL)
		tok_env_add(o, xasprintf("CLOUDSDK_CORE_PROJECT=%s", tp->project));
}

static const struct tok_provider gcp_provider = {
	.name = "gcp", .title = "GCP", .file = "gcloud-token",
	.enabled = gcp_enabled, .start = gcp_start, .cancel = gcp_cancel, .deliver = gcp_deliver,
};

/* ---------- Azure ---------- */

static bool
azure_enabled(const struct sandbox_creds *c)
{
	return c->azure;
}

static void
azure_done(struct azure_mint *m, struct azure_token *tok, const struct mino_error *err, void *data)
{
	struct tok_part *tp = data;
	_cleanup_free_ char *id = NULL;

	tp->op = NULL;
	if (tok != NULL)
		id = xasprintf("tenant %s%s%s (from %s)", tok->tenant ? tok->tenant : "?",
		    tok->subscription ? ", subscription " : "", tok->subscription ? tok->subscription : "",
		    azure_mint_source(m));
	tok_part_done(tp, azure_mint_key(m), tok ? tok->access_token : NULL, tok ? tok->expiration : 0, id, NULL,
	    false, err);
}

static int
azure_start(struct tok_part *tp, bool fresh, struct mino_error **err)
{
	const struct sandbox_creds *c = &tp->ctx->spec->creds;
	struct http_client *http = part_creds_http(err);

	if (http == NULL)
		return -1;
	tp->op = azure_mint_start(&(struct azure_mint_opts){
	    .loop = minod.loop, .http = http, .cache = part_creds_cache(), .fresh = fresh,
	    .env = part_creds_env(tp->ctx), .tenant = c->azure_tenant, .subscription = c->azure_subscription,
	    .on_done = azure_done, .data = tp,
	}, err);
	return tp->op != NULL ? 0 : -1;
}

static void
azure_cancel(struct tok_part *tp)
{
	azure_mint_cancel(tp->op);
}

static void
azure_deliver(struct tok_part *tp, struct part_opts *o)
{
	part_opts_add_file(o, "azure-token", tp->token);
	tok_env_add(o, xasprintf("AZURE_ACCESS_TOKEN=%s", tp->token));
	tok_env_add(o, xstrdup("AZURE_ACCESS_TOKEN_FILE=" RUNDIR_MOUNT "/azure-token"));
}

static const struct tok_provider azure_provider = {
	.name = "azure", .title = "Azure", .file = "azure-token",
	.enabled = azure_enabled, .start = azure_start, .cancel = azure_cancel, .deliver = azure_deliver,
};

/* ---------- GitHub ---------- */

static bool
github_enabled(const struct sandbox_creds *c)
{
	return c->github;
}

static void
github_done(struct github_lookup *l, struct github_token *tok, const struct mino_error *err, void *data)
{
	struct tok_part *tp = data;
	_cleanup_free_ char *id = NULL;

	(void)l;
	tp->op = NULL;
	if (tok != NULL)
		id = xasprintf("%s (from %s)", tok->host, tok->source);
	tok_part_done(tp, NULL, tok ? tok->token : NULL, 0, id, tok ? tok->host : NULL, tok == NULL && err == NULL,
	    err);
}

static int
github_start(struct tok_part *tp, bool fresh, struct mino_error **err)
{
	(void)fresh;
	tp->op = github_lookup_start(&(struct github_lookup_opts){
	    .loop = minod.loop, .env = part_creds_env(tp->ctx), .host = tp->ctx->spec->creds.github_host,
	    .on_done = github_done, .data = tp,
	}, err);
	return tp->op != NULL ? 0 : -1;
}

static void
github_cancel(struct tok_part *tp)
{
	github_lookup_cancel(tp->op);
}

/* The token in the variables, and git asks the helper for the host (the
 * helper reads $GH_TOKEN in the container: the value is in no config). */
static void
github_deliver(struct tok_part *tp, struct part_opts *o)
{
	const char *host = tp->project != NULL ? tp->project : "github.com";

	tok_env_add(o, xasprintf("GH_TOKEN=%s", tp->token));
	tok_env_add(o, xasprintf("GITHUB_TOKEN=%s", tp->token));
	tok_env_add(o, xstrdup("GIT_CONFIG_COUNT=1"));
	tok_env_add(o, xasprintf("GIT_CONFIG_KEY_0=credential.https://%s.helper", host));
	tok_env_add(o, xstrdup("GIT_CONFIG_VALUE_0=!f() { test \"$1\" = get || exit 0; "
	    "echo username=x-access-token; echo \"password=$GH_TOKEN\"; }; f"));
}

static const struct tok_provider github_provider = {
	.name = "github", .title = "GitHub", .file = NULL,
	.enabled = github_enabled, .start = github_start, .cancel = github_cancel, .deliver = github_deliver,
};

/* ---------- the part, shared ---------- */

static void
tok_part_stop(struct tok_part *tp)
{
	creds_refresh_leave(&tp->sub);  /* cancels a refresh of ours in flight */
	if (tp->op != NULL) {
		tp->pv->cancel(tp);
		tp->op = NULL;
	}
	secret_clear(&tp->token);
}

static void
tok_part_stop_cb(void *arg)
{
	tok_part_stop(arg);
}

static bool
tok_part_view(void *arg, struct part_creds_view *v)
{
	struct tok_part *tp = arg;

	if (!tp->have)
		return false;
	v->provider = tp->pv->name;
	v->key = tp->key;
	v->identity = tp->identity;
	v->session = tp->ctx->spec->name;
	v->expires = tp->expires;
	v->next_refresh = creds_refresh_due_at(&tp->sub);
	v->last_error = tp->last_error;
	return true;
}

static struct tok_part *
tok_part_of(struct part_ctx *ctx, const struct tok_provider *pv)
{
	struct tok_part *tp = ctx->state;

	if (tp == NULL) {
		tp = xcalloc(1, sizeof *tp);
		tp->ctx = ctx;
		tp->pv = pv;
		ctx->state = tp;
	}
	part_creds_live_add(&tp->live, tok_part_stop_cb, tp);
	tp->live.view = tok_part_view;
	return tp;
}


static void
tok_part_keep(struct tok_part *tp, const char *token, time_t expires, const char *identity, const char *project)
{
	secret_clear(&tp->token);
	tp->token = xstrdup(token);
	free(tp->identity);
	tp->identity = xstrdup(identity != NULL ? identity : "?");
	free(tp->project);
	tp->project = project != NULL ? xstrdup(project) : NULL;
	tp->expires = expires;
	free(tp->last_error);
	tp->last_error = NULL;
}

/* ---------- refresh while the session runs (one per identity) ---------- */

static void
tok_part_refreshed(struct tok_part *tp, const char *key, const char *token, time_t expires, const char *identity,
    const char *project, const struct mino_error *err)
{
	struct mino_error *kerr = NULL;

	tp->refreshing = false;
	/* A re-adopted session's source may be gone: another identity is not this one's. */
	if (err == NULL && token != NULL && (key == NULL || strcmp(key, tp->key) != 0)) {
		mino_make_error(&kerr, MINO_E_CONFIG, 0, "the source now gives another identity (%s); "
		    "the client's environment is not kept across a minod restart", identity != NULL ? identity : "?");
		err = kerr;
	}
	if (err != NULL || token == NULL)
		creds_refresh_done(&tp->sub, NULL, 0, err);
	else
		creds_refresh_done(&tp->sub, &(struct tok_result){ token, identity, project }, expires, NULL);
	mino_error_release(&kerr);
}

static int
tok_part_sub_start(void *data, struct mino_error **err)
{
	struct tok_part *tp = data;

	tp->refreshing = true;
	if (tp->pv->start(tp, true, err) < 0) {
		tp->refreshing = false;
		if (tp->resumed)
			mino_error_wrap(err, "after a minod restart (the client's environment is not kept)");
		return -1;
	}
	return 0;
}

static void
tok_part_sub_cancel(void *data)
{
	struct tok_part *tp = data;

	if (tp->op != NULL)
		tp->pv->cancel(tp);
	tp->op = NULL;
	tp->refreshing = false;
}

static int
tok_part_sub_deliver(void *data, const void *result, time_t expires, struct mino_error **err)
{
	struct tok_part *tp = data;
	const struct tok_result *res = result;

	tok_part_keep(tp, res->token, expires, res->identity, res->project);
	if (part_creds_write(tp->ctx, tp->pv->file, tp->token, err) < 0) {
		secret_clear(&tp->token);
		return -1;
	}
	secret_clear(&tp->token);
	tp->refreshes++;
	log_info("session %s: %s credentials refreshed, %s", tp->ctx->spec->name, tp->pv->title, tp->identity);
	part_creds_audit(tp->ctx, "credentials.refreshed", tp->pv->name, tp->identity, tp->expires, NULL);
	part_changed(tp->ctx);
	return 0;
}

static void
tok_part_sub_failed(void *data, const char *msg, unsigned retry_ms)
{
	struct tok_part *tp = data;

	free(tp->last_error);
	tp->last_error = xstrdup(msg);
	log_warn("session %s: refreshing %s credentials: %s (retry in %u s)", tp->ctx->spec->name, tp->pv->title,
	    msg, retry_ms / 1000);
	part_creds_audit(tp->ctx, "credentials.failed", tp->pv->name, NULL, 0, msg);
	part_changed(tp->ctx);
}

static const struct creds_refresh_sub_ops tok_part_sub_ops = {
	.start = tok_part_sub_start,
	.cancel = tok_part_sub_cancel,
	.deliver = tok_part_sub_deliver,
	.failed = tok_part_sub_failed,
};

/* ---------- prepare and delivery ---------- */

static void
tok_part_done(struct tok_part *tp, const char *key, const char *token, time_t expires, const char *identity,
    const char *project, bool none, const struct mino_error *err)
{
	_cleanup_free_ char *line = NULL;

	if (tp->refreshing) {
		tok_part_refreshed(tp, key, token, expires, identity, project, err);
		return;
	}
	if (err != NULL) {
		part_creds_failed(tp->ctx, tp->pv->title, err);
		return;
	}
	if (none || token == NULL) {
		/* A default-on provider without a source: silent, one line with -v. */
		log_debug("session %s: no %s credentials", tp->ctx->spec->name, tp->pv->title);
		if (tp->ctx->spec->creds.verbose) {
			line = xasprintf("%s credentials: none found (GH_TOKEN, GITHUB_TOKEN, `gh auth token`)",
			    tp->pv->title);
			part_warn(tp->ctx, line);
		}
		part_prepared(tp->ctx, NULL);
		return;
	}
	tok_part_keep(tp, token, expires, identity, project);
	free(tp->key);
	tp->key = key != NULL ? xstrdup(key) : xasprintf("%s:session:%s", tp->pv->name, tp->ctx->spec->id);
	tp->have = true;
	log_info("session %s: %s credentials %s", tp->ctx->spec->name, tp->pv->title, tp->identity);
	part_prepared(tp->ctx, NULL);
}

static int
tok_part_prepare(struct part_ctx *ctx, const struct tok_provider *pv)
{
	struct tok_part *tp;
	struct mino_error *why = NULL;
	_cleanup_free_ char *msg = NULL;

	if (!pv->enabled(&ctx->spec->creds)) {
		part_prepared(ctx, NULL);
		return 0;
	}
	tp = tok_part_of(ctx, pv);
	msg = xasprintf("minting %s credentials", pv->title);
	part_progress(ctx, msg);
	if (pv->start(tp, false, &why) < 0) {
		part_creds_failed(ctx, pv->title, why);
		mino_error_release(&why);
	}
	return 0;
}

static void
tok_part_cancel(struct part_ctx *ctx)
{
	struct tok_part *tp = ctx->state;
	struct mino_error *err = NULL;

	if (tp == NULL || tp->op == NULL)
		return;
	tp->pv->cancel(tp);
	tp->op = NULL;
	mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled while minting %s credentials", tp->pv->title);
	part_prepared(ctx, err);
	mino_error_release(&err);
}

static void
tok_part_undo(struct part_ctx *ctx)
{
	struct tok_part *tp = ctx->state;

	if (tp != NULL) {
		tok_part_stop(tp);
		tp->have = false;
	}
}

static int
tok_part_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err)
{
	struct tok_part *tp = ctx->state;

	(void)err;
	if (tp == NULL || !tp->have || tp->token == NULL)
		return 0;
	tp->pv->deliver(tp, o);
	secret_clear(&tp->token);
	if (tp->pv->file != NULL && tp->expires != 0)
		creds_refresh_join(minod.loop, tp->key, &tp->sub, &tok_part_sub_ops, tp, time(NULL), tp->expires, false);
	part_creds_audit(ctx, "credentials.injected", tp->pv->name, tp->identity, tp->expires, NULL);
	return 0;
}

/* A session re-adopted after a restart: the recorded identity's timer
 * takes over; the token file stays until the refresh rewrites it. */
static void
tok_part_resume(struct part_ctx *ctx, const struct tok_provider *pv)
{
	struct part_creds_resumed r;
	struct tok_part *tp;

	if (pv->file == NULL || !pv->enabled(&ctx->spec->creds) || part_creds_resumed(ctx, pv->name, &r) < 0)
		return;
	tp = tok_part_of(ctx, pv);
	tp->have = true;
	tp->resumed = true;
	tp->key = xstrdup(r.key);
	tp->identity = xstrdup(r.identity);
	tp->expires = r.expires;
	tp->refreshes = r.refreshes;
	if (tp->expires != 0)
		creds_refresh_join(minod.loop, tp->key, &tp->sub, &tok_part_sub_ops, tp, time(NULL), tp->expires, true);
}

static void
gcp_part_resume(struct part_ctx *ctx)
{
	tok_part_resume(ctx, &gcp_provider);
}

static void
azure_part_resume(struct part_ctx *ctx)
{
	tok_part_resume(ctx, &azure_provider);
}

static void
tok_part_ended(struct part_ctx *ctx)
{
	struct tok_part *tp = ctx->state;

	if (tp != NULL) {
		tok_part_stop(tp);
		part_creds_live_del(&tp->live);  /* nothing left to stop or show */
	}
}

static void
tok_part_record(struct part_ctx *ctx, json_t *rec)
{
	struct tok_part *tp = ctx->state;

	if (tp != NULL && tp->have)
		part_creds_record(rec, tp->pv->name, tp->key, tp->identity, tp->expires, tp->refreshes, tp->last_error);
}

static void
tok_part_free(struct part_ctx *ctx)
{
	struct tok_part *tp = ctx->state;

	if (tp == NULL)
		return;
	part_creds_live_del(&tp->live);
	tok_part_stop(tp);
	free(tp->identity);
	free(tp->project);
	free(tp->last_error);
	free(tp->key);
	free(tp);
	ctx->state = NULL;
}

static int
gcp_part_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	(void)err;
	return tok_part_prepare(ctx, &gcp_provider);
}

static int
azure_part_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	(void)err;
	return tok_part_prepare(ctx, &azure_provider);
}

static int
github_part_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	(void)err;
	return tok_part_prepare(ctx, &github_provider);
}

#define TOK_PART_OPS(n, prep, res) { .name = n, .prepare = prep, .cancel = tok_part_cancel, \
	.undo = tok_part_undo, .contribute = tok_part_contribute, .ended = tok_part_ended, \
	.record = tok_part_record, .resume = res, .free = tok_part_free }

const struct part_ops gcp_part = TOK_PART_OPS("gcp", gcp_part_prepare, gcp_part_resume);
const struct part_ops azure_part = TOK_PART_OPS("azure", azure_part_prepare, azure_part_resume);
const struct part_ops github_part = TOK_PART_OPS("github", github_part_prepare, NULL);
