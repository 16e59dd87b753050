/* record.c: a session's record (PROTOCOL.md "session record"; also its
 * state file), ids, times and status names. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "cache.h"
#include "jsonrpc.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "parts.h"
#include "session.h"
#include "state.h"
#include "strv.h"
#include "xalloc.h"

int
session_strv_param(json_t *params, const char *key, int (*check)(const char *, struct mino_error **),
    char ***out, struct mino_error **err)
{
	json_t *arr = NULL, *v;
	size_t i;

	if (rpc_param_strv(params, key, false, &arr, err) < 0)
		return -1;
	if (arr == NULL)
		return 0;
	json_array_foreach(arr, i, v) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` contains a NUL byte", key);
		if (check != NULL && check(json_string_value(v), err) < 0)
			return -1;
	}
	*out = strv_from_json(arr);
	return 0;
}

char *
session_new_id(size_t nbytes)
{
	unsigned char raw[32];
	char *hex;
	size_t i;
	int fd;

	if (nbytes > sizeof raw)
		nbytes = sizeof raw;
	if (RAND_bytes(raw, (int)nbytes) != 1) {
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, raw, nbytes) != (ssize_t)nbytes)
			fatal("no randomness for a session id");
		close(fd);
	}
	hex = xmalloc(nbytes * 2 + 1);
	for (i = 0; i < nbytes; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return hex;
}

void
session_format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *
session_time_json(time_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	session_format_time(t, buf, sizeof buf);
	return json_string(buf);
}

time_t
session_parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	return timegm(&tm);
}

static const char *const session_status_names[] = {
	[SESSION_STARTING] = "starting",
	[SESSION_RUNNING] = "running",
	[SESSION_EXITED] = "exited",
	[SESSION_STOPPED] = "stopped",
	[SESSION_FAILED] = "failed",
};

const char *
session_status_name(enum session_status st)
{
	return session_status_names[st];
}

int
session_status_from_name(const char *name, enum session_status *out)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof session_status_names / sizeof *session_status_names; i++)
		if (strcmp(name, session_status_names[i]) == 0) {
			*out = (enum session_status)i;
			return 0;
		}
	return -1;
}

json_t *
session_record_json(const struct session *s)
{
	json_t *r = json_object();

	sandbox_spec_to_record(&s->spec, r);
	json_object_set_new(r, "container_id", s->container_id ? json_string(s->container_id) : json_null());
	json_object_set_new(r, "container_name", json_sprintf("mino-%s", s->spec.name));
	json_object_set_new(r, "status", json_string(session_status_name(s->status)));
	json_object_set_new(r, "exit_code", s->have_exit_code ? json_integer(s->exit_code) : json_null());
	json_object_set_new(r, "created_at", session_time_json(s->created_at));
	json_object_set_new(r, "started_at", session_time_json(s->started_at));
	json_object_set_new(r, "ended_at", session_time_json(s->ended_at));
	if (s->error != NULL)
		json_object_set_new(r, "error", json_string(s->error));
	if (s->parts != NULL)
		parts_record(s->parts, r);
	else
		cache_adopted_record(s->spec.name, r); /* re-adopted: its caches from its record */
	return r;
}

struct session *
session_from_record(const json_t *rec, struct mino_error **err)
{
	struct sandbox_spec spec = { 0 };
	struct session *s;
	const char *v;
	json_t *code;

	if (sandbox_spec_from_record(rec, &spec, err) < 0) {
		sandbox_spec_free(&spec);
		return NULL;
	}
	s = session_new(&spec);
	s->origin = SESSION_FROM_RECORD;
	if (session_status_from_name(json_string_value(json_object_get(rec, "status")), &s->status) < 0)
		s->status = SESSION_EXITED;
	v = json_string_value(json_object_get(rec, "container_id"));
	s->container_id = v ? xstrdup(v) : NULL;
	v = json_string_value(json_object_get(rec, "error"));
	s->error = v ? xstrdup(v) : NULL;
	code = json_object_get(rec, "exit_code");
	if (json_is_integer(code)) {
		s->have_exit_code = true;
		s->exit_code = (int)json_integer_value(code);
	}
	s->created_at = session_parse_time(json_string_value(json_object_get(rec, "created_at")));
	s->started_at = session_parse_time(json_string_value(json_object_get(rec, "started_at")));
	s->ended_at = session_parse_time(json_string_value(json_object_get(rec, "ended_at")));
	/* Live records stay NEW until reconcile has seen their containers. */
	if (s->status != SESSION_STARTING && s->status != SESSION_RUNNING)
		session_set_phase(s, SESSION_ENDED);
	return s;
}

int
session_save_checked(struct session *s, struct mino_error **err)
{
	_cleanup_json_ json_t *rec = NULL;

	if (s->phase == SESSION_REMOVED || s->phase == SESSION_ABANDONED)
		return 0;
	rec = session_record_json(s);
	if (state_write_record(s->spec.name, rec, err) < 0)
		return mino_error_wrap(err, "saving the record of session `%s`", s->spec.name);
	return 0;
}

void
session_save(struct session *s)
{
	struct mino_error *err = NULL;

	if (session_save_checked(s, &err) < 0) {
		log_warn("%s", err->msg);
		mino_error_release(&err);
	}
}
