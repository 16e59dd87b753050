/* strv.h: NULL-terminated vectors of owned strings. */
#ifndef MINO_STRV_H
#define MINO_STRV_H

#include <stddef.h>
#include <jansson.h>

void strv_free(char **v);
size_t strv_len(char *const *v);
void strv_push(char ***v, char *s);          /* appends s (owned), keeps NULL-termination */
char **strv_copy(char *const *v);            /* NULL for NULL */
char **strv_from_json(const json_t *arr);    /* array of strings; NULL if not an array */
json_t *strv_to_json(char *const *v);        /* a new array (empty for NULL) */

#endif
