/* config.c: the TOML configuration file, minimal version.
 *
 * inih splits sections and keys, but its own value handling (inline ';'
 * comments, whitespace continuation lines, a 200-byte line limit) does not
 * fit TOML.  So inih reads through config_reader(), which parses each TOML
 * line itself, keeps the decoded value in the parser, and hands inih a
 * canonical "key=v" or "[section]" line (or an empty line).  inih calls the
 * handler while that line is current, so the parser's line number is the
 * line of the key. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "fsutil.h"
#include "mino-protocol.h"
#include "xalloc.h"

#define CONFIG_MAX_FILE (1024u * 1024)
#define CONFIG_MAX_NAME 64

enum config_type {
	CONFIG_STRING,
	CONFIG_INT,
	CONFIG_BOOL,
	CONFIG_OTHER,   /* arrays, tables, floats, dates: valid, not used yet */
	CONFIG_INVALID, /* not a TOML value */
};

struct config_entry {
	const char *section;
	const char *key;
	enum config_type type;
	size_t offset;
};

#define CONFIG_FIELD(f) offsetof(struct mino_config, f)
static const struct config_entry config_table[] = {
	{ "general", "verbose", CONFIG_BOOL, CONFIG_FIELD(general_verbose) },
	{ "general", "audit_log", CONFIG_BOOL, CONFIG_FIELD(general_audit_log) },
	{ "container", "image", CONFIG_STRING, CONFIG_FIELD(container_image) },
	{ "container", "network", CONFIG_STRING, CONFIG_FIELD(container_network) },
	{ "container", "workdir", CONFIG_STRING, CONFIG_FIELD(container_workdir) },
	{ "session", "shell", CONFIG_STRING, CONFIG_FIELD(session_shell) },
	{ "session", "auto_cleanup_hours", CONFIG_INT, CONFIG_FIELD(session_auto_cleanup_hours) },
};

struct config_parser {
	struct mino_config *cfg;
	const char *name;
	const char *data;
	size_t len;
	size_t pos;
	int lineno;
	int open_brackets;      /* > 0 inside a multi-line array */
	enum config_type type;  /* of the current line's value */
	struct buf_str {
		char *data;
		size_t len;
		size_t cap;
	} str;
	long long ival;
	bool bval;
	struct mino_error *err;
};

static int config_fail(struct config_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void config_str_putc(struct config_parser *p, char c);
static void config_str_put_utf8(struct config_parser *p, unsigned long cp);
static bool config_is_bare(char c);
static const char *config_skip_ws(const char *s, const char *end);
static int config_line_end(struct config_parser *p, const char *s, const char *end);
static int config_scan_brackets(struct config_parser *p, const char *s, const char *end);
static int config_parse_basic(struct config_parser *p, const char *s, const char *end, const char **next);
static int config_parse_literal(struct config_parser *p, const char *s, const char *end, const char **next);
static void config_parse_token(struct config_parser *p, const char *s, const char *end, const char **next);
static int config_parse_value(struct config_parser *p, const char *s, const char *end);
static int config_section_line(struct config_parser *p, const char *s, const char *end, char *out, size_t num);
static int config_key_line(struct config_parser *p, const char *s, const char *end, char *out, size_t num);
static int config_preprocess(struct config_parser *p, const char *s, const char *end, char *out, size_t num);
static char *config_reader(char *str, int num, void *stream);
static const struct config_entry *config_lookup(const char *section, const char *key);
static int config_handler(void *user, const char *section, const char *name, const char *value);
static void config_copy(struct mino_config *dst, const struct mino_config *src);

void
config_init_defaults(struct mino_config *cfg)
{
	cfg->general_verbose = false;
	cfg->general_audit_log = true;
	cfg->container_image = xstrdup("fedora:43");
	cfg->container_network = xstrdup("bridge");
	cfg->container_workdir = xstrdup("/workspace");
	cfg->session_shell = xstrdup("/bin/bash");
	cfg->session_auto_cleanup_hours = 720;
}

void
config_free(struct mino_config *cfg)
{
	free(cfg->container_image);
	free(cfg->container_network);
	free(cfg->container_workdir);
	free(cfg->session_shell);
	cfg->container_image = cfg->container_network = NULL;
	cfg->container_workdir = cfg->session_shell = NULL;
}

static void
config_copy(struct mino_config *dst, const struct mino_config *src)
{
	*dst = *src;
	dst->container_image = src->container_image != NULL ? xstrdup(src->container_image) : NULL;
	dst->container_network = src->container_network != NULL ? xstrdup(src->container_network) : NULL;
	dst->container_workdir = src->container_workdir != NULL ? xstrdup(src->container_workdir) : NULL;
	dst->session_shell = src->session_shell != NULL ? xstrdup(src->session_shell) : NULL;
}

static int
config_fail(struct config_parser *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->err != NULL)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	mino_make_error(&p->err, MINO_E_CONFIG, 0, "%s:%d: %s", p->name, p->lineno, msg);
	free(msg);
	return -1;
}

static void
config_str_putc(struct config_parser *p, char c)
{
	if (p->str.len + 2 > p->str.cap) {
		p->str.cap = p->str.cap == 0 ? 64 : p->str.cap * 2;
		p->str.data = xrealloc(p->str.data, p->str.cap);
	}
	p->str.data[p->str.len++] = c;
	p->str.data[p->str.len] = '\0';
}

static void
config_str_put_utf8(struct config_parser *p, unsigned long cp)
{
	if (cp < 0x80) {
		config_str_putc(p, (char)cp);
	} else if (cp < 0x800) {
		config_str_putc(p, (char)(0xc0 | (cp >> 6)));
		config_str_putc(p, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		config_str_putc(p, (char)(0xe0 | (cp >> 12)));
		config_str_putc(p, (char)(0x80 | ((cp >> 6) & 0x3f)));
		config_str_putc(p, (char)(0x80 | (cp & 0x3f)));
	} else {
		config_str_putc(p, (char)(0xf0 | (cp >> 18)));
		config_str_putc(p, (char)(0x80 | ((cp >> 12) & 0x3f)));
		config_str_putc(p, (char)(0x80 | ((cp >> 6) & 0x3f)));
		config_str_putc(p, (char)(0x80 | (cp & 0x3f)));
	}
}

static bool
config_is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static const char *
config_skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* After a value or header: only whitespace and a comment may follow. */
static int
config_line_end(struct config_parser *p, const char *s, const char *end)
{
	s = config_skip_ws(s, end);
	if (s < end && *s != '#')
		return config_fail(p, "unexpected text after the value");
	return 0;
}

/* Tracks [ ] { } nesting outside strings and comments across lines. */
static int
config_scan_brackets(struct config_parser *p, const char *s, const char *end)
{
	while (s < end) {
		char c = *s;

		if (c == '#')
			return 0;
		if (c == '"' || c == '\'') {
			const char *q = s + 1;

			while (q < end && *q != c) {
				if (c == '"' && *q == '\\' && q + 1 < end)
					q++;
				q++;
			}
			if (q >= end)
				return config_fail(p, "unterminated string");
			s = q + 1;
			continue;
		}
		if (c == '[' || c == '{')
			p->open_brackets++;
		else if (c == ']' || c == '}') {
			if (--p->open_brackets == 0)
				return config_line_end(p, s + 1, end);
			if (p->open_brackets < 0)
				return config_fail(p, "unbalanced `%c`", c);
		}
		s++;
	}
	return 0;
}

static int
config_parse_basic(struct config_parser *p, const char *s, const char *end, const char **next)
{
	for (s++; s < end; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"') {
			*next = s + 1;
			return 0;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return config_fail(p, "control character in a string");
		if (c != '\\') {
			config_str_putc(p, (char)c);
			continue;
		}
		if (++s >= end)
			break;
		switch (*s) {
		case 'b': config_str_putc(p, '\b'); break;
		case 't': config_str_putc(p, '\t'); break;
		case 'n': config_str_putc(p, '\n'); break;
		case 'f': config_str_putc(p, '\f'); break;
		case 'r': config_str_putc(p, '\r'); break;
		case '"': config_str_putc(p, '"'); break;
		case '\\': config_str_putc(p, '\\'); break;
		case 'u':
		case 'U': {
			int digits = *s == 'u' ? 4 : 8;
			unsigned long cp = 0;

			for (int i = 0; i < digits; i++) {
				char h = ++s < end ? *s : '\0';

				if (h >= '0' && h <= '9')
					cp = cp * 16 + (unsigned long)(h - '0');
				else if (h >= 'a' && h <= 'f')
					cp = cp * 16 + (unsigned long)(h - 'a' + 10);
				else if (h >= 'A' && h <= 'F')
					cp = cp * 16 + (unsigned long)(h - 'A' + 10);
				else
					return config_fail(p, "bad \\%c escape in a string", digits == 4 ? 'u' : 'U');
			}
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
				return config_fail(p, "escape \\%c%0*lX is not an allowed character",
					digits == 4 ? 'u' : 'U', digits, cp);
			config_str_put_utf8(p, cp);
			break;
		}
		default:
			return config_fail(p, "unknown escape `\\%c` in a string", *s);
		}
	}
	return config_fail(p, "unterminated string");
}

static int
config_parse_literal(struct config_parser *p, const char *s, const char *end, const char **next)
{
	for (s++; s < end; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\'') {
			*next = s + 1;
			return 0;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return config_fail(p, "control character in a string");
		config_str_putc(p, (char)c);
	}
	return config_fail(p, "unterminated string");
}

/* true, false, integers; other tokens that TOML allows are CONFIG_OTHER. */
static void
config_parse_token(struct config_parser *p, const char *s, const char *end, const char **next)
{
	const char *t = s, *d;
	unsigned long long v = 0;
	bool neg = false, digit = false, overflow = false;

	while (t < end && *t != ' ' && *t != '\t' && *t != '#')
		t++;
	*next = t;
	if (t - s == 4 && memcmp(s, "true", 4) == 0) {
		p->type = CONFIG_BOOL;
		p->bval = true;
		return;
	}
	if (t - s == 5 && memcmp(s, "false", 5) == 0) {
		p->type = CONFIG_BOOL;
		p->bval = false;
		return;
	}
	d = s;
	if (d < t && (*d == '+' || *d == '-'))
		neg = *d++ == '-';
	for (; d < t; d++) {
		if (*d >= '0' && *d <= '9') {
			if (v > (ULLONG_MAX - 9) / 10)
				overflow = true;
			v = v * 10 + (unsigned long long)(*d - '0');
			digit = true;
		} else if (*d == '_' && digit && d + 1 < t && d[1] >= '0' && d[1] <= '9') {
			continue;
		} else {
			break;
		}
	}
	if (d == t && digit && !overflow && v <= (unsigned long long)LLONG_MAX) {
		p->type = CONFIG_INT;
		p->ival = neg ? -(long long)v : (long long)v;
		return;
	}
	if (t > s && (strchr("+-0123456789", *s) != NULL || (t - s >= 3
		&& (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0))))
		p->type = CONFIG_OTHER; /* floats, dates, hex: valid TOML, unused */
	else
		p->type = CONFIG_INVALID;
}

static int
config_parse_value(struct config_parser *p, const char *s, const char *end)
{
	const char *next = end;

	if (p->str.data == NULL) {
		p->str.cap = 64;
		p->str.data = xmalloc(p->str.cap);
	}
	p->str.len = 0;
	p->str.data[0] = '\0';
	if (s >= end || *s == '#')
		return config_fail(p, "missing value");
	if (*s == '"' || *s == '\'') {
		if (end - s >= 3 && s[1] == s[0] && s[2] == s[0])
			return config_fail(p, "multi-line strings are not supported");
		if ((*s == '"' ? config_parse_basic(p, s, end, &next) : config_parse_literal(p, s, end, &next)) < 0)
			return -1;
		p->type = CONFIG_STRING;
		return config_line_end(p, next, end);
	}
	if (*s == '[' || *s == '{') {
		p->type = CONFIG_OTHER;
		return config_scan_brackets(p, s, end);
	}
	config_parse_token(p, s, end, &next);
	return config_line_end(p, next, end);
}

static int
config_section_line(struct config_parser *p, const char *s, const char *end, char *out, size_t num)
{
	bool twice = s + 1 < end && s[1] == '[';
	const char *name = s + (twice ? 2 : 1), *close;
	size_t n;

	for (close = name; close < end && *close != ']'; close++)
		if (!config_is_bare(*close) && *close != '.' && *close != ' ' && *close != '\t'
			&& *close != '"' && *close != '\'')
			return config_fail(p, "invalid table header");
	if (close >= end || (twice && (close + 1 >= end || close[1] != ']')))
		return config_fail(p, "unterminated table header");
	if (config_line_end(p, close + (twice ? 2 : 1), end) < 0)
		return -1;
	name = config_skip_ws(name, close);
	while (close > name && (close[-1] == ' ' || close[-1] == '\t'))
		close--;
	n = (size_t)(close - name);
	if (n == 0)
		return config_fail(p, "empty table header");
	if (n > CONFIG_MAX_NAME || n + 4 > num)
		snprintf(out, num, "[?]\n");
	else
		snprintf(out, num, "[%.*s]\n", (int)n, name);
	return 0;
}

static int
config_key_line(struct config_parser *p, const char *s, const char *end, char *out, size_t num)
{
	const char *k = s, *key_end;
	bool bare = true;

	while (k < end && *k != '=') {
		if (*k == '"' || *k == '\'') {
			const char *q = memchr(k + 1, *k, (size_t)(end - k - 1));

			if (q == NULL)
				return config_fail(p, "unterminated quoted key");
			bare = false;
			k = q + 1;
			continue;
		}
		if (!config_is_bare(*k) && *k != '.' && *k != ' ' && *k != '\t')
			return config_fail(p, "expected `key = value`");
		k++;
	}
	if (k >= end)
		return config_fail(p, "expected `key = value`");
	key_end = k;
	while (key_end > s && (key_end[-1] == ' ' || key_end[-1] == '\t'))
		key_end--;
	if (key_end == s)
		return config_fail(p, "missing key name");
	for (const char *c = s; c < key_end; c++)
		if (!config_is_bare(*c))
			bare = false;
	if (config_parse_value(p, config_skip_ws(k + 1, end), end) < 0)
		return -1;
	/* Only bare keys can be ours; others (quoted, dotted) are kept away
	 * from inih's ':' and ';' handling. */
	if (bare && (size_t)(key_end - s) <= CONFIG_MAX_NAME && (size_t)(key_end - s) + 4 <= num)
		snprintf(out, num, "%.*s=v\n", (int)(key_end - s), s);
	else
		snprintf(out, num, "?=v\n");
	return 0;
}

static int
config_preprocess(struct config_parser *p, const char *s, const char *end, char *out, size_t num)
{
	snprintf(out, num, "\n");
	if (p->open_brackets > 0)
		return config_scan_brackets(p, s, end);
	s = config_skip_ws(s, end);
	if (s >= end || *s == '#')
		return 0;
	if (*s == '[')
		return config_section_line(p, s, end, out, num);
	return config_key_line(p, s, end, out, num);
}

/* The ini_reader: one TOML line in, one canonical line out. */
static char *
config_reader(char *str, int num, void *stream)
{
	struct config_parser *p = stream;
	const char *line, *nl, *end;

	if (p->err != NULL || p->pos >= p->len || num < 8)
		return NULL;
	line = p->data + p->pos;
	nl = memchr(line, '\n', p->len - p->pos);
	end = nl != NULL ? nl : p->data + p->len;
	p->pos = (size_t)(end - p->data) + (nl != NULL ? 1 : 0);
	p->lineno++;
	if (end > line && end[-1] == '\r')
		end--;
	if (p->lineno == 1 && end - line >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	if (config_preprocess(p, line, end, str, (size_t)num) < 0)
		return NULL;
	return str;
}

static const struct config_entry *
config_lookup(const char *section, const char *key)
{
	for (size_t i = 0; i < sizeof config_table / sizeof config_table[0]; i++)
		if (strcmp(config_table[i].section, section) == 0 && strcmp(config_table[i].key, key) == 0)
			return &config_table[i];
	return NULL;
}

static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	static const char *const type_names[] = { "a string", "an integer", "a boolean" };
	struct config_parser *p = user;
	const struct config_entry *e = config_lookup(section, name);
	char *field;

	if (p->err != NULL)
		return 0;
	if (e == NULL) {
		if (p->type == CONFIG_INVALID)
			return config_fail(p, "key `%s%s%s`: invalid value (strings must be quoted)", section,
				section[0] != '\0' ? "." : "", name), 0;
		return 1;
	}
	if (p->type != e->type)
		return config_fail(p, "key `%s.%s`: expected %s", section, name, type_names[e->type]), 0;
	field = (char *)p->cfg + e->offset;
	switch (e->type) {
	case CONFIG_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(p->str.data);
		break;
	case CONFIG_INT:
		if (p->ival < 0 || p->ival > LONG_MAX)
			return config_fail(p, "key `%s.%s`: expected a non-negative integer", section, name), 0;
		*(long *)field = (long)p->ival;
		break;
	case CONFIG_BOOL:
		*(bool *)field = p->bval;
		break;
	default:
		break;
	}
	return 1;
}

int
config_load_buffer(struct mino_config *cfg, const char *name, const char *data, size_t len,
	struct mino_error **err)
{
	struct config_parser p = { .name = name, .data = data, .len = len };
	struct mino_config work;
	int rc;

	if (memchr(data, '\0', len) != NULL)
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s: contains a NUL byte", name);
	config_copy(&work, cfg);
	p.cfg = &work;
	rc = ini_parse_stream(config_reader, &p, config_handler, &p);
	if (p.err == NULL && p.open_brackets > 0)
		config_fail(&p, "unterminated array");
	if (p.err == NULL && rc != 0) {
		p.lineno = rc;
		config_fail(&p, "syntax error");
	}
	free(p.str.data);
	if (p.err != NULL) {
		config_free(&work);
		if (err != NULL && *err == NULL)
			*err = p.err;
		else
			mino_error_release(&p.err);
		return -1;
	}
	config_free(cfg);
	*cfg = work;
	return 0;
}

int
config_load(struct mino_config *cfg, const char *path, struct mino_error **err)
{
	_cleanup_free_ char *data = NULL;
	struct mino_error *rerr = NULL;
	size_t len;

	if (fs_read_file(path, CONFIG_MAX_FILE, &data, &len, &rerr) < 0) {
		if (rerr->errno_ == ENOENT) {
			mino_error_release(&rerr);
			return 0;
		}
		rerr->code = MINO_E_CONFIG;
		if (err != NULL && *err == NULL)
			*err = rerr;
		else
			mino_error_release(&rerr);
		return mino_error_wrap(err, "reading the configuration");
	}
	return config_load_buffer(cfg, path, data, len, err);
}
