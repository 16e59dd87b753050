/* parts.h: the parts of a sandbox, one file and one row each.
 * Owner: sandbox side; knows nothing of sessions.
 *
 * A capability (the image check; later cloud credentials, egress rules,
 * dependency caches, image layers) is a `struct part_ops` in its own file
 * and one row of parts_table (parts.c).  For each sandbox a `struct parts`
 * holds one context per row and runs the hooks in table order:
 *
 *   prepare       asynchronous, before the container is created (image
 *                 check, credential minting, a cache volume): calls
 *                 part_prepared(ctx, NULL or err) exactly once, may report
 *                 progress (part_progress) and is cancellable (cancel);
 *   undo          a prepared part whose sandbox will not run (a later part
 *                 failed, or the create was cancelled): remove what it
 *                 made, except shared things (an image, a cache volume);
 *   contribute    create options (part_opts: mounts, tmpfs, labels,
 *                 environment variable names and values, dns, network, userns);
 *   before_start  given the created container (pid, network namespace)
 *                 and the run directory: network rules, files to read;
 *   ended         the container ended (finalize a cache, drop a timer);
 *   record        what it adds to the session record and `mino list -f json`;
 *   resume        re-adopted after a minod restart: what keeps running (a timer);
 *   call          an RPC reaching the part of a live sandbox (parts_call).
 * Every hook is optional.  A part that fails stops everything with one
 * error; the parts already prepared are undone, in reverse order. */
#ifndef MINOD_PARTS_H
#define MINOD_PARTS_H

#include <stdbool.h>
#include <jansson.h>

#include "container.h"
#include "error.h"
#include "spec.h"

struct part_ctx;
struct parts;

/* Create options a part adds (all owned by the parts set). */
struct part_opts {
	char **args;      /* extra `podman create` options, e.g. "--tmpfs=/x", "--label=k=v", "--dns=IP" */
	char **env;       /* KEY=VALUE for the env file (never on a command line) */
	char *image;      /* the image to run instead of the spec's (a composed one), or NULL */
	char **files;     /* NAME, CONTENT pairs: files of the run directory (0644, written
	                   * atomically before the container is created; zeroed when freed) */
};

struct part_ops {
	const char *name;
	int (*prepare)(struct part_ctx *ctx, struct mino_error **err); /* -1: failed at once */
	void (*cancel)(struct part_ctx *ctx);    /* a prepare in flight: stop, then part_prepared */
	void (*undo)(struct part_ctx *ctx);
	int (*contribute)(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err);
	int (*before_start)(struct part_ctx *ctx, const struct container_info *info, const char *rundir,
	    struct mino_error **err);
	/* Whether before_start has work for this sandbox (NULL: it has), so a
	 * sandbox that needs none is not initialized first. */
	bool (*wants_container)(struct part_ctx *ctx);
	void (*ended)(struct part_ctx *ctx);
	void (*record)(struct part_ctx *ctx, json_t *rec);
	int (*call)(struct part_ctx *ctx, const char *what, json_t *params, json_t **result,
	    struct mino_error **err);
	/* A sandbox re-adopted after a minod restart (nothing prepared or
	 * contributed): resume what runs along (a refresh timer) from the
	 * spec loaded from the record.  Only parts with it end and record. */
	void (*resume)(struct part_ctx *ctx);
	void (*free)(struct part_ctx *ctx);      /* its state */
};

/* The table: NULL-terminated, in the order hooks run. */
extern const struct part_ops *const parts_table[];

/* Per part, per sandbox. */
struct part_ctx {
	const struct part_ops *ops;
	struct parts *set;
	const struct sandbox_spec *spec; /* borrowed from the owner, lives as long */
	void *state;                     /* the part's own */
	enum { PART_IDLE, PART_PREPARING, PART_PREPARED, PART_FAILED, PART_UNDONE } st;
};

struct parts_callbacks {
	/* All prepared (err NULL), or one failed / the set was cancelled
	 * (err set; every prepared part is already undone). */
	void (*on_prepared)(struct parts *p, const struct mino_error *err, void *owner);
	void (*on_progress)(struct parts *p, const char *part, const char *message, void *owner);
	/* A part goes on without something (e.g. a credential that failed):
	 * one line for create's `warnings`. */
	void (*on_warning)(struct parts *p, const char *part, const char *message, void *owner);
	/* What a part records changed while the sandbox runs (a refresh): save the record. */
	void (*on_changed)(struct parts *p, void *owner);
};

struct parts *parts_new(const struct part_ops *const *table, const struct sandbox_spec *spec,
    const struct parts_callbacks *cb, void *owner);
void parts_free(struct parts *p);
/* Prepares every part in order; on_prepared follows (perhaps before this
 * returns).  -1 if already prepared or preparing. */
int parts_prepare(struct parts *p, struct mino_error **err);
bool parts_preparing(const struct parts *p);
/* Stops a prepare in flight (on_prepared with an error follows) or undoes
 * a prepared set that will not run. */
void parts_cancel(struct parts *p);
void parts_undo(struct parts *p);
int parts_contribute(struct parts *p, struct part_opts *o, struct mino_error **err);
/* Whether a part has before_start (then the container is initialized
 * first: `podman init` gives its pid and network namespace). */
bool parts_want_container(const struct parts *p);
int parts_before_start(struct parts *p, const struct container_info *info, const char *rundir,
    struct mino_error **err);
/* The command's end, for the parts' `ended` (before parts_ended):
 * ok = it exited 0 by itself (not stopped, killed or lost). */
void parts_set_exit(struct parts *p, bool ok);
void parts_ended(struct parts *p);
/* A re-adopted sandbox: each part's `resume` (parts.h part_ops). */
void parts_resume(struct parts *p);
void parts_record(struct parts *p, json_t *rec);
int parts_call(struct parts *p, const char *part, const char *what, json_t *params, json_t **result,
    struct mino_error **err);
void part_opts_free(struct part_opts *o);

/* For a part: its prepare has finished (err NULL: it succeeded; borrowed). */
void part_prepared(struct part_ctx *ctx, const struct mino_error *err);
void part_progress(struct part_ctx *ctx, const char *message);
/* For `ended`: whether the sandbox's command exited 0 (parts_set_exit). */
bool part_exited_ok(const struct part_ctx *ctx);
void part_warn(struct part_ctx *ctx, const char *message);
/* What `record` gives changed (cb.on_changed). */
void part_changed(struct part_ctx *ctx);
/* Appends NAME and CONTENT (copied) to o->files. */
void part_opts_add_file(struct part_opts *o, const char *name, const char *content);

#endif
