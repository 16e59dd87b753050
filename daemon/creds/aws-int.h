/* aws-int.h: what the AWS mint's files share (aws.c: the source chain and
 * the steps; aws-sts.c: STS calls and answers; aws-process.c: renderings,
 * credential_process and the aws CLI).  Not for other modules: aws.h. */
#ifndef MINOD_CREDS_AWS_INT_H
#define MINOD_CREDS_AWS_INT_H

#include <stdbool.h>
#include <uv.h>

#include "aws.h"
#include "awsconf.h"
#include "creds-io.h"
#include "error.h"

struct capture;
struct http_req;

#define AWS_STS_VERSION "2011-06-15"
#define AWS_DEFAULT_REGION "us-east-1"
#define AWS_DEFAULT_TIMEOUT_MS 30000u
#define AWS_MAX_SECRET 8192u

enum aws_stage {
	AWS_STAGE_SOURCE,     /* run credential_process / the CLI if needed */
	AWS_STAGE_CACHE,      /* look the identity up */
	AWS_STAGE_HOPS,       /* profile role hops */
	AWS_STAGE_FINAL,      /* AssumeRole(role_arn) / GetSessionToken / pass-through */
	AWS_STAGE_DONE,
};

struct aws_hop {
	char *role_arn, *external_id, *session_name;
	unsigned duration_secs;
};

struct aws_mint {
	struct creds_io io;          /* loop, http, cache, the client's env (copied), req, cap, kick */
	enum aws_stage stage;
	enum awsconf_kind src_kind;
	char *source;                /* "environment", "profile `x`" */
	char *profile;               /* NULL for the environment source */
	char *process;               /* PROCESS: command line */
	char *cli;                   /* CLI: path of aws */
	char *region, *endpoint, *ca_bundle;
	char *role_arn, *external_id, *session_name;
	unsigned duration_secs, timeout_ms;
	struct aws_hop *hops;
	size_t nhops, next_hop;
	struct aws_creds cur;
	bool minted;                 /* an STS call made cur */
	bool from_cache;
	char *cache_key;
	const char *action;          /* STS action in flight */
	aws_done_fn on_done;
	void *data;
};

/* The next step (aws.c); a failure ends the mint with err (taken). */
void aws_mint_step(struct aws_mint *m);
void aws_mint_fail(struct aws_mint *m, struct mino_error *err);
/* Key and secret present and sane; err names `from` (aws-process.c). */
int aws_creds_check(const struct aws_creds *c, const char *from, struct mino_error **err);
int aws_creds_from_process_json(struct aws_creds *c, const char *out, size_t len, struct mino_error **err);
/* Runs credential_process or the aws CLI; aws_mint_step follows (aws-process.c). */
int aws_start_helper(struct aws_mint *m, struct mino_error **err);
/* One STS call (hop NULL: GetSessionToken); aws_mint_step follows (aws-sts.c). */
int aws_sts_call(struct aws_mint *m, const char *action, const struct aws_hop *hop, struct mino_error **err);

#endif
