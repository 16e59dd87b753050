/* jsonrpc.c: parsing, validating and building JSON-RPC 2.0 messages. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "jsonrpc.h"
#include "mino-protocol.h"
#include "xalloc.h"

static int rpc_check_depth(const char *body, size_t len, struct mino_error **err);
static bool rpc_id_is_valid(const json_t *id);
static int rpc_parse_request(struct rpc_msg *msg, struct mino_error **err);
static int rpc_parse_response(struct rpc_msg *msg, struct mino_error **err);
static int rpc_parse_object(struct rpc_msg *msg, struct mino_error **err);
static char *rpc_printable(const char *text);

/* jansson's error text can quote input bytes: keep messages printable ASCII. */
static char *
rpc_printable(const char *text)
{
	char *out = xstrdup(text);

	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return out;
}

/* Counts nesting outside strings, before jansson recurses into it. */
static int
rpc_check_depth(const char *body, size_t len, struct mino_error **err)
{
	bool in_string = false, escaped = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = body[i];

		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			in_string = true;
			break;
		case '[':
		case '{':
			if (++depth > MINO_MAX_JSON_DEPTH)
				return mino_make_error(err, RPC_PARSE_ERROR, 0,
					"parse error: JSON nested deeper than %d levels", MINO_MAX_JSON_DEPTH);
			break;
		case ']':
		case '}':
			depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

static bool
rpc_id_is_valid(const json_t *id)
{
	return json_is_integer(id) || json_is_string(id);
}

static int
rpc_parse_request(struct rpc_msg *msg, struct mino_error **err)
{
	json_t *method = json_object_get(msg->root, "method");

	if (json_object_get(msg->root, "result") != NULL || json_object_get(msg->root, "error") != NULL)
		return mino_make_error(err, RPC_INVALID_REQUEST, 0,
			"invalid request: a request must not carry `result` or `error`");
	if (!json_is_string(method))
		return mino_make_error(err, RPC_INVALID_REQUEST, 0, "invalid request: `method` must be a string");
	msg->method = json_string_value(method);
	msg->params = json_object_get(msg->root, "params");
	if (msg->params != NULL && !json_is_object(msg->params) && !json_is_array(msg->params))
		return mino_make_error(err, RPC_INVALID_REQUEST, 0,
			"invalid request: `params` must be an object or an array");
	msg->kind = msg->id != NULL ? RPC_KIND_REQUEST : RPC_KIND_NOTIFICATION;
	return 0;
}

static int
rpc_parse_response(struct rpc_msg *msg, struct mino_error **err)
{
	json_t *code, *message;

	msg->result = json_object_get(msg->root, "result");
	msg->error = json_object_get(msg->root, "error");
	if (msg->id == NULL)
		return mino_make_error(err, RPC_INVALID_REQUEST, 0,
			"invalid request: a message without `method` must be a response with an `id`");
	if ((msg->result == NULL) == (msg->error == NULL))
		return mino_make_error(err, RPC_INVALID_REQUEST, 0,
			"invalid request: a response must have exactly one of `result` and `error`");
	if (msg->error != NULL) {
		if (!json_is_object(msg->error))
			return mino_make_error(err, RPC_INVALID_REQUEST, 0,
				"invalid request: `error` must be an object");
		code = json_object_get(msg->error, "code");
		message = json_object_get(msg->error, "message");
		if (!json_is_integer(code))
			return mino_make_error(err, RPC_INVALID_REQUEST, 0,
				"invalid request: `error.code` must be an integer");
		if (!json_is_string(message))
			return mino_make_error(err, RPC_INVALID_REQUEST, 0,
				"invalid request: `error.message` must be a string");
	}
	msg->kind = RPC_KIND_RESPONSE;
	return 0;
}

static int
rpc_parse_object(struct rpc_msg *msg, struct mino_error **err)
{
	json_t *version;
	bool is_request;

	if (json_is_array(msg->root))
		return mino_make_error(err, RPC_INVALID_REQUEST, 0,
			"invalid request: batch arrays are not supported");
	if (!json_is_object(msg->root))
		return mino_make_error(err, RPC_INVALID_REQUEST, 0, "invalid request: message must be an object");
	msg->id = json_object_get(msg->root, "id");
	version = json_object_get(msg->root, "jsonrpc");
	if (version == NULL)
		return mino_make_error(err, RPC_INVALID_REQUEST, 0, "invalid request: missing `jsonrpc`");
	if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0)
		return mino_make_error(err, RPC_INVALID_REQUEST, 0, "invalid request: `jsonrpc` must be \"2.0\"");
	is_request = json_object_get(msg->root, "method") != NULL;
	if (msg->id != NULL && !rpc_id_is_valid(msg->id)) {
		bool error_response = !is_request && json_is_null(msg->id)
			&& json_object_get(msg->root, "error") != NULL;

		if (!error_response)
			return mino_make_error(err, RPC_INVALID_REQUEST, 0,
				"invalid request: `id` must be an integer or a string");
	}
	return is_request ? rpc_parse_request(msg, err) : rpc_parse_response(msg, err);
}

int
rpc_parse(const char *body, size_t len, struct rpc_msg *msg, json_t **bad_id, struct mino_error **err)
{
	_cleanup_free_ char *text = NULL;
	json_error_t jerr;

	memset(msg, 0, sizeof *msg);
	if (bad_id != NULL)
		*bad_id = NULL;
	if (memchr(body, '\0', len) != NULL)
		return mino_make_error(err, RPC_PARSE_ERROR, 0, "parse error: message contains a NUL byte");
	if (rpc_check_depth(body, len, err) < 0)
		return -1;
	msg->root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (msg->root == NULL) {
		text = rpc_printable(jerr.text);
		return mino_make_error(err, RPC_PARSE_ERROR, 0, "parse error: %s (line %d, column %d)",
			text, jerr.line, jerr.column);
	}
	if (rpc_parse_object(msg, err) < 0) {
		if (bad_id != NULL && msg->id != NULL && rpc_id_is_valid(msg->id))
			*bad_id = json_incref(msg->id);
		rpc_msg_free(msg);
		return -1;
	}
	return 0;
}

void
rpc_msg_free(struct rpc_msg *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof *msg);
}

json_t *
rpc_request_new(json_int_t id, const char *method, json_t *params)
{
	json_t *msg = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", id, "method", method);

	if (msg == NULL)
		fatal("rpc_request_new: json_pack failed");
	if (params != NULL)
		json_object_set_new(msg, "params", params);
	return msg;
}

json_t *
rpc_notification_new(const char *method, json_t *params)
{
	json_t *msg = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);

	if (msg == NULL)
		fatal("rpc_notification_new: json_pack failed");
	if (params != NULL)
		json_object_set_new(msg, "params", params);
	return msg;
}

json_t *
rpc_result_new(json_t *id, json_t *result)
{
	json_t *msg = json_object();

	json_object_set_new(msg, "jsonrpc", json_string("2.0"));
	json_object_set_new(msg, "id", id != NULL ? json_deep_copy(id) : json_null());
	json_object_set_new(msg, "result", result != NULL ? result : json_null());
	return msg;
}

json_t *
rpc_error_new(json_t *id, int code, const char *message, int errno_)
{
	const char *name = mino_errcode_name(code);
	json_t *msg = json_object(), *error = json_object(), *data = json_object();
	json_t *text = json_string(message != NULL ? message : "unknown error");

	json_object_set_new(data, "name", json_string(name != NULL ? name : "unknown"));
	if (errno_ != 0)
		json_object_set_new(data, "errno", json_integer(errno_));
	json_object_set_new(error, "code", json_integer(code));
	/* json_string() rejects invalid UTF-8: never lose the error for that */
	json_object_set_new(error, "message", text != NULL ? text : json_string("(message not valid UTF-8)"));
	json_object_set_new(error, "data", data);
	json_object_set_new(msg, "jsonrpc", json_string("2.0"));
	json_object_set_new(msg, "id", id != NULL ? json_deep_copy(id) : json_null());
	json_object_set_new(msg, "error", error);
	return msg;
}

json_t *
rpc_error_from(json_t *id, const struct mino_error *err)
{
	if (err == NULL)
		return rpc_error_new(id, MINO_E_INTERNAL, "unknown error", 0);
	return rpc_error_new(id, err->code != 0 ? err->code : MINO_E_INTERNAL,
		err->msg != NULL ? err->msg : "unknown error", err->errno_);
}

char *
rpc_encode(const json_t *msg, size_t *outlen)
{
	_cleanup_free_ char *body = json_dumps(msg, JSON_COMPACT);

	if (body == NULL)
		return NULL;
	return frame_encode(body, strlen(body), outlen);
}

int
rpc_param_string(json_t *params, const char *key, bool required, const char **out, struct mino_error **err)
{
	json_t *v = json_object_get(params, key);

	if (v == NULL) {
		if (required)
			return mino_make_error(err, RPC_INVALID_PARAMS, 0, "invalid params: missing `%s`", key);
		return 0;
	}
	if (!json_is_string(v))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "invalid params: `%s` must be a string", key);
	*out = json_string_value(v);
	return 0;
}

int
rpc_param_int(json_t *params, const char *key, bool required, json_int_t min, json_int_t max,
	json_int_t *out, struct mino_error **err)
{
	json_t *v = json_object_get(params, key);
	json_int_t n;

	if (v == NULL) {
		if (required)
			return mino_make_error(err, RPC_INVALID_PARAMS, 0, "invalid params: missing `%s`", key);
		return 0;
	}
	if (!json_is_integer(v))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "invalid params: `%s` must be an integer", key);
	n = json_integer_value(v);
	if (n < min || n > max)
		return mino_make_error(err, RPC_INVALID_PARAMS, 0,
			"invalid params: `%s` must be between %" JSON_INTEGER_FORMAT " and %" JSON_INTEGER_FORMAT,
			key, min, max);
	*out = n;
	return 0;
}

int
rpc_param_bool(json_t *params, const char *key, bool required, bool *out, struct mino_error **err)
{
	json_t *v = json_object_get(params, key);

	if (v == NULL) {
		if (required)
			return mino_make_error(err, RPC_INVALID_PARAMS, 0, "invalid params: missing `%s`", key);
		return 0;
	}
	if (!json_is_boolean(v))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "invalid params: `%s` must be a boolean", key);
	*out = json_is_true(v);
	return 0;
}

int
rpc_param_strv(json_t *params, const char *key, bool required, json_t **out, struct mino_error **err)
{
	json_t *v = json_object_get(params, key), *item;
	size_t i;

	if (v == NULL) {
		if (required)
			return mino_make_error(err, RPC_INVALID_PARAMS, 0, "invalid params: missing `%s`", key);
		return 0;
	}
	if (!json_is_array(v))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0,
			"invalid params: `%s` must be an array of strings", key);
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			return mino_make_error(err, RPC_INVALID_PARAMS, 0,
				"invalid params: `%s[%zu]` must be a string", key, i);
	}
	*out = v;
	return 0;
}
