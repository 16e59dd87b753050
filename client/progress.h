/* progress.h: a long request's progress and its ^C (progress.c). */
#ifndef MINO_PROGRESS_H
#define MINO_PROGRESS_H

#include <stdbool.h>
#include <jansson.h>

struct client;

/* From here to progress_guard_end: progress shown, ^C cancels the request. */
void progress_guard_begin(struct client *c);
/* Restores SIGINT and clears the status line; whether ^C was pressed. */
bool progress_guard_end(struct client *c);
/* One progress notification's params ({line, ...}). */
void progress_show(const json_t *params, void *arg);

#endif
