/* test-podman-argv.c: the podman command lines minod builds (daemon/sandbox/podman.c). */
#include <stdlib.h>
#include <string.h>

#include "minod.h"
#include "podman.h"
#include "session.h"
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

static void
test_run(void)
{
	char *cmd[] = { "sh", "-c", "echo hi", NULL };
	char *env[] = { "A=1", "SECRET=hunter2", NULL };
	char *vols[] = { "/data:/data:ro", NULL };
	struct session_spec spec = {
		.name = "s1", .id = "abcd", .project_dir = "/home/u/proj", .image = "localhost/img:1",
		.command = cmd, .env = env, .volumes = vols, .network = "none", .workdir = "/proj",
	};
	char **argv;
	char *line;

	minod.state_dir = "/st";
	argv = podman_run_argv(&spec, "/usr/bin/podman", "/run/s1.cid", "/run/s1.pid", 0);
	line = join(argv);
	is_str(line,
	    "/usr/bin/podman run --name=mino-s1 --label=mino.session=s1 --label=mino.id=abcd "
	    "--label=mino.tty=0 --label=mino.project=/home/u/proj --label=mino.state=/st --cap-drop=ALL "
	    "--security-opt=no-new-privileges --pids-limit=4096 --init --pull=never --network=none "
	    "-v /home/u/proj:/proj -w /proj -e A=1 -e SECRET=hunter2 -v /data:/data:ro "
	    "--cidfile=/run/s1.cid --pidfile=/run/s1.pid --sig-proxy=false --detach-keys= -i localhost/img:1 sh -c 'echo hi'",
	    "run argv, non-tty");
	free(line);
	line = podman_argv_loggable(argv);
	ok(strstr(line, "hunter2") == NULL && strstr(line, "SECRET=") != NULL, "env values are not logged");
	free(line);
	podman_argv_free(argv);

	spec.tty = true;
	spec.network = "bridge";
	spec.env = NULL;
	spec.volumes = NULL;
	minod.state_dir = NULL;
	argv = podman_run_argv(&spec, "podman", NULL, NULL, PODMAN_ARGV_NO_PIDS_LIMIT);
	line = join(argv);
	is_str(line,
	    "podman run --name=mino-s1 --label=mino.session=s1 --label=mino.id=abcd --label=mino.tty=1 "
	    "--label=mino.project=/home/u/proj --cap-drop=ALL --security-opt=no-new-privileges --init "
	    "--pull=never -v /home/u/proj:/proj -w /proj --sig-proxy=false --detach-keys= "
	    "-i -t localhost/img:1 sh -c 'echo hi'",
	    "run argv, tty, bridge (podman's default), no pids limit, no cidfile");
	free(line);
	podman_argv_free(argv);
}

static void
test_exec_attach(void)
{
	const char *cmd[] = { "ls", "-la", NULL };
	const char *env[] = { "K=V", NULL };
	char **argv;
	char *line;

	argv = podman_exec_argv("podman", "s1", cmd, env, true);
	line = join(argv);
	is_str(line, "podman exec -i -t --detach-keys= -e K=V mino-s1 ls -la", "exec argv, tty");
	free(line);
	podman_argv_free(argv);
	argv = podman_exec_argv("podman", "s1", cmd, NULL, false);
	line = join(argv);
	is_str(line, "podman exec -i --detach-keys= mino-s1 ls -la", "exec argv");
	free(line);
	podman_argv_free(argv);
	argv = podman_attach_argv("podman", "s1", false);
	line = join(argv);
	is_str(line, "podman attach --no-stdin --sig-proxy=false --detach-keys= mino-s1", "attach argv");
	free(line);
	podman_argv_free(argv);
	argv = podman_attach_argv("podman", "s1", true);
	line = join(argv);
	is_str(line, "podman attach --sig-proxy=false --detach-keys= mino-s1", "attach argv, tty");
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
	test_run();
	test_exec_attach();
	test_error_line();
	return tap_done();
}
