/* test-podman-argv.c: the podman command lines minod builds (daemon/sandbox/podman.c). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "minod.h"
#include "podman.h"
#include "spec.h"
#include "tap.h"
#include "xalloc.h"

struct minod minod; /* podman.c reads state_dir */

static char *
join(char **argv)
{
	size_t len = 1;
	char **p, *s;

	for (p = argv; *p != NULL; p++)
		len += strlen(*p) + 3;
	s = xcalloc(1, len);
	for (p = argv; *p != NULL; p++) {
		if (p != argv)
			strcat(s, " ");
		if (strchr(*p, ' ') != NULL || **p == '\0') {
			strcat(s, "'");
			strcat(s, *p);
			strcat(s, "'");
		} else
			strcat(s, *p);
	}
	return s;
}

/* No environment value may be on any podman command line: they are in
 * /proc/PID/cmdline while podman runs and in `podman inspect` for the
 * container's whole life. */
static void
no_value_in(char **argv, const char *value, const char *what)
{
	bool found = false, opt = false;

	for (char **p = argv; *p != NULL; p++) {
		if (strstr(*p, value) != NULL)
			found = true;
		/* mino-entry's own --env (a file) comes after the image */
		if (strcmp(*p, "/run/mino-entry") == 0)
			break;
		if (strcmp(*p, "-e") == 0 || strncmp(*p, "--env", 5) == 0)
			opt = true;
	}
	ok(!found, "%s: `%s` is on no command line", what, value);
	ok(!opt, "%s: no podman -e/--env option", what);
}

static void
test_create(void)
{
	char *cmd[] = { "sh", "-c", "echo hi", NULL };
	char *env[] = { "A=1", "SECRET=hunter2", NULL };
	char *vols[] = { "/data:/data:ro", NULL };
	char *extra[] = { "--tmpfs=/x", NULL };
	struct sandbox_spec spec = {
		.name = "s1", .id = "abcd", .project_dir = "/home/u/proj", .image = "localhost/img:1",
		.command = cmd, .env = env, .volumes = vols, .network = "none", .workdir = "/proj",
		.shell = "/bin/bash", .no_audit = true,
	};
	struct podman_mounts m = { .rundir = "/xdg/mino/run/abcd", .entry = "/usr/libexec/mino-entry" };
	char **argv, **full;
	char *line;

	minod.state_dir = "/st";
	argv = podman_create_argv(&spec, &m, extra, 0);
	line = join(argv);
	is_str(line,
	    "create --name=mino-s1 --label=mino.session=s1 --label=mino.id=abcd "
	    "--label=mino.tty=0 --label=mino.project=/home/u/proj --label=mino.workdir=/proj "
	    "--label=mino.shell=/bin/bash --label=mino.audit=0 --label=mino.state=/st --cap-drop=ALL "
	    "--security-opt=no-new-privileges --pids-limit=4096 --init --pull=never --network=none "
	    "-v /home/u/proj:/proj -w /proj -v /xdg/mino/run/abcd:/run/mino:ro "
	    "-v /usr/libexec/mino-entry:/run/mino-entry:ro -v /data:/data:ro --tmpfs=/x "
	    "-i localhost/img:1 /run/mino-entry --env /run/mino/env -- sh -c 'echo hi'",
	    "create argv, non-tty: the command runs through mino-entry");
	free(line);
	no_value_in(argv, "hunter2", "create");
	no_value_in(argv, "A=1", "create");
	full = podman_command("/usr/bin/podman", argv);
	ok(strcmp(full[0], "/usr/bin/podman") == 0 && strcmp(full[1], "create") == 0,
	    "podman_command puts the program (and global args) first");
	podman_argv_free(full);
	podman_argv_free(argv);

	spec.tty = true;
	spec.network = "bridge";
	spec.env = NULL;
	spec.volumes = NULL;
	spec.shell = NULL;
	spec.no_audit = false;
	minod.state_dir = NULL;
	argv = podman_create_argv(&spec, &m, NULL, PODMAN_ARGV_NO_PIDS_LIMIT);
	line = join(argv);
	is_str(line,
	    "create --name=mino-s1 --label=mino.session=s1 --label=mino.id=abcd --label=mino.tty=1 "
	    "--label=mino.project=/home/u/proj --label=mino.workdir=/proj --label=mino.audit=1 --cap-drop=ALL "
	    "--security-opt=no-new-privileges --init "
	    "--pull=never -v /home/u/proj:/proj -w /proj -v /xdg/mino/run/abcd:/run/mino:ro "
	    "-v /usr/libexec/mino-entry:/run/mino-entry:ro "
	    "-i -t localhost/img:1 /run/mino-entry --env /run/mino/env -- sh -c 'echo hi'",
	    "create argv, tty, bridge (podman's default), no pids limit");
	free(line);
	podman_argv_free(argv);
}

/* A spare (spare.h): no session name, label or command; nothing of the
 * session's environment. */
static void
test_create_spare(void)
{
	char *cmd[] = { "sh", "-c", "echo hi", NULL };
	char *env[] = { "SECRET=hunter2", NULL };
	struct sandbox_spec spec = {
		.name = "s1", .id = "@", .project_dir = "/home/u/proj", .image = "localhost/img:1",
		.command = cmd, .env = env, .network = "none", .workdir = "/proj",
	};
	struct podman_mounts m = { .rundir = "@", .entry = "/usr/libexec/mino-entry" };
	char **argv;
	char *line;

	minod.state_dir = "/st";
	argv = podman_create_argv(&spec, &m, NULL, PODMAN_ARGV_SPARE | PODMAN_ARGV_NO_PIDS_LIMIT);
	line = join(argv);
	is_str(line,
	    "create --name=mino-spare-@ --label=mino.spare=1 "
	    "--label=mino.tty=0 --label=mino.project=/home/u/proj --label=mino.workdir=/proj "
	    "--label=mino.audit=1 --label=mino.state=/st --cap-drop=ALL "
	    "--security-opt=no-new-privileges --init --pull=never --network=none "
	    "-v /home/u/proj:/proj -w /proj -v @:/run/mino:ro "
	    "-v /usr/libexec/mino-entry:/run/mino-entry:ro "
	    "-i localhost/img:1 /run/mino-entry --env /run/mino/env --cmd /run/mino/cmd",
	    "spare create argv: no session label, the command from the run directory");
	ok(strstr(line, "s1") == NULL && strstr(line, "echo hi") == NULL, "spare: no session name or command");
	free(line);
	no_value_in(argv, "hunter2", "spare create");
	podman_argv_free(argv);
	minod.state_dir = NULL;
}

static void
test_start_exec_attach(void)
{
	const char *cmd[] = { "ls", "-la", NULL };
	char **argv;
	char *line;

	argv = podman_start_argv("0123456789abcdef", true);
	line = join(argv);
	is_str(line, "start --attach --interactive --sig-proxy=false --detach-keys= 0123456789abcdef",
	    "start argv");
	free(line);
	podman_argv_free(argv);
	argv = podman_exec_argv("cid1", "/run/mino/exec-3.env", cmd, true);
	line = join(argv);
	is_str(line, "exec -i -t --detach-keys= cid1 /run/mino-entry --env /run/mino/env --env /run/mino/exec-3.env -- ls -la",
	    "exec argv, tty: the session's env file, then its own");
	free(line);
	podman_argv_free(argv);
	argv = podman_exec_argv("cid1", "/run/mino/exec-4.env", cmd, false);
	line = join(argv);
	is_str(line, "exec -i --detach-keys= cid1 /run/mino-entry --env /run/mino/env --env /run/mino/exec-4.env -- ls -la",
	    "exec argv");
	free(line);
	podman_argv_free(argv);
	argv = podman_attach_argv("cid1", false);
	line = join(argv);
	is_str(line, "attach --no-stdin --sig-proxy=false --detach-keys= cid1", "attach argv");
	free(line);
	podman_argv_free(argv);
	argv = podman_attach_argv("cid1", true);
	line = join(argv);
	is_str(line, "attach --sig-proxy=false --detach-keys= cid1", "attach argv, tty");
	free(line);
	podman_argv_free(argv);
}

static void
test_error_line(void)
{
	const char *t1 = "Trying to pull...\nError: localhost/x: image not known\nmore\n";
	const char *t2 = "some output\r\nsh: nope: not found\r\n";
	char *e;

	e = podman_error_line_in(t1, strlen(t1), false);
	is_str(e, "localhost/x: image not known", "the Error: line wins");
	free(e);
	e = podman_error_line_in(t2, strlen(t2), false);
	is_str(e, "sh: nope: not found", "else the last non-empty line");
	free(e);
	e = podman_error_line_in(t2, strlen(t2), true);
	ok(e == NULL, "no Error: line when one is required");
	free(e);
}

int
main(void)
{
	test_create();
	test_create_spare();
	test_start_exec_attach();
	test_error_line();
	return tap_done();
}
