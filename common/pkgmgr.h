/* pkgmgr.h: the distribution's package manager (apt, dnf, pacman, zypper),
 * detected from /etc/os-release, and the command lines `mino setup` runs
 * with it.  Everything here is pure (text in, argv out) except
 * pkgmgr_detect(), so the command lines are unit-tested without running
 * them.  mino's packages are named once, as logical packages; Debian and
 * Ubuntu take the [run] group of images/debian-packages.txt instead. */
#ifndef MINO_PKGMGR_H
#define MINO_PKGMGR_H

#include <stdbool.h>

#include "error.h"

enum pkgmgr_kind {
	PKGMGR_NONE,      /* unknown distribution: hints name the program only */
	PKGMGR_APT,
	PKGMGR_DNF,
	PKGMGR_PACMAN,
	PKGMGR_ZYPPER,
};

/* What mino relies on, whatever the distribution calls it. */
enum pkgmgr_pkg {
	PKG_PODMAN,
	PKG_INIT,          /* podman --init's catatonit */
	PKG_CRUN,
	PKG_RUNC,
	PKG_IDMAP,         /* newuidmap/newgidmap */
	PKG_SLIRP4NETNS,
	PKG_FUSE_OVERLAYFS,
	PKG_NETAVARK,
	PKG_AARDVARK,
	PKG_COUNT,
};

/* From the text of /etc/os-release: ID first, then each word of ID_LIKE. */
enum pkgmgr_kind pkgmgr_from_os_release(const char *text);
/* Reads /etc/os-release (else /usr/lib/os-release); PKGMGR_NONE if neither. */
enum pkgmgr_kind pkgmgr_detect(void);
/* "apt", "dnf", "pacman", "zypper" or "none". */
const char *pkgmgr_name(enum pkgmgr_kind kind);

/* The package's name on that distribution (static), or NULL when it has
 * none (e.g. aardvark-dns on an unknown one). */
const char *pkgmgr_package(enum pkgmgr_kind kind, enum pkgmgr_pkg pkg);

/* The packages of `group` in the text of images/debian-packages.txt, a
 * NULL-terminated strv (caller strv_free()s).  A line that is not one
 * package is an error naming it. */
int pkgmgr_debian_group(const char *text, const char *group, char ***out, struct mino_error **err);

/* Every package mino needs at run time on `kind` (strv, caller frees):
 * `debian_run` (the [run] group) for apt, else the logical table. */
char **pkgmgr_run_packages(enum pkgmgr_kind kind, char *const *debian_run);

/* Command lines, strv (caller frees), no sudo prefix; NULL when the step
 * does not exist for that manager (no refresh for dnf, pacman, zypper:
 * their install refreshes).  Non-interactive: mino asks first. */
char **pkgmgr_refresh_argv(enum pkgmgr_kind kind);
char **pkgmgr_install_argv(enum pkgmgr_kind kind, char *const *pkgs);
char **pkgmgr_upgrade_argv(enum pkgmgr_kind kind, char *const *pkgs);
/* Whether one package is installed: exit status 0 of this command (and,
 * for apt, "installed" on its standard output: see pkgmgr_query_installed). */
char **pkgmgr_query_argv(enum pkgmgr_kind kind, const char *pkg);
/* Judges the query's outcome: exit status and standard output. */
bool pkgmgr_query_installed(enum pkgmgr_kind kind, int exit_status, const char *out);

/* "sudo apt-get install catatonit" (without "sudo " when `as_root`), the
 * one-line install hint for a logical package.  Caller frees. */
char *pkgmgr_install_hint(enum pkgmgr_kind kind, enum pkgmgr_pkg pkg, bool as_root);

#endif
