/* setup-units.c: mino setup's last step: the systemd user units
 * (systemd/minod.service and minod.socket) and socket activation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "mino-build.h"
#include "paths.h"
#include "setup-steps.h"
#include "xalloc.h"

#define SETUP_UNIT_MAX 65536

/* Where the user's systemd finds units without being told. */
static const char *const setup_units_searched[] = {
	"/etc/systemd/user", "/usr/local/lib/systemd/user", "/usr/lib/systemd/user",
};

static bool
setup_units_both(const char *dir)
{
	_cleanup_free_ char *svc = xasprintf("%s/minod.service", dir);
	_cleanup_free_ char *sock = xasprintf("%s/minod.socket", dir);

	return access(svc, R_OK) == 0 && access(sock, R_OK) == 0;
}

/* The minod beside this mino (a build tree's is in ../daemon), canonical,
 * or NULL. */
static char *
setup_units_minod(const char *self)
{
	static const char *const rel[] = { "minod", "../daemon/minod" };
	char *p, *real;

	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		p = xasprintf("%s/%s", self, rel[i]);
		real = access(p, X_OK) == 0 ? realpath(p, NULL) : NULL;
		free(p);
		if (real != NULL)
			return real;
	}
	return NULL;
}

/* The unit text with ExecStart= pointing at `minod`.  Caller frees. */
static char *
setup_units_render(const char *text, const char *minod)
{
	const char *p = strstr(text, "\nExecStart=");
	const char *end;

	if (p == NULL)
		return xstrdup(text);
	p++;
	end = strchr(p, '\n');
	return xasprintf("%.*sExecStart=%s%s", (int)(p - text), text, minod, end != NULL ? end : "\n");
}

/* Copies one unit into the user's unit directory. */
static int
setup_units_copy(const char *from, const char *dir, const char *name, const char *minod, struct mino_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *to = xasprintf("%s/%s", dir, name);

	if (fs_read_file(from, SETUP_UNIT_MAX, &text, NULL, err) < 0)
		return -1;
	out = setup_units_render(text, minod);
	printf("    write %s\n", to);
	return fs_write_atomic(to, out, strlen(out), 0644, err);
}

/* Templates: a build tree's (the rendered service and a copy of the
 * socket in its systemd/), else the installed ones under the prefix. */
static bool
setup_units_templates(const char *self, char **svc, char **sock)
{
	*svc = xasprintf("%s/../systemd/minod.service", self);
	*sock = xasprintf("%s/../systemd/minod.socket", self);
	if (access(*svc, R_OK) == 0 && access(*sock, R_OK) == 0)
		return true;
	free(*svc);
	free(*sock);
	*svc = xasprintf("%s/../lib/systemd/user/minod.service", MINO_BINDIR);
	*sock = xasprintf("%s/../lib/systemd/user/minod.socket", MINO_BINDIR);
	if (access(*svc, R_OK) == 0 && access(*sock, R_OK) == 0)
		return true;
	free(*svc);
	free(*sock);
	*svc = *sock = NULL;
	return false;
}

/* Writes the user's copies; the directory holding the units, or NULL. */
static char *
setup_units_install(struct setup *s, const char *self, const char *userdir)
{
	_cleanup_free_ char *svc = NULL;
	_cleanup_free_ char *sock = NULL;
	_cleanup_free_ char *minod = setup_units_minod(self);
	struct mino_error *err = NULL;

	for (size_t i = 0; i < sizeof setup_units_searched / sizeof setup_units_searched[0]; i++)
		if (setup_units_both(setup_units_searched[i])) {
			printf("    the units are installed in %s\n", setup_units_searched[i]);
			return xstrdup(setup_units_searched[i]);
		}
	if (minod == NULL || !setup_units_templates(self, &svc, &sock)) {
		printf("    failed: no %s beside %s to install\n", minod == NULL ? "minod" : "minod.service", self);
		s->failed++;
		return NULL;
	}
	if (fs_mkdir_p(userdir, 0755, 0, &err) < 0 || setup_units_copy(svc, userdir, "minod.service", minod, &err) < 0 ||
	    setup_units_copy(sock, userdir, "minod.socket", minod, &err) < 0) {
		printf("    failed: %s\n", err->msg);
		mino_error_release(&err);
		s->failed++;
		return NULL;
	}
	return xstrdup(userdir);
}

/* No user manager running now: enable the socket as `systemctl --user
 * enable` would, for the next login. */
static void
setup_units_link(struct setup *s, const char *unitdir, const char *userdir)
{
	_cleanup_free_ char *wants = xasprintf("%s/sockets.target.wants", userdir);
	_cleanup_free_ char *link = xasprintf("%s/minod.socket", wants);
	_cleanup_free_ char *target = xasprintf("%s/minod.socket", unitdir);
	struct mino_error *err = NULL;

	printf("    ln -s %s %s\n", target, link);
	if (fs_mkdir_p(wants, 0755, 0, &err) < 0) {
		printf("    failed: %s\n", err->msg);
		mino_error_release(&err);
		s->failed++;
		return;
	}
	if (unlink(link) < 0 && errno != ENOENT) {
		printf("    failed: remove %s: %s\n", link, strerror(errno));
		s->failed++;
		return;
	}
	if (symlink(target, link) < 0) {
		printf("    failed: %s\n", strerror(errno));
		s->failed++;
		return;
	}
	printf("    systemd is not running for %s now: socket activation starts at the next login\n", s->name);
}

void
setup_units(struct setup *s)
{
	_cleanup_free_ char *systemctl = paths_find_program("systemctl", getenv("PATH"));
	_cleanup_free_ char *self = NULL;
	_cleanup_free_ char *userdir = NULL;
	_cleanup_free_ char *unitdir = NULL;
	_cleanup_free_ char *private = NULL;
	_cleanup_free_ char *link = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME"), *rt = getenv("XDG_RUNTIME_DIR");
	struct mino_error *err = NULL;
	char *reload[] = { "systemctl", "--user", "daemon-reload", NULL };
	char *enable[] = { "systemctl", "--user", "enable", "--now", "minod.socket", NULL };
	struct stat st;

	if (systemctl == NULL) {
		setup_say("Service units: no systemd here; mino starts minod itself when needed");
		return;
	}
	userdir = xdg != NULL && xdg[0] == '/' ? xasprintf("%s/systemd/user", xdg) :
		xasprintf("%s/.config/systemd/user", s->home);
	link = xasprintf("%s/sockets.target.wants/minod.socket", userdir);
	if (lstat(link, &st) == 0 && stat(link, &st) == 0) {
		setup_say("Service units: minod.socket is enabled (%s)", link);
		return;
	}
	setup_say("Install the systemd user units and enable socket activation (minod.socket: systemd starts "
		"minod on the first connection)");
	if (!setup_confirm(s, "Install and enable them?"))
		return;
	if (paths_self_dir(&self, &err) < 0) {
		printf("    failed: %s\n", err->msg);
		mino_error_release(&err);
		s->failed++;
		return;
	}
	unitdir = setup_units_install(s, self, userdir);
	if (unitdir == NULL)
		return;
	private = rt != NULL && rt[0] == '/' ? xasprintf("%s/systemd/private", rt) : NULL;
	if (private != NULL && access(private, F_OK) == 0) {
		if (setup_do(s, reload, false))
			setup_do(s, enable, false);
		return;
	}
	setup_units_link(s, unitdir, userdir);
}
