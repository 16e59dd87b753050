/* setup-steps.h: the steps of `mino setup` (cmd-setup.c parses, this runs). */
#ifndef MINO_SETUP_STEPS_H
#define MINO_SETUP_STEPS_H

#include <stdbool.h>

struct setup_opts {
	bool yes;            /* -y: do every step without asking */
	bool upgrade;        /* --upgrade: upgrade mino's packages too */
	const char *user;    /* --user NAME, or NULL */
};

/* The root steps (packages, subordinate ids, /dev/net/tun; through sudo
 * when not root), then the user's (runc on cgroup v1 hybrid, base image,
 * user units), then the checks.  As root the user's steps (and, with
 * check_only, just the checks) run as o->user through runuser.  Returns
 * the exit status: 0 when every step worked and the checks pass. */
int setup_run(const struct setup_opts *o, bool check_only);

/* ---- for the setup-*.c files ---- */
#include <sys/types.h>

#include "pkgmgr.h"

struct setup {
	const struct setup_opts *o;
	bool root;              /* we are root: no sudo */
	char *name;             /* owned: the user prepared */
	uid_t uid;
	gid_t gid;
	char *home;             /* owned */
	enum pkgmgr_kind pm;
	unsigned failed;        /* steps that did not work */
};

/* "==> what the next step does" */
void setup_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Asks (yes under -y); false when skipped. */
bool setup_confirm(const struct setup *s, const char *question);
/* Shows and runs argv (through sudo when as_root and not root); a failure
 * is said and counted in s->failed. */
bool setup_do(struct setup *s, char *const *argv, bool as_root);
/* Runs argv quietly: its stdout (caller frees) and exit status, -1 when
 * it could not run. */
int setup_capture(char *const *argv, char **out);
/* Installs the systemd user units and enables socket activation. */
void setup_units(struct setup *s);

#endif
