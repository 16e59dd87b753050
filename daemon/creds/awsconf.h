/* awsconf.h: the AWS shared files (~/.aws/credentials, ~/.aws/config),
 * read with inih, and a profile's source chain.
 *
 * Long values (session tokens run to ~1 KB, past inih's 200-byte line) and
 * `;` inside values never reach inih: a pre-pass keeps each value and
 * hands inih `key=@N` (the idiom of common/toml.c).  Indented lines (the
 * config file's nested sections such as `s3 =`) are ignored.  Values are
 * zeroed when freed. */
#ifndef MINOD_CREDS_AWSCONF_H
#define MINOD_CREDS_AWSCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define AWSCONF_MAX_FILE (1024u * 1024)
#define AWSCONF_MAX_CHAIN 16

struct awsconf;

enum awsconf_kind {
	AWSCONF_STATIC,     /* keys in a profile */
	AWSCONF_PROCESS,    /* credential_process */
	AWSCONF_CLI,        /* nothing minod can read: ask the aws CLI */
};

struct awsconf_hop {        /* one AssumeRole, innermost first */
	const char *profile;
	const char *role_arn;
	const char *external_id;      /* NULL if none */
	const char *session_name;     /* role_session_name, NULL if none */
	unsigned duration_secs;       /* duration_seconds, 0 if none */
};

struct awsconf_chain {
	enum awsconf_kind kind;
	const char *base_profile;     /* the profile the keys / process / CLI come from */
	const char *access_key_id;    /* STATIC (borrowed from the awsconf) */
	const char *secret_access_key;
	const char *session_token;
	const char *process;          /* PROCESS: the command line */
	const char *cli_reason;       /* CLI: why minod could not read it itself */
	struct awsconf_hop *hops;     /* owned array */
	size_t nhops;
	const char *region;           /* the named profile's region, or NULL */
	const char *ca_bundle;        /* the named profile's ca_bundle, or NULL */
};

/* A missing file is an empty one; an unreadable or malformed one is an
 * error naming the file and line. */
int awsconf_load(const char *credentials_path, const char *config_path, struct awsconf **out,
    struct mino_error **err);
void awsconf_free(struct awsconf *conf);

/* The credentials file's [profile] first, then the config file's
 * [profile profile] ([default] for "default"). */
const char *awsconf_get(const struct awsconf *conf, const char *profile, const char *key);
bool awsconf_has_profile(const struct awsconf *conf, const char *profile);

/* Follows role_arn/source_profile from `profile`; a loop is an error that
 * names it ("a -> b -> a"). */
int awsconf_resolve(const struct awsconf *conf, const char *profile, struct awsconf_chain *out,
    struct mino_error **err);
void awsconf_chain_clear(struct awsconf_chain *ch);

#endif
