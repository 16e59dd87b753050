/* sshmsg.h: the SSH agent protocol messages the relay (part-ssh.c) lets
 * through, judged without state (draft-miller-ssh-agent): one framed
 * message is uint32 length, then type byte and contents. */
#ifndef MINOD_SSHMSG_H
#define MINOD_SSHMSG_H

#include <stddef.h>
#include <stdint.h>

#define SSHMSG_MAX (256u * 1024)            /* the largest message either side may send */
#define SSHMSG_REQUEST_IDENTITIES 11
#define SSHMSG_SIGN_REQUEST 13
#define SSHMSG_FAILURE 5
#define SSHMSG_FP_MAX 64                    /* "SHA256:" + 43 base64 characters + NUL */

enum sshmsg_verdict {
	SSHMSG_INCOMPLETE,   /* need more bytes */
	SSHMSG_BAD,          /* length 0 or over SSHMSG_MAX, or a malformed sign request: close */
	SSHMSG_PASS,         /* list identities, or a well-formed sign request */
	SSHMSG_REFUSE,       /* any other type (add, remove, lock, extension, ...): answer FAILURE */
};

/* Judges the message at the start of buf.  *frame_len: its length with
 * the 4-byte prefix (when not INCOMPLETE/BAD); *type: its type; for a sign
 * request, fp gets the key's fingerprint as ssh-keygen -l prints it. */
enum sshmsg_verdict sshmsg_judge(const uint8_t *buf, size_t len, size_t *frame_len, uint8_t *type,
    char fp[SSHMSG_FP_MAX]);
/* The length of a complete framed message at the start of buf (an agent
 * answer), 0 while incomplete, (size_t)-1 when too long or empty. */
size_t sshmsg_frame(const uint8_t *buf, size_t len);

#endif
