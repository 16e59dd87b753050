/* jsonrpc.h: JSON-RPC 2.0 messages over frame.h. */
#ifndef MINO_JSONRPC_H
#define MINO_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "error.h"

enum rpc_kind {
	RPC_KIND_REQUEST,      /* method + id */
	RPC_KIND_NOTIFICATION, /* method, no id */
	RPC_KIND_RESPONSE,     /* result or error + id */
};

struct rpc_msg {
	enum rpc_kind kind;
	json_t *root;       /* owned: the whole message */
	json_t *id;         /* borrowed from root; NULL for notifications */
	const char *method; /* borrowed; NULL for responses */
	json_t *params;     /* borrowed; NULL if absent (must be object or array) */
	json_t *result;     /* borrowed; responses only */
	json_t *error;      /* borrowed; responses only */
};

/* Parses and validates one message body: depth <= MINO_MAX_JSON_DEPTH
 * (checked before parsing), no NUL bytes, valid UTF-8, duplicate keys
 * rejected, "jsonrpc":"2.0", id a string/integer (or null only in error
 * responses), method a string, params an object or array, batch arrays
 * rejected.  On failure returns -1 with err->code RPC_PARSE_ERROR or
 * RPC_INVALID_REQUEST, and *bad_id (if non-NULL) set to a new reference of
 * the id when one could be read (else NULL) so the error reply can echo it. */
int rpc_parse(const char *body, size_t len, struct rpc_msg *msg, json_t **bad_id, struct mino_error **err);
void rpc_msg_free(struct rpc_msg *msg);

/* Builders.  `params` and `result` are stolen; `id` is borrowed (copied). */
json_t *rpc_request_new(json_int_t id, const char *method, json_t *params);
json_t *rpc_notification_new(const char *method, json_t *params);
json_t *rpc_result_new(json_t *id, json_t *result);
/* {"code":code,"message":message,"data":{"name":..., "errno":...}}; data.errno only if errno_ != 0. */
json_t *rpc_error_new(json_t *id, int code, const char *message, int errno_);
json_t *rpc_error_from(json_t *id, const struct mino_error *err);

/* Compact JSON, framed.  Returns NULL only if json_dumps fails. Caller frees. */
char *rpc_encode(const json_t *msg, size_t *outlen);

/* Param helpers: each returns -1 with an RPC_INVALID_PARAMS error naming the
 * field when it is present with the wrong type (or absent and required).
 * Absent optional fields leave *out unchanged. */
int rpc_param_string(json_t *params, const char *key, bool required, const char **out, struct mino_error **err);
int rpc_param_int(json_t *params, const char *key, bool required, json_int_t min, json_int_t max,
	json_int_t *out, struct mino_error **err);
int rpc_param_bool(json_t *params, const char *key, bool required, bool *out, struct mino_error **err);
/* Array of strings; *out borrowed. */
int rpc_param_strv(json_t *params, const char *key, bool required, json_t **out, struct mino_error **err);

#endif
