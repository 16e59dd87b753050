/* outframe.c: the binary session/output frame (outframe.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jsonrpc.h"
#include "mino-protocol.h"
#include "outframe.h"
#include "xalloc.h"

size_t
outframe_head(char *dst, const char *name_json, unsigned exec_id, const char *stream,
    unsigned long long seq, size_t len)
{
	char exec[32] = "", head[OUTFRAME_HEAD_MAX - 96];
	int hlen, n;

	if (exec_id != 0)
		snprintf(exec, sizeof exec, ",\"exec\":%u", exec_id);
	hlen = snprintf(head, sizeof head, "{\"session\":%s%s,\"stream\":\"%s\",\"seq\":%llu}\n",
	    name_json, exec, stream, seq);
	if (hlen < 0 || (size_t)hlen >= sizeof head)
		fatal("outframe_head: a session name of %zu bytes is too long", strlen(name_json));
	n = snprintf(dst, 96, "Content-Length: %zu\r\nContent-Type: " MINO_OUTPUT_CONTENT_TYPE "\r\n\r\n",
	    (size_t)hlen + len);
	memcpy(dst + n, head, (size_t)hlen);
	return (size_t)n + (size_t)hlen;
}

int
outframe_parse(const char *body, size_t len, json_t **head, const char **data, size_t *dlen)
{
	const char *nl = memchr(body, '\n', len);
	json_t *h;

	if (nl == NULL || nl == body || body[0] != '{')
		return -1;
	h = json_loadb(body, (size_t)(nl - body), JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(h) || !json_is_string(json_object_get(h, "session")) ||
	    !json_is_string(json_object_get(h, "stream"))) {
		json_decref(h);
		return -1;
	}
	*head = h;
	*data = nl + 1;
	*dlen = len - (size_t)(nl + 1 - body);
	return 0;
}

json_t *
outframe_to_notification(const char *body, size_t len)
{
	const char *data;
	json_t *head;
	size_t dlen, blen;
	char *b64;

	if (outframe_parse(body, len, &head, &data, &dlen) < 0)
		return NULL;
	b64 = b64_encode(data, dlen, &blen);
	json_object_set_new(head, "data", json_stringn(b64, blen));
	free(b64);
	return rpc_notification_new("session/output", head);
}
