/* pkgmgr.c: the distribution's package manager and its command lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "error.h"
#include "pkgmgr.h"
#include "strv.h"
#include "xalloc.h"

#define PKGMGR_OS_RELEASE_MAX 65536

/* Names by logical package; a NULL column falls back to the Debian name. */
static const struct {
	const char *debian, *fedora, *arch, *suse;
} pkgmgr_names[PKG_COUNT] = {
	[PKG_PODMAN] = { "podman", NULL, NULL, NULL },
	[PKG_INIT] = { "catatonit", NULL, NULL, NULL },
	[PKG_CRUN] = { "crun", NULL, NULL, NULL },
	[PKG_RUNC] = { "runc", NULL, NULL, NULL },
	[PKG_IDMAP] = { "uidmap", "shadow-utils", "shadow", "shadow" },
	[PKG_SLIRP4NETNS] = { "slirp4netns", NULL, NULL, NULL },
	[PKG_FUSE_OVERLAYFS] = { "fuse-overlayfs", NULL, NULL, NULL },
	[PKG_NETAVARK] = { "netavark", NULL, NULL, NULL },
	[PKG_AARDVARK] = { "aardvark-dns", NULL, NULL, NULL },
};

/* The distribution ids each manager serves (ID or one word of ID_LIKE). */
static enum pkgmgr_kind
pkgmgr_from_id(const char *id, size_t len)
{
	static const struct {
		const char *id;
		enum pkgmgr_kind kind;
	} ids[] = {
		{ "debian", PKGMGR_APT }, { "ubuntu", PKGMGR_APT },
		{ "fedora", PKGMGR_DNF }, { "rhel", PKGMGR_DNF }, { "centos", PKGMGR_DNF },
		{ "arch", PKGMGR_PACMAN }, { "archlinux", PKGMGR_PACMAN },
		{ "suse", PKGMGR_ZYPPER }, { "opensuse", PKGMGR_ZYPPER },
		{ "opensuse-tumbleweed", PKGMGR_ZYPPER }, { "opensuse-leap", PKGMGR_ZYPPER }, { "sles", PKGMGR_ZYPPER },
	};

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (strlen(ids[i].id) == len && strncmp(ids[i].id, id, len) == 0)
			return ids[i].kind;
	return PKGMGR_NONE;
}

/* The value of KEY= in os-release text (quotes stripped), or NULL; *len set. */
static const char *
pkgmgr_os_value(const char *text, const char *key, size_t *len)
{
	size_t klen = strlen(key);
	const char *line, *v;

	for (line = text; line != NULL && *line != '\0'; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		v = line + klen + 1;
		*len = strcspn(v, "\n");
		if (*len >= 2 && (v[0] == '"' || v[0] == '\'') && v[*len - 1] == v[0]) {
			v++;
			*len -= 2;
		}
		return v;
	}
	return NULL;
}

enum pkgmgr_kind
pkgmgr_from_os_release(const char *text)
{
	enum pkgmgr_kind k = PKGMGR_NONE;
	const char *v, *end, *w;
	size_t len, wl;

	v = pkgmgr_os_value(text, "ID", &len);
	if (v != NULL && (k = pkgmgr_from_id(v, len)) != PKGMGR_NONE)
		return k;
	v = pkgmgr_os_value(text, "ID_LIKE", &len);
	for (end = v != NULL ? v + len : NULL, w = v; w != NULL && w < end && k == PKGMGR_NONE; w += wl) {
		while (w < end && *w == ' ')
			w++;
		for (wl = 0; w + wl < end && w[wl] != ' '; wl++)
			;
		if (wl > 0)
			k = pkgmgr_from_id(w, wl);
	}
	return k;
}

enum pkgmgr_kind
pkgmgr_detect(void)
{
	_cleanup_free_ char *text = NULL;
	struct mino_error *err = NULL;

	if (fs_read_file("/etc/os-release", PKGMGR_OS_RELEASE_MAX, &text, NULL, &err) < 0) {
		mino_error_release(&err);
		if (fs_read_file("/usr/lib/os-release", PKGMGR_OS_RELEASE_MAX, &text, NULL, &err) < 0) {
			mino_error_release(&err);
			return PKGMGR_NONE;
		}
	}
	return pkgmgr_from_os_release(text);
}

const char *
pkgmgr_name(enum pkgmgr_kind kind)
{
	switch (kind) {
	case PKGMGR_APT:
		return "apt";
	case PKGMGR_DNF:
		return "dnf";
	case PKGMGR_PACMAN:
		return "pacman";
	case PKGMGR_ZYPPER:
		return "zypper";
	case PKGMGR_NONE:
		break;
	}
	return "none";
}

const char *
pkgmgr_package(enum pkgmgr_kind kind, enum pkgmgr_pkg pkg)
{
	const char *name = NULL;

	if ((unsigned)pkg >= PKG_COUNT)
		return NULL;
	if (kind == PKGMGR_DNF)
		name = pkgmgr_names[pkg].fedora;
	else if (kind == PKGMGR_PACMAN)
		name = pkgmgr_names[pkg].arch;
	else if (kind == PKGMGR_ZYPPER)
		name = pkgmgr_names[pkg].suse;
	return name != NULL ? name : pkgmgr_names[pkg].debian;
}

int
pkgmgr_debian_group(const char *text, const char *group, char ***out, struct mino_error **err)
{
	const char *line = text, *nl, *p, *end;
	char **pkgs = xcalloc(1, sizeof *pkgs);
	bool in_group = false, found = false;
	unsigned lineno = 0;
	size_t len;

	for (; line != NULL && *line != '\0'; line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		lineno++;
		end = memchr(line, '#', len);
		end = end != NULL ? end : line + len;
		for (p = line; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		if (p == end)
			continue;
		if (*p == '[' && end[-1] == ']') {
			in_group = (size_t)(end - p - 2) == strlen(group) && strncmp(p + 1, group, strlen(group)) == 0;
			found = found || in_group;
			continue;
		}
		if (memchr(p, ' ', (size_t)(end - p)) != NULL || memchr(p, '\t', (size_t)(end - p)) != NULL) {
			strv_free(pkgs);
			return mino_make_error(err, MINO_E_CONFIG, 0, "debian-packages.txt:%u: one package per line",
				lineno);
		}
		if (in_group)
			strv_push(&pkgs, xstrndup(p, (size_t)(end - p)));
	}
	if (!found) {
		strv_free(pkgs);
		return mino_make_error(err, MINO_E_CONFIG, 0, "debian-packages.txt: no [%s] group", group);
	}
	*out = pkgs;
	return 0;
}

char **
pkgmgr_run_packages(enum pkgmgr_kind kind, char *const *debian_run)
{
	char **v;

	if (kind == PKGMGR_APT && debian_run != NULL)
		return strv_copy(debian_run);
	v = xcalloc(1, sizeof *v);
	for (int p = 0; p < PKG_COUNT; p++)
		strv_push(&v, xstrdup(pkgmgr_package(kind, (enum pkgmgr_pkg)p)));
	return v;
}

/* argv = the words of `head` (NULL-terminated), then pkgs. */
static char **
pkgmgr_argv(const char *const *head, char *const *pkgs)
{
	char **v = xcalloc(1, sizeof *v);

	for (; *head != NULL; head++)
		strv_push(&v, xstrdup(*head));
	for (; pkgs != NULL && *pkgs != NULL; pkgs++)
		strv_push(&v, xstrdup(*pkgs));
	return v;
}

/* The command line of `kind` from the heads of each package manager, with
 * pkgs after it; NULL for an unknown one. */
static char **
pkgmgr_pick(enum pkgmgr_kind kind, const char *const *apt, const char *const *dnf,
	const char *const *pacman, const char *const *zypper, char *const *pkgs)
{
	switch (kind) {
	case PKGMGR_APT:
		return pkgmgr_argv(apt, pkgs);
	case PKGMGR_DNF:
		return pkgmgr_argv(dnf, pkgs);
	case PKGMGR_PACMAN:
		return pkgmgr_argv(pacman, pkgs);
	case PKGMGR_ZYPPER:
		return pkgmgr_argv(zypper, pkgs);
	case PKGMGR_NONE:
		break;
	}
	return NULL;
}

char **
pkgmgr_refresh_argv(enum pkgmgr_kind kind)
{
	static const char *const apt[] = { "apt-get", "update", NULL };

	return kind == PKGMGR_APT ? pkgmgr_argv(apt, NULL) : NULL;
}

char **
pkgmgr_install_argv(enum pkgmgr_kind kind, char *const *pkgs)
{
	/* --no-install-recommends: debian-packages.txt names every Recommends
	 * mino relies on.  pacman: -Syu, since Arch does not support installing
	 * against a stale database (a partial upgrade). */
	static const char *const apt[] = { "apt-get", "install", "-y", "--no-install-recommends", NULL };
	static const char *const dnf[] = { "dnf", "install", "-y", NULL };
	static const char *const pacman[] = { "pacman", "-Syu", "--needed", "--noconfirm", NULL };
	static const char *const zypper[] = { "zypper", "--non-interactive", "install", "--no-recommends", NULL };

	return pkgmgr_pick(kind, apt, dnf, pacman, zypper, pkgs);
}

char **
pkgmgr_upgrade_argv(enum pkgmgr_kind kind, char *const *pkgs)
{
	/* pacman: upgrading some packages alone is a partial upgrade, which
	 * Arch does not support; -Syu upgrades the system with them. */
	static const char *const apt[] = { "apt-get", "install", "-y", "--only-upgrade", NULL };
	static const char *const dnf[] = { "dnf", "upgrade", "-y", NULL };
	static const char *const pacman[] = { "pacman", "-Syu", "--needed", "--noconfirm", NULL };
	static const char *const zypper[] = { "zypper", "--non-interactive", "update", NULL };

	return pkgmgr_pick(kind, apt, dnf, pacman, zypper, pkgs);
}

char **
pkgmgr_query_argv(enum pkgmgr_kind kind, const char *pkg)
{
	static const char *const apt[] = { "dpkg-query", "-W", "-f=${db:Status-Status}", NULL };
	static const char *const rpm[] = { "rpm", "-q", NULL };
	static const char *const pacman[] = { "pacman", "-Q", NULL };
	char *const one[] = { (char *)pkg, NULL };

	return pkgmgr_pick(kind, apt, rpm, pacman, rpm, one);
}

bool
pkgmgr_query_installed(enum pkgmgr_kind kind, int exit_status, const char *out)
{
	/* dpkg-query knows removed packages too ("config-files", "not-installed") */
	if (exit_status != 0)
		return false;
	return kind != PKGMGR_APT || (out != NULL && strncmp(out, "installed", 9) == 0 &&
		(out[9] == '\0' || out[9] == '\n'));
}

char *
pkgmgr_install_hint(enum pkgmgr_kind kind, enum pkgmgr_pkg pkg, bool as_root)
{
	const char *name = pkgmgr_package(kind, pkg), *sudo = as_root ? "" : "sudo ";
	char *const one[] = { (char *)name, NULL };
	char **argv, *hint, *t;

	if (kind == PKGMGR_NONE || name == NULL)
		return xasprintf("install %s with your distribution's package manager", name != NULL ? name : "it");
	argv = pkgmgr_install_argv(kind, one);
	hint = xstrdup(sudo);
	for (char **a = argv; *a != NULL; a++) {
		/* the hint is for a person: no -y, they answer the prompt */
		if (strcmp(*a, "-y") == 0 || strcmp(*a, "--noconfirm") == 0 || strcmp(*a, "--non-interactive") == 0)
			continue;
		t = xasprintf("%s%s%s", hint, a == argv ? "" : " ", *a);
		free(hint);
		hint = t;
	}
	strv_free(argv);
	return hint;
}
