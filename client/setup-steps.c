/* setup-steps.c: the steps of `mino setup`. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "mino-build.h"
#include "paths.h"
#include "pkgmgr.h"
#include "prereq.h"
#include "setup-steps.h"
#include "status-report.h"
#include "strv.h"
#include "xalloc.h"

#define SETUP_FILE_MAX (1u << 20)
#define SETUP_SUBID_COUNT 65536ULL
#define SETUP_EXIT_FAIL 1

void
setup_say(const char *fmt, ...)
{
	va_list ap;

	printf("\n==> ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* "    $ [sudo ]ARGV" */
static void
setup_show(char *const *argv, bool sudo)
{
	printf("    $ %s", sudo ? "sudo " : "");
	for (char *const *a = argv; *a != NULL; a++)
		printf("%s%s", a == argv ? "" : " ", *a);
	putchar('\n');
	fflush(stdout);
}

/* Asks on stdin, read a byte at a time so that a child reading the same
 * stdin (the user phase) finds the rest.  Empty, y or yes: yes. */
bool
setup_confirm(const struct setup *s, const char *question)
{
	char line[64];
	size_t n = 0;
	ssize_t r;
	char c;

	printf("%s [Y/n] ", question);
	if (s->o->yes) {
		printf("y (-y)\n");
		return true;
	}
	fflush(stdout);
	while ((r = read(0, &c, 1)) == 1 && c != '\n')
		if (n + 1 < sizeof line)
			line[n++] = c;
	line[n] = '\0';
	if (!isatty(0) && (r == 1 || n > 0))
		printf("%s\n", line);   /* what was answered, as a terminal would echo it */
	if (r <= 0 && n == 0) {
		printf("\n    (no answer: stdin is closed; skipped, -y answers yes)\n");
		return false;
	}
	if (n == 0 || strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0)
		return true;
	printf("    skipped\n");
	return false;
}

/* Runs argv (through sudo when `as_root` and we are not root), stdio
 * inherited.  Returns the exit status, or -1 when it could not start. */
static int
setup_exec(const struct setup *s, char *const *argv, bool as_root)
{
	bool sudo = as_root && !s->root;
	_cleanup_free_ char *sudo_path = NULL;
	char **full = NULL;
	int status;
	pid_t pid;

	if (sudo) {
		sudo_path = paths_find_program("sudo", getenv("PATH"));
		if (sudo_path == NULL) {
			printf("    this step needs root and there is no sudo: run `mino setup --user %s` as root\n", s->name);
			return -1;
		}
		full = xcalloc(1, sizeof *full);
		strv_push(&full, xstrdup(sudo_path));
		strv_push(&full, xstrdup("--"));
		for (char *const *a = argv; *a != NULL; a++)
			strv_push(&full, xstrdup(*a));
	}
	setup_show(argv, sudo);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		strv_free(full);
		printf("    cannot fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(sudo ? full[0] : argv[0], sudo ? full : argv);
		fprintf(stderr, "mino: cannot run %s: %s\n", sudo ? full[0] : argv[0], strerror(errno));
		_exit(127);
	}
	strv_free(full);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Runs a step's command and counts a failure. */
bool
setup_do(struct setup *s, char *const *argv, bool as_root)
{
	int rc = setup_exec(s, argv, as_root);

	if (rc == 0)
		return true;
	if (rc > 0)
		printf("    failed: %s exited with %d\n", argv[0], rc);
	s->failed++;
	return false;
}

/* Runs argv quietly; its stdout (caller frees) and exit status. */
int
setup_capture(char *const *argv, char **out)
{
	int fds[2], status, devnull;
	struct buf b;
	char chunk[4096];
	ssize_t n;
	pid_t pid;

	*out = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(devnull, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	buf_init(&b);
	while ((n = read(fds[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			buf_append(&b, chunk, (size_t)n);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			buf_free(&b);
			return -1;
		}
	*out = buf_steal(&b, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- packages ---- */

/* images/debian-packages.txt: $MINO_IMAGES_DIR, a build tree's copy (at
 * its top), the source tree around a build tree, else the installed copy.
 * Caller frees. */
static char *
setup_debian_list(void)
{
	const char *env = getenv("MINO_IMAGES_DIR");
	_cleanup_free_ char *self = NULL;
	struct mino_error *err = NULL;
	char *p;

	if (env != NULL && env[0] == '/')
		return xasprintf("%s/debian-packages.txt", env);
	if (paths_self_dir(&self, &err) == 0) {
		p = xasprintf("%s/../debian-packages.txt", self);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
		p = xasprintf("%s/../../images/debian-packages.txt", self);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	mino_error_release(&err);
	return xstrdup(MINO_IMAGESDIR "/debian-packages.txt");
}

/* Every package mino needs at run time here; NULL (said why) on error. */
static char **
setup_wanted_packages(struct setup *s)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	struct mino_error *err = NULL;
	char **run = NULL, **all;

	if (s->pm != PKGMGR_APT)
		return pkgmgr_run_packages(s->pm, NULL);
	path = setup_debian_list();
	if (fs_read_file(path, SETUP_FILE_MAX, &text, NULL, &err) < 0 ||
	    pkgmgr_debian_group(text, "run", &run, &err) < 0) {
		printf("    cannot read mino's package list: %s\n", err->msg);
		mino_error_release(&err);
		s->failed++;
		return NULL;
	}
	all = pkgmgr_run_packages(s->pm, run);
	strv_free(run);
	return all;
}

static bool
setup_installed(const struct setup *s, const char *pkg)
{
	char **argv = pkgmgr_query_argv(s->pm, pkg);
	char *out = NULL;
	int rc = setup_capture(argv, &out);
	bool yes = pkgmgr_query_installed(s->pm, rc, out);

	strv_free(argv);
	free(out);
	return yes;
}

static void
setup_refresh_and(struct setup *s, char **cmd)
{
	char **refresh = pkgmgr_refresh_argv(s->pm);

	if (refresh == NULL || setup_do(s, refresh, true))
		setup_do(s, cmd, true);
	strv_free(refresh);
	strv_free(cmd);
}

static void
setup_packages(struct setup *s)
{
	char **wanted, **missing = xcalloc(1, sizeof *missing), **have = xcalloc(1, sizeof *have);
	_cleanup_free_ char *list = xstrdup("");
	char *t;

	if (s->pm == PKGMGR_NONE) {
		setup_say("Packages: no apt, dnf, pacman or zypper distribution in /etc/os-release");
		printf("    install podman, catatonit, crun, runc, newuidmap/newgidmap, slirp4netns,\n"
			"    fuse-overlayfs, netavark and aardvark-dns with your package manager\n");
		goto out;
	}
	wanted = setup_wanted_packages(s);
	for (char **p = wanted; p != NULL && *p != NULL; p++)
		strv_push(setup_installed(s, *p) ? &have : &missing, xstrdup(*p));
	strv_free(wanted);
	for (char **p = missing; *p != NULL; p++) {
		t = xasprintf("%s %s", list, *p);
		free(list);
		list = t;
	}
	if (missing[0] == NULL) {
		setup_say("Packages: all %zu that mino needs are installed (%s)", strv_len(have), pkgmgr_name(s->pm));
	} else {
		setup_say("Install %zu missing package%s with %s:%s", strv_len(missing), missing[1] ? "s" : "",
			pkgmgr_name(s->pm), list);
		if (setup_confirm(s, "Install them?"))
			setup_refresh_and(s, pkgmgr_install_argv(s->pm, missing));
	}
	if (s->o->upgrade && have[0] != NULL) {
		setup_say("Upgrade the %zu installed packages mino depends on (%s)", strv_len(have), pkgmgr_name(s->pm));
		if (setup_confirm(s, "Upgrade them?"))
			setup_refresh_and(s, pkgmgr_upgrade_argv(s->pm, have));
	}
out:
	strv_free(missing);
	strv_free(have);
}

/* ---- subordinate ids, /dev/net/tun ---- */

static void
setup_subids(struct setup *s)
{
	_cleanup_free_ char *uids = NULL;
	_cleanup_free_ char *gids = NULL;
	struct mino_error *err = NULL;
	unsigned long long total, start;
	char **argv = xcalloc(1, sizeof *argv);
	bool need_u, need_g;

	if (fs_read_file("/etc/subuid", SETUP_FILE_MAX, &uids, NULL, &err) < 0)
		mino_error_release(&err);
	if (fs_read_file("/etc/subgid", SETUP_FILE_MAX, &gids, NULL, &err) < 0)
		mino_error_release(&err);
	need_u = prereq_parse_subid(uids, s->name, s->uid, &total) == 0;
	need_g = prereq_parse_subid(gids, s->name, s->uid, &total) == 0;
	if (!need_u && !need_g) {
		setup_say("Subordinate ids: %s has ranges in /etc/subuid and /etc/subgid", s->name);
		strv_free(argv);
		return;
	}
	start = prereq_subid_next_start(uids, gids);
	setup_say("Give %s subordinate %s %llu-%llu (after every range in use, so they overlap nobody's)", s->name,
		need_u && need_g ? "uids and gids" : need_u ? "uids" : "gids", start, start + SETUP_SUBID_COUNT - 1);
	strv_push(&argv, xstrdup("usermod"));
	if (need_u) {
		strv_push(&argv, xstrdup("--add-subuids"));
		strv_push(&argv, xasprintf("%llu-%llu", start, start + SETUP_SUBID_COUNT - 1));
	}
	if (need_g) {
		strv_push(&argv, xstrdup("--add-subgids"));
		strv_push(&argv, xasprintf("%llu-%llu", start, start + SETUP_SUBID_COUNT - 1));
	}
	strv_push(&argv, xstrdup(s->name));
	if (setup_confirm(s, "Add them?"))
		setup_do(s, argv, true);
	strv_free(argv);
}

static void
setup_tun(struct setup *s)
{
	char *argv[] = { "chmod", "0666", "/dev/net/tun", NULL };

	if (access("/dev/net/tun", F_OK) < 0 || access("/dev/net/tun", R_OK | W_OK) == 0)
		return;
	setup_say("Make /dev/net/tun read-write for everyone (the rootless network opens it; it is 0666 on most systems)");
	if (setup_confirm(s, "Change its mode?"))
		setup_do(s, argv, true);
}

/* ---- the user's steps ---- */

/* crun refuses cgroup v1 hybrid mode: runc in the user's containers.conf. */
static void
setup_runtime(struct setup *s)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	struct mino_error *err = NULL;
	struct prereq_report pr;
	bool crun_refused = false;
	static const char add[] = "\n# mino setup: crun refuses cgroup v1 hybrid mode\n[engine]\nruntime = \"runc\"\n";

	prereq_check_all(&pr);
	for (size_t i = 0; i < pr.n; i++)
		if (strcmp(pr.checks[i].name, "cgroups") == 0 && pr.checks[i].status == PREREQ_FAIL)
			crun_refused = true;
	prereq_report_free(&pr);
	if (!crun_refused)
		return;
	dir = xdg != NULL && xdg[0] == '/' ? xasprintf("%s/containers", xdg) : xasprintf("%s/.config/containers", s->home);
	path = xasprintf("%s/containers.conf", dir);
	setup_say("Use runc: the kernel runs cgroup v1 hybrid mode, which crun refuses");
	if (fs_read_file(path, SETUP_FILE_MAX, &text, NULL, &err) == 0 && strstr(text, "[engine]") != NULL) {
		printf("    %s has an [engine] table: set runtime = \"runc\" in it yourself\n", path);
		s->failed++;
		return;
	}
	mino_error_release(&err);
	printf("    append [engine] runtime = \"runc\" to %s\n", path);
	if (!setup_confirm(s, "Append it?"))
		return;
	if (fs_mkdir_p(dir, 0755, 0, &err) < 0 || fs_append_line(path, add, sizeof add - 1, 0644, &err) < 0) {
		printf("    failed: %s\n", err->msg);
		mino_error_release(&err);
		s->failed++;
	}
}

static void
setup_base_image(struct setup *s)
{
	const char *env = getenv("MINO_BASE_IMAGE");
	const char *base = env != NULL && *env != '\0' ? env : "localhost/mino-base";
	_cleanup_free_ char *podman = prereq_find_podman();
	_cleanup_free_ char *self = NULL;
	struct mino_error *err = NULL;
	char *exists[] = { podman, "image", "exists", (char *)base, NULL };
	char *out = NULL;

	if (podman == NULL)
		return;  /* the checks say so */
	if (setup_capture(exists, &out) == 0) {
		free(out);
		setup_say("Base image: %s is built", base);
		return;
	}
	free(out);
	setup_say("Build the base image %s (`mino image build base`: a Debian root with mmdebstrap, "
		"and the Claude Code CLI from npm; several minutes)", base);
	if (!setup_confirm(s, "Build it?"))
		return;
	if (paths_self_dir(&self, &err) < 0) {
		printf("    failed: %s\n", err->msg);
		mino_error_release(&err);
		s->failed++;
		return;
	}
	{
		_cleanup_free_ char *mino = xasprintf("%s/mino", self);
		char *argv[] = { mino, "image", "build", "base", NULL };

		setup_do(s, argv, false);
	}
}

/* ---- as root: the user's phase through runuser ---- */

static int
setup_as_user(struct setup *s, bool check_only)
{
	_cleanup_free_ char *self = NULL;
	_cleanup_free_ char *runuser = paths_find_program("runuser", "/usr/sbin:/usr/bin:/sbin:/bin");
	_cleanup_free_ char *rundir = xasprintf("/run/user/%lu", (unsigned long)s->uid);
	struct mino_error *err = NULL;
	char **argv = xcalloc(1, sizeof *argv);
	struct stat st;
	int rc;

	if (paths_self_dir(&self, &err) < 0 || runuser == NULL) {
		printf("mino: cannot switch to %s: %s\n", s->name, err != NULL ? err->msg : "no runuser");
		mino_error_release(&err);
		strv_free(argv);
		return SETUP_EXIT_FAIL;
	}
	strv_push(&argv, xstrdup(runuser));
	strv_push(&argv, xstrdup("-u"));
	strv_push(&argv, xstrdup(s->name));
	strv_push(&argv, xstrdup("--"));
	strv_push(&argv, xstrdup("env"));
	strv_push(&argv, xstrdup("-i"));
	strv_push(&argv, xasprintf("HOME=%s", s->home));
	strv_push(&argv, xasprintf("USER=%s", s->name));
	strv_push(&argv, xasprintf("LOGNAME=%s", s->name));
	strv_push(&argv, strcmp(self, "/usr/local/bin") == 0 || strcmp(self, "/usr/bin") == 0 ?
		xstrdup("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin") :
		xasprintf("PATH=%s:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", self));
	strv_push(&argv, xstrdup("LANG=C.UTF-8"));
	/* what the user's steps read: the terminal, the base image chosen */
	for (const char *const *v = (const char *const[]){ "TERM", "MINO_BASE_IMAGE", "MINO_IMAGES_DIR", NULL };
	     *v != NULL; v++)
		if (getenv(*v) != NULL)
			strv_push(&argv, xasprintf("%s=%s", *v, getenv(*v)));
	/* the user's login session's runtime directory, when there is one */
	if (stat(rundir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == s->uid)
		strv_push(&argv, xasprintf("XDG_RUNTIME_DIR=%s", rundir));
	strv_push(&argv, xasprintf("%s/mino", self));
	strv_push(&argv, xstrdup("setup"));
	strv_push(&argv, xstrdup(check_only ? "--check" : "--user"));
	if (!check_only)
		strv_push(&argv, xstrdup(s->name));
	if (s->o->yes && !check_only)
		strv_push(&argv, xstrdup("-y"));
	if (!check_only)
		setup_say("The steps of %s's own: `mino setup` as %s", s->name, s->name);
	fflush(NULL);
	rc = setup_exec(s, argv, false);
	strv_free(argv);
	return rc < 0 ? SETUP_EXIT_FAIL : rc;
}

/* ---- the flow ---- */

static int
setup_target(struct setup *s)
{
	const char *want = s->o->user;
	struct passwd *pw = want != NULL ? getpwnam(want) : getpwuid(geteuid());

	if (pw == NULL) {
		if (want != NULL)
			fprintf(stderr, "mino: --user %s: no such user\n", want);
		else
			fprintf(stderr, "mino: who am I? uid %lu has no passwd entry\n", (unsigned long)geteuid());
		return -1;
	}
	if (s->root && pw->pw_uid == 0) {
		fprintf(stderr, "mino: as root, name the user to prepare: mino setup --user NAME "
			"(mino's sandboxes are rootless: they run as a user)\n");
		return -1;
	}
	if (!s->root && pw->pw_uid != geteuid()) {
		fprintf(stderr, "mino: --user %s: only root prepares another user (run `sudo mino setup --user %s`)\n",
			want, want);
		return -1;
	}
	s->name = xstrdup(pw->pw_name);
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
	s->home = xstrdup(pw->pw_dir);
	return 0;
}

static int
setup_finish(struct setup *s)
{
	struct status_report report;
	bool ok;

	setup_say("Checking (as `mino status` does)");
	status_report_collect(&report, false);
	status_report_print(&report, stdout);
	ok = status_report_ok(&report);
	status_report_free(&report);
	if (s->failed > 0)
		printf("\nmino setup: %u step%s did not work (see above)\n", s->failed, s->failed == 1 ? "" : "s");
	else if (!ok)
		printf("\nmino setup: the FAIL lines above need a fix that setup cannot make\n");
	else
		printf("\nmino setup: ready; try `mino run`\n");
	return ok && s->failed == 0 ? 0 : SETUP_EXIT_FAIL;
}

int
setup_run(const struct setup_opts *o, bool check_only)
{
	struct setup s = { .o = o, .root = geteuid() == 0 };
	int rc;

	if (setup_target(&s) < 0)
		return 2;
	if (check_only) {
		rc = setup_as_user(&s, true);   /* only root gets here */
		goto out;
	}
	s.pm = pkgmgr_detect();
	printf("mino setup for %s (%s, package manager: %s)%s\n", s.name, s.root ? "as root" : "root steps via sudo",
		pkgmgr_name(s.pm), o->yes ? "" : "; each step asks first");
	setup_packages(&s);
	setup_subids(&s);
	setup_tun(&s);
	if (s.root) {
		if (s.failed > 0) {
			printf("\nmino setup: %u root step%s did not work: not going on to %s's own steps\n", s.failed,
				s.failed == 1 ? "" : "s", s.name);
			rc = SETUP_EXIT_FAIL;
		} else {
			rc = setup_as_user(&s, false);
		}
		goto out;
	}
	setup_runtime(&s);
	setup_base_image(&s);
	setup_units(&s);
	rc = setup_finish(&s);
out:
	free(s.name);
	free(s.home);
	return rc;
}
