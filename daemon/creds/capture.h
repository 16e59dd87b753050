/* capture.h: run a helper program (credential_process, a cloud CLI) from
 * the loop and collect its stdout, which may hold secrets.  Owner-agnostic
 * like daemon/pty.c: options, a callback, an opaque pointer.
 *
 * The child gets exactly `env` (never minod's own environment), stdin
 * /dev/null, and is killed (SIGKILL) after timeout_ms.  on_done runs
 * exactly once unless the capture is cancelled; then the capture frees
 * itself.  Stdout is zeroed when freed. */
#ifndef MINOD_CREDS_CAPTURE_H
#define MINOD_CREDS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "error.h"

#define CAPTURE_MAX_STDOUT (64u * 1024)
#define CAPTURE_MAX_STDERR (4u * 1024)

struct capture;

struct capture_result {
	int64_t exit_status;
	int term_signal;
	const char *out;       /* NUL-terminated, borrowed for on_done only */
	size_t out_len;
	const char *errout;    /* first CAPTURE_MAX_STDERR bytes of stderr */
};

/* err != NULL: it could not run to the end (timeout, output too large). */
typedef void (*capture_done_fn)(struct capture *cp, const struct capture_result *res,
    const struct mino_error *err, void *data);

struct capture_opts {
	uv_loop_t *loop;
	const char *const *argv;   /* argv[0] is looked up on env's PATH */
	const char *const *env;    /* "K=V", NULL-terminated */
	const char *what;          /* for messages: "credential_process" */
	unsigned timeout_ms;
	capture_done_fn on_done;
	void *data;
};

/* Fails (synchronously) when the program cannot be started. */
struct capture *capture_start(const struct capture_opts *o, struct mino_error **err);
/* Kills the child; on_done never runs; frees itself after the exit. */
void capture_cancel(struct capture *cp);

/* The value of `name` in a "K=V" array; NULL when absent or empty. */
const char *capture_env_get(const char *const *env, const char *name);
/* `prog` on env's PATH (minod's own PATH when env has none): an absolute
 * path of an executable file, or NULL.  Caller frees. */
char *capture_find_program(const char *const *env, const char *prog);

/* A helper's environment: a copy of `env` (the client's) plus PATH and
 * HOME from minod's own when env has none (neither is a secret).  Free
 * with capture_env_free (zeroes every entry). */
char **capture_env_with_defaults(const char *const *env);
void capture_env_free(char **env);

/* Splits a credential_process line as the AWS CLI does (POSIX shell
 * words: quotes and backslashes, no expansion).  NULL-terminated,
 * caller frees with capture_argv_free. */
char **capture_split_words(const char *line, struct mino_error **err);
void capture_argv_free(char **argv);

#endif
