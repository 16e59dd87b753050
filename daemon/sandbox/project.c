/* project.c: the project part (one row of parts-table.c): which project
 * directory a session may mount read-write (common/projectdir.h).
 *
 *   prepare     refuses `/`, $HOME and a directory that holds (or is
 *               inside) mino's own config, state or runtime directory or
 *               ~/.config/containers, unless the create asked for
 *               unsafe_project_dir (--unsafe-project-dir); then it works
 *               out the masks and creates each masked directory (0700) so
 *               that the session cannot create it either;
 *   contribute  one empty read-only tmpfs per mask (`notmpcopyup`: podman
 *               would otherwise copy the masked directory's files into it);
 *   record      the masked container paths (`masked`; the spec records
 *               unsafe_project_dir itself).
 * Synchronous; nothing to undo (the masked directories are the user's). */
#include <stdlib.h>

#include "fsutil.h"
#include "parts.h"
#include "projectdir.h"
#include "strv.h"
#include "xalloc.h"

struct project_state {
	struct projectdir_mask *masks;
	size_t nmasks;
};

static int project_prepare(struct part_ctx *ctx, struct mino_error **err);
static int project_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err);
static void project_record(struct part_ctx *ctx, json_t *rec);
static void project_free(struct part_ctx *ctx);

const struct part_ops project_part = {
	.name = "project",
	.prepare = project_prepare,
	.contribute = project_contribute,
	.record = project_record,
	.free = project_free,
};

static int
project_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	const struct sandbox_spec *spec = ctx->spec;
	struct projectdir_env env;
	struct project_state *st;
	int r = 0;

	if (projectdir_env_default(&env, spec->config_global, err) < 0)
		return -1;
	if (!spec->unsafe_project_dir) {
		r = projectdir_check(spec->project_dir, &env, err);
		projectdir_env_free(&env);
		if (r == 0)
			part_prepared(ctx, NULL);
		return r;
	}
	st = xcalloc(1, sizeof *st);
	ctx->state = st;
	st->nmasks = projectdir_masks(spec->project_dir, spec->workdir, &env, &st->masks);
	projectdir_env_free(&env);
	for (size_t i = 0; r == 0 && i < st->nmasks; i++)
		r = fs_mkdir_p(st->masks[i].host_path, 0700, 0, err);
	if (r == 0)
		part_prepared(ctx, NULL);
	return r;
}

static int
project_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err)
{
	const struct project_state *st = ctx->state;

	(void)err;
	for (size_t i = 0; st != NULL && i < st->nmasks; i++)
		strv_push(&o->args, xasprintf("--tmpfs=%s:ro,size=4k,mode=0500,notmpcopyup", st->masks[i].container_path));
	return 0;
}

static void
project_record(struct part_ctx *ctx, json_t *rec)
{
	const struct project_state *st = ctx->state;
	json_t *masked = json_array();

	for (size_t i = 0; st != NULL && i < st->nmasks; i++)
		json_array_append_new(masked, json_string(st->masks[i].container_path));
	json_object_set_new(rec, "masked", masked);
}

static void
project_free(struct part_ctx *ctx)
{
	struct project_state *st = ctx->state;

	if (st == NULL)
		return;
	projectdir_masks_free(st->masks, st->nmasks);
	free(st);
	ctx->state = NULL;
}
