/* test-jsonrpc.c: JSON-RPC validation and builders. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "jsonrpc.h"
#include "mino-protocol.h"
#include "tap.h"
#include "xalloc.h"

static int parse_fails(const char *body, size_t len, int code, const char *want, json_t **bad_id);
static void test_accept(void);
static void test_reject(void);
static void test_builders(void);
static void test_params(void);

/* 1 if parsing fails with `code` and a message containing `want`. */
static int
parse_fails(const char *body, size_t len, int code, const char *want, json_t **bad_id)
{
	struct rpc_msg msg;
	struct mino_error *err = NULL;
	int result;

	if (rpc_parse(body, len, &msg, bad_id, &err) == 0) {
		tap_diag("parsed fine");
		rpc_msg_free(&msg);
		return 0;
	}
	result = err != NULL && err->code == code && strstr(err->msg, want) != NULL && strchr(err->msg, '\n') == NULL;
	if (!result)
		tap_diag("error: code %d `%s`", err != NULL ? err->code : 0, err != NULL ? err->msg : "(none)");
	result = result && msg.root == NULL;
	mino_error_release(&err);
	return result;
}

#define REJECT(body, code, want, desc) ok(parse_fails(body, strlen(body), code, want, NULL), desc)

static void
test_accept(void)
{
	struct rpc_msg msg;
	struct mino_error *err = NULL;
	const char *req = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"session/list\",\"params\":{\"all\":true}}";
	const char *note = "{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":[1]}";
	const char *res = "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":null}";
	const char *eres = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}";
	const char *utf8 = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"s\":\"h\xc3\xa9llo \\u00e9\"}}";

	ok(rpc_parse(req, strlen(req), &msg, NULL, &err) == 0 && msg.kind == RPC_KIND_REQUEST
		&& strcmp(msg.method, "session/list") == 0 && json_integer_value(msg.id) == 7
		&& json_is_object(msg.params), "a request");
	rpc_msg_free(&msg);
	ok(rpc_parse(note, strlen(note), &msg, NULL, &err) == 0 && msg.kind == RPC_KIND_NOTIFICATION
		&& msg.id == NULL && json_is_array(msg.params), "a notification with array params");
	rpc_msg_free(&msg);
	ok(rpc_parse(res, strlen(res), &msg, NULL, &err) == 0 && msg.kind == RPC_KIND_RESPONSE
		&& json_is_null(msg.result) && msg.method == NULL, "a response with a string id and null result");
	rpc_msg_free(&msg);
	ok(rpc_parse(eres, strlen(eres), &msg, NULL, &err) == 0 && msg.kind == RPC_KIND_RESPONSE
		&& json_is_object(msg.error), "an error response with a null id");
	rpc_msg_free(&msg);
	ok(rpc_parse(utf8, strlen(utf8), &msg, NULL, &err) == 0, "valid UTF-8 and \\u escapes");
	rpc_msg_free(&msg);
	ok(err == NULL, "no error set on success");
}

static void
test_reject(void)
{
	char deep[200], ok_deep[200];
	json_t *bad_id = NULL;
	static const char nul[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\0\"}";
	const char *s;
	int n = 0;

	REJECT("{\"jsonrpc\":\"2.0\",", RPC_PARSE_ERROR, "parse error", "truncated JSON");
	REJECT("not json", RPC_PARSE_ERROR, "parse error", "garbage");
	REJECT("", RPC_PARSE_ERROR, "parse error", "empty body");
	REJECT("42", RPC_INVALID_REQUEST, "must be an object", "a bare scalar is valid JSON but not a request");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\"}", RPC_PARSE_ERROR, "duplicate",
		"duplicate keys");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":1,\"a\":2}}", RPC_PARSE_ERROR,
		"duplicate", "duplicate nested keys");
	ok(parse_fails(nul, sizeof nul - 1, RPC_PARSE_ERROR, "NUL", NULL), "a raw NUL byte");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\\u0000\"}", RPC_PARSE_ERROR, "parse error",
		"an escaped NUL (\\u0000)");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\"}", RPC_PARSE_ERROR, "parse error",
		"invalid UTF-8");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xc0\xaf\"}", RPC_PARSE_ERROR, "parse error",
		"overlong UTF-8");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\\ud800\"}", RPC_PARSE_ERROR, "parse error",
		"a lone surrogate escape");

	for (n = 0; n < 33; n++)
		deep[n] = '[';
	for (int i = 0; i < 33; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	REJECT(deep, RPC_PARSE_ERROR, "deeper than 32", "33 levels of nesting");
	memset(deep, '{', 150);
	deep[150] = '\0';
	REJECT(deep, RPC_PARSE_ERROR, "deeper than 32", "unterminated deep nesting is refused before parsing");
	strcpy(ok_deep, "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[");
	n = (int)strlen(ok_deep);
	for (int i = 0; i < 30; i++)
		ok_deep[n++] = '[';
	for (int i = 0; i < 31; i++)
		ok_deep[n++] = ']';
	ok_deep[n++] = '}';
	ok_deep[n] = '\0';
	{
		struct rpc_msg msg;
		struct mino_error *err = NULL;

		ok(rpc_parse(ok_deep, strlen(ok_deep), &msg, NULL, &err) == 0, "exactly 32 levels is fine");
		rpc_msg_free(&msg);
		mino_error_release(&err);
	}
	s = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"s\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}}";
	{
		struct rpc_msg msg;
		struct mino_error *err = NULL;

		ok(rpc_parse(s, strlen(s), &msg, NULL, &err) == 0, "brackets inside strings do not count as nesting");
		rpc_msg_free(&msg);
		mino_error_release(&err);
	}

	REJECT("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}]", RPC_INVALID_REQUEST, "batch", "a batch array");
	REJECT("{\"id\":1,\"method\":\"m\"}", RPC_INVALID_REQUEST, "missing `jsonrpc`", "missing jsonrpc");
	REJECT("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}", RPC_INVALID_REQUEST, "`jsonrpc` must be",
		"wrong jsonrpc version");
	REJECT("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"m\"}", RPC_INVALID_REQUEST, "`jsonrpc` must be",
		"jsonrpc as a number");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}", RPC_INVALID_REQUEST, "`id`", "a real id");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\"}", RPC_INVALID_REQUEST, "`id`", "an array id");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}", RPC_INVALID_REQUEST, "`id`", "an object id");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}", RPC_INVALID_REQUEST, "`id`", "a boolean id");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}", RPC_INVALID_REQUEST, "`id`",
		"a null id in a request");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}", RPC_INVALID_REQUEST, "`id`",
		"a null id in a result response");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", RPC_INVALID_REQUEST, "`method`", "a numeric method");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":5}", RPC_INVALID_REQUEST, "`params`",
		"scalar params");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":\"x\"}", RPC_INVALID_REQUEST, "`params`",
		"string params");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1}", RPC_INVALID_REQUEST, "exactly one", "a response without result");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{\"code\":1,\"message\":\"x\"}}",
		RPC_INVALID_REQUEST, "exactly one", "result and error together");
	REJECT("{\"jsonrpc\":\"2.0\",\"result\":1}", RPC_INVALID_REQUEST, "`id`", "a response without id");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\",\"message\":\"x\"}}", RPC_INVALID_REQUEST,
		"error.code", "a string error code");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":5}", RPC_INVALID_REQUEST, "`error`", "a scalar error");
	REJECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"result\":1}", RPC_INVALID_REQUEST, "`result`",
		"a request carrying a result");

	s = "{\"jsonrpc\":\"1.0\",\"id\":\"req-9\",\"method\":\"m\"}";
	ok(parse_fails(s, strlen(s), RPC_INVALID_REQUEST, "jsonrpc", &bad_id) && json_is_string(bad_id)
		&& strcmp(json_string_value(bad_id), "req-9") == 0, "bad_id echoes the id of an invalid request");
	json_decref(bad_id);
	s = "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\"}";
	ok(parse_fails(s, strlen(s), RPC_INVALID_REQUEST, "id", &bad_id) && bad_id == NULL,
		"bad_id is NULL when the id itself is bad");
	s = "{\"id\":3,";
	ok(parse_fails(s, strlen(s), RPC_PARSE_ERROR, "parse", &bad_id) && bad_id == NULL,
		"bad_id is NULL on parse errors");
}

static void
test_builders(void)
{
	json_t *id = json_integer(5), *m;
	struct rpc_msg msg;
	struct mino_error *err = NULL, *e = NULL;
	char *enc;
	size_t len;
	const char *body;
	struct frame_reader r;

	m = rpc_request_new(12, "session/create", json_pack("{s:s}", "name", "x"));
	enc = rpc_encode(m, &len);
	is_str(enc, "Content-Length: 73\r\n\r\n"
		"{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"session/create\",\"params\":{\"name\":\"x\"}}",
		"rpc_request_new + rpc_encode: compact and framed");
	frame_reader_init(&r, MINO_MAX_HEADER_BYTES, MINO_MAX_BODY_DEFAULT);
	frame_reader_feed(&r, enc, len, &err);
	ok(frame_reader_next(&r, &body, &len, &err) == 1 && rpc_parse(body, len, &msg, NULL, &err) == 0
		&& msg.kind == RPC_KIND_REQUEST && json_integer_value(msg.id) == 12
		&& strcmp(json_string_value(json_object_get(msg.params, "name")), "x") == 0,
		"round trip through frame reader and rpc_parse");
	rpc_msg_free(&msg);
	frame_reader_free(&r);
	free(enc);
	json_decref(m);

	m = rpc_notification_new("session/output", NULL);
	enc = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(enc, "{\"jsonrpc\":\"2.0\",\"method\":\"session/output\"}", "notification without params");
	free(enc);
	json_decref(m);

	m = rpc_result_new(id, json_pack("{s:i}", "n", 1));
	enc = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(enc, "{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":{\"n\":1}}", "rpc_result_new");
	free(enc);
	json_decref(m);
	ok(id->refcount == 1, "rpc_result_new leaves the borrowed id alone");

	m = rpc_error_new(id, MINO_E_NAME_TAKEN, "name `x` is taken", 0);
	enc = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(enc, "{\"error\":{\"code\":1005,\"data\":{\"name\":\"name_taken\"},\"message\":\"name `x` is taken\"},"
		"\"id\":5,\"jsonrpc\":\"2.0\"}", "rpc_error_new: data.name, no errno");
	free(enc);
	json_decref(m);

	m = rpc_error_new(NULL, RPC_PARSE_ERROR, "bad", EINVAL);
	enc = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(enc, "{\"error\":{\"code\":-32700,\"data\":{\"errno\":22,\"name\":\"parse_error\"},\"message\":\"bad\"},"
		"\"id\":null,\"jsonrpc\":\"2.0\"}", "rpc_error_new: null id and data.errno");
	free(enc);
	json_decref(m);

	mino_make_error(&e, MINO_E_IO, ENOENT, "open `x`");
	m = rpc_error_from(id, e);
	ok(json_integer_value(json_object_get(json_object_get(m, "error"), "code")) == MINO_E_IO
		&& strcmp(json_string_value(json_object_get(json_object_get(m, "error"), "message")),
			"open `x`: No such file or directory") == 0
		&& json_integer_value(json_object_get(json_object_get(json_object_get(m, "error"), "data"), "errno"))
			== ENOENT, "rpc_error_from");
	json_decref(m);
	mino_error_release(&e);

	m = rpc_error_new(id, MINO_E_INTERNAL, "bad \xff utf8", 0);
	ok(json_is_string(json_object_get(json_object_get(m, "error"), "message")),
		"an invalid UTF-8 message still gives an error object");
	json_decref(m);

	enc = rpc_encode(m = rpc_result_new(id, NULL), &len);
	ok(enc != NULL && strstr(enc, "\"result\":null") != NULL, "a NULL result becomes null");
	free(enc);
	json_decref(m);
	json_decref(id);
}

static void
test_params(void)
{
	json_t *p = json_pack("{s:s, s:i, s:b, s:[s,s], s:[s,i], s:i}", "name", "x", "rows", 24, "tty", 1,
		"cmd", "a", "b", "badv", "a", 1, "big", 100000);
	struct mino_error *err = NULL;
	const char *s = NULL;
	json_int_t n = -1;
	bool b = false;
	json_t *v = NULL;

	ok(rpc_param_string(p, "name", true, &s, &err) == 0 && strcmp(s, "x") == 0, "string param");
	ok(rpc_param_string(p, "rows", true, &s, &err) == -1 && err->code == RPC_INVALID_PARAMS
		&& strstr(err->msg, "`rows` must be a string") != NULL, "string param of the wrong type");
	mino_error_release(&err);
	ok(rpc_param_string(p, "missing", true, &s, &err) == -1 && strstr(err->msg, "missing `missing`") != NULL,
		"required string param absent");
	mino_error_release(&err);
	s = "keep";
	ok(rpc_param_string(p, "missing", false, &s, &err) == 0 && strcmp(s, "keep") == 0,
		"optional absent param leaves *out");
	ok(rpc_param_int(p, "rows", true, 1, 1000, &n, &err) == 0 && n == 24, "int param");
	ok(rpc_param_int(p, "big", true, 1, 1000, &n, &err) == -1 && strstr(err->msg, "between 1 and 1000") != NULL,
		"int param out of range");
	mino_error_release(&err);
	ok(rpc_param_int(p, "name", true, 1, 1000, &n, &err) == -1, "int param of the wrong type");
	mino_error_release(&err);
	ok(rpc_param_bool(p, "tty", true, &b, &err) == 0 && b, "bool param");
	ok(rpc_param_bool(p, "rows", false, &b, &err) == -1, "bool param of the wrong type");
	mino_error_release(&err);
	ok(rpc_param_strv(p, "cmd", true, &v, &err) == 0 && json_array_size(v) == 2, "string array param");
	ok(rpc_param_strv(p, "badv", true, &v, &err) == -1 && strstr(err->msg, "`badv[1]`") != NULL,
		"string array with a number");
	mino_error_release(&err);
	ok(rpc_param_strv(NULL, "cmd", true, &v, &err) == -1, "absent params object, required field");
	mino_error_release(&err);
	ok(rpc_param_strv(NULL, "cmd", false, &v, &err) == 0, "absent params object, optional field");
	json_decref(p);
}

int
main(void)
{
	test_accept();
	test_reject();
	test_builders();
	test_params();
	return tap_done();
}
