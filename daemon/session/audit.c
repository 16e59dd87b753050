/* audit.c: the security audit log (audit.h). */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "fsutil.h"
#include "log.h"
#include "minod.h"
#include "session.h"
#include "xalloc.h"

void
audit_event(const char *event, json_t *data)
{
	audit_event_if(cfg_bool(&minod.cfg, "general.audit_log"), event, data);
}

void
audit_event_if(bool enabled, const char *event, json_t *data)
{
	_cleanup_json_ json_t *line = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *withnl = NULL;
	struct mino_error *err = NULL;
	char ts[32];

	if (!enabled || minod.state_dir == NULL) {
		json_decref(data);
		return;
	}
	session_format_time(time(NULL), ts, sizeof ts);
	line = json_object();
	json_object_set_new(line, "timestamp", json_string(ts));
	json_object_set_new(line, "event", json_string(event));
	json_object_set_new(line, "data", data ? data : json_object());
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		log_warn("audit: cannot encode event %s", event);
		return;
	}
	withnl = xasprintf("%s\n", text);
	path = xasprintf("%s/audit.log", minod.state_dir);
	if (fs_append_line(path, withnl, strlen(withnl), 0600, &err) < 0) {
		log_warn("audit: %s", err->msg);
		mino_error_release(&err);
	}
}
