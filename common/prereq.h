/* prereq.h: the host prerequisites mino relies on (podman, rootless, OCI
 * runtime, init binary, newuidmap/newgidmap, subordinate ids, rootless
 * network helper, storage driver), checked without minod.  `mino status`
 * prints them; `mino setup --check` and minod reuse the pieces.
 *
 * The parsers are pure (text in, facts out) so they are unit-tested without
 * podman; prereq_check_all() runs `podman info` once, synchronously. */
#ifndef MINO_PREREQ_H
#define MINO_PREREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

enum prereq_status {
	PREREQ_OK,
	PREREQ_WARN,      /* works, but not as it should (e.g. vfs storage) */
	PREREQ_FAIL,      /* `mino run` cannot work until it is fixed */
	PREREQ_UNKNOWN,   /* only minod knows, and it is not running */
};

struct prereq_check {
	const char *name;           /* static, e.g. "init binary" */
	enum prereq_status status;
	char *detail;               /* owned: what was found, one line */
	char *fix;                  /* owned: one-line fix; NULL when OK */
};

struct prereq_report {
	struct prereq_check *checks;   /* owned, n of them, in a fixed order */
	size_t n;
};

/* What `podman info --format json` says that mino cares about.  Strings
 * owned; NULL when podman did not say. */
struct prereq_podman_info {
	char *version;
	bool rootless;
	char *runtime;              /* OCI runtime name, e.g. "runc" */
	char *runtime_path;
	char *graph_driver;         /* e.g. "overlay", "vfs" */
	char *slirp4netns;          /* executable path, or NULL */
	char *pasta;                /* executable path (podman 5), or NULL */
	char *cgroup_version;       /* "v1" or "v2" */
	char *network_backend;      /* "netavark" or "cni" */
};

/* Debian's package for podman's init binary. */
#define PREREQ_INIT_PACKAGE "catatonit"

/* The absolute path of podman in $PATH (see paths_find_program), caller
 * frees; NULL if absent.  Client and daemon both use this one lookup. */
char *prereq_find_podman(void);

/* Parses `podman info --format json` output into *out (zeroed first). */
int prereq_parse_podman_info(const char *json, struct prereq_podman_info *out, struct mino_error **err);
void prereq_podman_info_free(struct prereq_podman_info *info);

/* Sums the subordinate id ranges of `user` (by name, or by numeric uid) in
 * the text of /etc/subuid or /etc/subgid.  Returns the number of ranges;
 * *total gets the number of ids.  Malformed lines are skipped. */
size_t prereq_parse_subid(const char *text, const char *user, uid_t uid, unsigned long long *total);

/* Where a new subordinate id range may start so that it overlaps nobody's:
 * after the highest range in use in either file's text (both may be NULL),
 * and at least 100000 (below are the system's own ids). */
unsigned long long prereq_subid_next_start(const char *subuid, const char *subgid);

/* The [containers] init_path of one containers.conf text: *out caller frees,
 * NULL when the file does not set it.  `name` prefixes parse errors. */
int prereq_conf_init_path(const char *name, const char *text, char **out, struct mino_error **err);

/* The init_path podman would use from the containers.conf files it reads
 * ($CONTAINERS_CONF alone if set; else /usr/share/containers/, /etc/containers/
 * (and its .d), then the user's ~/.config/containers/ (and its .d), the last
 * setting wins).  *out NULL when none sets it. */
int prereq_init_path(char **out, struct mino_error **err);

/* Turns podman's "container-init binary not found on the host: stat X: no
 * such file or directory" (anywhere in `podman_error`) into "init binary X
 * is missing: install the package that provides it (Debian: catatonit)".
 * Caller frees; NULL when `podman_error` is not that error. */
char *prereq_explain_podman_error(const char *podman_error);

/* Runs every check (podman info once, with a timeout).  Never fails: what
 * cannot be checked is reported as a FAIL with the reason. */
void prereq_check_all(struct prereq_report *report);

/* True when nothing in the report is PREREQ_FAIL. */
bool prereq_report_ok(const struct prereq_report *report);
void prereq_report_free(struct prereq_report *report);

const char *prereq_status_name(enum prereq_status status);

#endif
