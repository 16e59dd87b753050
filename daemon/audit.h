/* audit.h: the security audit log, JSON Lines at <state_dir>/audit.log
 * (0600): {"timestamp":"RFC 3339 UTC","event":"...","data":{...}}.
 * Owner: session side.  Disabled when cfg.general_audit_log is false; IO
 * errors are logged and never block a session. */
#ifndef MINOD_AUDIT_H
#define MINOD_AUDIT_H

#include <jansson.h>

/* Appends one event (one write(2), O_APPEND).  `data` is stolen. */
void audit_event(const char *event, json_t *data);

#endif
