/* entry.h: mino-entry, the container's entry helper (mino-entry.c).
 *
 * minod starts every container command as
 *   /run/mino-entry --env /run/mino/env -- CMD [ARG...]
 * (or, in a container created ahead for a warm start, with `--cmd
 * /run/mino/cmd` instead of `-- CMD...`: entry-cmd.c)
 * so that environment values never pass through podman's argv or its stored
 * config (issue 7).  The helper is static and self-contained: it runs in any
 * image, with no shell and no libraries.
 *
 * Modules, each with its own prefix:
 *   entry-env.c  the environment: env files loaded over the inherited one
 *   entry-run.c  the command: signals blocked, forked, forwarded to, reaped
 *   entry-spawn.c  --spawner-fd N: the exec spawner in the container (issue 14)
 *   entry-client.c --spawn-client: its host-side client, one per exec
 *   spawn-proto.c  their messages (spawn-proto.h)
 */
#ifndef MINO_ENTRY_H
#define MINO_ENTRY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ENTRY_NAME "mino-entry"
/* Exit statuses of our own failures, as podman and the shell use them. */
#define ENTRY_EXIT_FAILED 125      /* bad usage, env file or --cwd */
#define ENTRY_EXIT_NOEXEC 126      /* command found but not executable */
#define ENTRY_EXIT_NOTFOUND 127    /* command not found */
#define ENTRY_ENV_FILE_MAX (1024u * 1024)

/* One line describing what went wrong; never holds an environment value. */
struct entry_error {
	char msg[512];
};

int entry_error_set(struct entry_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---------- entry-env.c ---------- */

struct entry_env_var {
	const char *str;        /* "KEY=VALUE" (or a bare inherited "KEY") */
	size_t keylen;
	size_t order;           /* position in load order */
};

struct entry_env {
	struct entry_env_var *vars;   /* inherited first, then each file's records */
	size_t nvars, capvars;
	char **bufs;                  /* the loaded files; vars point into them */
	size_t nbufs;
	char **envp;                  /* entry_env_merged()'s result */
};

void entry_env_init(struct entry_env *env, char *const *inherited);
/* Loads one file of KEY=VALUE\0 records over what is loaded so far. */
int entry_env_load(struct entry_env *env, const char *path, struct entry_error *err);
/* The merged environment, later definitions winning; owned by env. */
char **entry_env_merged(struct entry_env *env);
void entry_env_free(struct entry_env *env);

/* ---------- mino-entry.c ---------- */

struct entry_opts {
	const char **env_files;   /* pointers into argv */
	size_t nenv_files;
	const char *cwd;
	const char *cmd_file;     /* --cmd */
	char **cmd;               /* argv after "--" */
};

/* argv[0] is the program; free o->env_files. */
int entry_parse_args(int argc, char **argv, struct entry_opts *o, struct entry_error *err);
/* The inherited environment with each --env file loaded over it. */
int entry_prepare_env(const struct entry_opts *o, struct entry_env *env, struct entry_error *err);

/* ---------- entry-run.c ---------- */

struct entry_signals {
	sigset_t all;           /* what we block and wait for */
	sigset_t saved_mask;    /* what we were given, restored in children */
	struct sigaction saved_chld;
};

/* Blocks every signal so that none is lost before the command exists. */
int entry_signals_block(struct entry_signals *sigs, struct entry_error *err);
/* Forks argv[0] (execvp, with `envp` as its environment); returns its pid. */
pid_t entry_spawn(const struct entry_signals *sigs, char *const argv[], char **envp,
	struct entry_error *err);
/* Forwards signals to `child` until it ends; returns its exit status, or
 * 128+N when it was killed by signal N. */
int entry_supervise(const struct entry_signals *sigs, pid_t child);
/* execvp(argv[0]) with envp; on failure one line on stderr and _exit 126
 * or 127, as the command's own status would be. */
void entry_exec(char *const argv[], char **envp) __attribute__((noreturn));
/* The status mino-entry exits with for a waitpid() status. */
int entry_exit_status(int wstatus);

/* ---------- entry-spawn.c, entry-client.c ---------- */

/* --spawner-fd N: serves exec requests on the control channel N until
 * minod closes it; returns the exit status. */
int entry_spawner_main(int fd);
/* --spawn-client [--tty] --entry-at K -- PODMAN-ARGV...: on the host, one
 * exec through the spawner (its channel is fd 3), or PODMAN-ARGV if the
 * spawner is gone before the command started; returns the exit status. */
int entry_client_main(int argc, char **argv);

/* ---------- entry-cmd.c ---------- */

/* The command of `--cmd FILE` (ARG\0 records). */
struct entry_cmd {
	char *buf;              /* the file */
	char **argv;            /* pointers into buf, NULL-terminated */
};

int entry_cmd_load(const char *path, struct entry_cmd *cmd, struct entry_error *err);
void entry_cmd_free(struct entry_cmd *cmd);

#endif
