/* layers.c: which layers, where they are, what they hold (layers.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "layers.h"
#include "mino-build.h"
#include "mino-protocol.h"
#include "names.h"
#include "strv.h"
#include "toml.h"
#include "xalloc.h"

struct layers_tree {
	struct layer_file *files;
	size_t n, cap;
	size_t bytes;
};

static int layers_tree_read(const char *dir, struct layers_tree *t, struct mino_error **err);
static int layers_tree_walk(int dfd, const char *rel, const char *top, struct layers_tree *t,
    unsigned depth, struct mino_error **err);
static void layers_tree_free(struct layers_tree *t);
static void layers_tree_sha(const struct layers_tree *t, char out[TRUST_HEX_LEN + 1]);

/* ---------- the choice ---------- */

static const struct {
	const char *alias;
	const char *layer;
} layers_aliases[] = {
	{ "typescript", "typescript" }, { "ts", "typescript" }, { "node", "typescript" },
	{ "rust", "rust" }, { "cargo", "rust" },
	{ "python", "python" }, { "py", "python" },
};

static char **
layers_from_value(const struct toml_value *v)
{
	char **out = xcalloc(v->count + 1, sizeof *out);

	for (size_t i = 0; i < v->count; i++)
		out[i] = xstrdup(v->items[i]);
	return out;
}

static int
layers_from_image(const char *image, const char *base, char ***layers, char **out)
{
	for (size_t i = 0; i < sizeof layers_aliases / sizeof *layers_aliases; i++) {
		if (strcmp(image, layers_aliases[i].alias) != 0)
			continue;
		*layers = xcalloc(2, sizeof **layers);
		(*layers)[0] = xstrdup(layers_aliases[i].layer);
		*out = xstrdup(base);
		return 0;
	}
	*out = xstrdup(strcmp(image, "base") == 0 ? base : image);
	return 0;
}

int
layers_choose(const struct cfg *cfg, const char *base, char ***layers, char **image,
    struct mino_error **err)
{
	const struct cfg_setting *ls = cfg_setting(cfg, "container.layers");
	const struct cfg_setting *is = cfg_setting(cfg, "container.image");
	bool have_layers = ls != NULL && ls->value.type == TOML_ARRAY && ls->value.count > 0;

	*layers = NULL;
	*image = NULL;
	if (have_layers && ls->source == CFG_SRC_FLAG && is->source == CFG_SRC_FLAG)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "`--layers` conflicts with `--image`: give one of them");
	if (have_layers && ls->value.count > LAYERS_MAX)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "at most %d layers", LAYERS_MAX);
	if (have_layers && (ls->source == CFG_SRC_FLAG || is->source != CFG_SRC_FLAG)) {
		*layers = layers_from_value(&ls->value);
		*image = xstrdup(base);
		return 0;
	}
	return layers_from_image(is->value.string, base, layers, image);
}

bool
layers_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (const char *s = name; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

char *
layers_builtin_dir(void)
{
	const char *env = getenv("MINO_LAYERS_BUILTIN_DIR");

	return xstrdup(env != NULL && env[0] == '/' ? env : MINO_LAYERSDIR);
}

char *
layers_user_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/mino/layers", xdg);
	if (home != NULL && home[0] == '/')
		return xasprintf("%s/.config/mino/layers", home);
	return NULL;
}

/* ---------- the tree ---------- */

static int
layers_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct layer_file *)a)->path, ((const struct layer_file *)b)->path);
}

static struct layer_file *
layers_tree_add(struct layers_tree *t, char *path)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->files = xreallocarray(t->files, t->cap, sizeof *t->files);
	}
	memset(&t->files[t->n], 0, sizeof t->files[t->n]);
	t->files[t->n].path = path;
	return &t->files[t->n++];
}

static int
layers_read_fd(int fd, const char *what, size_t room, struct layer_file *f, struct mino_error **err)
{
	struct buf b = { 0 };
	char chunk[16384];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_free(&b);
			return mino_make_error(err, MINO_E_IO, errno, "reading `%s`", what);
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > room) {
			buf_free(&b);
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			    "`%s`: the layer is larger than %u bytes", what, LAYER_MAX_BYTES);
		}
		buf_append(&b, chunk, (size_t)n);
	}
	buf_reserve(&b, 1);
	b.data[b.len] = '\0';
	f->data = b.data;
	f->len = b.len;
	return 0;
}

static int
layers_tree_entry(int dfd, const char *name, const char *rel, const char *top, struct layers_tree *t,
    unsigned depth, struct mino_error **err)
{
	_cleanup_free_ char *path = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
	_cleanup_close_ int fd = -1;
	struct layer_file *f;
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "`%s/%s`", top, path);
	if (S_ISLNK(st.st_mode))
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "`%s/%s` is a symlink; a layer may hold only files and directories", top, path);
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "`%s/%s` is not a regular file or directory", top, path);
	if (t->n >= LAYER_MAX_FILES)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` has more than %d entries", top,
		    LAYER_MAX_FILES);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "opening `%s/%s`", top, path);
	if (S_ISDIR(st.st_mode)) {
		int dfd2 = fd;

		fd = -1; /* the walk takes it */
		layers_tree_add(t, xasprintf("%s/", path));
		return layers_tree_walk(dfd2, path, top, t, depth + 1, err);
	}
	f = layers_tree_add(t, xstrdup(path));
	f->exec = (st.st_mode & 0111) != 0;
	if (layers_read_fd(fd, f->path, LAYER_MAX_BYTES - t->bytes, f, err) < 0)
		return -1;
	t->bytes += f->len;
	return 0;
}

/* Takes dfd. */
static int
layers_tree_walk(int dfd, const char *rel, const char *top, struct layers_tree *t, unsigned depth,
    struct mino_error **err)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 16) {
		close(dfd);
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` is nested too deeply", top);
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return mino_make_error(err, MINO_E_IO, errno, "reading `%s`", top);
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = layers_tree_entry(dirfd(d), de->d_name, rel, top, t, depth, err);
	}
	closedir(d);
	return r;
}

static int
layers_tree_read(const char *dir, struct layers_tree *t, struct mino_error **err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	memset(t, 0, sizeof *t);
	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "opening `%s`", dir);
	if (layers_tree_walk(fd, "", dir, t, 0, err) < 0) {
		layers_tree_free(t);
		return -1;
	}
	if (t->n > 0)
		qsort(t->files, t->n, sizeof *t->files, layers_file_cmp);
	return 0;
}

static void
layers_tree_free(struct layers_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->files[i].path);
		free(t->files[i].data);
	}
	free(t->files);
	memset(t, 0, sizeof *t);
}

/* path NUL kind(d|x|-) NUL length(decimal) NUL bytes, for each entry. */
static void
layers_tree_sha(const struct layers_tree *t, char out[TRUST_HEX_LEN + 1])
{
	struct buf b = { 0 };
	char num[32];
	int n;

	buf_append(&b, "mino-layer-tree-1", 18);
	for (size_t i = 0; i < t->n; i++) {
		const struct layer_file *f = &t->files[i];
		size_t plen = strlen(f->path);
		char kind = f->path[plen - 1] == '/' ? 'd' : f->exec ? 'x' : '-';

		buf_append(&b, f->path, plen + 1);
		buf_append(&b, &kind, 1);
		n = snprintf(num, sizeof num, "%zu", f->len);
		buf_append(&b, num, (size_t)n + 1);
		if (f->len > 0)
			buf_append(&b, f->data, f->len);
	}
	trust_sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

int
layers_tree_hash(const char *dir, char out[TRUST_HEX_LEN + 1], struct mino_error **err)
{
	struct layers_tree t;

	if (layers_tree_read(dir, &t, err) < 0)
		return -1;
	layers_tree_sha(&t, out);
	layers_tree_free(&t);
	return 0;
}

/* ---------- layer.toml ---------- */

static void
layers_push(char ***v, char *s)
{
	size_t n = strv_len(*v);

	*v = xreallocarray(*v, n + 2, sizeof **v);
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

static int
layers_abs_path_ok(const char *p)
{
	return p[0] == '/' && strpbrk(p, ":,$\"\\\n'`") == NULL && strlen(p) < 1024;
}

static int
layers_toml_string(const char *file, const struct toml_entry *e, char **out, struct mino_error **err)
{
	if (e->value.type == TOML_INTEGER) {
		*out = xasprintf("%lld", e->value.integer);
		return 0;
	}
	if (e->value.type != TOML_STRING)
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: `%s` must be a string", file, e->line,
		    e->key);
	*out = xstrdup(e->value.string);
	return 0;
}

static int
layers_toml_paths(const char *file, const struct toml_entry *e, char ***out, struct mino_error **err)
{
	if (e->value.type != TOML_ARRAY)
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: `%s` must be an array of strings", file,
		    e->line, e->key);
	for (size_t i = 0; i < e->value.count; i++) {
		if (!layers_abs_path_ok(e->value.items[i]))
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "%s:%u: `%s`: `%s` is not an absolute path without : , $ quotes or backslashes", file,
			    e->line, e->key, e->value.items[i]);
		layers_push(out, xstrdup(e->value.items[i]));
	}
	return 0;
}

static int
layers_toml_env(const char *file, const struct toml_entry *e, struct layer *l, struct mino_error **err)
{
	if (!env_name_is_valid(e->key, strlen(e->key)))
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: `%s` is not a valid variable name", file,
		    e->line, e->key);
	if (strcmp(e->key, "PATH") == 0)
		return mino_make_error(err, MINO_E_CONFIG, 0,
		    "%s:%u: set PATH with [env.path_prepend] dirs, not [env]", file, e->line);
	if (e->value.type != TOML_STRING)
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: `%s` must be a string", file, e->line,
		    e->key);
	if (strchr(e->value.string, '\n') != NULL || strchr(e->value.string, '\r') != NULL)
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: `%s` holds a line break", file, e->line,
		    e->key);
	layers_push(&l->env, xasprintf("%s=%s", e->key, e->value.string));
	return 0;
}

static int
layers_toml_entry(const char *file, const struct toml_entry *e, struct layer *l, struct mino_error **err)
{
	_cleanup_free_ char *s = NULL;

	if (strcmp(e->section, "layer") == 0) {
		if (strcmp(e->key, "name") == 0) {
			if (layers_toml_string(file, e, &s, err) < 0)
				return -1;
			if (strcmp(s, l->name) != 0)
				return mino_make_error(err, MINO_E_CONFIG, 0,
				    "%s:%u: name `%s` is not the directory's name `%s`", file, e->line, s, l->name);
			return 0;
		}
		if (strcmp(e->key, "description") == 0)
			return layers_toml_string(file, e, &l->description, err);
		if (strcmp(e->key, "version") == 0)
			return layers_toml_string(file, e, &l->version, err);
	} else if (strcmp(e->section, "env") == 0) {
		return layers_toml_env(file, e, l, err);
	} else if (strcmp(e->section, "env.path_prepend") == 0 && strcmp(e->key, "dirs") == 0) {
		return layers_toml_paths(file, e, &l->path_prepend, err);
	} else if (strcmp(e->section, "cache") == 0 && strcmp(e->key, "paths") == 0) {
		return layers_toml_paths(file, e, &l->cache_paths, err);
	}
	return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: unknown key `%s%s%s`", file, e->line,
	    e->section, e->section[0] ? "." : "", e->key);
}

static int
layers_parse_toml(const struct layer_file *f, struct layer *l, struct mino_error **err)
{
	_cleanup_free_ char *file = xasprintf("%s/layer.toml", l->dir);
	struct toml_doc doc;
	int r = 0;

	if (toml_parse(file, f->data, f->len, &doc, err) < 0)
		return -1;
	for (size_t i = 0; i < doc.n_sections && r == 0; i++) {
		const char *s = doc.sections[i].name;

		if (strcmp(s, "layer") != 0 && strcmp(s, "env") != 0 && strcmp(s, "env.path_prepend") != 0 &&
		    strcmp(s, "cache") != 0)
			r = mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: unknown section `[%s]`", file,
			    doc.sections[i].line, s);
	}
	for (size_t i = 0; i < doc.n_entries && r == 0; i++)
		r = layers_toml_entry(file, &doc.entries[i], l, err);
	toml_doc_free(&doc);
	return r;
}

static const struct layer_file *
layers_find_file(const struct layer *l, const char *path)
{
	for (size_t i = 0; i < l->n_files; i++)
		if (strcmp(l->files[i].path, path) == 0)
			return &l->files[i];
	return NULL;
}

int
layer_load(const char *name, const char *dir, enum layer_origin origin, struct layer *l,
    struct mino_error **err)
{
	struct layers_tree t;
	const struct layer_file *toml;
	char canon[PATH_MAX];

	memset(l, 0, sizeof *l);
	if (realpath(dir, canon) == NULL)
		return mino_make_error(err, MINO_E_IO, errno, "layer `%s`: `%s`", name, dir);
	l->name = xstrdup(name);
	l->dir = xstrdup(canon);
	l->origin = origin;
	if (layers_tree_read(canon, &t, err) < 0)
		goto fail;
	l->files = t.files;
	l->n_files = t.n;
	layers_tree_sha(&t, l->sha256);
	toml = layers_find_file(l, "layer.toml");
	if (toml == NULL || layers_find_file(l, "install.sh") == NULL) {
		mino_make_error(err, MINO_E_CONFIG, 0, "layer `%s`: `%s` needs layer.toml and install.sh", name,
		    canon);
		goto fail;
	}
	if (layers_parse_toml(toml, l, err) < 0)
		goto fail;
	return 0;
fail:
	layer_free(l);
	return -1;
}

void
layer_free(struct layer *l)
{
	for (size_t i = 0; i < l->n_files; i++) {
		free(l->files[i].path);
		free(l->files[i].data);
	}
	free(l->files);
	free(l->name);
	free(l->dir);
	free(l->description);
	free(l->version);
	strv_free(l->env);
	strv_free(l->path_prepend);
	strv_free(l->cache_paths);
	memset(l, 0, sizeof *l);
}

void
layers_set_free(struct layer_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		layer_free(&set->v[i]);
	free(set->v);
	memset(set, 0, sizeof *set);
}

/* ---------- resolution ---------- */

static bool
layers_is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
layers_trusted(const struct layers_where *w, const struct layer *l)
{
	return w->trust_local || (w->trust != NULL && trust_store_lookup(w->trust, l->dir, l->sha256));
}

/* The project's copy: 1 used, 0 none or skipped, -1 error. */
static int
layers_try_project(const char *name, const struct layers_where *w, struct layer *l, char ***warnings,
    struct mino_error **err)
{
	_cleanup_free_ char *dir = NULL;

	if (w->project_dir == NULL)
		return 0;
	dir = xasprintf("%s/.mino/layers/%s", w->project_dir, name);
	if (!layers_is_dir(dir))
		return 0;
	if (layer_load(name, dir, LAYER_PROJECT, l, err) < 0) {
		if ((*err)->code == MINO_E_INVALID_ARGUMENT) {
			/* a symlink or special file: refused, never built */
			layers_push(warnings, xasprintf("project layer `%s` skipped: %s", name, (*err)->msg));
			mino_error_release(err);
			return 0;
		}
		return -1;
	}
	if (layers_trusted(w, l))
		return 1;
	layers_push(warnings, xasprintf("project layer `%s` (%s) is not trusted and was skipped; "
	    "trust it with `mino config trust %s` or run with --trust-local", name, l->dir, l->dir));
	layer_free(l);
	return 0;
}

static int
layers_resolve_one(const char *name, const struct layers_where *w, struct layer *l, char ***warnings,
    struct mino_error **err)
{
	const char *const dirs[] = { w->user_dir, w->builtin_dir };
	const enum layer_origin origins[] = { LAYER_USER, LAYER_BUILTIN };
	_cleanup_free_ char *dir = NULL;
	int r;

	if (!layers_name_valid(name))
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "invalid layer name `%s`: [a-z0-9][a-z0-9_-]*, at most 64 bytes", name);
	r = layers_try_project(name, w, l, warnings, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	for (size_t i = 0; i < 2; i++) {
		if (dirs[i] == NULL)
			continue;
		free(dir);
		dir = xasprintf("%s/%s", dirs[i], name);
		if (layers_is_dir(dir))
			return layer_load(name, dir, origins[i], l, err);
	}
	return mino_make_error(err, MINO_E_IMAGE_MISSING, 0,
	    "layer `%s` not found (looked in %s/.mino/layers, %s and %s); create %s/%s/layer.toml and install.sh",
	    name, w->project_dir ? w->project_dir : "(no project)", w->user_dir ? w->user_dir : "(no user dir)",
	    w->builtin_dir ? w->builtin_dir : "(no built-in dir)", w->user_dir ? w->user_dir : "~/.config/mino/layers",
	    name);
}

int
layers_resolve(char *const *names, const struct layers_where *w, struct layer_set *set,
    char ***warnings, struct mino_error **err)
{
	size_t n = strv_len(names);

	memset(set, 0, sizeof *set);
	set->v = xcalloc(n ? n : 1, sizeof *set->v);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0) {
				layers_set_free(set);
				return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "layer `%s` is listed twice",
				    names[i]);
			}
		if (layers_resolve_one(names[i], w, &set->v[i], warnings, err) < 0) {
			layers_set_free(set);
			return -1;
		}
		set->n++;
	}
	return 0;
}
