/* audit.h: the security audit log, JSON Lines at <state_dir>/audit.log
 * (0600): {"timestamp":"RFC 3339 UTC","event":"...","data":{...}}.
 * Owner: session side.  Disabled when general.audit_log is false (minod's
 * global configuration; a session's own resolved value for its events);
 * IO errors are logged and never block a session; an event that cannot be
 * appended whole is not appended at all, and the next one that can is
 * preceded by {"event":"audit.gap","data":{"lost":N}}. */
#ifndef MINOD_AUDIT_H
#define MINOD_AUDIT_H

#include <stdbool.h>
#include <jansson.h>

/* Appends one event (one write(2), O_APPEND).  `data` is stolen. */
void audit_event(const char *event, json_t *data);
/* The same when `enabled` (a session's resolved general.audit_log). */
void audit_event_if(bool enabled, const char *event, json_t *data);
/* {"errors": N since start, "lost": N not yet reported by a gap,
 *  "last_error": "..." or absent} for daemon/status (new reference). */
json_t *audit_status(void);

#endif
