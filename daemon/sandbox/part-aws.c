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
	struct creds_refresh *refresh;  /* armed once delivered */
	struct aws_creds creds;         /* minted, until contribute renders them */
	bool minted;                    /* the prepare got credentials */
	char *source;                   /* where they came from (no secret) */
	char *key_id;                   /* the access key id (an identifier, not a secret) */
	char *region;
	time_t expires;
	unsigned refreshes;
	char *last_error;
	struct part_creds_live live;    /* stopped by minod's shutdown */
};

static int aws_part_prepare(struct part_ctx *ctx, struct mino_error **err);
static void aws_part_cancel(struct part_ctx *ctx);
static void aws_part_undo(struct part_ctx *ctx);
static int aws_part_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err);
static void aws_part_ended(struct part_ctx *ctx);
static void aws_part_record(struct part_ctx *ctx, json_t *rec);
static void aws_part_free(struct part_ctx *ctx);
static void aws_part_fire(struct creds_refresh *r, void *data);

const struct part_ops aws_part = {
	.name = "aws",
	.prepare = aws_part_prepare,
	.cancel = aws_part_cancel,
	.undo = aws_part_undo,
	.contribute = aws_part_contribute,
	.ended = aws_part_ended,
	.record = aws_part_record,
	.free = aws_part_free,
};

static void
aws_part_stop(struct aws_part *ap)
{
	if (ap->mint != NULL) {
		aws_mint_cancel(ap->mint);
		ap->mint = NULL;
	}
	if (ap->refresh != NULL) {
		creds_refresh_close(ap->refresh);
		ap->refresh = NULL;
	}
	aws_creds_clear(&ap->creds);
}

static void
aws_part_stop_cb(void *arg)
{
	aws_part_stop(arg);
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
	free(ap->last_error);
	ap->last_error = NULL;
}

static char *
aws_part_identity(const struct aws_part *ap)
{
	const struct sandbox_creds *c = &ap->ctx->spec->creds;

	if (c->aws_role_arn != NULL)
		return xasprintf("%s (key %s, from %s)", c->aws_role_arn, ap->key_id, ap->source);
	return xasprintf("key %s (from %s)", ap->key_id, ap->source);
}

static struct aws_mint *
aws_part_mint(struct aws_part *ap, bool use_cache, aws_done_fn done, struct mino_error **err)
{
	const struct sandbox_creds *c = &ap->ctx->spec->creds;
	_cleanup_free_ char *session_name = part_creds_session_name(ap->ctx);
	struct http_client *http = part_creds_http(err);

	if (http == NULL)
		return NULL;
	return aws_mint_start(&(struct aws_mint_opts){
	    .loop = minod.loop,
	    .http = http,
	    .cache = use_cache ? part_creds_cache() : NULL,
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
	ap = ctx->state;
	if (ap == NULL) {
		ap = xcalloc(1, sizeof *ap);
		ap->ctx = ctx;
		ctx->state = ap;
	}
	part_creds_live_add(&ap->live, aws_part_stop_cb, ap);
	part_progress(ctx, "minting AWS credentials");
	ap->mint = aws_part_mint(ap, true, aws_part_minted, &why);
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
	aws_creds_clear(&ap->creds);
	if (ap->refresh == NULL && ap->expires != 0) {
		ap->refresh = creds_refresh_new(minod.loop, aws_part_fire, ap);
		creds_refresh_arm(ap->refresh, time(NULL), time(NULL), ap->expires);
	}
	id = aws_part_identity(ap);
	part_creds_audit(ctx, "credentials.injected", "aws", id, ap->expires, NULL);
	(void)err;
	return 0;
}

/* ---------- refresh while the session runs ---------- */

static void
aws_part_refreshed(struct aws_mint *m, struct aws_creds *creds, const struct mino_error *err, void *data)
{
	struct aws_part *ap = data;
	_cleanup_secret_ char *json = NULL;
	_cleanup_free_ char *id = NULL;
	struct mino_error *werr = NULL;
	unsigned delay;

	ap->mint = NULL;
	if (err == NULL) {
		aws_part_take(ap, creds, aws_mint_source(m));
		json = aws_creds_process_json(&ap->creds);
		aws_creds_clear(&ap->creds);
		if (part_creds_write(ap->ctx, AWS_PART_JSON, json, &werr) == 0) {
			ap->refreshes++;
			if (ap->expires != 0)
				creds_refresh_arm(ap->refresh, time(NULL), time(NULL), ap->expires);
			id = aws_part_identity(ap);
			log_info("session %s: AWS credentials refreshed, %s", ap->ctx->spec->name, id);
			part_creds_audit(ap->ctx, "credentials.refreshed", "aws", id, ap->expires, NULL);
			return;
		}
		err = werr;
	}
	free(ap->last_error);
	ap->last_error = xstrdup(err->msg);
	delay = creds_refresh_retry(ap->refresh);
	log_warn("session %s: refreshing AWS credentials: %s (retry in %u s)", ap->ctx->spec->name, err->msg,
	    delay / 1000);
	part_creds_audit(ap->ctx, "credentials.failed", "aws", NULL, 0, err->msg);
	mino_error_release(&werr);
}

static void
aws_part_fire(struct creds_refresh *r, void *data)
{
	struct aws_part *ap = data;
	struct mino_error *err = NULL;

	(void)r;
	if (ap->mint != NULL)
		return;
	/* Not from the cache: it would hand back the token being replaced. */
	ap->mint = aws_part_mint(ap, false, aws_part_refreshed, &err);
	if (ap->mint == NULL) {
		free(ap->last_error);
		ap->last_error = xstrdup(err->msg);
		log_warn("session %s: refreshing AWS credentials: %s", ap->ctx->spec->name, err->msg);
		part_creds_audit(ap->ctx, "credentials.failed", "aws", NULL, 0, err->msg);
		creds_refresh_retry(ap->refresh);
		mino_error_release(&err);
	}
}

static void
aws_part_ended(struct part_ctx *ctx)
{
	struct aws_part *ap = ctx->state;

	if (ap != NULL)
		aws_part_stop(ap);
}

static void
aws_part_record(struct part_ctx *ctx, json_t *rec)
{
	struct aws_part *ap = ctx->state;
	_cleanup_free_ char *id = NULL;

	if (ap == NULL || !ap->minted)
		return;
	id = aws_part_identity(ap);
	part_creds_record(rec, "aws", id, ap->expires, ap->refreshes, ap->last_error);
}

static void
aws_part_free(struct part_ctx *ctx)
{
	struct aws_part *ap = ctx->state;

	if (ap == NULL)
		return;
	part_creds_live_del(&ap->live);
	aws_part_stop(ap);
	free(ap->source);
	free(ap->key_id);
	free(ap->region);
	free(ap->last_error);
	free(ap);
	ctx->state = NULL;
}
