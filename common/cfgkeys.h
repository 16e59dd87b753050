/* cfgkeys.h: the one table of configuration keys, typed values, layers,
 * merge with provenance, the trust gate and rendering.
 *
 * Every key mino knows is one row of cfgkeys_table[]: parsing,
 * validation, `config show`, `config set`, the init templates, the docs
 * (docs/CONFIG.md is checked against it) and shell completion all read it.
 *
 * Values are struct toml_value: CFG_BOOL is TOML_BOOLEAN, CFG_INT is
 * TOML_INTEGER, CFG_STRING and CFG_ENUM are TOML_STRING, CFG_LIST is
 * TOML_ARRAY of strings and CFG_MAP is TOML_TABLE of strings.
 *
 * Precedence: default < global file < trusted local file < environment <
 * command-line flags.  cfg_apply() applies one layer: a map merges key by
 * key, anything else replaces. */
#ifndef MINO_CFGKEYS_H
#define MINO_CFGKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "toml.h"

enum cfg_type {
	CFG_BOOL,
	CFG_INT,
	CFG_STRING,
	CFG_ENUM,
	CFG_LIST,     /* array of strings */
	CFG_MAP,      /* table string -> string */
};

enum cfg_source {
	CFG_SRC_DEFAULT,
	CFG_SRC_GLOBAL,
	CFG_SRC_LOCAL,
	CFG_SRC_ENV,
	CFG_SRC_FLAG,
};

/* cfg_key.flags */
#define CFG_SENSITIVE 0x1   /* an untrusted local file may not set it (see .tightens) */
#define CFG_OPTIONAL 0x2    /* "" means unset (strings and enums) */
#define CFG_COMMENTED 0x4   /* commented out in the global template, as in the spec */

struct cfg_key {
	const char *name;                  /* "container.image" */
	enum cfg_type type;
	unsigned flags;
	bool def_bool;                     /* CFG_BOOL */
	long long def_int, min, max;       /* CFG_INT */
	const char *def_str;               /* CFG_STRING, CFG_ENUM */
	const char *const *choices;        /* CFG_ENUM, NULL-terminated */
	/* Extra validation of a well-typed value; NULL = none.  Returns false
	 * and sets *why (static text) when the value is refused. */
	bool (*check)(const struct toml_value *v, char **why);
	/* For CFG_SENSITIVE keys: whether this value only tightens the
	 * sandbox, so an untrusted local file may still set it.  NULL = never. */
	bool (*tightens)(const struct toml_value *v);
	const char *example;               /* for templates of commented keys, or NULL */
	const char *help;                  /* one line */
	/* Where the key takes effect: the source file (from the top of the
	 * tree) that reads it by its quoted name; test-cfgkeys-use checks it
	 * does.  NULL exactly when no_effect says why nothing reads it. */
	const char *consumer;
	/* Why the key has no effect on this platform, or NULL.  Shown by
	 * `config show`, the templates and mino.toml(5). */
	const char *no_effect;
};

extern const struct cfg_key cfgkeys_table[];
extern const size_t cfgkeys_count;

/* Lookup by full name; NULL if unknown. */
const struct cfg_key *cfgkeys_find(const char *name);
size_t cfgkeys_index(const struct cfg_key *k);
/* The known key closest to `name` (edit distance, or same last
 * component), or NULL when nothing is close. */
const struct cfg_key *cfgkeys_nearest(const char *name);
/* Whether `[section]` may appear in a file ("credentials" too). */
bool cfgkeys_section_known(const char *section);
/* "bool", "integer 1..10", "one of \"a\", \"b\"", ... (caller frees). */
char *cfgkeys_expected(const struct cfg_key *k);
const char *cfgkeys_source_name(enum cfg_source src);

/* Type, bounds and key-specific checks.  The message names the key and
 * what was expected; the caller prefixes file:line. */
int cfgkeys_check(const struct cfg_key *k, const struct toml_value *v, struct mino_error **err);
/* Command-line / environment text to a value: bools take
 * true/false/yes/no/on/off/1/0, lists take "a,b" (commas, blanks
 * trimmed; "" is the empty list), maps take "K=V,K2=V2".  Checked. */
int cfgkeys_parse_text(const struct cfg_key *k, const char *text, struct toml_value *out,
    struct mino_error **err);
/* The built-in default of `k`. */
void cfgkeys_default(const struct cfg_key *k, struct toml_value *out);
/* Whether an untrusted local file may set `k` to `v`: non-sensitive keys
 * always, sensitive ones only with a tightening value. */
bool cfgkeys_untrusted_ok(const struct cfg_key *k, const struct toml_value *v);

/* One layer: the assignments of one source. */
struct cfg_assign {
	const struct cfg_key *key;
	struct toml_value value;
	unsigned line;                     /* 0 if not from a file */
};

struct cfg_layer {
	enum cfg_source source;
	char *origin;                      /* file path, "MINO_LAYERS", "--aws"...; may be NULL */
	struct cfg_assign *items;
	size_t count;
};

void cfg_layer_init(struct cfg_layer *l, enum cfg_source source, const char *origin);
void cfg_layer_free(struct cfg_layer *l);
/* Adds (or replaces) a checked value; takes a copy. */
int cfg_layer_set(struct cfg_layer *l, const char *name, const struct toml_value *v, unsigned line,
    struct mino_error **err);
/* cfgkeys_parse_text() then cfg_layer_set(): for flags and environment. */
int cfg_layer_set_text(struct cfg_layer *l, const char *name, const char *text,
    struct mino_error **err);
const struct cfg_assign *cfg_layer_get(const struct cfg_layer *l, const char *name);
/* The environment layer from "KEY=VALUE" strings (NULL-terminated): today
 * MINO_LAYERS -> container.layers. */
int cfg_layer_from_env(struct cfg_layer *l, const char *const *envp, struct mino_error **err);

/* The trust gate, a pure function of a parsed local layer and the trust
 * decision.  *apply gets what takes effect (everything when trusted;
 * otherwise the non-sensitive keys and tightening values), *skipped the
 * sensitive assignments left out (empty when trusted).  Both are
 * initialised here with the local layer's source and origin. */
void cfg_trust_gate(const struct cfg_layer *local, bool trusted, struct cfg_layer *apply,
    struct cfg_layer *skipped);
/* Whether the layer has anything the gate would skip: "needs a prompt". */
bool cfg_layer_needs_trust(const struct cfg_layer *local);

/* The effective configuration. */
struct cfg_setting {
	struct toml_value value;
	enum cfg_source source;
	char *origin;                      /* file or variable the value came from, or NULL */
	unsigned line;
};

struct cfg {
	struct cfg_setting *settings;      /* cfgkeys_count, in table order */
};

void cfg_init(struct cfg *c);          /* all defaults */
void cfg_free(struct cfg *c);
void cfg_apply(struct cfg *c, const struct cfg_layer *l);
const struct cfg_setting *cfg_setting(const struct cfg *c, const char *name);
/* Typed getters; an unknown name or a type mismatch is a bug (fatal). */
bool cfg_bool(const struct cfg *c, const char *name);
long long cfg_int(const struct cfg *c, const char *name);
const char *cfg_string(const struct cfg *c, const char *name);
const struct toml_value *cfg_value(const struct cfg *c, const char *name);

/* `config show`: one "key = value  # source" line per key. */
void cfg_render_show(const struct cfg *c, struct buf *out);
/* "key = value" lines of a layer, for the trust prompt (indented). */
void cfg_render_layer(const struct cfg_layer *l, const char *indent, struct buf *out);
/* The one-line non-interactive warning for skipped keys. */
void cfg_render_skipped_warning(const struct cfg_layer *skipped, const char *path,
    struct buf *out);
/* A commented template generated from the table: the global config.toml
 * (defaults active, optional keys commented, as in the spec) or a
 * project .mino.toml (everything commented, sensitive keys marked). */
void cfgkeys_render_template(bool local, struct buf *out);
/* "credentials.aws" for "credentials.aws.enabled" (caller frees). */
char *cfgkeys_section(const char *name);

/* Every key name, one per line (completions). */
void cfgkeys_render_names(struct buf *out);
/* A Markdown table of every key (docs/CONFIG.md). */
void cfgkeys_render_markdown(struct buf *out);

#endif
