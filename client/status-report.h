/* status-report.h: everything `mino status` and `mino setup --check` show:
 * the host prerequisites (common/prereq.c), then minod and what only it
 * knows (sessions, images, caches; "unknown" when it is not running), the
 * credential sources found (never a secret) with the expiry of cached
 * tokens, the SSH agent and the audit log.  Collecting never starts minod. */
#ifndef MINO_STATUS_REPORT_H
#define MINO_STATUS_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "prereq.h"

struct status_line {
	char *name;                 /* owned */
	enum prereq_status status;
	char *detail;               /* owned, one line */
	char *fix;                  /* owned, one line; NULL when nothing to do */
	bool needed;                /* `mino run` needs it: a FAIL makes the exit non-zero */
};

struct status_report {
	struct status_line *lines;  /* owned, n of them */
	size_t n;
	bool minod_running;
	char *audit_log;            /* owned: minod's audit log path, NULL when not known */
};

/* Runs every check.  Never fails; what cannot be checked says why. */
void status_report_collect(struct status_report *r, bool verbose);
/* One line each: "STATUS  NAME  DETAIL; fix: FIX". */
void status_report_print(const struct status_report *r, FILE *f);
/* {ok, minod_running, checks: [{name, status: "ok"|"warn"|"fail"|"unknown", detail, fix?}]} */
json_t *status_report_json(const struct status_report *r);
/* True when nothing `mino run` needs FAILs. */
bool status_report_ok(const struct status_report *r);
void status_report_free(struct status_report *r);

/* For the status-*.c files: adds one line (detail and fix taken, fix may be
 * NULL); the checks of the user's own environment (status-host.c). */
void status_report_add(struct status_report *r, const char *name, enum prereq_status st, bool needed,
    char *detail, char *fix);
void status_report_host(struct status_report *r);

#endif
