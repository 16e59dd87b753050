/* part-aws.c: the AWS credentials part (--aws, credentials.aws.*).
 *
 * prepare mints temporary credentials from the client's sources
 * (creds/aws.h: environment, shared files, credential_process, the aws
 * CLI; then STS).  contribute delivers them through the run directory:
 *
 *   /run/mino/aws-config            [default] credential_process =
 *                                   /run/mino-entry --cat /run/mino/aws-credentials.json
 *   /run/mino/aws-credentials.json  credential_process JSON with Expiration
 *
 * and the variable names AWS_CONFIG_FILE, AWS_REGION, AWS_DEFAULT_REGION,
 * AWS_SDK_LOAD_CONFIG in the env file.  Every SDK and the CLI run
 * credential_process again when the Expiration it printed comes near, so
 * the file that the refresh timer rewrites reaches running processes
 * without a restart.  Plain keys in the environment or in a shared
 * credentials file would not: SDKs prefer the environment over
 * credential_process and read a credentials file (which has no expiry)
 * once.  The timer re-mints at ~80 % of the lifetime (creds/refresh.h)
 * and rewrites the JSON atomically; ended drops it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "part-creds.h"
#include "parts.h"
#include "refresh.h"
#include "rundir.h"
#include "secret.h"
#include "xalloc.h"

#define AWS_PART_CONFIG "aws-config"
#define AWS_PART_JSON "aws-credentials.json"

struct aws_part {
	struct part_ctx *ctx;
	struct aws_mint *mint;          /* in flight: the first mint or a refresh */
	struct creds_refresh_sub sub;   /* the identity's shared refresh timer, once delivered */
	struct aws_creds creds;         /* minted, until contribute renders them */
	bool minted;                    /* the prepare got credentials (or a re-adopted record had them) */
	bool resumed;                   /* re-adopted after a minod restart */
	char *key;                      /* the identity (creds_cache_key; no secret) */
	char *source;                   /* where they came from (no secret) */
	char *key_id;                   /* the access key id (an identifier, not a secret) */
	char *identity;                 /* as shown (no secret); a re-adopted session: the recorded one */
	char *region;
	time_t expires;
	unsigned refreshes;
	char *last_error;
	struct part_creds_live live;    /* stopped by minod's shutdown */
};

/* What a shared refresh hands every session of the identity. */
struct aws_part_result {
	struct aws_creds *creds;
	const char *source;
};

static int aws_part_prepare(struct part_ctx *ctx, struct mino_error **err);
static void aws_part_cancel(struct part_ctx *ctx);
static void aws_part_undo(struct part_ctx *ctx);
static int aws_part_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err);
static void aws_part_ended(struct part_ctx *ctx);
static void aws_part_record(struct part_ctx *ctx, json_t *rec);
static void aws_part_resume(struct part_ctx *ctx);
static void aws_part_free(struct part_ctx *ctx);
static const struct creds_refresh_sub_ops aws_part_sub_ops;
static char *aws_part_identity(const struct aws_part *ap);

const struct part_ops aws_part = {
	.name = "aws",
	.prepare = aws_part_prepare,
	.cancel = aws_part_cancel,
	.undo = aws_part_undo,
	.contribute = aws_part_contribute,
	.ended = aws_part_ended,
	.record = aws_part_record,
	.resume = aws_part_resume,
	.free = aws_part_free,
};

static void
aws_part_stop(struct aws_part *ap)
{
	creds_refresh_leave(&ap->sub);  /* cancels a refresh of ours in flight */
	if (ap->mint != NULL) {
		aws_mint_cancel(ap->mint);
		ap->mint = NULL;
	}
	aws_creds_clear(&ap->creds);
}

static void
aws_part_stop_cb(void *arg)
{
	aws_part_stop(arg);
}

static bool
aws_part_view(void *arg, struct part_creds_view *v)
{
	struct aws_part *ap = arg;

	if (!ap->minted || ap->key == NULL)
		return false;
	v->provider = "aws";
	v->key = ap->key;
	v->identity = ap->identity;
	v->source = ap->source;
	v->session = ap->ctx->spec->name;
	v->expires = ap->expires;
	v->next_refresh = creds_refresh_due_at(&ap->sub);
	v->last_error = ap->last_error;
	return true;
}

static struct aws_part *
aws_part_of(struct part_ctx *ctx)
{
	struct aws_part *ap = ctx->state;

	if (ap == NULL) {
		ap = xcalloc(1, sizeof *ap);
		ap->ctx = ctx;
		ctx->state = ap;
	}
	part_creds_live_add(&ap->live, aws_part_stop_cb, ap);
	ap->live.view = aws_part_view;
	return ap;
}

/* Keeps what may be shown of a fresh result. */
static void
aws_part_take(struct aws_part *ap, struct aws_creds *creds, const char *source)
{
	aws_creds_clear(&ap->creds);
	aws_creds_move(&ap->creds, creds);
	free(ap->source);
	ap->source = xstrdup(source != NULL ? source : "unknown");
	free(ap->key_id);
	ap->key_id = xstrdup(ap->creds.access_key_id);
	free(ap->region);
	ap->region = ap->creds.region != NULL ? xstrdup(ap->creds.region) : NULL;
	ap->expires = ap->creds.expiration;
	free(ap->identity);
	ap->identity = NULL;
	ap->identity = aws_part_identity(ap);
	free(ap->last_error);
	ap->last_error = NULL;
}

static char *
aws_part_identity(const struct aws_part *ap)
{
	const struct sandbox_creds *c = &ap->ctx->spec->creds;

	if (ap->identity != NULL)
		return xstrdup(ap->identity);
	if (c->aws_role_arn != NULL)
		return xasprintf("%s (key %s, from %s)", c->aws_role_arn, ap->key_id, ap->source);
	return xasprintf("key %s (from %s)", ap->key_id, ap->source);
}

static struct aws_mint *
aws_part_mint(struct aws_part *ap, bool fresh, aws_done_fn done, struct mino_error **err)
{
	const struct sandbox_creds *c = &ap->ctx->spec->creds;
	_cleanup_free_ char *session_name = part_creds_session_name(ap->ctx);
	struct http_client *http = part_creds_http(err);

	if (http == NULL)
		return NULL;
	return aws_mint_start(&(struct aws_mint_opts){
	    .loop = minod.loop,
	    .http = http,
	    .cache = part_creds_cache(),
	    .fresh = fresh,
	    .env = part_creds_env(ap->ctx),
	    .profile = c->aws_profile,
	    .role_arn = c->aws_role_arn,
	    .external_id = c->aws_external_id,
	    .region = c->aws_region,
	    .duration_secs = c->aws_duration,
	    .session_name = session_name,
	    .on_done = done,
	    .data = ap,
	}, err);
}

/* ---------- prepare ---------- */

static void
aws_part_minted(struct aws_mint *m, struct aws_creds *creds, const struct mino_error *err, void *data)
{
	struct aws_part *ap = data;
	_cleanup_free_ char *id = NULL;

	ap->mint = NULL;
	if (err != NULL) {
		part_creds_failed(ap->ctx, "AWS", err);
		return;
	}
	aws_part_take(ap, creds, aws_mint_source(m));
	free(ap->key);
	ap->key = aws_mint_key(m) != NULL ? xstrdup(aws_mint_key(m)) : xasprintf("aws:session:%s", ap->ctx->spec->id);
	ap->minted = true;
	id = aws_part_identity(ap);
	log_info("session %s: AWS credentials %s%s", ap->ctx->spec->name, id,
	    aws_mint_from_cache(m) ? " (cached)" : "");
	part_prepared(ap->ctx, NULL);
}

static int
aws_part_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	struct aws_part *ap;
	struct mino_error *why = NULL;

	if (!ctx->spec->creds.aws) {
		part_prepared(ctx, NULL);
		return 0;
	}
	ap = aws_part_of(ctx);
	part_progress(ctx, "minting AWS credentials");
	ap->mint = aws_part_mint(ap, false, aws_part_minted, &why);
	if (ap->mint == NULL) {
		/* Bad options or unreadable files: the same rule as an STS error. */
		part_creds_failed(ctx, "AWS", why);
		mino_error_release(&why);
	}
	(void)err;
	return 0;
}

static void
aws_part_cancel(struct part_ctx *ctx)
{
	struct aws_part *ap = ctx->state;
	struct mino_error *err = NULL;

	if (ap == NULL || ap->mint == NULL)
		return;
	aws_mint_cancel(ap->mint);
	ap->mint = NULL;
	mino_make_error(&err, MINO_E_NOT_RUNNING, 0, "cancelled while minting AWS credentials");
	part_prepared(ctx, err);
	mino_error_release(&err);
}

static void
aws_part_undo(struct part_ctx *ctx)
{
	struct aws_part *ap = ctx->state;

	if (ap != NULL) {
		aws_part_stop(ap);
		ap->minted = false;
	}
}

/* ---------- delivery ---------- */

/* credentials.aws.env_vars: the first token in the variables too, for
 * tools that read only those (they keep it: a refresh reaches the file). */
static void
aws_part_env_vars(struct aws_part *ap, struct part_opts *o)
{
	size_t n = 0;

	while (o->env != NULL && o->env[n] != NULL)
		n++;
	o->env = xreallocarray(o->env, n + 4, sizeof *o->env);
	o->env[n++] = xasprintf("AWS_ACCESS_KEY_ID=%s", ap->creds.access_key_id);
	o->env[n++] = xasprintf("AWS_SECRET_ACCESS_KEY=%s", ap->creds.secret_access_key);
	if (ap->creds.session_token != NULL)
		o->env[n++] = xasprintf("AWS_SESSION_TOKEN=%s", ap->creds.session_token);
	o->env[n] = NULL;
}

static int
aws_part_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err)
{
	struct aws_part *ap = ctx->state;
	_cleanup_secret_ char *json = NULL;
	_cleanup_free_ char *config = NULL;
	_cleanup_free_ char *id = NULL;
	size_t n;

	if (ap == NULL || !ap->minted || ap->creds.access_key_id == NULL)
		return 0;
	json = aws_creds_process_json(&ap->creds);
	config = aws_config_render(RUNDIR_ENTRY " --cat " RUNDIR_MOUNT "/" AWS_PART_JSON, ap->region);
	part_opts_add_file(o, AWS_PART_JSON, json);
	part_opts_add_file(o, AWS_PART_CONFIG, config);
	n = 0;
	while (o->env != NULL && o->env[n] != NULL)
		n++;
	o->env = xreallocarray(o->env, n + 5, sizeof *o->env);
	o->env[n++] = xstrdup("AWS_CONFIG_FILE=" RUNDIR_MOUNT "/" AWS_PART_CONFIG);
	o->env[n++] = xstrdup("AWS_SDK_LOAD_CONFIG=1");
	o->env[n++] = xasprintf("AWS_REGION=%s", ap->region != NULL ? ap->region : "us-east-1");
	o->env[n++] = xasprintf("AWS_DEFAULT_REGION=%s", ap->region != NULL ? ap->region : "us-east-1");
	o->env[n] = NULL;
	if (ctx->spec->creds.aws_env_vars)
		aws_part_env_vars(ap, o);
	aws_creds_clear(&ap->creds);
	if (ap->expires != 0)
		creds_refresh_join(minod.loop, ap->key, &ap->sub, &aws_part_sub_ops, ap, time(NULL), ap->expires, false);
	id = aws_part_identity(ap);
	part_creds_audit(ctx, "credentials.injected", "aws", id, ap->expires, NULL);
	(void)err;
	return 0;
}

/* ---------- refresh while the session runs (one per identity) ---------- */

static void
aws_part_refreshed(struct aws_mint *m, struct aws_creds *creds, const struct mino_error *err, void *data)
{
	struct aws_part *ap = data;
	struct mino_error *kerr = NULL;

	ap->mint = NULL;
	/* A re-adopted session's source may be gone (the client's environment
	 * is not kept across a restart): another identity is not this one's. */
	if (err == NULL && (aws_mint_key(m) == NULL || strcmp(aws_mint_key(m), ap->key) != 0)) {
		mino_make_error(&kerr, MINO_E_CONFIG, 0, "the source now gives another identity (%s); "
		    "the client's environment is not kept across a minod restart", aws_mint_source(m));
		err = kerr;
	}
	if (err != NULL)
		creds_refresh_done(&ap->sub, NULL, 0, err);
	else
		creds_refresh_done(&ap->sub, &(struct aws_part_result){ creds, aws_mint_source(m) },
		    creds->expiration, NULL);
	mino_error_release(&kerr);
}

static int
aws_part_sub_start(void *data, struct mino_error **err)
{
	struct aws_part *ap = data;

	/* Fresh: the cache would hand back the token being replaced. */
	ap->mint = aws_part_mint(ap, true, aws_part_refreshed, err);
	if (ap->mint == NULL && ap->resumed)
		mino_error_wrap(err, "after a minod restart (the client's environment is not kept)");
	return ap->mint != NULL ? 0 : -1;
}

static void
aws_part_sub_cancel(void *data)
{
	struct aws_part *ap = data;

	if (ap->mint != NULL)
		aws_mint_cancel(ap->mint);
	ap->mint = NULL;
}

static int
aws_part_sub_deliver(void *data, const void *result, time_t expires, struct mino_error **err)
{
	struct aws_part *ap = data;
	const struct aws_part_result *res = result;
	struct aws_creds copy = { 0 };
	_cleanup_secret_ char *json = NULL;
	_cleanup_free_ char *id = NULL;

	(void)expires;
	aws_creds_copy(&copy, res->creds);
	aws_part_take(ap, &copy, res->source);
	json = aws_creds_process_json(&ap->creds);
	aws_creds_clear(&ap->creds);
	if (part_creds_write(ap->ctx, AWS_PART_JSON, json, err) < 0)
		return -1;
	ap->refreshes++;
	id = aws_part_identity(ap);
	log_info("session %s: AWS credentials refreshed, %s", ap->ctx->spec->name, id);
	part_creds_audit(ap->ctx, "credentials.refreshed", "aws", id, ap->expires, NULL);
	part_changed(ap->ctx);
	return 0;
}

static void
aws_part_sub_failed(void *data, const char *msg, unsigned retry_ms)
{
	struct aws_part *ap = data;

	free(ap->last_error);
	ap->last_error = xstrdup(msg);
	log_warn("session %s: refreshing AWS credentials: %s (retry in %u s)", ap->ctx->spec->name, msg,
	    retry_ms / 1000);
	part_creds_audit(ap->ctx, "credentials.failed", "aws", NULL, 0, msg);
	part_changed(ap->ctx);
}

static const struct creds_refresh_sub_ops aws_part_sub_ops = {
	.start = aws_part_sub_start,
	.cancel = aws_part_sub_cancel,
	.deliver = aws_part_sub_deliver,
	.failed = aws_part_sub_failed,
};

/* A session re-adopted after a restart: its files are in the run
 * directory; the recorded identity's timer takes over (part-creds.h). */
static void
aws_part_resume(struct part_ctx *ctx)
{
	struct part_creds_resumed r;
	struct aws_part *ap;

	if (!ctx->spec->creds.aws || part_creds_resumed(ctx, "aws", &r) < 0)
		return;
	ap = aws_part_of(ctx);
	ap->minted = true;
	ap->resumed = true;
	ap->key = xstrdup(r.key);
	ap->identity = xstrdup(r.identity);
	ap->expires = r.expires;
	ap->refreshes = r.refreshes;
	if (ap->expires != 0)
		creds_refresh_join(minod.loop, ap->key, &ap->sub, &aws_part_sub_ops, ap, time(NULL), ap->expires, true);
}

static void
aws_part_ended(struct part_ctx *ctx)
{
	struct aws_part *ap = ctx->state;

	if (ap != NULL) {
		aws_part_stop(ap);
		part_creds_live_del(&ap->live);  /* nothing left to stop or show */
	}
}

static void
aws_part_record(struct part_ctx *ctx, json_t *rec)
{
	struct aws_part *ap = ctx->state;
	_cleanup_free_ char *id = NULL;

	if (ap == NULL || !ap->minted)
		return;
	id = aws_part_identity(ap);
	part_creds_record(rec, "aws", ap->key, id, ap->expires, ap->refreshes, ap->last_error);
}

static void
aws_part_free(struct part_ctx *ctx)
{
	struct aws_part *ap = ctx->state;

	if (ap == NULL)
		return;
	part_creds_live_del(&ap->live);
	aws_part_stop(ap);
	free(ap->key);
	free(ap->source);
	free(ap->identity);
	free(ap->key_id);
	free(ap->region);
	free(ap->last_error);
	free(ap);
	ctx->state = NULL;
}
