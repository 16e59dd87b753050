/* config.h: the configuration values the daemon and client use.  This is
 * the one module behind which configuration lives; the full configuration
 * system (issue 3) replaces its internals. */
#ifndef MINO_CONFIG_H
#define MINO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct mino_config {
	bool general_verbose;
	bool general_audit_log;      /* default true */
	char *container_image;       /* default "fedora:43" */
	char *container_network;     /* default "bridge" */
	char *container_workdir;     /* default "/workspace" */
	char *session_shell;         /* default "/bin/bash" */
	long session_auto_cleanup_hours; /* default 720, 0 = disabled */
};

void config_init_defaults(struct mino_config *cfg);
void config_free(struct mino_config *cfg);

/* Loads `path` over the current values.  A missing file is not an error
 * (returns 0).  Unknown keys in the known sections are ignored for now;
 * a bad value is an error naming file:line and key. */
int config_load(struct mino_config *cfg, const char *path, struct mino_error **err);

/* The same, from `len` bytes of `data`; `name` is used in error messages.
 * On error *cfg is left unchanged. */
int config_load_buffer(struct mino_config *cfg, const char *name, const char *data, size_t len,
	struct mino_error **err);

#endif
