/* parts-table.c: the parts of every sandbox, one row per capability, in
 * the order their hooks run (parts.h).  A new capability is one file
 * (its `struct part_ops`) and one row here. */
#include <stddef.h>

#include "parts.h"

extern const struct part_ops project_part;    /* project.c: the project directory may be mounted */
extern const struct part_ops image_part;      /* image.c: the image exists locally */
extern const struct part_ops cache_part;      /* cache.c: dependency caches, home volume */
extern const struct part_ops network_part;    /* network.c: egress allowlist, resolver */
extern const struct part_ops aws_part;        /* part-aws.c: AWS credentials (--aws) */
extern const struct part_ops gcp_part;        /* part-tokens.c: GCP access token (--gcp) */
extern const struct part_ops azure_part;      /* part-tokens.c: Azure access token (--azure) */
extern const struct part_ops github_part;     /* part-tokens.c: GitHub token (default on) */
extern const struct part_ops ssh_part;        /* part-ssh.c: SSH agent relay (default on) */

const struct part_ops *const parts_table[] = {
	&project_part,
	&image_part,
	&cache_part,
	&network_part,
	&aws_part,
	&gcp_part,
	&azure_part,
	&github_part,
	&ssh_part,
	NULL,
};
