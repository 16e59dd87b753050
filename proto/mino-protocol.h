/* mino-protocol.h: the wire contract between minod and its clients.
 *
 * Framing is the LSP base protocol: "Content-Length: N\r\n\r\n" followed
 * by N bytes of UTF-8 JSON carrying one JSON-RPC 2.0 message.  Every method,
 * its params, result and errors are documented in proto/PROTOCOL.md.
 *
 * Bump MINO_PROTOCOL_VERSION if anything below, or any method's params or
 * result in PROTOCOL.md, changes incompatibly.  Retired method names stay
 * reserved (see PROTOCOL.md) and are never reused.
 */
#ifndef MINO_PROTOCOL_H
#define MINO_PROTOCOL_H

#include "error.h"

#define MINO_PROTOCOL_VERSION 1

/* Limits, enforced before allocating. */
#define MINO_MAX_HEADER_BYTES 1024                 /* whole header section */
#define MINO_MAX_BODY_DEFAULT (4u * 1024 * 1024)   /* Content-Length cap, configurable */
#define MINO_MAX_BODY_MIN (64u * 1024)
#define MINO_MAX_BODY_MAX (64u * 1024 * 1024)
#define MINO_MAX_BODY_PREHELLO (16u * 1024)        /* before mino/hello succeeds */
#define MINO_MAX_JSON_DEPTH 32

/* A binary session/output frame (PROTOCOL.md, "Binary output"): sent only
 * to a connection that asked for it with mino/hello {output:"binary"}. */
#define MINO_OUTPUT_CONTENT_TYPE "application/x-mino-output"

/* Flow control of a client's write queue (bytes). */
#define MINO_WRITE_HIGH_WATER (256u * 1024)
#define MINO_WRITE_LOW_WATER (64u * 1024)
#define MINO_WRITE_HARD_CAP (8u * 1024 * 1024)

/* Standard JSON-RPC 2.0 codes. */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603
#define RPC_REQUEST_CANCELLED -32800 /* LSP RequestCancelled */

/* mino's own error codes (enum mino_errcode) are the error kinds of
 * common/error.h; their names are in proto/protocol.c. */

/* Returns the snake_case name of a code ("name_taken"), or NULL. */
const char *mino_errcode_name(int code);

#endif
