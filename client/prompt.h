/* prompt.h: the first-run questions of `mino run` (spec: "interactive
 * selection" of layers, the network prompt of the first run).
 *
 * At a terminal, when neither layers nor an image were chosen by a flag,
 * the environment or any config file, mino offers the layers (image/layers)
 * with "Base only"; then, when no network mode, preset or allowlist is set
 * anywhere, it asks for one (bridge, host, allowlist dev, allowlist
 * registries, none).  After each, where to save it: the global config (the
 * default), the project's .mino.toml, or not at all.  Every answer is
 * collected before anything is written; then each file is edited in place
 * (cfgfile_edit: only the key changes) and replaced atomically.  A project
 * file just written is trusted as written (config/trust with its hash),
 * unless it already held keys the person never trusted: then the trust
 * prompt of session/create asks as usual.  The choices also apply to this
 * run as flags.  ^C or end of input at a question: one line, nothing
 * written, a non-zero status. */
#ifndef MINO_PROMPT_H
#define MINO_PROMPT_H

#include <stdbool.h>
#include <jansson.h>

struct client;

#define PROMPT_EXIT_INTERRUPTED 130

/* Whether `mino run` may ask: stdin and stdout are terminals, the session
 * is not detached, and MINO_NO_PROMPT is unset, empty or "0". */
bool prompt_allowed(bool detach);

/* Asks what is not configured for session/create's `params` (updated with
 * the answers: `image`, `network`, `flags`).  Returns 0, or an exit
 * status with the reason printed: PROMPT_EXIT_INTERRUPTED after ^C, 1
 * after end of input or an error. */
int prompt_first_run(struct client *c, json_t *params);

#endif
