/* cache-info.c: cache/info {project} (PROTOCOL.md): a project's lockfiles,
 * the volumes they map to (with minod's cache.scope) and the volumes of
 * that project that exist.  Lockfiles are read in a worker thread. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cache.h"
#include "jsonrpc.h"
#include "minod.h"
#include "mino-protocol.h"
#include "xalloc.h"

static int rpc_cache_info_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_cache_info_method = {
	.name = "cache/info",
	.flags = 0,
	.exec = rpc_cache_info_exec,
};

struct rpc_cache_info {
	uv_work_t work;
	struct rpc_deferred *reply;
	char *project;
	char *canon;
	char phash[65];
	struct cache_lock *locks;
	size_t nlocks;
	struct mino_error *err;
};

static void
rpc_cache_info_free(struct rpc_cache_info *ci)
{
	cache_locks_free(ci->locks, ci->nlocks);
	mino_error_release(&ci->err);
	free(ci->project);
	free(ci->canon);
	free(ci);
}

static void
rpc_cache_info_work(uv_work_t *w)
{
	struct rpc_cache_info *ci = w->data;
	char real[PATH_MAX];

	if (realpath(ci->project, real) == NULL) {
		mino_make_error(&ci->err, MINO_E_PROJECT_MISSING, errno, "project directory `%s`", ci->project);
		return;
	}
	ci->canon = xstrdup(real);
	cache_project_hash(ci->canon, ci->phash);
	cache_detect(ci->canon, &ci->locks, &ci->nlocks, &ci->err);
}

static bool
rpc_cache_info_mine(const struct rpc_cache_info *ci, const json_t *v)
{
	const char *dir = json_string_value(json_object_get(v, "project_dir"));
	const char *hash = json_string_value(json_object_get(v, "hash"));

	if (dir != NULL && strcmp(dir, ci->canon) == 0)
		return true;
	for (size_t i = 0; hash != NULL && i < ci->nlocks; i++)
		if (strcmp(ci->locks[i].sha12, hash) == 0 &&
		    strcmp(json_string_value(json_object_get(v, "scope")), "shared") == 0)
			return true;
	return false;
}

static void
rpc_cache_info_listed(json_t *list, const struct mino_error *err, void *arg)
{
	struct rpc_cache_info *ci = arg;
	bool shared = strcmp(cfg_string(&minod.cfg, "cache.scope"), "shared") == 0;
	json_t *locks = json_array(), *vols = json_array(), *v;
	size_t i;

	if (err != NULL) {
		rpc_deferred_error(ci->reply, err);
		json_decref(locks);
		json_decref(vols);
		rpc_cache_info_free(ci);
		return;
	}
	for (i = 0; i < ci->nlocks; i++) {
		const char *p8 = shared ? NULL : ci->phash;
		_cleanup_free_ char *base = cache_volume_name(ci->locks[i].eco->name, ci->locks[i].sha12, p8, 0);
		_cleanup_free_ char *name = cache_volume_name(ci->locks[i].eco->name, ci->locks[i].sha12, p8,
		    cache_store_generation(base));

		json_array_append_new(locks, json_pack("{s:s, s:s, s:s, s:s}", "lockfile", ci->locks[i].lockfile,
		    "ecosystem", ci->locks[i].eco->name, "hash", ci->locks[i].sha12, "volume", name));
	}
	json_array_foreach(json_object_get(list, "volumes"), i, v)
		if (rpc_cache_info_mine(ci, v))
			json_array_append(vols, v);
	rpc_deferred_reply(ci->reply, json_pack("{s:s, s:s, s:o, s:o, s:b}", "project_dir", ci->canon,
	    "scope", shared ? "shared" : "project", "lockfiles", locks, "volumes", vols,
	    "enabled", cfg_bool(&minod.cfg, "cache.enabled")));
	json_decref(list);
	rpc_cache_info_free(ci);
}

static void
rpc_cache_info_after(uv_work_t *w, int status)
{
	struct rpc_cache_info *ci = w->data;
	struct mino_error *err = NULL;

	(void)status;
	if (ci->err != NULL) {
		rpc_deferred_error(ci->reply, ci->err);
		rpc_cache_info_free(ci);
		return;
	}
	if (cache_list(rpc_cache_info_listed, ci, &err) < 0) {
		rpc_deferred_error(ci->reply, err);
		mino_error_release(&err);
		rpc_cache_info_free(ci);
	}
}

static int
rpc_cache_info_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	const char *project = NULL;
	struct rpc_cache_info *ci;
	int r;

	(void)result;
	if (rpc_param_string(call->params, "project", true, &project, err) < 0)
		return -1;
	if (project[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "project `%s` is not an absolute path", project);
	ci = xcalloc(1, sizeof *ci);
	ci->project = xstrdup(project);
	ci->work.data = ci;
	r = uv_queue_work(minod.loop, &ci->work, rpc_cache_info_work, rpc_cache_info_after);
	if (r < 0) {
		rpc_cache_info_free(ci);
		return mino_make_error(err, MINO_E_INTERNAL, 0, "uv_queue_work: %s", uv_strerror(r));
	}
	ci->reply = rpc_defer(call);
	return RPC_DEFERRED;
}
