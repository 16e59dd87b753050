/* parts-table.c: the parts of every sandbox, one row per capability, in
 * the order their hooks run (parts.h).  A new capability is one file
 * (its `struct part_ops`) and one row here. */
#include <stddef.h>

#include "parts.h"

extern const struct part_ops project_part;    /* project.c: the project directory may be mounted */
extern const struct part_ops image_part;      /* image.c: the image exists locally */
extern const struct part_ops cache_part;      /* cache.c: dependency caches, home volume */
extern const struct part_ops network_part;    /* network.c: egress allowlist, resolver */

const struct part_ops *const parts_table[] = {
	&project_part,
	&image_part,
	&cache_part,
	&network_part,
	NULL,
};
