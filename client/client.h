/* client.h: the connection to minod, the streaming loop and the terminal. */
#ifndef MINO_CLIENT_H
#define MINO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "error.h"
#include "frame.h"

/* ---------- client.c: connect, auto-start, hello, blocking requests ---------- */
struct client {
	int fd;                     /* blocking socket; -1 once stream.c owns it */
	char *socket_path;          /* owned */
	struct frame_reader reader; /* bytes read past the last reply stay here */
	long long next_id;
	long long hello_id;         /* mino/hello sent, its reply not read yet (0: none) */
	json_t *backlog;            /* notifications that arrived while waiting */
	/* Optional, for a request in flight: session/progress notifications
	 * go to on_progress instead of the backlog; when *interrupted becomes
	 * non-zero (a SIGINT handler without SA_RESTART), the request is
	 * cancelled once ($/cancelRequest) and its -32800 reply awaited.
	 * on_progress(NULL) says the reply has come. */
	void (*on_progress)(const json_t *params, void *arg);
	void *progress_arg;
	volatile int *interrupted;
};

/* Connects to the socket, starting minod first if `start` and nothing
 * listens.  Then says mino/hello, without waiting: its reply is read
 * before the first request's (one round trip less for a short command), so
 * a hello that fails is reported by that request.  Errors read "cannot
 * reach minod at PATH: why" or carry the daemon's message. */
int client_open(bool start, bool verbose, struct client **out, struct mino_error **err);
void client_free(struct client *c);

/* Only connects (no start, no hello).  Returns the fd, or -errno. */
int client_connect_socket(const char *path);

int client_hello(struct client *c, struct mino_error **err);
/* Reads the pipelined hello's reply now (if not read yet): for a command
 * that reports the connection itself (status). */
int client_hello_wait(struct client *c, struct mino_error **err);

/* Sends a request (params stolen, NULL = {}) and waits for its reply.
 * *reply is the whole response message (new reference). */
int client_request(struct client *c, const char *method, json_t *params, json_t **reply,
	struct mino_error **err);
/* Same, but a JSON-RPC error becomes *err (code and message from the
 * daemon) and *result is the result (new reference). */
int client_call(struct client *c, const char *method, json_t *params, json_t **result,
	struct mino_error **err);
/* Same; on a JSON-RPC error *data (if non-NULL) gets the error's `data`
 * object (new reference), if any. */
int client_call_data(struct client *c, const char *method, json_t *params, json_t **result,
	json_t **data, struct mino_error **err);
/* Sends a notification (params stolen). */
int client_notify(struct client *c, const char *method, json_t *params, struct mino_error **err);

/* ---------- stream.c: the libuv loop for run/exec/attach/logs -f ---------- */
struct stream_opts {
	const char *session;  /* borrowed */
	long long exec;       /* exec id, or -1 for the session itself */
	bool interactive;     /* raw terminal, resize, pty output */
	bool detach_keys;     /* ctrl-p ctrl-q detaches */
	bool forward_stdin;
	bool send_eof;        /* stdin EOF becomes session/input {eof:true} */
	bool resize_now;      /* send our size right away (attach) */
	bool exit_zero;       /* logs -f: exit 0 at session/exit */
};

/* Streams until the session (or exec) ends, the user detaches, a signal or
 * an error.  Takes over c->fd.  Returns the process exit status. */
int stream_run(struct client *c, const struct stream_opts *o);

/* Writes all of data to fd (blocking; waits on EAGAIN).  Returns 0, or
 * -errno (EPIPE when the reader went away). */
int stream_write_all(int fd, const char *data, size_t len);

/* ---------- term.c: terminal state ---------- */
/* Saves fd flags and registers the restore with atexit. */
void term_init(void);
bool term_is_interactive(void);
/* The loop is about to use stdio fds: restore their flags at exit. */
void term_fds_in_use_by_loop(void);
/* Puts stdin's terminal into raw mode (saved first). */
int term_raw(struct mino_error **err);
/* Restores termios and fd flags; idempotent and async-signal-safe. */
void term_restore(void);
/* The terminal size of stdin/stdout; 24x80 if unknown. */
void term_size(int *rows, int *cols);
/* Whether to colour what goes to `fd`: a terminal, TERM is not "dumb" and
 * NO_COLOR is unset or empty (no-color.org). */
bool term_colour(int fd);
/* -q: no chatter (progress lines); errors, warnings and results stay. */
void term_set_quiet(bool quiet);
bool term_quiet(void);

#endif
