/* audit.c: the security audit log (audit.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "fsutil.h"
#include "log.h"
#include "mino-protocol.h"
#include "minod.h"
#include "session.h"
#include "xalloc.h"

static int audit_append(const char *event, json_t *data, struct mino_error **err);

/* Events that could not be written since the last one that was (reported
 * by the next audit.gap), all errors since start, and the last one's text. */
static uint64_t audit_lost;
static uint64_t audit_errors;
static char *audit_last_error;

void
audit_event(const char *event, json_t *data)
{
	audit_event_if(cfg_bool(&minod.cfg, "general.audit_log"), event, data);
}

/* One line, appended whole or not at all (fs_append_line). */
static int
audit_append(const char *event, json_t *data, struct mino_error **err)
{
	_cleanup_json_ json_t *line = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	char ts[32];

	session_format_time(time(NULL), ts, sizeof ts);
	line = json_object();
	json_object_set_new(line, "timestamp", json_string(ts));
	json_object_set_new(line, "event", json_string(event));
	json_object_set_new(line, "data", data ? data : json_object());
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "cannot encode event %s", event);
	path = xasprintf("%s/audit.log", minod.state_dir);
	return fs_append_line(path, text, strlen(text), 0600, err);
}

void
audit_event_if(bool enabled, const char *event, json_t *data)
{
	struct mino_error *err = NULL;

	if (!enabled || minod.state_dir == NULL) {
		json_decref(data);
		return;
	}
	/* The gap goes first, so the log says where events are missing. */
	if (audit_lost > 0) {
		if (audit_append("audit.gap", json_pack("{s:I}", "lost", (json_int_t)audit_lost),
		    &err) < 0)
			json_decref(data); /* this event is lost with the others */
		else
			audit_lost = 0;
	}
	if (err == NULL && audit_append(event, data, &err) == 0)
		return;
	audit_lost++;
	audit_errors++;
	log_warn("audit: %s (%s lost)", err != NULL ? err->msg : "?", event);
	free(audit_last_error);
	audit_last_error = xstrdup(err != NULL ? err->msg : "?");
	mino_error_release(&err);
}

json_t *
audit_status(void)
{
	return json_pack("{s:I, s:I, s:s?}", "errors", (json_int_t)audit_errors,
		"lost", (json_int_t)audit_lost, "last_error", audit_last_error);
}
