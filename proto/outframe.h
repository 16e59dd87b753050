/* outframe.h: the binary session/output frame (PROTOCOL.md, "Binary output").
 *
 *   Content-Length: N\r\n
 *   Content-Type: application/x-mino-output\r\n
 *   \r\n
 *   {"session":NAME,"exec":E,"stream":S,"seq":Q}\n<the output bytes>
 *
 * The head is one line of compact JSON: the params of a JSON session/output
 * without `data` ("exec" only for an exec); the rest of the body is the
 * output itself, unencoded.  minod sends it only to a connection that asked
 * for it at mino/hello; JSON with base64 stays the default. */
#ifndef MINO_OUTFRAME_H
#define MINO_OUTFRAME_H

#include <stddef.h>
#include <jansson.h>

/* Room that outframe_head() needs (session names are at most 63 bytes). */
#define OUTFRAME_HEAD_MAX 512

/* Writes the frame header and the head for `len` output bytes to dst (room:
 * OUTFRAME_HEAD_MAX; `name_json` is the JSON-encoded name); the output follows it.  exec_id 0: the session's own
 * output.  Returns the bytes written. */
size_t outframe_head(char *dst, const char *name_json, unsigned exec_id, const char *stream,
    unsigned long long seq, size_t len);

/* Splits a body: *head (new reference, an object), *data and *dlen point
 * into body.  -1 if it is not a binary output body. */
int outframe_parse(const char *body, size_t len, json_t **head, const char **data, size_t *dlen);

/* The same output as a JSON-RPC session/output notification (data in
 * base64), for code that only handles JSON.  New reference, or NULL. */
json_t *outframe_to_notification(const char *body, size_t len);

#endif
