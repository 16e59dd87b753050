/* parts-table.c: the parts of every sandbox, one row per capability, in
 * the order their hooks run (parts.h).  A new capability is one file
 * (its `struct part_ops`) and one row here. */
#include <stddef.h>

#include "parts.h"

extern const struct part_ops image_part;      /* image.c: the image exists locally */
extern const struct part_ops aws_part;        /* part-aws.c: AWS credentials (--aws) */

const struct part_ops *const parts_table[] = {
	&image_part,
	&aws_part,
	NULL,
};
