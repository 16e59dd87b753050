/* netpresets.h: the `dev` and `registries` egress presets (spec, "Network
 * Isolation", "Presets").  The lists are data, in netpresets.c.  Package
 * registries come from the user's own package-manager configuration first
 * (npm's `registry` in ~/.npmrc or $npm_config_registry, pip's `index-url`
 * in pip.conf or $PIP_INDEX_URL, cargo's `index`/`registry` URLs in
 * ~/.cargo/config.toml), so mirrors work; the spec's public hosts are the
 * rest.  No registry host that a configuration provides is spelled out;
 * npm's built-in default (registry.npmjs.org, the spec's
 * <npm-registry-host>) stands in only when no npm configuration names one. */
#ifndef MINO_NETPRESETS_H
#define MINO_NETPRESETS_H

#include "buf.h"
#include "error.h"

extern const char *const netpresets_names[];   /* "dev", "registries", NULL */

/* The rules of preset `name` (canonical netrule text, NULL-terminated,
 * owned by the caller): the fixed list plus the configured registries. */
int netpresets_expand(const char *name, char ***out, struct mino_error **err);
/* Each preset and its rules, one line each, for `mino config show`. */
void netpresets_render(struct buf *out);

#endif
