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
	bool no_ctty;              /* tty: not through mino-pty-exec (the child hands the terminal on) */
	int fd3;                   /* > 2: given to the child as its fd 3 (0: none) */
	bool eof_at_exit;          /* pipes: the output ends with the child (what is buffered is read
	                            * then), not when every holder closed it: `podman exec`'s end */
	pty_output_fn on_output;
	pty_done_fn on_done;
	void (*on_input_low)(struct pty_proc *pp); /* optional: queued input fell below LOW */
	void *data;                /* the owner's, returned by pty_proc_data() */
};

/* Input queued to the child and not yet written: past HIGH the sender is
 * paused until the queue drains below LOW (on_input_low); MAX is a hard cap
 * for senders that ignore it. */
#define PTY_INPUT_HIGH (256u * 1024)
#define PTY_INPUT_LOW (64u * 1024)
#define PTY_INPUT_MAX (8u * 1024 * 1024)

struct pty_proc *pty_proc_spawn(const struct pty_spawn_opts *o, struct mino_error **err);
void *pty_proc_data(const struct pty_proc *pp);
int pty_proc_pid(const struct pty_proc *pp);
bool pty_proc_is_tty(const struct pty_proc *pp);

/* Queues input for the child (the master for a tty, stdin otherwise). */
int pty_proc_write(struct pty_proc *pp, const char *data, size_t len, struct mino_error **err);
size_t pty_proc_input_queued(const struct pty_proc *pp);
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

/* Signals every process of ours whose environment holds the exact entry
 * `env_entry` ("KEY=VALUE"): how the processes of a `podman exec` are found
 * (podman does not forward signals to them).  Returns how many. */
unsigned pty_kill_marked(const char *env_entry, int sig);

/* pty_procs not yet freed (shutdown waits for 0). */
unsigned pty_proc_count(void);

/* Low level, exposed for tests: a new PTY pair of the given size, both
 * fds O_CLOEXEC|O_NOCTTY. */
int pty_open(unsigned rows, unsigned cols, int *master, int *slave, struct mino_error **err);

#endif
