/* cfgfile.h: configuration files: loading a file into a layer, editing a
 * file in place for `config set`, writing the init templates, finding the
 * project's .mino.toml, and resolving every layer into one struct cfg
 * (with the trust gate for the local file). */
#ifndef MINO_CFGFILE_H
#define MINO_CFGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cfgkeys.h"
#include "error.h"

#define CFGFILE_LOCAL_NAME ".mino.toml"

/* Reads a regular file of at most `max` bytes through one descriptor
 * (O_NONBLOCK, so a FIFO cannot hang us; O_NOFOLLOW with `nofollow`);
 * *out is NUL-terminated, caller frees; *st (if non-NULL) is its fstat.
 * A missing file is *found = false and no error. */
int cfgfile_read(const char *path, size_t max, bool nofollow, bool *found, char **out,
    size_t *len, struct stat *st, struct mino_error **err);

/* Parses and validates `len` bytes into `layer` (initialised here with
 * `src` and origin `name`).  Unknown sections and keys, wrong types and
 * out-of-range values are errors "NAME:LINE: ..." (MINO_E_CONFIG).  On
 * failure the layer is left empty with nothing to free (as cfgfile_load). */
int cfgfile_parse_layer(const char *name, const char *data, size_t len, enum cfg_source src,
    struct cfg_layer *layer, struct mino_error **err);

/* Reads `path` once and parses it.  A missing file is not an error:
 * *found = false and an empty layer.  With sha256 != NULL it gets the hex
 * SHA-256 of exactly the bytes parsed (for the trust store). */
int cfgfile_load(const char *path, enum cfg_source src, struct cfg_layer *layer, bool *found,
    char sha256[65], struct mino_error **err);

/* `config set KEY VALUE` on a buffer: returns the new file text in *out
 * (caller frees).  The value is checked against the key table (text
 * form: "a,b" for arrays); the existing `key = ...` line (all its lines
 * for a multi-line array) is replaced, keeping its indentation and
 * trailing comment; a new key is appended after the last key of its
 * section, a missing section is appended at the end.  Every other byte is
 * kept, CRLF files stay CRLF.  An unknown key is an error naming the
 * nearest key and listing the valid ones (MINO_E_INVALID_ARGUMENT). */
int cfgfile_edit(const char *name, const char *data, size_t len, const char *key,
    const char *text, char **out, size_t *out_len, struct mino_error **err);

/* cfgfile_edit() on the file at `path` (created, with its directory, if
 * missing; a symlink is followed), written atomically keeping its mode. */
int cfgfile_set(const char *path, const char *key, const char *text, struct mino_error **err);

/* Writes the template (cfgkeys_render_template()) to `path`; an existing
 * file is an error unless `force`. */
int cfgfile_init(const char *path, bool local, bool force, struct mino_error **err);

/* Walks up from `start_dir` to / for a .mino.toml that is a regular file
 * owned by us, in a directory that no other user can write to (owned by us
 * or root, no group/other write bit: a sticky /tmp counts as writable).
 * Others' files (e.g. /tmp/.mino.toml) are passed over silently; a
 * symlinked .mino.toml, or ours in a directory others can write, is passed
 * over with a one-line *warning naming it (the nearest one; caller frees;
 * NULL: none; `warning` may be NULL).  *out: the path where it was found
 * (canonical directory + "/.mino.toml", never a symlink's target: the
 * trust key), or NULL when there is none. */
int cfgfile_find_local(const char *start_dir, char **out, char **warning,
    struct mino_error **err);

/* realpath() of the directory part of `path` plus its last component,
 * which is not resolved: where a file is, not where a symlink points. */
int cfgfile_canon_parent(const char *path, char **out, struct mino_error **err);

/* Everything resolution needs; any pointer may be NULL. */
struct cfgfile_sources {
	const char *global_path;          /* the global file (paths_config_file()) */
	const char *local_path;           /* the project file (cfgfile_find_local()), NULL: none */
	bool trust_local;                 /* --trust-local or MINO_TRUST_LOCAL=1 for this run */
	const char *trust_store;          /* trust store path (trust_default_path()) */
	const struct cfg_layer *env;      /* cfg_layer_from_env() */
	const struct cfg_layer *flags;    /* command-line flags */
};

/* What happened to the local file. */
struct cfgfile_report {
	bool local_found;
	bool local_trusted;               /* by the store or trust_local */
	char *local_path;                 /* canonical directory + name, or NULL */
	char local_sha256[65];
	struct cfg_layer skipped;         /* sensitive assignments not applied */
	char *local_warning;              /* cfgfile_find_local()'s, set by the caller */
};

/* defaults < global < local (through the trust gate) < env < flags.
 * *report is always initialised; free it with cfgfile_report_free(). */
int cfgfile_resolve(struct cfg *cfg, const struct cfgfile_sources *src,
    struct cfgfile_report *report, struct mino_error **err);
void cfgfile_report_free(struct cfgfile_report *report);

/* session.default_project_dir as the global file `path` sets it: the
 * project of `mino run` without -p.  *out is the value, or NULL when the
 * file or the key is absent.  Only the global file counts: a project's
 * .mino.toml is found from the project, so it cannot choose it. */
int cfgfile_default_project(const char *path, char **out, struct mino_error **err);

#endif
