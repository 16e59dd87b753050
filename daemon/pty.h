/* pty.h: a child process with its stdio on a PTY (tty) or on pipes.
 * Owner: session side.
 *
 * A pty_proc reads the child's output in 64 KiB chunks and hands each one
 * to on_output; on_done runs exactly once, after the child has exited and
 * its output has been drained (see STYLE.md "libuv PTY pitfalls" 4-6).
 * After on_done returns the pty_proc closes its handles and frees itself:
 * the owner must not touch it again.  Before that, every function below
 * may be called. */
#ifndef MINOD_PTY_H
#define MINOD_PTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum pty_stream {
	PTY_STREAM_PTY,
	PTY_STREAM_STDOUT,
	PTY_STREAM_STDERR,
};

struct pty_proc;
typedef void (*pty_output_fn)(struct pty_proc *pp, enum pty_stream st, const char *data, size_t len);
typedef void (*pty_done_fn)(struct pty_proc *pp, int64_t exit_status, int term_signal);

struct pty_spawn_opts {
	const char *const *argv;   /* argv[0] is the program (absolute path) */
	bool tty;                  /* PTY: argv is run through mino-pty-exec */
	bool want_stdin;           /* non-tty: a pipe for stdin, else /dev/null */
	unsigned rows, cols;       /* tty: initial size */
	pty_output_fn on_output;
	pty_done_fn on_done;
	void *data;                /* the owner's, returned by pty_proc_data() */
};

/* Maximum input queued to the child and not yet written. */
#define PTY_INPUT_MAX (1024u * 1024)

struct pty_proc *pty_proc_spawn(const struct pty_spawn_opts *o, struct mino_error **err);
void *pty_proc_data(const struct pty_proc *pp);
int pty_proc_pid(const struct pty_proc *pp);
bool pty_proc_is_tty(const struct pty_proc *pp);

/* Queues input for the child (the master for a tty, stdin otherwise). */
int pty_proc_write(struct pty_proc *pp, const char *data, size_t len, struct mino_error **err);
/* Closes the child's stdin once queued input is written (non-tty). */
int pty_proc_close_stdin(struct pty_proc *pp, struct mino_error **err);
/* TIOCSWINSZ on the master, then SIGWINCH to the child. */
int pty_proc_resize(struct pty_proc *pp, unsigned rows, unsigned cols, struct mino_error **err);
void pty_proc_kill(struct pty_proc *pp, int sig);
/* Flow control: stop / restart reading the child's output. */
void pty_proc_pause(struct pty_proc *pp);
void pty_proc_resume(struct pty_proc *pp);
/* Shutdown: hang the child up (SIGHUP, SIGKILL after `grace_ms`); on_done
 * still runs. */
void pty_proc_hangup(struct pty_proc *pp, unsigned grace_ms);

/* pty_procs not yet freed (shutdown waits for 0). */
unsigned pty_proc_count(void);

/* Low level, exposed for tests: a new PTY pair of the given size, both
 * fds O_CLOEXEC|O_NOCTTY. */
int pty_open(unsigned rows, unsigned cols, int *master, int *slave, struct mino_error **err);

#endif
