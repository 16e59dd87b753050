/* toml.h: the subset of TOML that mino's configuration files use.
 *
 * Supported: `[section]` and `[a.b]` headers; `key = value` with a bare
 * key; values: basic strings (escapes \b \t \n \f \r \" \\ \uXXXX
 * \UXXXXXXXX), literal strings, decimal integers (with `_` separators),
 * booleans, arrays of strings (single- or multi-line, trailing comma,
 * comments between items) and one-line inline tables of strings with bare
 * or quoted keys; `#` comments; LF or CRLF line ends; a leading UTF-8 BOM.
 *
 * Deliberately not supported (each is an error naming file:line): floats,
 * dates and times, hex/octal/binary integers, multi-line strings (""" and
 * '''), dotted and quoted keys outside inline tables, arrays of tables
 * ([[x]]), nested arrays, arrays of anything but strings, inline tables
 * with values that are not strings, and inline tables spanning lines.
 *
 * Line structure goes through inih: a pre-pass lexes the file (strings,
 * comments, multi-line arrays), validates it and hands inih one normalised
 * logical line per physical line; inih dispatches `[section]`s and
 * `key = value` pairs to our handler, which attaches the parsed value. */
#ifndef MINO_TOML_H
#define MINO_TOML_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"

/* Hard limits, checked before anything is allocated for the item. */
#define TOML_MAX_FILE (4u * 1024 * 1024)   /* whole file */
#define TOML_MAX_STRING (64u * 1024)       /* one decoded string */
#define TOML_MAX_KEY 128                   /* a key or section name */
#define TOML_MAX_ITEMS 1024                /* array items / table pairs */
#define TOML_MAX_ENTRIES 4096              /* key = value lines per file */

enum toml_type {
	TOML_NONE = 0,
	TOML_STRING,
	TOML_INTEGER,
	TOML_BOOLEAN,
	TOML_ARRAY,      /* of strings: items[count] */
	TOML_TABLE,      /* string -> string: items[count] keys, values[count] */
};

/* A value owns its strings. */
struct toml_value {
	enum toml_type type;
	char *string;
	long long integer;
	bool boolean;
	char **items;
	char **values;
	size_t count;
};

struct toml_entry {
	char *section;        /* "" before the first header */
	char *key;
	struct toml_value value;
	unsigned line;        /* where `key` is */
	unsigned end_line;    /* last line of the value (multi-line arrays) */
	char *comment;        /* trailing "# ..." on end_line, or NULL */
};

struct toml_section {
	char *name;
	unsigned line;
};

struct toml_doc {
	struct toml_entry *entries;
	size_t n_entries;
	struct toml_section *sections;
	size_t n_sections;
	unsigned n_lines;
	bool crlf;            /* the first line ends in CRLF */
};

/* Parses `len` bytes.  `name` (file name) prefixes every message:
 * "NAME:LINE: ...".  Errors have code MINO_E_CONFIG.  On failure *doc is
 * left empty. */
int toml_parse(const char *name, const char *data, size_t len, struct toml_doc *doc,
    struct mino_error **err);
void toml_doc_free(struct toml_doc *doc);

/* Entry lookup; NULL if absent. */
const struct toml_entry *toml_doc_find(const struct toml_doc *doc, const char *section,
    const char *key);

void toml_value_free(struct toml_value *v);
void toml_value_copy(struct toml_value *dst, const struct toml_value *src);
bool toml_value_equal(const struct toml_value *a, const struct toml_value *b);
const char *toml_type_name(enum toml_type type);

/* Constructors (the value takes a copy of the strings). */
void toml_value_set_string(struct toml_value *v, const char *s);
void toml_value_set_integer(struct toml_value *v, long long i);
void toml_value_set_boolean(struct toml_value *v, bool b);
void toml_value_init_array(struct toml_value *v);
void toml_value_init_table(struct toml_value *v);
void toml_value_push(struct toml_value *v, const char *item);
/* Table: replaces an existing key. */
void toml_value_table_put(struct toml_value *v, const char *key, const char *value);
/* Table lookup; NULL if absent. */
const char *toml_value_table_get(const struct toml_value *v, const char *key);

/* Appends `v` in TOML syntax (strings quoted and escaped). */
void toml_append_value(struct buf *b, const struct toml_value *v);
void toml_append_string(struct buf *b, const char *s);

/* [A-Za-z0-9_-]+ */
bool toml_is_bare_key(const char *s);

/* Whether `s` (len bytes) is well-formed UTF-8 without NUL; on failure
 * *bad is the offset of the first bad byte. */
bool toml_utf8_valid(const char *s, size_t len, size_t *bad);

/* The value as JSON: strings, integers, booleans, arrays of strings and
 * objects of strings; null for TOML_NONE.  A new reference. */
json_t *toml_value_to_json(const struct toml_value *v);

#endif
