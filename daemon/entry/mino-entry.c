/* mino-entry.c: the container's entry helper (entry.h).
 *
 *   mino-entry [--env FILE]... [--cwd DIR] -- CMD [ARG...]
 *   mino-entry [--env FILE]... [--cwd DIR] --cmd CMDFILE
 *   mino-entry --cat FILE
 *
 * Loads each FILE (KEY=VALUE\0 records) over the environment podman gave,
 * changes to DIR, then runs CMD as its child for the container's whole life,
 * forwarding signals, and exits with CMD's exit status (128+N if a signal N
 * killed it).  Its own failures: 125 (usage, FILE, DIR), 126 (CMD not
 * executable), 127 (CMD not found), each with one line on stderr that never
 * holds a value from a FILE.
 *
 *   mino-entry --spawner-fd N
 *   mino-entry --spawn-client [--tty] --entry-at K -- PODMAN-ARGV...
 *
 * --spawner-fd and --spawn-client: the exec spawner and its client
 * (entry-spawn.c, entry-client.c, spawn-proto.h).
 *
 * --cmd CMDFILE reads the command from CMDFILE (ARG\0 records) instead of
 * after `--`: a container created before its command was known (a warm
 * start).
 *
 * --cat FILE copies FILE to stdout (exit 0, else 1 with one line): the
 * `credential_process` of a delivered AWS config, so reading refreshed
 * credentials needs nothing from the image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entry.h"

#define ENTRY_USAGE "usage: " ENTRY_NAME " [--env FILE]... [--cwd DIR] -- CMD [ARG...]"

extern char **environ;

static int entry_opt_value(char **argv, int argc, int *i, const char *name, const char **value,
	struct entry_error *err);
static pid_t entry_start(int argc, char **argv, const struct entry_signals *sigs,
	struct entry_error *err);

int
entry_error_set(struct entry_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]; 1 if it matched. */
static int
entry_opt_value(char **argv, int argc, int *i, const char *name, const char **value,
	struct entry_error *err)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return entry_error_set(err, "%s needs a value; " ENTRY_USAGE, name);
	*value = argv[++*i];
	return 1;
}

int
entry_parse_args(int argc, char **argv, struct entry_opts *o, struct entry_error *err)
{
	const char *v = NULL;
	int i, r;

	memset(o, 0, sizeof *o);
	/* At most argc files; the array points into argv. */
	o->env_files = calloc((size_t)argc, sizeof *o->env_files);
	if (o->env_files == NULL)
		return entry_error_set(err, "out of memory");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			if (i + 1 >= argc)
				return entry_error_set(err, "no command; " ENTRY_USAGE);
			o->cmd = argv + i + 1;
			return 0;
		}
		if ((r = entry_opt_value(argv, argc, &i, "--env", &v, err)) != 0) {
			if (r < 0)
				return -1;
			o->env_files[o->nenv_files++] = v;
			continue;
		}
		if ((r = entry_opt_value(argv, argc, &i, "--cwd", &v, err)) != 0) {
			if (r < 0)
				return -1;
			o->cwd = v;
			continue;
		}
		if ((r = entry_opt_value(argv, argc, &i, "--cmd", &v, err)) != 0) {
			if (r < 0)
				return -1;
			o->cmd_file = v;
			continue;
		}
		return entry_error_set(err, "unknown argument `%s`; " ENTRY_USAGE, argv[i]);
	}
	if (o->cmd_file != NULL)
		return 0;
	return entry_error_set(err, "no `--` before the command; " ENTRY_USAGE);
}

int
entry_prepare_env(const struct entry_opts *o, struct entry_env *env, struct entry_error *err)
{
	size_t i;

	entry_env_init(env, environ);
	for (i = 0; i < o->nenv_files; i++)
		if (entry_env_load(env, o->env_files[i], err) < 0)
			return -1;
	return 0;
}

/* Everything before the command runs; returns its pid. */
static pid_t
entry_start(int argc, char **argv, const struct entry_signals *sigs, struct entry_error *err)
{
	struct entry_opts o;
	struct entry_env env;
	struct entry_cmd cmd = { 0 };
	pid_t child = -1;

	memset(&env, 0, sizeof env);
	if (entry_parse_args(argc, argv, &o, err) < 0 || entry_prepare_env(&o, &env, err) < 0)
		goto out;
	if (o.cmd == NULL) {
		if (entry_cmd_load(o.cmd_file, &cmd, err) < 0)
			goto out;
		o.cmd = cmd.argv;
	}
	if (o.cwd != NULL && chdir(o.cwd) < 0) {
		entry_error_set(err, "%s: cannot change directory: %s", o.cwd, strerror(errno));
		goto out;
	}
	child = entry_spawn(sigs, o.cmd, entry_env_merged(&env), err);
out:
	entry_cmd_free(&cmd);
	entry_env_free(&env);   /* the child has its copy */
	free(o.env_files);
	return child;
}

/* --cat FILE: FILE to stdout. */
static int
entry_cat(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, ENTRY_NAME ": %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			fprintf(stderr, ENTRY_NAME ": %s: %s\n", path, strerror(errno));
			close(fd);
			return 1;
		}
	}
	close(fd);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct entry_error err = { { 0 } };
	struct entry_signals sigs;
	pid_t child;

	if (argc == 3 && strcmp(argv[1], "--cat") == 0)
		return entry_cat(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--spawner-fd") == 0)
		return entry_spawner_main(atoi(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "--spawn-client") == 0)
		return entry_client_main(argc, argv);
	if (entry_signals_block(&sigs, &err) < 0 ||
	    (child = entry_start(argc, argv, &sigs, &err)) < 0) {
		fprintf(stderr, ENTRY_NAME ": %s\n", err.msg);
		return ENTRY_EXIT_FAILED;
	}
	return entry_supervise(&sigs, child);
}
