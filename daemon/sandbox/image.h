/* image.h: the image part (image.c) and the cache of images known to
 * exist locally.  Owner: sandbox side. */
#ifndef MINOD_IMAGE_H
#define MINOD_IMAGE_H

#include <stdbool.h>

bool image_cached(const char *image);
void image_remember(const char *image);
void image_forget(const char *image);   /* podman said "image not known" */
void image_forget_all(void);            /* shutdown */

#endif
