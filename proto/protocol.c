#include "mino-protocol.h"

#include <stddef.h>

static const struct {
	int code;
	const char *name;
} errcode_names[] = {
	{ RPC_PARSE_ERROR, "parse_error" },
	{ RPC_INVALID_REQUEST, "invalid_request" },
	{ RPC_METHOD_NOT_FOUND, "method_not_found" },
	{ RPC_INVALID_PARAMS, "invalid_params" },
	{ RPC_INTERNAL_ERROR, "internal_error" },
	{ RPC_REQUEST_CANCELLED, "request_cancelled" },
	{ MINO_E_INTERNAL, "internal" },
	{ MINO_E_PROTOCOL_MISMATCH, "protocol_mismatch" },
	{ MINO_E_HELLO_REQUIRED, "hello_required" },
	{ MINO_E_INVALID_ARGUMENT, "invalid_argument" },
	{ MINO_E_SESSION_NOT_FOUND, "session_not_found" },
	{ MINO_E_NAME_TAKEN, "name_taken" },
	{ MINO_E_PODMAN_MISSING, "podman_missing" },
	{ MINO_E_IMAGE_MISSING, "image_missing" },
	{ MINO_E_PROJECT_MISSING, "project_missing" },
	{ MINO_E_NOT_RUNNING, "not_running" },
	{ MINO_E_PODMAN_FAILED, "podman_failed" },
	{ MINO_E_LIMIT, "limit" },
	{ MINO_E_SHUTTING_DOWN, "shutting_down" },
	{ MINO_E_PERMISSION, "permission" },
	{ MINO_E_NOT_ATTACHED, "not_attached" },
	{ MINO_E_CONFIG, "config" },
	{ MINO_E_IO, "io" },
	{ MINO_E_TRUST_REQUIRED, "trust_required" },
};

const char *
mino_errcode_name(int code)
{
	for (size_t i = 0; i < sizeof errcode_names / sizeof errcode_names[0]; i++)
		if (errcode_names[i].code == code)
			return errcode_names[i].name;
	return NULL;
}
