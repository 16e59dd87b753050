/* test-toml.c: the TOML-subset parser on every construct and on hostile
 * input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "toml.h"
#include "xalloc.h"

static struct toml_doc doc;
static char *last_error;

static int parse_len(const char *data, size_t len);
static int parse(const char *data);
static void expect_error(const char *data, const char *needle, const char *what);
static const struct toml_value *get(const char *section, const char *key);
static void test_scalars(void);
static void test_strings(void);
static void test_arrays(void);
static void test_tables(void);
static void test_structure(void);
static void test_positions(void);
static void test_unsupported(void);
static void test_hostile(void);
static void test_render(void);

static int
parse_len(const char *data, size_t len)
{
	struct mino_error *err = NULL;
	int r;

	toml_doc_free(&doc);
	free(last_error);
	last_error = NULL;
	r = toml_parse("t.toml", data, len, &doc, &err);
	if (r < 0) {
		last_error = xstrdup(err->msg);
		mino_error_release(&err);
	}
	return r;
}

static int
parse(const char *data)
{
	return parse_len(data, strlen(data));
}

static void
expect_error(const char *data, const char *needle, const char *what)
{
	ok(parse(data) < 0, "%s: rejected", what);
	tap_contains(last_error, needle, what);
}

static const struct toml_value *
get(const char *section, const char *key)
{
	const struct toml_entry *e = toml_doc_find(&doc, section, key);

	return e != NULL ? &e->value : NULL;
}

static void
test_scalars(void)
{
	const struct toml_value *v;

	ok(parse("[s]\nb1 = true\nb2 = false\ni1 = 0\ni2 = -42\ni3 = +7\ni4 = 1_000_000\n"
	    "i5 = 9223372036854775807\ni6 = -9223372036854775808\n") == 0, "scalars parse");
	v = get("s", "b1");
	ok(v != NULL && v->type == TOML_BOOLEAN && v->boolean, "true");
	v = get("s", "b2");
	ok(v != NULL && v->type == TOML_BOOLEAN && !v->boolean, "false");
	v = get("s", "i1");
	ok(v != NULL && v->type == TOML_INTEGER && v->integer == 0, "0");
	v = get("s", "i2");
	ok(v != NULL && v->integer == -42, "-42");
	v = get("s", "i3");
	ok(v != NULL && v->integer == 7, "+7");
	v = get("s", "i4");
	ok(v != NULL && v->integer == 1000000, "1_000_000");
	v = get("s", "i5");
	ok(v != NULL && v->integer == 9223372036854775807LL, "LLONG_MAX");
	v = get("s", "i6");
	ok(v != NULL && v->integer == -9223372036854775807LL - 1, "LLONG_MIN");
	expect_error("[s]\na = 9223372036854775808\n", "t.toml:2: integer out of range", "overflow");
	expect_error("[s]\na = -9223372036854775809\n", "out of range", "underflow");
	expect_error("[s]\na = 012\n", "leading zeros", "leading zero");
	expect_error("[s]\na = 1__0\n", "between digits", "double underscore");
	expect_error("[s]\na = 10_\n", "between digits", "trailing underscore");
	expect_error("[s]\na = _10\n", "expected a value", "leading underscore");
	expect_error("[s]\na = True\n", "expected a value", "True is not a boolean");
	expect_error("[s]\na = yes\n", "expected a value", "bare word");
	expect_error("[s]\na = \n", "t.toml:2: missing value", "missing value");
	expect_error("[s]\na = # c\n", "missing value", "comment instead of a value");
	expect_error("[s]\na = 1 2\n", "unexpected text after the value of `a`", "two values");
	expect_error("[s]\na = true false\n", "unexpected text", "two words");
}

static void
test_strings(void)
{
	const struct toml_value *v;

	ok(parse("[s]\n"
	    "a = \"plain\"\n"
	    "b = \"q\\\" b\\\\ n\\n t\\t r\\r bs\\b ff\\f\"\n"
	    "c = \"\\u00e9\\u20AC\\U0001F600\"\n"
	    "d = 'C:\\path\\no \"escapes\"'\n"
	    "e = \"\"\n"
	    "f = ''\n"
	    "g = \"a # not a comment ; nor this\"\n"
	    "h = \"caf\xc3\xa9\"\n"
	    "i = \"tab\there\"\n") == 0, "strings parse");
	v = get("s", "a");
	ok(v != NULL && v->type == TOML_STRING && strcmp(v->string, "plain") == 0, "basic string");
	v = get("s", "b");
	ok(v != NULL && strcmp(v->string, "q\" b\\ n\n t\t r\r bs\b ff\f") == 0, "escapes");
	v = get("s", "c");
	ok(v != NULL && strcmp(v->string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0,
	    "\\u and \\U escapes");
	v = get("s", "d");
	ok(v != NULL && strcmp(v->string, "C:\\path\\no \"escapes\"") == 0, "literal string");
	v = get("s", "e");
	ok(v != NULL && v->string[0] == '\0', "empty basic string");
	v = get("s", "f");
	ok(v != NULL && v->string[0] == '\0', "empty literal string");
	v = get("s", "g");
	ok(v != NULL && strcmp(v->string, "a # not a comment ; nor this") == 0,
	    "# and ; inside a string are kept");
	v = get("s", "h");
	ok(v != NULL && strcmp(v->string, "caf\xc3\xa9") == 0, "UTF-8 in a string");
	v = get("s", "i");
	ok(v != NULL && strcmp(v->string, "tab\there") == 0, "literal tab in a string");

	expect_error("[s]\na = \"open\n", "t.toml:2: unterminated string", "unterminated basic");
	expect_error("[s]\na = \"open", "unterminated string", "unterminated at EOF");
	expect_error("[s]\na = 'open\n", "unterminated literal string", "unterminated literal");
	expect_error("[s]\na = \"open\\", "unterminated", "backslash at EOF");
	expect_error("[s]\na = \"\\x41\"\n", "invalid escape sequence `\\x`", "bad escape");
	expect_error("[s]\na = \"\\u12\"\n", "needs 4 hex digits", "short \\u");
	expect_error("[s]\na = \"\\uD800\"\n", "not a Unicode scalar value", "surrogate escape");
	expect_error("[s]\na = \"\\U00110000\"\n", "not a Unicode scalar value", "escape > 10FFFF");
	expect_error("[s]\na = \"\\u0000\"\n", "\\u0000 is not allowed", "NUL escape");
	expect_error("[s]\na = \"bell\x07\"\n", "control character in a string", "control char");
	expect_error("[s]\na = 'del\x7f'\n", "control character", "DEL in a literal");
	expect_error("[s]\na = \"x\" \"y\"\n", "unexpected text", "two strings");
}

static void
test_arrays(void)
{
	const struct toml_value *v;

	ok(parse("[s]\n"
	    "a = []\n"
	    "b = [\"x\"]\n"
	    "c = [ \"x\" , 'y', ]\n"
	    "d = [\n"
	    "  \"one\",   # first\n"
	    "  # a comment line\n"
	    "\n"
	    "  'two'\n"
	    "]  # after\n"
	    "e = [\"f\"]\n") == 0, "arrays parse");
	v = get("s", "a");
	ok(v != NULL && v->type == TOML_ARRAY && v->count == 0, "empty array");
	v = get("s", "b");
	ok(v != NULL && v->count == 1 && strcmp(v->items[0], "x") == 0, "one item");
	v = get("s", "c");
	ok(v != NULL && v->count == 2 && strcmp(v->items[1], "y") == 0, "trailing comma");
	v = get("s", "d");
	ok(v != NULL && v->count == 2 && strcmp(v->items[0], "one") == 0 &&
	    strcmp(v->items[1], "two") == 0, "multi-line array with comments");
	ok(toml_doc_find(&doc, "s", "d")->line == 5 && toml_doc_find(&doc, "s", "d")->end_line == 10,
	    "multi-line array spans lines 5-10");
	ok(toml_doc_find(&doc, "s", "e")->line == 11, "line numbers continue after it");

	expect_error("[s]\na = [\"x\",\n\"y\"\n", "t.toml:2: unterminated array", "unterminated");
	expect_error("[s]\na = [\"x\" \"y\"]\n", "expected `,` or `]`", "missing comma");
	expect_error("[s]\na = [1, 2]\n", "arrays may only contain strings", "integer items");
	expect_error("[s]\na = [\"x\", true]\n", "only contain strings", "mixed array");
	expect_error("[s]\na = [[\"x\"]]\n", "nested arrays are not supported", "nested");
	expect_error("[s]\na = [,]\n", "only contain strings", "lone comma");
}

static void
test_tables(void)
{
	const struct toml_value *v;

	ok(parse("[s]\n"
	    "e = { \"A\" = \"b\", C_2 = 'd', \"with space\" = \"x;y\" }\n"
	    "f = {}\n"
	    "g = {A=\"1\"}\n") == 0, "inline tables parse");
	v = get("s", "e");
	ok(v != NULL && v->type == TOML_TABLE && v->count == 3, "three pairs");
	ok(v != NULL && strcmp(toml_value_table_get(v, "A"), "b") == 0 &&
	    strcmp(toml_value_table_get(v, "C_2"), "d") == 0 &&
	    strcmp(toml_value_table_get(v, "with space"), "x;y") == 0, "pairs");
	v = get("s", "f");
	ok(v != NULL && v->type == TOML_TABLE && v->count == 0, "empty table");
	v = get("s", "g");
	ok(v != NULL && v->count == 1, "no blanks");

	expect_error("[s]\ne = { \"A\" = \"b\"\n", "inline tables must be on one line", "unclosed");
	expect_error("[s]\ne = { \"A\" = \"b\",\n \"C\" = \"d\" }\n", "on one line", "multi-line");
	expect_error("[s]\ne = { A = \"b\", }\n", "trailing `,`", "trailing comma");
	expect_error("[s]\ne = { A = 1 }\n", "values must be strings", "integer value");
	expect_error("[s]\ne = { A = \"1\", A = \"2\" }\n", "duplicate key `A` in an inline table",
	    "duplicate inline key");
	expect_error("[s]\ne = { a.b = \"1\" }\n", "dotted keys are not supported", "dotted");
	expect_error("[s]\ne = { \"\" = \"1\" }\n", "empty key", "empty key");
	expect_error("[s]\ne = { A \"1\" }\n", "expected `=`", "missing =");
	expect_error("[s]\ne = { A = \"1\" B = \"2\" }\n", "expected `,` or `}`", "missing comma");
}

static void
test_structure(void)
{
	const struct toml_value *v;

	ok(parse("# leading comment\n"
	    "top = 1\n"
	    "  [ a . b ]   # header comment\n"
	    "\tk = \"v\"\t# trailing\n"
	    "[c]\n"
	    "k = \"w\"\n"
	    "[d]\n") == 0, "structure parses");
	ok(get("", "top") != NULL && get("", "top")->integer == 1, "key before any section");
	v = get("a.b", "k");
	ok(v != NULL && strcmp(v->string, "v") == 0, "[a.b] with blanks and indentation");
	v = get("c", "k");
	ok(v != NULL && strcmp(v->string, "w") == 0, "same key in another section");
	ok(doc.n_sections == 3 && strcmp(doc.sections[2].name, "d") == 0 && doc.sections[2].line == 7,
	    "empty section recorded with its line");

	ok(parse("[s]\r\na = \"x\"\r\nb = [\r\n  \"y\",\r\n]\r\n") == 0, "CRLF file");
	ok(doc.crlf, "CRLF detected");
	ok(get("s", "a") != NULL && strcmp(get("s", "a")->string, "x") == 0 &&
	    get("s", "b")->count == 1, "CRLF values");
	ok(parse("\xef\xbb\xbf[s]\na = 1\n") == 0 && get("s", "a") != NULL, "UTF-8 BOM");
	ok(parse("") == 0 && doc.n_entries == 0, "empty file");
	ok(parse("\n\n# only comments\n   \n") == 0 && doc.n_entries == 0, "only comments");
	ok(parse("[s]\na = 1") == 0 && get("s", "a")->integer == 1, "no final newline");

	expect_error("[s]\na = 1\na = 2\n", "t.toml:3: duplicate key `a` (first set on line 2)",
	    "duplicate key");
	expect_error("[s]\na = 1\n[t]\n[s]\n", "t.toml:4: section [s] is defined twice",
	    "duplicate section");
	expect_error("[s\na = 1\n", "t.toml:1: expected `]`", "unclosed header");
	expect_error("[]\n", "expected a key", "empty header");
	expect_error("[s] x\n", "unexpected `x`", "text after a header");
	expect_error("[s]\njust words\n", "t.toml:2: expected `=` after key `just`", "no =");
	expect_error("[s]\n= 1\n", "expected a key", "no key");
	expect_error("[s]\n; ini comment\n", "expected a key", "; comment is not TOML");
	expect_error("[s]\nkey: 1\n", "expected `=`", "colon separator");
	expect_error("[s]\na = 1\rb = 2\n", "carriage return without a line feed", "bare CR");
	expect_error("[s]\n# bell \x07\n", "control character in a comment", "control in comment");
}

static void
test_positions(void)
{
	const struct toml_entry *e;

	ok(parse("[s]\n  a = \"x\"   # keep me\nb = [\n \"y\" # c\n]  # end\n") == 0,
	    "positions parse");
	e = toml_doc_find(&doc, "s", "a");
	ok(e != NULL && e->line == 2 && e->end_line == 2 && e->comment != NULL &&
	    strcmp(e->comment, "# keep me") == 0, "trailing comment recorded");
	e = toml_doc_find(&doc, "s", "b");
	ok(e != NULL && e->line == 3 && e->end_line == 5 && strcmp(e->comment, "# end") == 0,
	    "comment after a multi-line array");
}

static void
test_unsupported(void)
{
	expect_error("[s]\na = 1.5\n", "floating-point numbers are not supported", "float");
	expect_error("[s]\na = 1e3\n", "floating-point", "exponent");
	expect_error("[s]\na = inf\n", "floating-point", "inf");
	expect_error("[s]\na = -nan\n", "floating-point", "nan");
	expect_error("[s]\na = 1979-05-27\n", "dates and times are not supported", "date");
	expect_error("[s]\na = 07:32:00\n", "dates and times", "time");
	expect_error("[s]\na = 0xff\n", "hexadecimal, octal and binary", "hex");
	expect_error("[s]\na = 0o17\n", "hexadecimal, octal and binary", "octal");
	expect_error("[s]\na = \"\"\"\nx\"\"\"\n", "multi-line strings", "multi-line basic");
	expect_error("[s]\na = '''x'''\n", "multi-line strings", "multi-line literal");
	expect_error("[[s]]\n", "arrays of tables", "array of tables");
	expect_error("[s]\na.b = 1\n", "dotted keys (`a.`...) are not supported", "dotted key");
	expect_error("[s]\n\"a\" = 1\n", "quoted keys are not supported", "quoted key");
	expect_error("[\"s\"]\n", "quoted section names", "quoted header");
}

static void
test_hostile(void)
{
	struct buf b;
	const struct toml_value *v;
	static const char nul[] = "[s]\na = \"x\0y\"\n";

	ok(parse_len(nul, sizeof nul - 1) < 0, "NUL byte rejected");
	tap_contains(last_error, "t.toml:2: NUL byte", "NUL byte");
	ok(parse_len("[s]\n\0", 5) < 0, "NUL at the end rejected");

	expect_error("[s]\na = \"\xff\"\n", "t.toml:2: invalid UTF-8", "0xff");
	expect_error("[s]\n\n\na = \"\xc0\xaf\"\n", "t.toml:4: invalid UTF-8", "overlong");
	expect_error("[s]\na = \"\xed\xa0\x80\"\n", "invalid UTF-8", "encoded surrogate");
	expect_error("[s]\na = \"\xe2\x82\"\n", "invalid UTF-8", "truncated sequence");
	expect_error("[s]\na = \"x\"\n# \xf4\x90\x80\x80\n", "t.toml:3: invalid UTF-8",
	    "above U+10FFFF in a comment");
	expect_error("\xe2\x82", "invalid UTF-8", "truncated at EOF");

	/* Deep arrays: no recursion, the second `[` is refused at once. */
	buf_init(&b);
	buf_printf(&b, "[s]\na = ");
	for (int i = 0; i < 100000; i++)
		buf_append(&b, "[", 1);
	ok(parse_len(b.data, b.len) < 0, "100000 nested [ rejected");
	tap_contains(last_error, "nested arrays", "deep arrays");
	buf_free(&b);

	/* A 1 MiB comment line is fine; a 1 MiB string is over the limit. */
	buf_init(&b);
	buf_printf(&b, "[s]\n#");
	for (int i = 0; i < 1024 * 1024; i++)
		buf_append(&b, "x", 1);
	buf_printf(&b, "\na = \"ok\"\n");
	ok(parse_len(b.data, b.len) == 0 && get("s", "a") != NULL &&
	    toml_doc_find(&doc, "s", "a")->line == 3, "1 MiB comment line");
	buf_free(&b);

	buf_init(&b);
	buf_printf(&b, "[s]\na = \"");
	for (int i = 0; i < 1024 * 1024; i++)
		buf_append(&b, "y", 1);
	buf_printf(&b, "\"\n");
	ok(parse_len(b.data, b.len) < 0, "1 MiB string rejected");
	tap_contains(last_error, "t.toml:2: string longer than 65536 bytes", "1 MiB string");
	buf_free(&b);

	buf_init(&b);
	buf_printf(&b, "[s]\na = \"");
	for (int i = 0; i < 65536; i++)
		buf_append(&b, "z", 1);
	buf_printf(&b, "\"\nb = '");
	for (int i = 0; i < 65536; i++)
		buf_append(&b, "z", 1);
	buf_printf(&b, "'\n");
	ok(parse_len(b.data, b.len) == 0 && strlen(get("s", "a")->string) == 65536 &&
	    strlen(get("s", "b")->string) == 65536, "64 KiB strings (longer than inih's line)");
	buf_free(&b);

	buf_init(&b);
	buf_printf(&b, "[s]\na = [");
	for (int i = 0; i < TOML_MAX_ITEMS + 1; i++)
		buf_printf(&b, "\"i\",");
	buf_printf(&b, "]\n");
	ok(parse_len(b.data, b.len) < 0, "too many array items rejected");
	tap_contains(last_error, "more than 1024 array items", "array cap");
	buf_free(&b);

	buf_init(&b);
	for (int i = 0; i < 5 * 1024 * 1024; i++)
		buf_append(&b, "\n", 1);
	ok(parse_len(b.data, b.len) < 0, "5 MiB file rejected");
	tap_contains(last_error, "file larger than", "file cap");
	buf_free(&b);

	/* Names up to inih's buffers; longer ones are refused, never cut. */
	ok(parse("[abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv]\n"
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv = 1\n") == 0, "48-byte names");
	v = get("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv",
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv");
	ok(v != NULL && v->integer == 1, "48-byte names kept whole");
	expect_error("[s]\nabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvw = 1\n",
	    "key longer than 48 bytes", "49-byte key");
	expect_error("[abcdefghijklmnopqrstuvwxyz.abcdefghijklmnopqrstuvwxyz]\n",
	    "section name longer than 48 bytes", "long dotted section");

	/* inih quirks that must not leak through. */
	ok(parse("[s]\na = \"x ; y\"\nb = \"p:q=r\"\n  c = \"indented\"\n") == 0,
	    "inih-hostile values parse");
	ok(strcmp(get("s", "a")->string, "x ; y") == 0, "; inside a string is not a comment");
	ok(strcmp(get("s", "b")->string, "p:q=r") == 0, ": and = inside a string");
	ok(strcmp(get("s", "c")->string, "indented") == 0,
	    "indented key is not an inih continuation line");
}

static void
test_render(void)
{
	struct toml_value v, w;
	struct buf b;

	toml_value_init_table(&v);
	toml_value_table_put(&v, "K", "a\"b\\c\n\t\x01\x7f\xc3\xa9");
	toml_value_table_put(&v, "with space", "");
	buf_init(&b);
	buf_printf(&b, "[s]\nv = ");
	toml_append_value(&b, &v);
	buf_printf(&b, "\nl = ");
	toml_value_init_array(&w);
	toml_value_push(&w, "x,y");
	toml_value_push(&w, "'q'");
	toml_append_value(&b, &w);
	buf_printf(&b, "\n");
	ok(parse_len(b.data, b.len) == 0, "rendered values parse back");
	ok(get("s", "v") != NULL && toml_value_equal(get("s", "v"), &v), "table round trip");
	ok(get("s", "l") != NULL && toml_value_equal(get("s", "l"), &w), "array round trip");
	toml_value_free(&v);
	toml_value_free(&w);
	buf_free(&b);
	ok(toml_is_bare_key("a-b_9") && !toml_is_bare_key("a.b") && !toml_is_bare_key(""),
	    "bare keys");
}

int
main(void)
{
	test_scalars();
	test_strings();
	test_arrays();
	test_tables();
	test_structure();
	test_positions();
	test_unsupported();
	test_hostile();
	test_render();
	toml_doc_free(&doc);
	free(last_error);
	return tap_done();
}
