/* cfgresolve.h: the configuration of one request (session/create,
 * config/resolve): the sources built from the request's params, resolved
 * with cfgfile_resolve() (PROTOCOL.md, "Configuration resolution").
 * Owner: session side. */
#ifndef MINOD_CFGRESOLVE_H
#define MINOD_CFGRESOLVE_H

#include <stdbool.h>
#include <jansson.h>

#include "cfgfile.h"
#include "cfgkeys.h"
#include "error.h"

/* Resolves the params' configuration: global file (`config`, else the
 * default path), the project's .mino.toml (walking up from `project`,
 * unless `no_local`), the environment layer (`client_env`), and the flags
 * layer (`flags`, `image`, `network`, `env`; `volumes` are added to the
 * configured ones).  `trust_local` or client_env MINO_TRUST_LOCAL=1 trust
 * the project file for this request.  *cfg and *report are always
 * initialised; free them with cfg_free() and cfgfile_report_free().
 * *trust_local (may be NULL) says whether the request trusted the file.
 * Errors: 1015 (a file is invalid), 1003 (a bad param). */
int cfgresolve_params(json_t *params, struct cfg *cfg, struct cfgfile_report *report,
    bool *trust_local, struct mino_error **err);

/* Whether the project file had keys skipped by the trust gate. */
bool cfgresolve_has_skipped(const struct cfgfile_report *report);

/* [{key, value}] of a layer (values as JSON). */
json_t *cfgresolve_layer_json(const struct cfg_layer *l);

/* The request's warnings: the one-line "untrusted keys skipped" text. */
json_t *cfgresolve_warnings(const struct cfgfile_report *report);

/* {path, sha256, keys: [{key, value}]}: error 1017's data. */
json_t *cfgresolve_trust_data(const struct cfgfile_report *report);

/* Audits the trust decision this request made (`config.untrusted_skipped`
 * when keys were skipped, `config.trusted` for --trust-local) when
 * `enabled` (the resolved general.audit_log). */
void cfgresolve_audit(const struct cfgfile_report *report, bool trust_local, bool enabled);

/* The trust store path: <state_dir>/trust.json (caller frees). */
char *cfgresolve_trust_store(void);

#endif
