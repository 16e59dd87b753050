/* test-pkgmgr.c: common/pkgmgr.c: the distribution from os-release, each
 * package manager's command lines (built, never run), the Debian package
 * list's groups, and the install hints (no brew, no sudo for root). */
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "pkgmgr.h"
#include "prereq.h"
#include "strv.h"
#include "tap.h"
#include "xalloc.h"

/* The argv joined with spaces; caller frees.  "(null)" for NULL. */
static char *
join(char **argv)
{
	char *s = xstrdup(""), *t;

	if (argv == NULL) {
		free(s);
		return xstrdup("(null)");
	}
	for (char **a = argv; *a != NULL; a++) {
		t = xasprintf("%s%s%s", s, a == argv ? "" : " ", *a);
		free(s);
		s = t;
	}
	strv_free(argv);
	return s;
}

static void
check_argv(char **argv, const char *want, const char *what)
{
	char *got = join(argv);

	is_str(got, want, "%s", what);
	free(got);
}

static void
test_os_release(void)
{
	is_int(pkgmgr_from_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
		"VERSION_ID=\"12\"\nID=debian\n"), PKGMGR_APT, "Debian 12: apt");
	is_int(pkgmgr_from_os_release("NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n"), PKGMGR_APT, "Ubuntu: apt");
	is_int(pkgmgr_from_os_release("NAME=\"Linux Mint\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"), PKGMGR_APT,
		"Mint: apt, through ID_LIKE");
	is_int(pkgmgr_from_os_release("NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\n"), PKGMGR_DNF, "Fedora: dnf");
	is_int(pkgmgr_from_os_release("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"), PKGMGR_DNF,
		"Rocky (quoted ID, ID_LIKE): dnf");
	is_int(pkgmgr_from_os_release("NAME=\"Arch Linux\"\nID=arch\n"), PKGMGR_PACMAN, "Arch: pacman");
	is_int(pkgmgr_from_os_release("ID=manjaro\nID_LIKE=arch\n"), PKGMGR_PACMAN, "Manjaro: pacman");
	is_int(pkgmgr_from_os_release("NAME=\"openSUSE Tumbleweed\"\nID=\"opensuse-tumbleweed\"\n"
		"ID_LIKE=\"opensuse suse\"\n"), PKGMGR_ZYPPER, "openSUSE: zypper");
	is_int(pkgmgr_from_os_release("ID=alpine\n"), PKGMGR_NONE, "Alpine: none");
	is_int(pkgmgr_from_os_release("ID_LIKEX=debian\nXID=debian\n"), PKGMGR_NONE, "keys are matched whole");
	is_int(pkgmgr_from_os_release(""), PKGMGR_NONE, "empty: none");
}

static void
test_names(void)
{
	is_str(pkgmgr_package(PKGMGR_APT, PKG_IDMAP), "uidmap", "Debian: uidmap");
	is_str(pkgmgr_package(PKGMGR_DNF, PKG_IDMAP), "shadow-utils", "Fedora: shadow-utils");
	is_str(pkgmgr_package(PKGMGR_PACMAN, PKG_IDMAP), "shadow", "Arch: shadow");
	is_str(pkgmgr_package(PKGMGR_ZYPPER, PKG_IDMAP), "shadow", "openSUSE: shadow");
	is_str(pkgmgr_package(PKGMGR_DNF, PKG_INIT), "catatonit", "Fedora: catatonit");
	ok(pkgmgr_package(PKGMGR_APT, PKG_COUNT) == NULL, "out of range: NULL");
}

static void
test_command_lines(void)
{
	char *pkgs[] = { "podman", "catatonit", NULL };

	check_argv(pkgmgr_refresh_argv(PKGMGR_APT), "apt-get update", "apt: refresh");
	check_argv(pkgmgr_refresh_argv(PKGMGR_DNF), "(null)", "dnf: no refresh step");
	check_argv(pkgmgr_refresh_argv(PKGMGR_PACMAN), "(null)", "pacman: no refresh step (-Syu does it)");
	check_argv(pkgmgr_refresh_argv(PKGMGR_ZYPPER), "(null)", "zypper: no refresh step");
	check_argv(pkgmgr_install_argv(PKGMGR_APT, pkgs), "apt-get install -y --no-install-recommends podman catatonit",
		"apt: install");
	check_argv(pkgmgr_install_argv(PKGMGR_DNF, pkgs), "dnf install -y podman catatonit", "dnf: install");
	check_argv(pkgmgr_install_argv(PKGMGR_PACMAN, pkgs), "pacman -Syu --needed --noconfirm podman catatonit",
		"pacman: install (with the system upgrade Arch requires)");
	check_argv(pkgmgr_install_argv(PKGMGR_ZYPPER, pkgs),
		"zypper --non-interactive install --no-recommends podman catatonit", "zypper: install");
	check_argv(pkgmgr_install_argv(PKGMGR_NONE, pkgs), "(null)", "none: no install");
	check_argv(pkgmgr_upgrade_argv(PKGMGR_APT, pkgs), "apt-get install -y --only-upgrade podman catatonit",
		"apt: upgrade only mino's packages");
	check_argv(pkgmgr_upgrade_argv(PKGMGR_DNF, pkgs), "dnf upgrade -y podman catatonit", "dnf: upgrade");
	check_argv(pkgmgr_upgrade_argv(PKGMGR_PACMAN, pkgs), "pacman -Syu --needed --noconfirm podman catatonit",
		"pacman: upgrade");
	check_argv(pkgmgr_upgrade_argv(PKGMGR_ZYPPER, pkgs), "zypper --non-interactive update podman catatonit",
		"zypper: upgrade");
	check_argv(pkgmgr_query_argv(PKGMGR_APT, "podman"), "dpkg-query -W -f=${db:Status-Status} podman",
		"apt: query");
	check_argv(pkgmgr_query_argv(PKGMGR_DNF, "podman"), "rpm -q podman", "dnf: query");
	check_argv(pkgmgr_query_argv(PKGMGR_ZYPPER, "podman"), "rpm -q podman", "zypper: query");
	check_argv(pkgmgr_query_argv(PKGMGR_PACMAN, "podman"), "pacman -Q podman", "pacman: query");

	ok(pkgmgr_query_installed(PKGMGR_APT, 0, "installed"), "apt: installed");
	ok(!pkgmgr_query_installed(PKGMGR_APT, 0, "config-files"), "apt: removed, config files left: not installed");
	ok(!pkgmgr_query_installed(PKGMGR_APT, 0, "not-installed"), "apt: not-installed");
	ok(!pkgmgr_query_installed(PKGMGR_APT, 1, ""), "apt: unknown package");
	ok(pkgmgr_query_installed(PKGMGR_DNF, 0, "podman-5.2.2-1.fc40.x86_64\n"), "rpm: installed");
	ok(!pkgmgr_query_installed(PKGMGR_PACMAN, 1, "error: package 'x' was not found\n"), "pacman: not installed");
}

static void
test_hints(void)
{
	enum pkgmgr_kind kinds[] = { PKGMGR_NONE, PKGMGR_APT, PKGMGR_DNF, PKGMGR_PACMAN, PKGMGR_ZYPPER };
	char *h;

	h = pkgmgr_install_hint(PKGMGR_APT, PKG_INIT, false);
	is_str(h, "sudo apt-get install --no-install-recommends catatonit", "apt hint, as a user");
	free(h);
	h = pkgmgr_install_hint(PKGMGR_APT, PKG_INIT, true);
	is_str(h, "apt-get install --no-install-recommends catatonit", "apt hint, as root: no sudo");
	free(h);
	h = pkgmgr_install_hint(PKGMGR_DNF, PKG_IDMAP, false);
	is_str(h, "sudo dnf install shadow-utils", "dnf hint names Fedora's package");
	free(h);
	h = pkgmgr_install_hint(PKGMGR_PACMAN, PKG_SLIRP4NETNS, false);
	is_str(h, "sudo pacman -Syu --needed slirp4netns", "pacman hint");
	free(h);
	h = pkgmgr_install_hint(PKGMGR_ZYPPER, PKG_PODMAN, false);
	is_str(h, "sudo zypper install --no-recommends podman", "zypper hint");
	free(h);
	h = pkgmgr_install_hint(PKGMGR_NONE, PKG_PODMAN, false);
	is_str(h, "install podman with your distribution's package manager", "unknown distribution: no command");
	free(h);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		for (int p = 0; p < PKG_COUNT; p++) {
			h = pkgmgr_install_hint(kinds[k], (enum pkgmgr_pkg)p, false);
			if (strstr(h, "brew") != NULL)
				ok(false, "a Linux hint names brew: %s", h);
			free(h);
		}
	ok(true, "no Linux hint names brew");
}

static void
test_debian_list(void)
{
	static const char text[] =
		"# comment\n[build]\nmeson   # why\n\n[run]\npodman                # the engine\n"
		"catatonit\t# tab before the comment\r\n  uidmap  \n[test]\nsocat\n";
	struct mino_error *err = NULL;
	char **pkgs = NULL, *got, *path, *file = NULL;

	ok(pkgmgr_debian_group(text, "run", &pkgs, &err) == 0, "the [run] group parses");
	got = join(pkgs);
	is_str(got, "podman catatonit uidmap", "only [run]'s packages, comments and blanks dropped");
	free(got);
	ok(pkgmgr_debian_group(text, "image", &pkgs, &err) < 0 && strstr(err->msg, "no [image] group") != NULL,
		"a missing group is an error naming it");
	mino_error_release(&err);
	ok(pkgmgr_debian_group("[run]\npodman crun\n", "run", &pkgs, &err) < 0 &&
		strcmp(err->msg, "debian-packages.txt:2: one package per line") == 0, "two names on a line: the line number");
	mino_error_release(&err);

	/* the real list: every package mino needs to run a session is in [run] */
	path = xasprintf("%s/images/debian-packages.txt", getenv("MINO_SRCDIR"));
	ok(fs_read_file(path, 1 << 20, &file, NULL, &err) == 0, "read %s", path);
	mino_error_release(&err);
	ok(file != NULL && pkgmgr_debian_group(file, "run", &pkgs, &err) == 0, "the real [run] group parses");
	mino_error_release(&err);
	{
		char **run = pkgmgr_run_packages(PKGMGR_APT, pkgs);
		bool all = true;

		for (int p = 0; p < PKG_COUNT; p++) {
			bool found = false;

			for (char **r = run; r != NULL && *r != NULL; r++)
				found = found || strcmp(*r, pkgmgr_package(PKGMGR_APT, (enum pkgmgr_pkg)p)) == 0;
			if (!found)
				tap_diag("%s is not in [run]", pkgmgr_package(PKGMGR_APT, (enum pkgmgr_pkg)p));
			all = all && found;
		}
		ok(all, "every logical package is in the real [run] group");
		strv_free(run);
	}
	strv_free(pkgs);
	free(file);
	free(path);
	got = join(pkgmgr_run_packages(PKGMGR_DNF, NULL));
	is_str(got, "podman catatonit crun runc shadow-utils slirp4netns fuse-overlayfs netavark aardvark-dns",
		"Fedora: the logical table");
	free(got);
}

static void
test_subid_next(void)
{
	/* useradd gave 100000..; a hand-made range far above; gid file higher still */
	static const char uids[] = "alice:100000:65536\nbob:165536:65536\nsvc:900000:1000\n# junk\nbad:x:1\n";
	static const char gids[] = "alice:100000:65536\nbob:1000000:65536\n";

	is_int(prereq_subid_next_start(uids, gids), 1065536, "after the highest range of either file");
	is_int(prereq_subid_next_start(uids, NULL), 901000, "one file only");
	is_int(prereq_subid_next_start(NULL, NULL), 100000, "no ranges: 100000");
	is_int(prereq_subid_next_start("root:10:20\n", ""), 100000, "never below 100000");
}

int
main(void)
{
	test_os_release();
	test_names();
	test_command_lines();
	test_hints();
	test_debian_list();
	test_subid_next();
	return tap_done();
}
