/* rpc-config-trust.c: config/trust (PROTOCOL.md): record a project file's
 * canonical path and SHA-256 in the trust store. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "cfgfile.h"
#include "cfgresolve.h"
#include "jsonrpc.h"
#include "layers.h"
#include "minod.h"
#include "mino-protocol.h"
#include "trust.h"
#include "xalloc.h"

static int rpc_config_trust_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_config_trust_method = {
	.name = "config/trust",
	.flags = RPC_MUTATING,
	.exec = rpc_config_trust_exec,
};

/* An absolute path; a directory means its .mino.toml.  Caller frees. */
static int
rpc_config_trust_path(const char *path, char **out, struct mino_error **err)
{
	struct stat st;

	if (path[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` is not an absolute path",
		    path);
	if (stat(path, &st) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "`%s`", path);
	if (S_ISDIR(st.st_mode))
		*out = xasprintf("%s/%s", path, CFGFILE_LOCAL_NAME);
	else
		*out = xstrdup(path);
	return 0;
}

/* A layer directory (layers.h): its canonical path and the hash of its
 * whole tree. */
static int
rpc_config_trust_layer(const char *path, char **canon, char sha[TRUST_HEX_LEN + 1], struct mino_error **err)
{
	char buf[PATH_MAX];

	if (path[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` is not an absolute path", path);
	if (realpath(path, buf) == NULL)
		return mino_make_error(err, MINO_E_IO, errno, "`%s`", path);
	if (layers_tree_hash(buf, sha, err) < 0)
		return -1;
	*canon = xstrdup(buf);
	return 0;
}

static int
rpc_config_trust_record(const char *canon, const char *sha256, struct mino_error **err)
{
	_cleanup_free_ char *store = cfgresolve_trust_store();
	struct trust_store ts = { 0 };
	int r;

	if (trust_store_load(&ts, store, err) < 0)
		return -1;
	r = trust_store_add(&ts, canon, sha256, err);
	trust_store_free(&ts);
	return r;
}

static int
rpc_config_trust_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	const char *path = NULL, *want = NULL;
	_cleanup_free_ char *file = NULL;
	_cleanup_free_ char *canon = NULL;
	char sha[TRUST_HEX_LEN + 1];
	bool layer = false;
	json_t *r, *a;

	if (rpc_param_string(call->params, "path", true, &path, err) < 0 ||
	    rpc_param_string(call->params, "sha256", false, &want, err) < 0 ||
	    rpc_param_bool(call->params, "layer", false, &layer, err) < 0)
		return -1;
	if (layer) {
		if (rpc_config_trust_layer(path, &canon, sha, err) < 0)
			return -1;
	} else if (rpc_config_trust_path(path, &file, err) < 0 ||
	    trust_hash_file(file, &canon, sha, err) < 0)
		return -1;
	if (want != NULL && strcmp(want, sha) != 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "`%s` changed since it was shown; look at it again", canon);
	if (rpc_config_trust_record(canon, sha, err) < 0)
		return -1;
	a = json_object();
	json_object_set_new(a, "path", json_string(canon));
	json_object_set_new(a, "sha256", json_string(sha));
	audit_event("config.trusted", a);
	r = json_object();
	json_object_set_new(r, "path", json_string(canon));
	json_object_set_new(r, "sha256", json_string(sha));
	*result = r;
	return 0;
}
