/* state.h: session records on disk, one JSON file per session at
 * <state_dir>/sessions/<name>.json (dir 0700, files 0600).  Owner: session
 * side. */
#ifndef MINOD_STATE_H
#define MINOD_STATE_H

#include <jansson.h>

#include "error.h"

#define STATE_RECORD_MAX (256u * 1024)

/* Creates <state_dir>, sessions/ and logs/ (0700). */
int state_init(struct mino_error **err);
/* <state_dir>/<sub>/<name><suffix>; caller frees. */
char *state_path(const char *sub, const char *name, const char *suffix);
int state_write_record(const char *name, const json_t *rec, struct mino_error **err);
void state_remove_record(const char *name);
/* Every readable record (bad files are logged and skipped): a new array. */
json_t *state_load_records(void);

#endif
