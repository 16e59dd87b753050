/* layers.h: image layers (the spec's "Custom Layers"): which layers or
 * image a session asked for, where each layer is, and what it holds.
 * Owner: sandbox side.  Everything here runs once per session/create,
 * synchronously (small files); the build is compose.c's.
 *
 * A layer is a directory `NAME/` with `layer.toml` and `install.sh`:
 *   [layer]             name (= NAME, optional), description, version
 *   [env]               KEY = "value"   (passed literally: `$` is not expanded)
 *   [env.path_prepend]  dirs = ["/abs", ...]
 *   [cache]             paths = ["/abs", ...]   (cache volumes: the caches part)
 * Resolution: <project>/.mino/layers/NAME > <config>/mino/layers/NAME >
 * the built-in directory.  A project-local layer is used only when trusted:
 * the trust store (trust.h) holds its canonical directory with the SHA-256
 * of its whole tree (layers_tree_hash); otherwise it is skipped with a
 * warning naming it.  A symlink, or anything but a regular file or a
 * directory, inside a layer is refused. */
#ifndef MINOD_LAYERS_H
#define MINOD_LAYERS_H

#include <stdbool.h>
#include <stddef.h>

#include "cfgkeys.h"
#include "error.h"
#include "trust.h"

#define LAYERS_MAX 16                    /* layers per session */
#define LAYER_MAX_FILES 512
#define LAYER_MAX_BYTES (16u * 1024 * 1024) /* one layer's tree */
#define LAYERS_DEFAULT_BASE "localhost/mino-base"

enum layer_origin { LAYER_PROJECT, LAYER_USER, LAYER_BUILTIN };

struct layer_file {
	char *path;        /* relative, "/"-separated; a directory ends in "/" */
	bool exec;
	char *data;
	size_t len;
};

struct layer {
	char *name;
	char *dir;                  /* canonical */
	enum layer_origin origin;
	struct layer_file *files;   /* sorted by path */
	size_t n_files;
	char sha256[TRUST_HEX_LEN + 1]; /* of the whole tree (layers_tree_hash) */
	char *description;
	char *version;
	char **env;                 /* KEY=VALUE, file order */
	char **path_prepend;
	char **cache_paths;
};

struct layer_set {
	struct layer *v;
	size_t n;
};

/* Where to look and what is trusted. */
struct layers_where {
	const char *project_dir;    /* NULL: no project layers */
	const char *user_dir;       /* NULL: none */
	const char *builtin_dir;    /* NULL: none */
	const struct trust_store *trust; /* NULL: nothing trusted */
	bool trust_local;           /* --trust-local: the project is trusted for this run */
};

/* The choice the spec's chain makes: --layers > --image > MINO_LAYERS >
 * container.layers > (interactive selection: the client's) >
 * container.image.  An image alias (typescript/ts/node, rust/cargo,
 * python/py) becomes its layer; `base` becomes the base image; any other
 * image passes through.  *layers: NULL (an image) or a NULL-terminated
 * vector (owned); *image: the image, or the base for layers (owned). */
int layers_choose(const struct cfg *cfg, const char *base, char ***layers, char **image,
    struct mino_error **err);

/* [a-z0-9][a-z0-9_-]{0,63} */
bool layers_name_valid(const char *name);

/* Resolves and loads each name (set owned by the caller, layers_set_free).
 * Skipped untrusted project layers add a line to *warnings (a vector,
 * appended).  Errors name the layer and the file:line. */
int layers_resolve(char *const *names, const struct layers_where *w, struct layer_set *set,
    char ***warnings, struct mino_error **err);
void layers_set_free(struct layer_set *set);

/* Loads one layer directory (no trust check). */
int layer_load(const char *name, const char *dir, enum layer_origin origin, struct layer *l,
    struct mino_error **err);
void layer_free(struct layer *l);

/* The SHA-256 (hex) of a directory tree: every path, exec bit and byte,
 * in sorted order; a symlink or special file is an error.  For the trust
 * store (config/trust of a layer directory). */
int layers_tree_hash(const char *dir, char out[TRUST_HEX_LEN + 1], struct mino_error **err);

/* The user's layer directory: $XDG_CONFIG_HOME/mino/layers or
 * ~/.config/mino/layers (caller frees). */
char *layers_user_dir(void);
/* $MINO_LAYERS_BUILTIN_DIR, else <datadir>/mino/layers (caller frees). */
char *layers_builtin_dir(void);

#endif
