/* image.h: the image part (image.c) and the cache of images known to
 * exist locally.  Owner: sandbox side. */
#ifndef MINOD_IMAGE_H
#define MINOD_IMAGE_H

#include <stdbool.h>
#include <jansson.h>

bool image_cached(const char *image);
void image_remember(const char *image);
void image_forget(const char *image);   /* podman said "image not known" */
void image_forget_all(void);            /* shutdown */
/* `podman image inspect` output: [0].Id, .Config.User, labels mino.home and
 * mino.uid (NULL if absent), all borrowed from *root (caller decrefs).
 * -1 without an id. */
int image_inspect_parse(const char *out, const char **id, const char **user, const char **home,
    const char **uid, json_t **root);

#endif
