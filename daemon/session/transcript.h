/* transcript.h: a session's output on disk, <state_dir>/logs/<name>.log
 * (0600), capped at TRANSCRIPT_MAX with one rotation (<name>.log.1).
 * Owner: session side. */
#ifndef MINOD_TRANSCRIPT_H
#define MINOD_TRANSCRIPT_H

#include <stddef.h>

#include "error.h"

#define TRANSCRIPT_MAX (8u * 1024 * 1024)

struct transcript;

struct transcript *transcript_open(const char *name, struct mino_error **err);
/* Appends; IO errors are logged once and the transcript goes quiet. */
void transcript_write(struct transcript *t, const char *data, size_t len);
/* Writes what is batched in memory to the file (before reading it). */
void transcript_flush(struct transcript *t);
void transcript_close(struct transcript *t);
/* minod is stopping: the flush timer goes (transcripts still open are flushed at their close). */
void transcript_stop_timer(void);
void transcript_remove(const char *name);

/* The last `lines` lines (0 = all) of both files, at most `max` bytes (the
 * tail is kept).  *out caller frees. */
int transcript_tail(const char *name, size_t lines, size_t max, char **out, size_t *len,
    struct mino_error **err);

#endif
