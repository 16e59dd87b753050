/* image-layers.c: image/layers {project?, trust_local?} (PROTOCOL.md):
 * the layers a session could ask for, for the client's interactive
 * selection.  Each name once, where resolution would look first
 * (layers.h: project > user > built-in), with its description and, for
 * a project layer, whether it is trusted.  A layer that does not load
 * (no layer.toml, a bad one, a symlink inside) is left out with a
 * warning naming it. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfgresolve.h"
#include "jsonrpc.h"
#include "layers.h"
#include "minod.h"
#include "mino-protocol.h"
#include "xalloc.h"

#define RPC_IMAGE_LAYERS_MAX 256         /* names listed at most */

static int rpc_image_layers_exec(struct rpc_call *call, json_t **result, struct mino_error **err);

const struct rpc_method rpc_image_layers_method = {
	.name = "image/layers",
	.flags = 0,
	.exec = rpc_image_layers_exec,
};

static const char *const rpc_image_layers_origins[] = { "project", "user", "builtin" };

/* What one listing gathers. */
struct rpc_image_layers {
	const struct layers_where *w;
	json_t *seen;        /* name -> entry */
	json_t *warnings;
};

static bool
rpc_image_layers_is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static json_t *
rpc_image_layers_entry(const struct layer *l, const struct layers_where *w)
{
	bool trusted = l->origin != LAYER_PROJECT || w->trust_local ||
	    (w->trust != NULL && trust_store_lookup(w->trust, l->dir, l->sha256));
	json_t *e = json_object();

	json_object_set_new(e, "name", json_string(l->name));
	json_object_set_new(e, "description", json_string(l->description ? l->description : ""));
	json_object_set_new(e, "origin", json_string(rpc_image_layers_origins[l->origin]));
	json_object_set_new(e, "dir", json_string(l->dir));
	json_object_set_new(e, "trusted", json_boolean(trusted));
	return e;
}

/* One candidate NAME in `top`: listed unless seen, invalid or broken. */
static void
rpc_image_layers_try(struct rpc_image_layers *ls, const char *top, const char *name,
    enum layer_origin origin)
{
	_cleanup_free_ char *dir = NULL;
	struct mino_error *err = NULL;
	struct layer l;

	if (!layers_name_valid(name) || json_object_get(ls->seen, name) != NULL ||
	    json_object_size(ls->seen) >= RPC_IMAGE_LAYERS_MAX)
		return;
	dir = xasprintf("%s/%s", top, name);
	if (!rpc_image_layers_is_dir(dir))
		return;
	if (layer_load(name, dir, origin, &l, &err) < 0) {
		json_array_append_new(ls->warnings, json_sprintf("layer `%s` left out: %s", name, err->msg));
		mino_error_release(&err);
		return;
	}
	json_object_set_new(ls->seen, name, rpc_image_layers_entry(&l, ls->w));
	layer_free(&l);
}

static void
rpc_image_layers_scan(struct rpc_image_layers *ls, const char *top, enum layer_origin origin)
{
	struct dirent *de;
	DIR *d;

	if (top == NULL || (d = opendir(top)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		rpc_image_layers_try(ls, top, de->d_name, origin);
	closedir(d);
}

static int
rpc_image_layers_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entries sorted by name. */
static json_t *
rpc_image_layers_sorted(json_t *seen)
{
	const char **names = xcalloc(json_object_size(seen) + 1, sizeof *names);
	json_t *arr = json_array(), *v;
	const char *k;
	size_t n = 0;

	json_object_foreach(seen, k, v)
		names[n++] = k;
	qsort(names, n, sizeof *names, rpc_image_layers_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(arr, json_object_get(seen, names[i]));
	free(names);
	return arr;
}

static int
rpc_image_layers_exec(struct rpc_call *call, json_t **result, struct mino_error **err)
{
	const char *project = NULL;
	_cleanup_free_ char *user = layers_user_dir();
	_cleanup_free_ char *builtin = layers_builtin_dir();
	_cleanup_free_ char *store = cfgresolve_trust_store();
	_cleanup_free_ char *pdir = NULL;
	struct trust_store ts = { 0 };
	struct layers_where w = { 0 };
	struct rpc_image_layers ls = { .w = &w };
	bool trust_local = false;

	if (rpc_param_string(call->params, "project", false, &project, err) < 0 ||
	    rpc_param_bool(call->params, "trust_local", false, &trust_local, err) < 0)
		return -1;
	if (project != NULL && project[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "project `%s` is not an absolute path",
		    project);
	if (trust_store_load(&ts, store, err) < 0)
		return -1;
	w.trust = &ts;
	w.trust_local = trust_local;
	ls.seen = json_object();
	ls.warnings = json_array();
	if (project != NULL) {
		pdir = xasprintf("%s/.mino/layers", project);
		rpc_image_layers_scan(&ls, pdir, LAYER_PROJECT);
	}
	rpc_image_layers_scan(&ls, user, LAYER_USER);
	rpc_image_layers_scan(&ls, builtin, LAYER_BUILTIN);
	trust_store_free(&ts);
	*result = json_object();
	json_object_set_new(*result, "layers", rpc_image_layers_sorted(ls.seen));
	json_object_set_new(*result, "warnings", ls.warnings);
	json_decref(ls.seen);
	return 0;
}
