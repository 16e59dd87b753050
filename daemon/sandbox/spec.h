/* spec.h: what a sandbox is made of, resolved once.  Owner: sandbox side.
 *
 * session/create's params plus the resolved configuration become one
 * sandbox_spec in one place (sandbox_spec_build), every value checked by
 * the validators of common/names.c that the config key table uses too.
 * The spec stays with the session for its whole life and is persisted in
 * its record (sandbox_spec_to_record), so exec's default shell, the audit
 * switch and a re-adopted session's workdir are the session's own, never
 * re-derived from the global configuration.  Environment values are the
 * one exception: never persisted, never logged (they reach the container
 * through the run directory, rundir.h). */
#ifndef MINOD_SPEC_H
#define MINOD_SPEC_H

#include <stdbool.h>
#include <jansson.h>

#include "cfgkeys.h"
#include "error.h"

struct layer_set;
/* Credentials (issue 8, spec-creds.c): the resolved [credentials.*] keys,
 * session/create's `credentials` switches and the client's allow-listed
 * `credential_env` ("K=V"; never persisted, never logged). */
struct sandbox_creds {
	bool aws, gcp, azure, github, ssh_agent, strict, verbose;
	char *aws_profile, *aws_role_arn, *aws_external_id, *aws_region;
	unsigned aws_duration;
	bool aws_env_vars;   /* credentials.aws.env_vars: the keys in the environment too */
	char *gcp_project, *gcp_service_account;
	char *azure_subscription, *azure_tenant;
	char *github_host;
	char **env;
	json_t *resumed;     /* a re-adopted session's record `credentials` (no secret), else NULL */
};

/* All strings owned; vectors NULL-terminated and owned. */
struct sandbox_spec {
	char *name;
	char *id;
	char *project_dir;
	char *image;
	char **command;
	char **env;        /* KEY=VALUE: never logged, never persisted */
	char **volumes;
	char *network;     /* bridge, host, none or a podman network's name */
	char **network_allow; /* egress allowlist (netrule.h, canonical), NULL: unrestricted */
	char *network_preset; /* the preset it came from, NULL: none */
	char *workdir;
	char *shell;       /* session.shell: exec's default command; NULL: minod's */
	bool no_audit;     /* general.audit_log = false for this session */
	char **warnings;   /* create's result `warnings` (not persisted) */
	char *config_global;   /* the configuration files it was resolved from (NULL: none) */
	char *config_local;
	bool tty;
	bool detach;
	bool unsafe_project_dir;   /* --unsafe-project-dir (project.c) */
	unsigned rows, cols;
	/* Dependency caches (cache.c): cache.enabled, cache.scope = "shared",
	 * --cache-fresh and --no-home (create params cache_fresh, no_home). */
	struct {
		bool enabled, shared, fresh, no_home;
		/* Absolute paths that image layers declare in their `[cache]
		 * paths` (filled by the layers' resolution; NULL: none): each is
		 * a volume of its own at that path.  Owned. */
		char **paths;
	} cache;
	/* Layers (layers.h): NULL for a plain image; then `image` is their base.
	 * Their [cache] paths go to cache.paths.  trust_local: --trust-local (project layers). */
	struct layer_set *layers;
	bool trust_local;
	struct sandbox_creds creds;
};

void sandbox_spec_free(struct sandbox_spec *spec);
/* The session/create params (checked) into `spec` (everything but what
 * comes from the configuration). */
int sandbox_spec_parse(json_t *params, struct sandbox_spec *spec, struct mino_error **err);
/* The rest from the resolved configuration: image, network, shell,
 * container.env and .volumes, the audit switch, workdir, name and id. */
int sandbox_spec_resolve(struct sandbox_spec *spec, const struct cfg *cfg, struct mino_error **err);
/* spec-creds.c: `credential_env` and `credentials` of the params; the
 * [credentials.*] keys of the configuration. */
int sandbox_creds_parse(json_t *params, struct sandbox_creds *c, struct mino_error **err);
int sandbox_creds_resolve(struct sandbox_creds *c, const struct cfg *cfg, struct mino_error **err);
void sandbox_creds_free(struct sandbox_creds *c);
/* rec.credentials_spec (no secret: only the variables that name a path or
 * an identifier) and back; from_record keeps rec.credentials as `resumed`. */
void sandbox_creds_to_record(const struct sandbox_creds *c, json_t *rec);
void sandbox_creds_from_record(const json_t *rec, struct sandbox_creds *c);
/* A re-adopted session with credentials whose refresh can resume. */
bool sandbox_creds_resumable(const struct sandbox_creds *c);
/* Its persisted fields into the record `rec`, and back. */
void sandbox_spec_to_record(const struct sandbox_spec *spec, json_t *rec);
int sandbox_spec_from_record(const json_t *rec, struct sandbox_spec *spec, struct mino_error **err);

#endif
