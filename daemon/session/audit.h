/* audit.h: the security audit log, JSON Lines at <state_dir>/audit.log
 * (0600): {"timestamp":"RFC 3339 UTC","event":"...","data":{...}}.
 * Owner: session side.  Disabled when general.audit_log is false (minod's
 * global configuration; a session's own resolved value for its events);
 * IO errors are logged and never block a session. */
#ifndef MINOD_AUDIT_H
#define MINOD_AUDIT_H

#include <stdbool.h>
#include <jansson.h>

/* Appends one event (one write(2), O_APPEND).  `data` is stolen. */
void audit_event(const char *event, json_t *data);
/* The same when `enabled` (a session's resolved general.audit_log). */
void audit_event_if(bool enabled, const char *event, json_t *data);

#endif
