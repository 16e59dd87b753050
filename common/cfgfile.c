/* cfgfile.c: configuration files on disk. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgfile.h"
#include "fsutil.h"
#include "error.h"
#include "toml.h"
#include "trust.h"
#include "xalloc.h"

struct cfgfile_line {
	const char *start;
	size_t len;          /* without the line end */
	const char *eol;     /* "\n", "\r\n" or "" (last line without one) */
};

static int cfgfile_check_doc(const char *name, const struct toml_doc *doc,
    struct cfg_layer *layer, struct mino_error **err);
static char *cfgfile_key_list(void);
static int cfgfile_unknown_key(const char *key, struct mino_error **err);
static size_t cfgfile_split(const char *data, size_t len, struct cfgfile_line **out);
static void cfgfile_put_line(struct buf *b, const struct cfgfile_line *l, const char *eol);
static char *cfgfile_dir_of(const char *path);

int
cfgfile_read(const char *path, size_t max, bool nofollow, bool *found, char **out, size_t *len,
    struct stat *st, struct mino_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *data = NULL;
	struct stat sb;
	size_t used = 0;

	*found = false;
	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP && nofollow)
			return mino_make_error(err, MINO_E_IO, ELOOP, "`%s` is a symlink; not following it",
			    path);
		return mino_make_error(err, MINO_E_IO, errno, "open `%s`", path);
	}
	if (fstat(fd, &sb) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "stat `%s`", path);
	if (!S_ISREG(sb.st_mode))
		return mino_make_error(err, MINO_E_IO, 0, "`%s` is not a regular file", path);
	if ((uintmax_t)sb.st_size > max)
		return mino_make_error(err, MINO_E_IO, EFBIG, "`%s` is larger than %zu bytes", path,
		    max);
	if (fs_read_fd(fd, path, max, &data, &used, err) < 0)
		return -1;
	if (st != NULL)
		*st = sb;
	*found = true;
	*out = steal_pointer(&data);
	*len = used;
	return 0;
}

static char *
cfgfile_key_list(void)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < cfgkeys_count; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", cfgkeys_table[i].name);
	buf_append(&b, "", 1);
	return buf_steal(&b, NULL);
}

static int
cfgfile_unknown_key(const char *key, struct mino_error **err)
{
	_cleanup_free_ char *list = cfgfile_key_list();
	const struct cfg_key *near = cfgkeys_nearest(key);

	if (near != NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "unknown key `%s` (did you mean `%s`?); valid keys: %s", key, near->name, list);
	return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "unknown key `%s`; valid keys: %s",
	    key, list);
}

static int
cfgfile_check_doc(const char *name, const struct toml_doc *doc, struct cfg_layer *layer,
    struct mino_error **err)
{
	for (size_t i = 0; i < doc->n_sections; i++) {
		if (!cfgkeys_section_known(doc->sections[i].name))
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "%s:%u: unknown section [%s] (expected general, vm, container, "
			    "credentials.aws, credentials.gcp, credentials.azure, credentials.github, "
			    "session or cache)", name, doc->sections[i].line, doc->sections[i].name);
	}
	for (size_t i = 0; i < doc->n_entries; i++) {
		const struct toml_entry *e = &doc->entries[i];
		_cleanup_free_ char *full = e->section[0] != '\0' ?
		    xasprintf("%s.%s", e->section, e->key) : xstrdup(e->key);
		const struct cfg_key *k = cfgkeys_find(full), *near;

		if (k == NULL) {
			near = cfgkeys_nearest(full);
			if (near == NULL)
				near = cfgkeys_nearest(e->key);
			if (e->section[0] == '\0')
				return mino_make_error(err, MINO_E_CONFIG, 0,
				    "%s:%u: key `%s` outside of any [section]%s%s%s", name, e->line,
				    e->key, near != NULL ? " (did you mean `" : "",
				    near != NULL ? near->name : "", near != NULL ? "`?)" : "");
			return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: unknown key `%s` in [%s]%s%s%s",
			    name, e->line, e->key, e->section, near != NULL ? " (did you mean `" : "",
			    near != NULL ? near->name : "", near != NULL ? "`?)" : "");
		}
		if (cfgkeys_check(k, &e->value, err) < 0)
			return mino_error_wrap(err, "%s:%u", name, e->line);
		if (cfg_layer_set(layer, k->name, &e->value, e->line, err) < 0)
			return mino_error_wrap(err, "%s:%u", name, e->line);
	}
	return 0;
}

int
cfgfile_parse_layer(const char *name, const char *data, size_t len, enum cfg_source src,
    struct cfg_layer *layer, struct mino_error **err)
{
	struct toml_doc doc;
	int r;

	cfg_layer_init(layer, src, name);
	if (toml_parse(name, data, len, &doc, err) < 0) {
		cfg_layer_free(layer);
		return -1;
	}
	r = cfgfile_check_doc(name, &doc, layer, err);
	toml_doc_free(&doc);
	if (r < 0)
		cfg_layer_free(layer);
	return r;
}

int
cfgfile_load(const char *path, enum cfg_source src, struct cfg_layer *layer, bool *found,
    char sha256[65], struct mino_error **err)
{
	_cleanup_free_ char *data = NULL;
	struct stat st;
	size_t len;

	cfg_layer_init(layer, src, path);
	if (sha256 != NULL)
		sha256[0] = '\0';
	/* The local file is never read through a symlink; the global one may
	 * be a symlink (dotfile managers) but must be ours and not writable by
	 * others, as the trust store: it is never trust-gated. */
	if (cfgfile_read(path, TOML_MAX_FILE, src == CFG_SRC_LOCAL, found, &data, &len, &st,
	    err) < 0) {
		cfg_layer_free(layer);
		return -1;
	}
	if (!*found)
		return 0;
	if (src == CFG_SRC_GLOBAL && (st.st_uid != geteuid() || (st.st_mode & 022) != 0)) {
		cfg_layer_free(layer);
		return mino_make_error(err, MINO_E_PERMISSION, 0,
		    "global config `%s` must be owned by you and not writable by group or others "
		    "(owner uid %lu, mode %04o)", path, (unsigned long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
	}
	if (sha256 != NULL)
		trust_sha256_hex(data, len, sha256);
	cfg_layer_free(layer);
	return cfgfile_parse_layer(path, data, len, src, layer, err);
}

/* Physical lines, each with its own line end. */
static size_t
cfgfile_split(const char *data, size_t len, struct cfgfile_line **out)
{
	struct cfgfile_line *lines = NULL;
	size_t n = 0, pos = 0;

	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - data) : len;
		struct cfgfile_line *l;

		lines = xreallocarray(lines, n + 1, sizeof *lines);
		l = &lines[n++];
		l->start = data + pos;
		if (nl == NULL) {
			l->len = end - pos;
			l->eol = "";
			pos = len;
		} else if (end > pos && data[end - 1] == '\r') {
			l->len = end - pos - 1;
			l->eol = "\r\n";
			pos = end + 1;
		} else {
			l->len = end - pos;
			l->eol = "\n";
			pos = end + 1;
		}
	}
	*out = lines;
	return n;
}

static void
cfgfile_put_line(struct buf *b, const struct cfgfile_line *l, const char *eol)
{
	buf_append(b, l->start, l->len);
	buf_printf(b, "%s", l->eol[0] != '\0' ? l->eol : eol);
}

int
cfgfile_edit(const char *name, const char *data, size_t len, const char *key, const char *text,
    char **out, size_t *out_len, struct mino_error **err)
{
	const struct cfg_key *k = cfgkeys_find(key);
	_cleanup_free_ char *section = NULL, *check = NULL;
	_cleanup_free_ struct cfgfile_line *lines = NULL;
	const struct toml_entry *old;
	struct toml_value v = { 0 };
	struct toml_doc doc;
	struct buf line, res;
	const char *leaf, *eol;
	size_t n_lines, insert_after = 0, check_len;
	bool have_section = false, ok;

	if (k == NULL)
		return cfgfile_unknown_key(key, err);
	if (cfgkeys_parse_text(k, text, &v, err) < 0)
		return -1;
	if (toml_parse(name, data, len, &doc, err) < 0) {
		toml_value_free(&v);
		return mino_error_wrap(err, "cannot edit (fix the file first)");
	}
	leaf = strrchr(k->name, '.') + 1;
	section = xstrndup(k->name, (size_t)(leaf - 1 - k->name));
	eol = doc.crlf ? "\r\n" : "\n";
	buf_init(&line);
	buf_printf(&line, "%s = ", leaf);
	toml_append_value(&line, &v);
	n_lines = cfgfile_split(data, len, &lines);
	buf_init(&res);

	old = toml_doc_find(&doc, section, leaf);
	for (size_t i = 0; i < doc.n_sections; i++)
		if (strcmp(doc.sections[i].name, section) == 0) {
			have_section = true;
			insert_after = doc.sections[i].line;
		}
	for (size_t i = 0; i < doc.n_entries; i++)
		if (strcmp(doc.entries[i].section, section) == 0 &&
		    doc.entries[i].end_line > insert_after)
			insert_after = doc.entries[i].end_line;

	for (size_t i = 0; i < n_lines; i++) {
		unsigned lno = (unsigned)i + 1;

		if (old != NULL && lno >= old->line && lno <= old->end_line) {
			if (lno == old->line) {
				const struct cfgfile_line *l = &lines[i];
				size_t indent = strspn(l->start, " \t");

				if (indent > l->len)
					indent = l->len;
				buf_append(&res, l->start, indent);
				buf_append(&res, line.data, line.len);
				if (old->comment != NULL)
					buf_printf(&res, "  %s", old->comment);
				buf_printf(&res, "%s", lines[old->end_line - 1].eol[0] != '\0' ?
				    lines[old->end_line - 1].eol : (i + 1 < n_lines ? eol : ""));
			}
			continue;
		}
		cfgfile_put_line(&res, &lines[i], (old == NULL && have_section &&
		    lno == insert_after) || i + 1 < n_lines ? eol : "");
		if (old == NULL && have_section && lno == insert_after) {
			buf_append(&res, line.data, line.len);
			buf_printf(&res, "%s", eol);
		}
	}
	if (old == NULL && !have_section) {
		if (res.len > 0 && res.data[res.len - 1] != '\n')
			buf_printf(&res, "%s", eol);
		buf_printf(&res, "%s[%s]%s", res.len > 0 ? eol : "", section, eol);
		buf_append(&res, line.data, line.len);
		buf_printf(&res, "%s", eol);
	}
	buf_free(&line);
	toml_doc_free(&doc);

	/* The result must parse and hold the new value. */
	buf_append(&res, "", 1);
	check_len = res.len - 1;
	check = buf_steal(&res, NULL);
	if (toml_parse(name, check, check_len, &doc, err) < 0) {
		toml_value_free(&v);
		return mino_error_wrap(err, "internal error: edited file does not parse");
	}
	old = toml_doc_find(&doc, section, leaf);
	ok = old != NULL && toml_value_equal(&old->value, &v);
	toml_doc_free(&doc);
	toml_value_free(&v);
	if (!ok)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "internal error: edit of `%s` lost",
		    key);
	*out = steal_pointer(&check);
	if (out_len != NULL)
		*out_len = check_len;
	return 0;
}

static char *
cfgfile_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
cfgfile_set(const char *path, const char *key, const char *text, struct mino_error **err)
{
	_cleanup_free_ char *real = realpath(path, NULL), *data = NULL, *out = NULL, *dir = NULL;
	const char *target = real != NULL ? real : path;
	struct stat st;
	size_t len, out_len;
	bool found;
	mode_t mode = 0644;

	if (cfgfile_read(target, TOML_MAX_FILE, false, &found, &data, &len, &st, err) < 0)
		return -1;
	if (found)
		mode = st.st_mode & 07777;
	if (cfgfile_edit(target, found ? data : "", found ? len : 0, key, text, &out, &out_len,
	    err) < 0)
		return -1;
	dir = cfgfile_dir_of(target);
	if (!found && fs_mkdir_p(dir, 0700, 0, err) < 0)
		return -1;
	return fs_write_atomic(target, out, out_len, mode, err);
}

int
cfgfile_init(const char *path, bool local, bool force, struct mino_error **err)
{
	_cleanup_free_ char *dir = cfgfile_dir_of(path);
	struct buf b;
	struct stat st;
	int r;

	if (!force && lstat(path, &st) == 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "`%s` already exists (use --force to overwrite)", path);
	if (fs_mkdir_p(dir, 0700, 0, err) < 0)
		return -1;
	buf_init(&b);
	cfgkeys_render_template(local, &b);
	r = fs_write_atomic(path, b.data, b.len, local ? 0644 : 0600, err);
	buf_free(&b);
	return r;
}

int
cfgfile_canon_parent(const char *path, char **out, struct mino_error **err)
{
	_cleanup_free_ char *dir = cfgfile_dir_of(path), *real = NULL;
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;

	*out = NULL;
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` does not name a file", path);
	real = realpath(dir, NULL);
	if (real == NULL)
		return mino_make_error(err, MINO_E_IO, errno, "`%s`", dir);
	*out = xasprintf("%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
	return 0;
}

/* Why the candidate `cand` in the canonical directory `dir` is not used:
 * NULL when it is; "" to pass it over silently (absent, or not ours);
 * else a warning line (caller frees). */
static char *
cfgfile_local_refusal(const char *dir, const char *cand)
{
	struct stat st, dst;

	if (lstat(cand, &st) < 0)
		return xstrdup("");
	if (S_ISLNK(st.st_mode))
		return xasprintf("ignoring `%s`: it is a symlink, and mino never follows a symlinked %s",
		    cand, CFGFILE_LOCAL_NAME);
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return xstrdup("");
	if (stat(dir, &dst) < 0)
		return xstrdup("");
	if ((dst.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
	    (dst.st_uid != geteuid() && dst.st_uid != 0))
		return xasprintf("ignoring `%s`: its directory can be written by other users",
		    cand);
	return NULL;
}

int
cfgfile_find_local(const char *start_dir, char **out, char **warning, struct mino_error **err)
{
	_cleanup_free_ char *dir = realpath(start_dir, NULL);

	*out = NULL;
	if (warning != NULL)
		*warning = NULL;
	if (dir == NULL)
		return mino_make_error(err, MINO_E_PROJECT_MISSING, errno, "project directory `%s`",
		    start_dir);
	for (;;) {
		_cleanup_free_ char *cand = xasprintf("%s%s%s", dir,
		    strcmp(dir, "/") == 0 ? "" : "/", CFGFILE_LOCAL_NAME);
		_cleanup_free_ char *why = cfgfile_local_refusal(dir, cand);
		char *slash;

		/* Found: the path where it is, which is the trust key. */
		if (why == NULL) {
			*out = steal_pointer(&cand);
			return 0;
		}
		if (why[0] != '\0' && warning != NULL && *warning == NULL)
			*warning = steal_pointer(&why);
		if (strcmp(dir, "/") == 0)
			return 0;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

void
cfgfile_report_free(struct cfgfile_report *report)
{
	free(report->local_path);
	report->local_path = NULL;
	free(report->local_warning);
	report->local_warning = NULL;
	cfg_layer_free(&report->skipped);
}

int
cfgfile_resolve(struct cfg *cfg, const struct cfgfile_sources *src,
    struct cfgfile_report *report, struct mino_error **err)
{
	struct cfg_layer global, local, apply;
	struct trust_store ts = { 0 };
	bool found;

	memset(report, 0, sizeof *report);
	cfg_layer_init(&report->skipped, CFG_SRC_LOCAL, NULL);
	cfg_init(cfg);
	if (src->global_path != NULL) {
		if (cfgfile_load(src->global_path, CFG_SRC_GLOBAL, &global, &found, NULL, err) < 0)
			goto fail;
		cfg_apply(cfg, &global);
		cfg_layer_free(&global);
	}
	if (src->local_path != NULL) {
		if (cfgfile_canon_parent(src->local_path, &report->local_path, err) < 0)
			goto fail;
		if (cfgfile_load(report->local_path, CFG_SRC_LOCAL, &local, &found,
		    report->local_sha256, err) < 0)
			goto fail;
		report->local_found = found;
		if (found) {
			report->local_trusted = src->trust_local;
			if (!report->local_trusted && cfg_layer_needs_trust(&local) &&
			    src->trust_store != NULL) {
				if (trust_store_load(&ts, src->trust_store, err) < 0) {
					cfg_layer_free(&local);
					goto fail;
				}
				report->local_trusted = trust_store_lookup(&ts, report->local_path,
				    report->local_sha256);
				trust_store_free(&ts);
			}
			cfg_layer_free(&report->skipped);
			cfg_trust_gate(&local, report->local_trusted, &apply, &report->skipped);
			cfg_apply(cfg, &apply);
			cfg_layer_free(&apply);
		}
		cfg_layer_free(&local);
	}
	if (src->env != NULL)
		cfg_apply(cfg, src->env);
	if (src->flags != NULL)
		cfg_apply(cfg, src->flags);
	return 0;
fail:
	cfg_free(cfg);
	return -1;
}

int
cfgfile_default_project(const char *path, char **out, struct mino_error **err)
{
	struct cfg_layer layer;
	const struct cfg_assign *a;
	bool found;

	*out = NULL;
	if (cfgfile_load(path, CFG_SRC_GLOBAL, &layer, &found, NULL, err) < 0)
		return -1;
	a = cfg_layer_get(&layer, "session.default_project_dir");
	if (a != NULL && a->value.string[0] != '\0')
		*out = xstrdup(a->value.string);
	cfg_layer_free(&layer);
	return 0;
}
