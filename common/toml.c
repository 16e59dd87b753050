/* toml.c: the TOML subset of toml.h.  A pre-pass lexes and validates the
 * bytes and parses every value; inih then reads one normalised logical
 * line per physical line (`[section]`, `key=@N` or nothing) and our
 * handler attaches value N to (section, key).  No value text ever goes
 * through inih, so its line limit, `;` inline comments and continuation
 * lines cannot change what a value means. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "error.h"
#include "toml.h"
#include "xalloc.h"

/* inih copies section and key names into 50-byte buffers. */
#define TOML_MAX_NAME 48

struct toml_pending {
	char *section;
	struct toml_value value;
	unsigned line;
	unsigned end_line;
	char *comment;
};

struct toml_lexer {
	const char *name;
	const char *data;
	size_t len;
	size_t pos;
	unsigned line;
	struct mino_error **err;
	struct buf norm;                 /* logical lines for inih */
	struct toml_pending *pending;
	size_t n_pending;
	struct toml_doc *doc;
	const char *section;             /* current, owned by doc->sections */
	size_t n_handled;
	int failed;
};

static int toml_lex_fail(struct toml_lexer *lx, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int toml_lex_peek(const struct toml_lexer *lx, size_t ahead);
static bool toml_lex_at_eol(const struct toml_lexer *lx);
static int toml_lex_eol(struct toml_lexer *lx);
static void toml_lex_skip_ws(struct toml_lexer *lx);
static int toml_lex_comment(struct toml_lexer *lx, char **out);
static int toml_lex_skip_ws_nl_comments(struct toml_lexer *lx, unsigned start_line);
static int toml_lex_bare_key(struct toml_lexer *lx, size_t max, char **out);
static int toml_lex_hex(struct toml_lexer *lx, int digits, uint32_t *cp);
static void toml_lex_put_utf8(struct buf *b, uint32_t cp);
static int toml_lex_escape(struct toml_lexer *lx, struct buf *b);
static int toml_lex_basic_string(struct toml_lexer *lx, char **out);
static int toml_lex_literal_string(struct toml_lexer *lx, char **out);
static int toml_lex_string(struct toml_lexer *lx, char **out);
static int toml_lex_number(struct toml_lexer *lx, struct toml_value *v);
static int toml_lex_word(struct toml_lexer *lx, struct toml_value *v);
static int toml_lex_array(struct toml_lexer *lx, struct toml_value *v);
static int toml_lex_table_key(struct toml_lexer *lx, char **out);
static int toml_lex_inline_table(struct toml_lexer *lx, struct toml_value *v);
static int toml_lex_value(struct toml_lexer *lx, struct toml_value *v);
static int toml_lex_header(struct toml_lexer *lx);
static int toml_lex_keyval(struct toml_lexer *lx);
static int toml_lex_line(struct toml_lexer *lx);
static int toml_lex_check_bytes(struct toml_lexer *lx);
static int toml_ini_handler_cb(void *user, const char *section, const char *name,
    const char *value);
static void toml_pending_free(struct toml_lexer *lx);
static bool toml_is_delim(int c);

static int
toml_lex_fail(struct toml_lexer *lx, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (lx->failed)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	mino_make_error(lx->err, MINO_E_CONFIG, 0, "%s:%u: %s", lx->name, line, msg);
	free(msg);
	lx->failed = 1;
	return -1;
}

/* The byte `ahead` positions on, or -1 at the end. */
static int
toml_lex_peek(const struct toml_lexer *lx, size_t ahead)
{
	if (lx->pos + ahead >= lx->len)
		return -1;
	return (unsigned char)lx->data[lx->pos + ahead];
}

static bool
toml_lex_at_eol(const struct toml_lexer *lx)
{
	int c = toml_lex_peek(lx, 0);

	return c == -1 || c == '\n' || (c == '\r' && toml_lex_peek(lx, 1) == '\n');
}

/* Consumes a line end (LF, CRLF or the end of the data). */
static int
toml_lex_eol(struct toml_lexer *lx)
{
	int c = toml_lex_peek(lx, 0);

	if (c == -1)
		return 0;
	if (c == '\r') {
		if (toml_lex_peek(lx, 1) != '\n')
			return toml_lex_fail(lx, lx->line, "carriage return without a line feed");
		lx->pos++;
	} else if (c != '\n')
		return toml_lex_fail(lx, lx->line, "unexpected `%c` (expected the end of the line)",
		    c >= 0x20 && c < 0x7f ? c : '?');
	lx->pos++;
	lx->line++;
	return 0;
}

static void
toml_lex_skip_ws(struct toml_lexer *lx)
{
	int c;

	while ((c = toml_lex_peek(lx, 0)) == ' ' || c == '\t')
		lx->pos++;
}

/* At '#': the comment up to (not including) the line end. */
static int
toml_lex_comment(struct toml_lexer *lx, char **out)
{
	size_t start = lx->pos;
	int c;

	while (!toml_lex_at_eol(lx)) {
		c = toml_lex_peek(lx, 0);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return toml_lex_fail(lx, lx->line, "control character in a comment");
		lx->pos++;
	}
	if (out != NULL)
		*out = xstrndup(lx->data + start, lx->pos - start);
	return 0;
}

/* Inside an array: whitespace, line ends and comments. */
static int
toml_lex_skip_ws_nl_comments(struct toml_lexer *lx, unsigned start_line)
{
	for (;;) {
		toml_lex_skip_ws(lx);
		if (toml_lex_peek(lx, 0) == -1)
			return toml_lex_fail(lx, start_line, "unterminated array (no `]`)");
		if (toml_lex_peek(lx, 0) == '#') {
			if (toml_lex_comment(lx, NULL) < 0)
				return -1;
			continue;
		}
		if (toml_lex_at_eol(lx) || toml_lex_peek(lx, 0) == '\r') {
			if (toml_lex_eol(lx) < 0)
				return -1;
			continue;
		}
		return 0;
	}
}

static int
toml_lex_bare_key(struct toml_lexer *lx, size_t max, char **out)
{
	size_t start = lx->pos;
	int c;

	while ((c = toml_lex_peek(lx, 0)) != -1 &&
	    ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-'))
		lx->pos++;
	if (lx->pos == start)
		return toml_lex_fail(lx, lx->line, "expected a key");
	if (lx->pos - start > max)
		return toml_lex_fail(lx, lx->line, "key longer than %zu bytes", max);
	*out = xstrndup(lx->data + start, lx->pos - start);
	return 0;
}

static int
toml_lex_hex(struct toml_lexer *lx, int digits, uint32_t *cp)
{
	uint32_t v = 0;

	for (int i = 0; i < digits; i++) {
		int c = toml_lex_peek(lx, 0);

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return toml_lex_fail(lx, lx->line, "\\%c escape needs %d hex digits",
			    digits == 4 ? 'u' : 'U', digits);
		lx->pos++;
	}
	*cp = v;
	return 0;
}

static void
toml_lex_put_utf8(struct buf *b, uint32_t cp)
{
	unsigned char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (unsigned char)(0xc0 | (cp >> 6));
		s[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (unsigned char)(0xe0 | (cp >> 12));
		s[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		s[0] = (unsigned char)(0xf0 | (cp >> 18));
		s[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		s[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(b, s, n);
}

/* After a backslash. */
static int
toml_lex_escape(struct toml_lexer *lx, struct buf *b)
{
	int c = toml_lex_peek(lx, 0);
	uint32_t cp = 0;
	char ch;

	switch (c) {
	case 'b': ch = '\b'; break;
	case 't': ch = '\t'; break;
	case 'n': ch = '\n'; break;
	case 'f': ch = '\f'; break;
	case 'r': ch = '\r'; break;
	case '"': ch = '"'; break;
	case '\\': ch = '\\'; break;
	case 'u':
	case 'U':
		lx->pos++;
		if (toml_lex_hex(lx, c == 'u' ? 4 : 8, &cp) < 0)
			return -1;
		if (cp == 0)
			return toml_lex_fail(lx, lx->line, "\\u0000 is not allowed in a string");
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return toml_lex_fail(lx, lx->line, "escape \\%c%0*X is not a Unicode scalar value",
			    c, c == 'u' ? 4 : 8, (unsigned)cp);
		toml_lex_put_utf8(b, cp);
		return 0;
	default:
		if (c == -1 || toml_lex_at_eol(lx))
			return toml_lex_fail(lx, lx->line, "unterminated string");
		return toml_lex_fail(lx, lx->line, "invalid escape sequence `\\%c`",
		    c >= 0x20 && c < 0x7f ? c : '?');
	}
	lx->pos++;
	buf_append(b, &ch, 1);
	return 0;
}

/* At '"'. */
static int
toml_lex_basic_string(struct toml_lexer *lx, char **out)
{
	struct buf b;
	int c;

	buf_init(&b);
	lx->pos++;
	for (;;) {
		if (toml_lex_at_eol(lx) || toml_lex_peek(lx, 0) == '\r') {
			buf_free(&b);
			return toml_lex_fail(lx, lx->line, "unterminated string (missing `\"`)");
		}
		c = toml_lex_peek(lx, 0);
		if (c == '"')
			break;
		if (c == '\\') {
			lx->pos++;
			if (toml_lex_escape(lx, &b) < 0) {
				buf_free(&b);
				return -1;
			}
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			buf_free(&b);
			return toml_lex_fail(lx, lx->line, "control character in a string (use an escape)");
		} else {
			buf_append(&b, lx->data + lx->pos, 1);
			lx->pos++;
		}
		if (b.len > TOML_MAX_STRING) {
			buf_free(&b);
			return toml_lex_fail(lx, lx->line, "string longer than %u bytes", TOML_MAX_STRING);
		}
	}
	lx->pos++;
	buf_append(&b, "", 1);
	*out = buf_steal(&b, NULL);
	return 0;
}

/* At '\''. */
static int
toml_lex_literal_string(struct toml_lexer *lx, char **out)
{
	size_t start;
	int c;

	lx->pos++;
	start = lx->pos;
	for (;;) {
		if (toml_lex_at_eol(lx) || toml_lex_peek(lx, 0) == '\r')
			return toml_lex_fail(lx, lx->line, "unterminated literal string (missing `'`)");
		c = toml_lex_peek(lx, 0);
		if (c == '\'')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return toml_lex_fail(lx, lx->line, "control character in a literal string");
		lx->pos++;
		if (lx->pos - start > TOML_MAX_STRING)
			return toml_lex_fail(lx, lx->line, "string longer than %u bytes", TOML_MAX_STRING);
	}
	*out = xstrndup(lx->data + start, lx->pos - start);
	lx->pos++;
	return 0;
}

static int
toml_lex_string(struct toml_lexer *lx, char **out)
{
	int q = toml_lex_peek(lx, 0);

	if (toml_lex_peek(lx, 1) == q && toml_lex_peek(lx, 2) == q)
		return toml_lex_fail(lx, lx->line, "multi-line strings (%c%c%c) are not supported",
		    q, q, q);
	return q == '"' ? toml_lex_basic_string(lx, out) : toml_lex_literal_string(lx, out);
}

static bool
toml_is_delim(int c)
{
	return c == -1 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#' ||
	    c == ',' || c == ']' || c == '}';
}

/* Decimal integers: [+-]?(0|[1-9](_?[0-9])*). */
static int
toml_lex_number(struct toml_lexer *lx, struct toml_value *v)
{
	size_t start = lx->pos, i, n;
	const char *s;
	long long val = 0;
	bool neg = false, prev_digit = false;

	while (!toml_is_delim(toml_lex_peek(lx, 0)))
		lx->pos++;
	s = lx->data + start;
	n = lx->pos - start;
	i = 0;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i++;
	}
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b'))
		return toml_lex_fail(lx, lx->line, "hexadecimal, octal and binary integers are not supported");
	if (memchr(s, ':', n) != NULL || (n > 4 && memchr(s + 1, '-', n - 1) != NULL))
		return toml_lex_fail(lx, lx->line, "dates and times are not supported");
	if (memchr(s, '.', n) != NULL || memchr(s, 'e', n) != NULL || memchr(s, 'E', n) != NULL ||
	    (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)))
		return toml_lex_fail(lx, lx->line, "floating-point numbers are not supported");
	if (i == n)
		return toml_lex_fail(lx, lx->line, "expected a value");
	if (s[i] == '0' && n - i > 1)
		return toml_lex_fail(lx, lx->line, "leading zeros are not allowed in an integer");
	for (; i < n; i++) {
		if (s[i] == '_') {
			if (!prev_digit || i + 1 == n || s[i + 1] < '0' || s[i + 1] > '9')
				return toml_lex_fail(lx, lx->line, "`_` in an integer must be between digits");
			prev_digit = false;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return toml_lex_fail(lx, lx->line, "invalid integer `%.*s`", (int)(n > 40 ? 40 : n), s);
		prev_digit = true;
		if (neg) {
			if (val < (LLONG_MIN + (s[i] - '0')) / 10)
				return toml_lex_fail(lx, lx->line, "integer out of range");
			val = val * 10 - (s[i] - '0');
		} else {
			if (val > (LLONG_MAX - (s[i] - '0')) / 10)
				return toml_lex_fail(lx, lx->line, "integer out of range");
			val = val * 10 + (s[i] - '0');
		}
	}
	toml_value_set_integer(v, val);
	return 0;
}

static int
toml_lex_word(struct toml_lexer *lx, struct toml_value *v)
{
	size_t start = lx->pos, n;

	while (!toml_is_delim(toml_lex_peek(lx, 0)))
		lx->pos++;
	n = lx->pos - start;
	if (n == 4 && memcmp(lx->data + start, "true", 4) == 0)
		toml_value_set_boolean(v, true);
	else if (n == 5 && memcmp(lx->data + start, "false", 5) == 0)
		toml_value_set_boolean(v, false);
	else if ((n == 3 && (memcmp(lx->data + start, "inf", 3) == 0 ||
	    memcmp(lx->data + start, "nan", 3) == 0)))
		return toml_lex_fail(lx, lx->line, "floating-point numbers are not supported");
	else
		return toml_lex_fail(lx, lx->line,
		    "expected a value (a \"string\", an integer, true/false, [array] or {table})");
	return 0;
}

/* At '['. */
static int
toml_lex_array(struct toml_lexer *lx, struct toml_value *v)
{
	unsigned start_line = lx->line;
	char *s;
	int c;

	toml_value_init_array(v);
	lx->pos++;
	for (;;) {
		if (toml_lex_skip_ws_nl_comments(lx, start_line) < 0)
			return -1;
		c = toml_lex_peek(lx, 0);
		if (c == ']')
			break;
		if (c == '[')
			return toml_lex_fail(lx, lx->line, "nested arrays are not supported");
		if (c != '"' && c != '\'')
			return toml_lex_fail(lx, lx->line, "arrays may only contain strings");
		if (v->count >= TOML_MAX_ITEMS)
			return toml_lex_fail(lx, lx->line, "more than %u array items", TOML_MAX_ITEMS);
		if (toml_lex_string(lx, &s) < 0)
			return -1;
		toml_value_push(v, s);
		free(s);
		if (toml_lex_skip_ws_nl_comments(lx, start_line) < 0)
			return -1;
		c = toml_lex_peek(lx, 0);
		if (c == ',') {
			lx->pos++;
			continue;
		}
		if (c == ']')
			break;
		return toml_lex_fail(lx, lx->line, "expected `,` or `]` in an array");
	}
	lx->pos++;
	return 0;
}

static int
toml_lex_table_key(struct toml_lexer *lx, char **out)
{
	int c = toml_lex_peek(lx, 0);

	if (c == '"' || c == '\'') {
		if (toml_lex_string(lx, out) < 0)
			return -1;
		if (**out == '\0') {
			free(*out);
			*out = NULL;
			return toml_lex_fail(lx, lx->line, "empty key in an inline table");
		}
		return 0;
	}
	return toml_lex_bare_key(lx, TOML_MAX_STRING, out);
}

/* At '{': one line, string values only. */
static int
toml_lex_inline_table(struct toml_lexer *lx, struct toml_value *v)
{
	char *key = NULL, *val = NULL;
	int c;

	toml_value_init_table(v);
	lx->pos++;
	toml_lex_skip_ws(lx);
	if (toml_lex_peek(lx, 0) == '}') {
		lx->pos++;
		return 0;
	}
	for (;;) {
		toml_lex_skip_ws(lx);
		if (toml_lex_at_eol(lx) || toml_lex_peek(lx, 0) == '\r')
			return toml_lex_fail(lx, lx->line, "inline tables must be on one line (missing `}`)");
		if (toml_lex_table_key(lx, &key) < 0)
			return -1;
		toml_lex_skip_ws(lx);
		if (toml_lex_peek(lx, 0) == '.') {
			free(key);
			return toml_lex_fail(lx, lx->line, "dotted keys are not supported in inline tables");
		}
		if (toml_lex_peek(lx, 0) != '=') {
			free(key);
			return toml_lex_fail(lx, lx->line, "expected `=` after a key in an inline table");
		}
		lx->pos++;
		toml_lex_skip_ws(lx);
		c = toml_lex_peek(lx, 0);
		if (c != '"' && c != '\'') {
			free(key);
			return toml_lex_fail(lx, lx->line, "inline table values must be strings");
		}
		if (toml_lex_string(lx, &val) < 0) {
			free(key);
			return -1;
		}
		if (toml_value_table_get(v, key) != NULL) {
			toml_lex_fail(lx, lx->line, "duplicate key `%s` in an inline table", key);
			free(key);
			free(val);
			return -1;
		}
		if (v->count >= TOML_MAX_ITEMS) {
			free(key);
			free(val);
			return toml_lex_fail(lx, lx->line, "more than %u inline table entries", TOML_MAX_ITEMS);
		}
		toml_value_table_put(v, key, val);
		free(key);
		free(val);
		key = val = NULL;
		toml_lex_skip_ws(lx);
		c = toml_lex_peek(lx, 0);
		if (c == '}')
			break;
		if (toml_lex_at_eol(lx) || c == '\r')
			return toml_lex_fail(lx, lx->line, "inline tables must be on one line (missing `}`)");
		if (c != ',')
			return toml_lex_fail(lx, lx->line, "expected `,` or `}` in an inline table");
		lx->pos++;
		toml_lex_skip_ws(lx);
		if (toml_lex_peek(lx, 0) == '}')
			return toml_lex_fail(lx, lx->line, "trailing `,` is not allowed in an inline table");
	}
	lx->pos++;
	return 0;
}

static int
toml_lex_value(struct toml_lexer *lx, struct toml_value *v)
{
	int c = toml_lex_peek(lx, 0);

	if (c == '"' || c == '\'') {
		char *s;

		if (toml_lex_string(lx, &s) < 0)
			return -1;
		v->type = TOML_STRING;
		v->string = s;
		return 0;
	}
	if (c == '[')
		return toml_lex_array(lx, v);
	if (c == '{')
		return toml_lex_inline_table(lx, v);
	if ((c >= '0' && c <= '9') || c == '+' || c == '-')
		return toml_lex_number(lx, v);
	if (toml_lex_at_eol(lx) || c == '#')
		return toml_lex_fail(lx, lx->line, "missing value after `=`");
	return toml_lex_word(lx, v);
}

/* At '['. */
static int
toml_lex_header(struct toml_lexer *lx)
{
	struct buf name;
	struct toml_doc *doc = lx->doc;
	unsigned line = lx->line;
	char *part, *s;

	if (toml_lex_peek(lx, 1) == '[')
		return toml_lex_fail(lx, line, "arrays of tables ([[...]]) are not supported");
	lx->pos++;
	buf_init(&name);
	for (;;) {
		toml_lex_skip_ws(lx);
		if (toml_lex_peek(lx, 0) == '"' || toml_lex_peek(lx, 0) == '\'') {
			buf_free(&name);
			return toml_lex_fail(lx, line, "quoted section names are not supported");
		}
		if (toml_lex_bare_key(lx, TOML_MAX_NAME, &part) < 0) {
			buf_free(&name);
			return -1;
		}
		if (name.len > 0)
			buf_append(&name, ".", 1);
		buf_append(&name, part, strlen(part));
		free(part);
		toml_lex_skip_ws(lx);
		if (toml_lex_peek(lx, 0) == '.') {
			lx->pos++;
			continue;
		}
		if (toml_lex_peek(lx, 0) == ']')
			break;
		buf_free(&name);
		return toml_lex_fail(lx, line, "expected `]` to end the section header");
	}
	lx->pos++;
	buf_append(&name, "", 1);
	s = buf_steal(&name, NULL);
	if (strlen(s) > TOML_MAX_NAME) {
		free(s);
		return toml_lex_fail(lx, line, "section name longer than %d bytes", TOML_MAX_NAME);
	}
	for (size_t i = 0; i < doc->n_sections; i++) {
		if (strcmp(doc->sections[i].name, s) == 0) {
			toml_lex_fail(lx, line, "section [%s] is defined twice (first on line %u)", s,
			    doc->sections[i].line);
			free(s);
			return -1;
		}
	}
	doc->sections = xreallocarray(doc->sections, doc->n_sections + 1, sizeof *doc->sections);
	doc->sections[doc->n_sections].name = s;
	doc->sections[doc->n_sections].line = line;
	doc->n_sections++;
	lx->section = s;
	buf_printf(&lx->norm, "[%s]", s);
	toml_lex_skip_ws(lx);
	if (toml_lex_peek(lx, 0) == '#' && toml_lex_comment(lx, NULL) < 0)
		return -1;
	return toml_lex_eol(lx);
}

static int
toml_lex_keyval(struct toml_lexer *lx)
{
	struct toml_pending *p;
	struct toml_value v = { 0 };
	unsigned line = lx->line;
	char *key, *comment = NULL;
	int c = toml_lex_peek(lx, 0);

	if (c == '"' || c == '\'')
		return toml_lex_fail(lx, line, "quoted keys are not supported");
	if (toml_lex_bare_key(lx, TOML_MAX_NAME, &key) < 0)
		return -1;
	toml_lex_skip_ws(lx);
	if (toml_lex_peek(lx, 0) == '.') {
		toml_lex_fail(lx, line, "dotted keys (`%s.`...) are not supported; use a [section] header",
		    key);
		free(key);
		return -1;
	}
	if (toml_lex_peek(lx, 0) != '=') {
		toml_lex_fail(lx, line, "expected `=` after key `%s`", key);
		free(key);
		return -1;
	}
	lx->pos++;
	toml_lex_skip_ws(lx);
	if (lx->n_pending >= TOML_MAX_ENTRIES) {
		free(key);
		return toml_lex_fail(lx, line, "more than %u keys in one file", TOML_MAX_ENTRIES);
	}
	if (toml_lex_value(lx, &v) < 0) {
		toml_value_free(&v);
		free(key);
		return -1;
	}
	toml_lex_skip_ws(lx);
	if (toml_lex_peek(lx, 0) == '#' && toml_lex_comment(lx, &comment) < 0) {
		toml_value_free(&v);
		free(key);
		return -1;
	}
	if (!toml_lex_at_eol(lx)) {
		toml_value_free(&v);
		free(comment);
		if (toml_lex_peek(lx, 0) == '\r')
			toml_lex_fail(lx, lx->line, "carriage return without a line feed");
		else
			toml_lex_fail(lx, lx->line, "unexpected text after the value of `%s`", key);
		free(key);
		return -1;
	}
	lx->pending = xreallocarray(lx->pending, lx->n_pending + 1, sizeof *lx->pending);
	p = &lx->pending[lx->n_pending];
	p->section = xstrdup(lx->section);
	p->value = v;
	p->line = line;
	p->end_line = lx->line;
	p->comment = comment;
	buf_printf(&lx->norm, "%s=@%zu", key, lx->n_pending);
	lx->n_pending++;
	free(key);
	/* Keep inih's line count equal to ours. */
	for (unsigned l = line; l < lx->line; l++)
		buf_append(&lx->norm, "\n", 1);
	return toml_lex_eol(lx);
}

/* One logical line, from its first byte to after its line end. */
static int
toml_lex_line(struct toml_lexer *lx)
{
	int c;
	int r;

	toml_lex_skip_ws(lx);
	c = toml_lex_peek(lx, 0);
	if (c == '#')
		r = toml_lex_comment(lx, NULL) < 0 ? -1 : toml_lex_eol(lx);
	else if (toml_lex_at_eol(lx) || c == '\r')
		r = toml_lex_eol(lx);
	else if (c == '[')
		r = toml_lex_header(lx);
	else
		r = toml_lex_keyval(lx);
	buf_append(&lx->norm, "\n", 1);
	return r;
}

static int
toml_lex_check_bytes(struct toml_lexer *lx)
{
	size_t bad;
	unsigned line = 1;

	if (toml_utf8_valid(lx->data, lx->len, &bad))
		return 0;
	for (size_t i = 0; i < bad; i++)
		if (lx->data[i] == '\n')
			line++;
	if (lx->data[bad] == '\0')
		return toml_lex_fail(lx, line, "NUL byte in the file");
	return toml_lex_fail(lx, line, "invalid UTF-8");
}

static int
toml_ini_handler_cb(void *user, const char *section, const char *name, const char *value)
{
	struct toml_lexer *lx = user;
	struct toml_doc *doc = lx->doc;
	struct toml_pending *p;
	struct toml_entry *e;
	const struct toml_entry *prev;
	char *end;
	unsigned long idx;

	if (lx->failed)
		return 1;
	errno = 0;
	idx = value[0] == '@' ? strtoul(value + 1, &end, 10) : ULONG_MAX;
	if (idx >= lx->n_pending || idx != lx->n_handled || *end != '\0' ||
	    strcmp(section, lx->pending[idx].section) != 0) {
		toml_lex_fail(lx, 0, "internal error: inih and the pre-pass disagree");
		return 0;
	}
	lx->n_handled++;
	p = &lx->pending[idx];
	prev = toml_doc_find(doc, section, name);
	if (prev != NULL) {
		toml_lex_fail(lx, p->line, "duplicate key `%s` (first set on line %u)", name, prev->line);
		return 0;
	}
	doc->entries = xreallocarray(doc->entries, doc->n_entries + 1, sizeof *doc->entries);
	e = &doc->entries[doc->n_entries++];
	e->section = xstrdup(section);
	e->key = xstrdup(name);
	e->value = p->value;
	memset(&p->value, 0, sizeof p->value);
	e->line = p->line;
	e->end_line = p->end_line;
	e->comment = steal_pointer(&p->comment);
	return 1;
}

static void
toml_pending_free(struct toml_lexer *lx)
{
	for (size_t i = 0; i < lx->n_pending; i++) {
		free(lx->pending[i].section);
		toml_value_free(&lx->pending[i].value);
		free(lx->pending[i].comment);
	}
	free(lx->pending);
	lx->pending = NULL;
	lx->n_pending = 0;
}

int
toml_parse(const char *name, const char *data, size_t len, struct toml_doc *doc,
    struct mino_error **err)
{
	struct toml_lexer lx = {
		.name = name, .data = data, .len = len, .line = 1, .err = err, .doc = doc,
		.section = "",
	};
	int r;

	memset(doc, 0, sizeof *doc);
	if (len > TOML_MAX_FILE)
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s: file larger than %u bytes", name,
		    TOML_MAX_FILE);
	if (toml_lex_check_bytes(&lx) < 0)
		return -1;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		lx.pos = 3;
	buf_init(&lx.norm);
	while (lx.pos < lx.len) {
		if (toml_lex_line(&lx) < 0)
			break;
	}
	doc->n_lines = lx.line;
	doc->crlf = false;
	{
		const char *nl = memchr(data, '\n', len);

		doc->crlf = nl != NULL && nl > data && nl[-1] == '\r';
	}
	if (!lx.failed) {
		buf_append(&lx.norm, "", 1);
		r = ini_parse_string(lx.norm.data, toml_ini_handler_cb, &lx);
		if (r != 0 && !lx.failed)
			toml_lex_fail(&lx, r > 0 ? (unsigned)r : 0, "not a `key = value` or `[section]` line");
		if (!lx.failed && lx.n_handled != lx.n_pending)
			toml_lex_fail(&lx, 0, "internal error: inih skipped a key");
	}
	buf_free(&lx.norm);
	toml_pending_free(&lx);
	if (lx.failed) {
		toml_doc_free(doc);
		return -1;
	}
	return 0;
}

void
toml_doc_free(struct toml_doc *doc)
{
	for (size_t i = 0; i < doc->n_entries; i++) {
		free(doc->entries[i].section);
		free(doc->entries[i].key);
		free(doc->entries[i].comment);
		toml_value_free(&doc->entries[i].value);
	}
	free(doc->entries);
	for (size_t i = 0; i < doc->n_sections; i++)
		free(doc->sections[i].name);
	free(doc->sections);
	memset(doc, 0, sizeof *doc);
}

const struct toml_entry *
toml_doc_find(const struct toml_doc *doc, const char *section, const char *key)
{
	for (size_t i = 0; i < doc->n_entries; i++)
		if (strcmp(doc->entries[i].section, section) == 0 &&
		    strcmp(doc->entries[i].key, key) == 0)
			return &doc->entries[i];
	return NULL;
}

void
toml_value_free(struct toml_value *v)
{
	free(v->string);
	for (size_t i = 0; i < v->count; i++) {
		free(v->items[i]);
		if (v->values != NULL)
			free(v->values[i]);
	}
	free(v->items);
	free(v->values);
	memset(v, 0, sizeof *v);
}

void
toml_value_copy(struct toml_value *dst, const struct toml_value *src)
{
	memset(dst, 0, sizeof *dst);
	dst->type = src->type;
	dst->integer = src->integer;
	dst->boolean = src->boolean;
	if (src->string != NULL)
		dst->string = xstrdup(src->string);
	if (src->count > 0) {
		dst->items = xcalloc(src->count, sizeof *dst->items);
		if (src->values != NULL)
			dst->values = xcalloc(src->count, sizeof *dst->values);
		for (size_t i = 0; i < src->count; i++) {
			dst->items[i] = xstrdup(src->items[i]);
			if (src->values != NULL)
				dst->values[i] = xstrdup(src->values[i]);
		}
		dst->count = src->count;
	}
}

bool
toml_value_equal(const struct toml_value *a, const struct toml_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case TOML_NONE:
		return true;
	case TOML_STRING:
		return strcmp(a->string, b->string) == 0;
	case TOML_INTEGER:
		return a->integer == b->integer;
	case TOML_BOOLEAN:
		return a->boolean == b->boolean;
	case TOML_ARRAY:
		if (a->count != b->count)
			return false;
		for (size_t i = 0; i < a->count; i++)
			if (strcmp(a->items[i], b->items[i]) != 0)
				return false;
		return true;
	case TOML_TABLE:
		if (a->count != b->count)
			return false;
		for (size_t i = 0; i < a->count; i++) {
			const char *o = toml_value_table_get(b, a->items[i]);

			if (o == NULL || strcmp(o, a->values[i]) != 0)
				return false;
		}
		return true;
	}
	return false;
}

const char *
toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_NONE: return "nothing";
	case TOML_STRING: return "a string";
	case TOML_INTEGER: return "an integer";
	case TOML_BOOLEAN: return "a boolean";
	case TOML_ARRAY: return "an array";
	case TOML_TABLE: return "an inline table";
	}
	return "?";
}

void
toml_value_set_string(struct toml_value *v, const char *s)
{
	memset(v, 0, sizeof *v);
	v->type = TOML_STRING;
	v->string = xstrdup(s);
}

void
toml_value_set_integer(struct toml_value *v, long long i)
{
	memset(v, 0, sizeof *v);
	v->type = TOML_INTEGER;
	v->integer = i;
}

void
toml_value_set_boolean(struct toml_value *v, bool b)
{
	memset(v, 0, sizeof *v);
	v->type = TOML_BOOLEAN;
	v->boolean = b;
}

void
toml_value_init_array(struct toml_value *v)
{
	memset(v, 0, sizeof *v);
	v->type = TOML_ARRAY;
}

void
toml_value_init_table(struct toml_value *v)
{
	memset(v, 0, sizeof *v);
	v->type = TOML_TABLE;
}

void
toml_value_push(struct toml_value *v, const char *item)
{
	v->items = xreallocarray(v->items, v->count + 1, sizeof *v->items);
	v->items[v->count++] = xstrdup(item);
}

void
toml_value_table_put(struct toml_value *v, const char *key, const char *value)
{
	for (size_t i = 0; i < v->count; i++) {
		if (strcmp(v->items[i], key) == 0) {
			free(v->values[i]);
			v->values[i] = xstrdup(value);
			return;
		}
	}
	v->items = xreallocarray(v->items, v->count + 1, sizeof *v->items);
	v->values = xreallocarray(v->values, v->count + 1, sizeof *v->values);
	v->items[v->count] = xstrdup(key);
	v->values[v->count] = xstrdup(value);
	v->count++;
}

const char *
toml_value_table_get(const struct toml_value *v, const char *key)
{
	for (size_t i = 0; i < v->count; i++)
		if (strcmp(v->items[i], key) == 0)
			return v->values[i];
	return NULL;
}

void
toml_append_string(struct buf *b, const char *s)
{
	buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"': buf_append(b, "\\\"", 2); break;
		case '\\': buf_append(b, "\\\\", 2); break;
		case '\n': buf_append(b, "\\n", 2); break;
		case '\t': buf_append(b, "\\t", 2); break;
		case '\r': buf_append(b, "\\r", 2); break;
		case '\b': buf_append(b, "\\b", 2); break;
		case '\f': buf_append(b, "\\f", 2); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\u%04X", *p);
			else
				buf_append(b, p, 1);
		}
	}
	buf_append(b, "\"", 1);
}

void
toml_append_value(struct buf *b, const struct toml_value *v)
{
	switch (v->type) {
	case TOML_NONE:
		break;
	case TOML_STRING:
		toml_append_string(b, v->string);
		break;
	case TOML_INTEGER:
		buf_printf(b, "%lld", v->integer);
		break;
	case TOML_BOOLEAN:
		buf_printf(b, "%s", v->boolean ? "true" : "false");
		break;
	case TOML_ARRAY:
		buf_append(b, "[", 1);
		for (size_t i = 0; i < v->count; i++) {
			if (i > 0)
				buf_append(b, ", ", 2);
			toml_append_string(b, v->items[i]);
		}
		buf_append(b, "]", 1);
		break;
	case TOML_TABLE:
		if (v->count == 0) {
			buf_append(b, "{}", 2);
			break;
		}
		buf_append(b, "{ ", 2);
		for (size_t i = 0; i < v->count; i++) {
			if (i > 0)
				buf_append(b, ", ", 2);
			toml_append_string(b, v->items[i]);
			buf_append(b, " = ", 3);
			toml_append_string(b, v->values[i]);
		}
		buf_append(b, " }", 2);
		break;
	}
}

bool
toml_is_bare_key(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

bool
toml_utf8_valid(const char *str, size_t len, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;

		if (c == 0)
			goto fail;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			goto fail;
		if (len - i <= n)
			goto fail;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto fail;
		i += n + 1;
	}
	return true;
fail:
	if (bad != NULL)
		*bad = i;
	return false;
}

json_t *
toml_value_to_json(const struct toml_value *v)
{
	json_t *j;

	switch (v->type) {
	case TOML_STRING:
		return json_string(v->string);
	case TOML_INTEGER:
		return json_integer(v->integer);
	case TOML_BOOLEAN:
		return json_boolean(v->boolean);
	case TOML_ARRAY:
		j = json_array();
		for (size_t i = 0; i < v->count; i++)
			json_array_append_new(j, json_string(v->items[i]));
		return j;
	case TOML_TABLE:
		j = json_object();
		for (size_t i = 0; i < v->count; i++)
			json_object_set_new(j, v->items[i], json_string(v->values[i]));
		return j;
	case TOML_NONE:
		break;
	}
	return json_null();
}
