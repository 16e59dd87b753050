/* status-report.c: what `mino status` and `mino setup --check` show. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "mino-build.h"
#include "paths.h"
#include "status-report.h"
#include "xalloc.h"

/* Adds one line; detail and fix are taken (fix may be NULL). */
void
status_report_add(struct status_report *r, const char *name, enum prereq_status st, bool needed, char *detail,
    char *fix)
{
	struct status_line *l;

	r->lines = xreallocarray(r->lines, r->n + 1, sizeof *r->lines);
	l = &r->lines[r->n++];
	l->name = xstrdup(name);
	l->status = st;
	l->detail = detail;
	l->fix = fix;
	l->needed = needed;
}

static void
status_report_unknown(struct status_report *r, const char *name)
{
	status_report_add(r, name, PREREQ_UNKNOWN, false, xstrdup("unknown (only minod knows)"), NULL);
}

static void
status_report_prereqs(struct status_report *r)
{
	struct prereq_report pr;
	struct prereq_check *c;

	prereq_check_all(&pr);
	for (size_t i = 0; i < pr.n; i++) {
		c = &pr.checks[i];
		status_report_add(r, c->name, c->status, true, c->detail, c->fix);
		c->detail = c->fix = NULL;
	}
	prereq_report_free(&pr);
}

static void
status_report_duration(long long s, char *out, size_t len)
{
	if (s < 120)
		snprintf(out, len, "%lld s", s);
	else if (s < 7200)
		snprintf(out, len, "%lld min", s / 60);
	else if (s < 172800)
		snprintf(out, len, "%lld h %lld min", s / 3600, s / 60 % 60);
	else
		snprintf(out, len, "%lld days", s / 86400);
}

static const char *
status_report_str(json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : dflt;
}

static void
status_report_minod(struct status_report *r, json_t *st)
{
	const char *version = status_report_str(st, "version", "?");
	const char *by = status_report_str(st, "started_by", "?");
	json_t *podman = json_object_get(st, "podman"), *sessions = json_object_get(st, "sessions");
	char up[32];
	const char *how;

	status_report_duration(json_integer_value(json_object_get(st, "uptime_s")), up, sizeof up);
	how = strcmp(by, "systemd") == 0 ? "by systemd (socket activation)" : strcmp(by, "launchd") == 0 ?
		"by launchd (socket activation)" : strcmp(by, "mino") == 0 ? "auto-started by mino" : "started by hand";
	if (strcmp(version, MINO_VERSION) != 0)
		status_report_add(r, "minod", PREREQ_WARN, false,
			xasprintf("pid %lld, version %s but this mino is %s, up %s, %s, socket %s",
				(long long)json_integer_value(json_object_get(st, "pid")), version, MINO_VERSION, up, how,
				status_report_str(st, "socket", "?")),
			xstrdup("restart minod (`mino rpc daemon/shutdown`, then `mino run` starts the new one)"));
	else
		status_report_add(r, "minod", PREREQ_OK, false,
			xasprintf("pid %lld, version %s (protocol %lld), up %s, %s, socket %s",
				(long long)json_integer_value(json_object_get(st, "pid")), version,
				(long long)json_integer_value(json_object_get(st, "protocol")), up, how,
				status_report_str(st, "socket", "?")), NULL);
	status_report_add(r, "sessions", PREREQ_OK, false, xasprintf("%lld running, %lld total",
		(long long)json_integer_value(json_object_get(sessions, "running")),
		(long long)json_integer_value(json_object_get(sessions, "total"))), NULL);
	/* minod's own view: its PATH and environment may differ from ours */
	if (json_string_value(json_object_get(podman, "path")) == NULL)
		status_report_add(r, "minod's podman", PREREQ_FAIL, true, xstrdup("not found in minod's PATH"),
			xstrdup("install podman where minod's PATH finds it, then restart minod"));
	else
		status_report_add(r, "minod's podman", PREREQ_OK, false, xasprintf("%s at %s",
			status_report_str(podman, "version", "? (podman info failed)"), status_report_str(podman, "path", "?")),
			NULL);
}

/* The live credentials of running sessions, one line per identity (no
 * secret: who, until when, which sessions). */
static void
status_report_live_credentials(struct status_report *r, json_t *st)
{
	json_t *list = json_object_get(st, "credentials"), *e, *name;
	size_t i, j;

	json_array_foreach(list, i, e) {
		_cleanup_free_ char *label = xasprintf("live %s credentials", status_report_str(e, "provider", "?"));
		const char *err = status_report_str(e, "last_error", NULL);
		char *sessions = xstrdup(""), *t;

		json_array_foreach(json_object_get(e, "sessions"), j, name) {
			t = xasprintf("%s%s%s", sessions, j > 0 ? "," : "", json_string_value(name));
			free(sessions);
			sessions = t;
		}
		status_report_add(r, label, err != NULL ? PREREQ_WARN : PREREQ_OK, false,
			xasprintf("%s, expires %s, next refresh %s, sessions %s", status_report_str(e, "identity", "?"),
				status_report_str(e, "expires", "never"), status_report_str(e, "next_refresh", "-"), sessions),
			err != NULL ? xasprintf("the last refresh failed: %s", err) : NULL);
		free(sessions);
	}
}

static void
status_report_base_image(struct status_report *r, json_t *st)
{
	json_t *base = json_object_get(st, "base_image");
	const char *name = status_report_str(base, "name", NULL);

	if (name == NULL)
		status_report_add(r, "base image", PREREQ_WARN, false, xstrdup("minod could not check it"),
			xstrdup("run `podman images` and see minod's log"));
	else if (json_is_true(json_object_get(base, "present")))
		status_report_add(r, "base image", PREREQ_OK, false, xasprintf("%s (built)", name), NULL);
	else
		status_report_add(r, "base image", PREREQ_WARN, false, xasprintf("%s is not built", name),
			xstrdup("mino image build base"));
}

static void
status_report_images(struct status_report *r, struct client *c)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	char *names = xstrdup(""), *t;
	size_t i, n = 0;
	json_t *img;

	if (client_call(c, "image/list", NULL, &result, &err) < 0) {
		status_report_add(r, "composed images", PREREQ_WARN, false, xasprintf("image/list: %s", err->msg),
			xstrdup("see minod's log"));
		mino_error_release(&err);
		free(names);
		return;
	}
	json_array_foreach(json_object_get(result, "images"), i, img) {
		if (!json_is_true(json_object_get(img, "composed")))
			continue;
		if (n++ < 3) {
			t = xasprintf("%s%s%s", names, *names != '\0' ? ", " : "", status_report_str(img, "name", "?"));
			free(names);
			names = t;
		}
	}
	status_report_add(r, "composed images", PREREQ_OK, false,
		n == 0 ? xstrdup("none (made on first use of layers)") :
		xasprintf("%zu: %s%s", n, names, n > 3 ? ", ..." : ""), NULL);
	free(names);
}

/* Cache usage against cache.max_total_gb (cache/list: podman's sizes). */
static void
status_report_caches(struct status_report *r, struct client *c)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	double used, max;

	if (client_call(c, "cache/list", NULL, &result, &err) < 0) {
		status_report_add(r, "caches", PREREQ_WARN, false, xasprintf("cache/list: %s", err->msg),
			xstrdup("see minod's log"));
		mino_error_release(&err);
		return;
	}
	used = (double)json_integer_value(json_object_get(result, "total_size")) / 1e9;
	max = (double)json_integer_value(json_object_get(result, "max_total_size")) / 1e9;
	status_report_add(r, "caches", max > 0 && used > max ? PREREQ_WARN : PREREQ_OK, false,
		xasprintf("%.2f GB of %.2f GB (cache.max_total_gb), %zu volumes", used, max,
			json_array_size(json_object_get(result, "volumes"))),
		max > 0 && used > max ? xstrdup("mino cache gc (or raise cache.max_total_gb)") : NULL);
}

static void
status_report_audit_errors(struct status_report *r, json_t *st)
{
	json_t *audit = json_object_get(st, "audit");
	json_int_t errors = json_integer_value(json_object_get(audit, "errors"));

	if (errors > 0)
		status_report_add(r, "audit writes", PREREQ_WARN, false,
			xasprintf("%lld audit events not written, last: %s", (long long)errors,
				status_report_str(audit, "last_error", "?")),
			xstrdup("free space or fix the permissions of the audit log's directory"));
}

/* Asks minod what only it knows.  Never starts it. */
static void
status_report_daemon(struct status_report *r, bool verbose)
{
	_cleanup_free_ char *socket_path = NULL;
	_cleanup_json_ json_t *st = NULL;
	struct mino_error *err = NULL;
	struct client *c = NULL;
	int fd;

	if (paths_socket(&socket_path, &err) < 0) {
		status_report_add(r, "minod", PREREQ_FAIL, true, xstrdup(err->msg), xstrdup("set XDG_RUNTIME_DIR"));
		mino_error_release(&err);
		return;
	}
	fd = client_connect_socket(socket_path);
	if (fd >= 0) {
		close(fd);
		if (client_open(false, verbose, &c, &err) == 0 && client_hello_wait(c, &err) == 0 &&
		    client_call(c, "daemon/status", NULL, &st, &err) == 0) {
			r->minod_running = true;
			if (json_string_value(json_object_get(st, "audit_log")) != NULL)
				r->audit_log = xstrdup(json_string_value(json_object_get(st, "audit_log")));
			status_report_minod(r, st);
			status_report_live_credentials(r, st);
			status_report_base_image(r, st);
			status_report_images(r, c);
			status_report_caches(r, c);
			status_report_audit_errors(r, st);
			client_free(c);
			return;
		}
		/* a minod that listens but refuses us refuses `mino run` too */
		fprintf(stderr, "mino: minod at %s: %s\n", socket_path, err->msg);
		status_report_add(r, "minod", PREREQ_FAIL, true, xasprintf("at %s but not answering: %s", socket_path,
			err->msg), xstrdup("see minod.log in mino's state directory; restart minod"));
		mino_error_release(&err);
		if (c != NULL)
			client_free(c);
	} else if (fd == -ENOENT || fd == -ECONNREFUSED) {
		status_report_add(r, "minod", PREREQ_OK, false, xasprintf("not running (socket %s)", socket_path),
			xstrdup("none needed: `mino run` starts it"));
	} else {
		status_report_add(r, "minod", PREREQ_WARN, false, xasprintf("not reachable at %s: %s", socket_path,
			strerror(-fd)), xstrdup("check the socket's owner and mode"));
	}
	status_report_unknown(r, "sessions");
	status_report_unknown(r, "base image");
	status_report_unknown(r, "composed images");
	status_report_unknown(r, "caches");
}

void
status_report_collect(struct status_report *r, bool verbose)
{
	memset(r, 0, sizeof *r);
	status_report_prereqs(r);
	status_report_daemon(r, verbose);
	status_report_host(r);
}

void
status_report_print(const struct status_report *r, FILE *f)
{
	const struct status_line *l;

	for (size_t i = 0; i < r->n; i++) {
		l = &r->lines[i];
		fprintf(f, "%-4s  %-18s  %s", prereq_status_name(l->status), l->name, l->detail);
		if (l->fix != NULL && l->status != PREREQ_OK)
			fprintf(f, "; fix: %s", l->fix);
		fputc('\n', f);
	}
}

static const char *
status_report_status_word(enum prereq_status st)
{
	switch (st) {
	case PREREQ_OK:
		return "ok";
	case PREREQ_WARN:
		return "warn";
	case PREREQ_FAIL:
		return "fail";
	case PREREQ_UNKNOWN:
		break;
	}
	return "unknown";
}

json_t *
status_report_json(const struct status_report *r)
{
	json_t *checks = json_array(), *o;
	const struct status_line *l;

	for (size_t i = 0; i < r->n; i++) {
		l = &r->lines[i];
		o = json_pack("{s:s, s:s, s:s, s:b}", "name", l->name, "status", status_report_status_word(l->status),
			"detail", l->detail, "needed", l->needed);
		if (l->fix != NULL && l->status != PREREQ_OK)
			json_object_set_new(o, "fix", json_string(l->fix));
		json_array_append_new(checks, o);
	}
	return json_pack("{s:b, s:b, s:o}", "ok", status_report_ok(r), "minod_running", r->minod_running,
		"checks", checks);
}

bool
status_report_ok(const struct status_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->lines[i].needed && r->lines[i].status == PREREQ_FAIL)
			return false;
	return true;
}

void
status_report_free(struct status_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->lines[i].name);
		free(r->lines[i].detail);
		free(r->lines[i].fix);
	}
	free(r->lines);
	free(r->audit_log);
	memset(r, 0, sizeof *r);
}
