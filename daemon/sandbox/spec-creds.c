/* spec-creds.c: what a session's credential parts need, resolved once
 * (spec.h, struct sandbox_creds): the [credentials.*] keys, the
 * `credentials` switches of session/create and the client's allow-listed
 * environment `credential_env`.  Values of that environment are secrets:
 * never in a message, a log line or the record. */
#include <stdlib.h>
#include <string.h>

#include "credenv.h"
#include "jsonrpc.h"
#include "mino-protocol.h"
#include "spec.h"
#include "strv.h"
#include "xalloc.h"

#define CREDS_ENV_MAX 128            /* variables */
#define CREDS_ENV_VALUE_MAX 32768    /* bytes per value */

static int
creds_env_entry(const char *name, const json_t *jv, const char *home, char **out,
    struct mino_error **err)
{
	const char *v = json_string_value(jv);
	size_t len = json_string_length(jv);

	if (!credenv_allowed(name))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0,
		    "`credential_env`: `%.64s` is not a credential variable", name);
	if (v == NULL || memchr(v, '\0', len) != NULL || len > CREDS_ENV_VALUE_MAX)
		return mino_make_error(err, RPC_INVALID_PARAMS, 0,
		    "`credential_env`: `%s` must be a string without NUL, at most %u bytes", name,
		    CREDS_ENV_VALUE_MAX);
	if (credenv_is_path(name) && len > 0) {
		if (strncmp(v, "~/", 2) == 0 && home != NULL) {
			*out = xasprintf("%s=%s/%s", name, home, v + 2);
			return 0;
		}
		if (v[0] != '/')
			return mino_make_error(err, RPC_INVALID_PARAMS, 0,
			    "`credential_env`: `%s` must be an absolute path", name);
	}
	*out = xasprintf("%s=%s", name, v);
	return 0;
}

static int
creds_parse_env(json_t *params, struct sandbox_creds *c, struct mino_error **err)
{
	json_t *env = json_object_get(params, "credential_env"), *jv;
	const char *name, *home;
	size_t i = 0;

	if (env == NULL || json_is_null(env))
		return 0;
	if (!json_is_object(env))
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`credential_env` must be an object");
	if (json_object_size(env) > CREDS_ENV_MAX)
		return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`credential_env` has more than %u variables",
		    CREDS_ENV_MAX);
	home = json_string_value(json_object_get(env, "HOME"));
	if (home == NULL)
		home = getenv("HOME");
	c->env = xcalloc(json_object_size(env) + 1, sizeof *c->env);
	json_object_foreach(env, name, jv) {
		if (creds_env_entry(name, jv, home, &c->env[i], err) < 0)
			return -1;
		i++;
	}
	return 0;
}

int
sandbox_creds_parse(json_t *params, struct sandbox_creds *c, struct mino_error **err)
{
	json_t *sw = json_object_get(params, "credentials");

	c->github = true;
	c->ssh_agent = true;
	if (sw != NULL && !json_is_null(sw)) {
		if (!json_is_object(sw))
			return mino_make_error(err, RPC_INVALID_PARAMS, 0, "`credentials` must be an object");
		if (rpc_param_bool(sw, "github", false, &c->github, err) < 0 ||
		    rpc_param_bool(sw, "ssh_agent", false, &c->ssh_agent, err) < 0 ||
		    rpc_param_bool(sw, "strict", false, &c->strict, err) < 0 ||
	    rpc_param_bool(sw, "verbose", false, &c->verbose, err) < 0)
			return mino_error_wrap(err, "credentials");
	}
	return creds_parse_env(params, c, err);
}

static char *
creds_opt(const struct cfg *cfg, const char *key)
{
	const char *v = cfg_string(cfg, key);

	return v != NULL && v[0] != '\0' ? xstrdup(v) : NULL;
}

int
sandbox_creds_resolve(struct sandbox_creds *c, const struct cfg *cfg, struct mino_error **err)
{
	(void)err;
	c->aws = cfg_bool(cfg, "credentials.aws.enabled");
	c->gcp = cfg_bool(cfg, "credentials.gcp.enabled");
	c->azure = cfg_bool(cfg, "credentials.azure.enabled");
	c->aws_profile = creds_opt(cfg, "credentials.aws.profile");
	c->aws_role_arn = creds_opt(cfg, "credentials.aws.role_arn");
	c->aws_external_id = creds_opt(cfg, "credentials.aws.external_id");
	c->aws_region = creds_opt(cfg, "credentials.aws.region");
	c->aws_duration = (unsigned)cfg_int(cfg, "credentials.aws.session_duration_secs");
	c->aws_env_vars = cfg_bool(cfg, "credentials.aws.env_vars");
	c->gcp_project = creds_opt(cfg, "credentials.gcp.project");
	c->gcp_service_account = creds_opt(cfg, "credentials.gcp.service_account");
	c->azure_subscription = creds_opt(cfg, "credentials.azure.subscription");
	c->azure_tenant = creds_opt(cfg, "credentials.azure.tenant");
	c->github_host = creds_opt(cfg, "credentials.github.host");
	return 0;
}

/* ---------- the record: what a re-adopted session refreshes from ----------
 *
 * `credentials_spec` holds the switches, the [credentials.*] values and
 * only the client's variables that name a place or an identifier (paths,
 * profile, region, endpoints, client and tenant ids).  Keys, secrets and
 * tokens (AWS_ACCESS_KEY_ID with its secret, AWS_SESSION_TOKEN,
 * AZURE_CLIENT_SECRET, GH_TOKEN, ...) are never written: a session whose
 * source was one of them cannot refresh after a restart, and says so. */
static const char *const creds_record_env_names[] = {
	"HOME", "PATH", "XDG_CONFIG_HOME",
	"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_CA_BUNDLE",
	"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG", "CLOUDSDK_CORE_PROJECT",
	"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST", "AZURE_SUBSCRIPTION_ID",
	NULL,
};

static bool
creds_env_recordable(const char *kv)
{
	size_t n = strcspn(kv, "=");

	for (const char *const *p = creds_record_env_names; *p != NULL; p++)
		if (strlen(*p) == n && strncmp(*p, kv, n) == 0)
			return true;
	return false;
}

static void
creds_rec_str(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
}

void
sandbox_creds_to_record(const struct sandbox_creds *c, json_t *rec)
{
	json_t *o, *env;

	if (!c->aws && !c->gcp && !c->azure)
		return;
	o = json_object();
	env = json_array();
	json_object_set_new(o, "aws", json_boolean(c->aws));
	json_object_set_new(o, "gcp", json_boolean(c->gcp));
	json_object_set_new(o, "azure", json_boolean(c->azure));
	creds_rec_str(o, "aws_profile", c->aws_profile);
	creds_rec_str(o, "aws_role_arn", c->aws_role_arn);
	creds_rec_str(o, "aws_external_id", c->aws_external_id);
	creds_rec_str(o, "aws_region", c->aws_region);
	json_object_set_new(o, "aws_duration", json_integer(c->aws_duration));
	creds_rec_str(o, "gcp_project", c->gcp_project);
	creds_rec_str(o, "gcp_service_account", c->gcp_service_account);
	creds_rec_str(o, "azure_subscription", c->azure_subscription);
	creds_rec_str(o, "azure_tenant", c->azure_tenant);
	for (char **e = c->env; e != NULL && *e != NULL; e++)
		if (creds_env_recordable(*e))
			json_array_append_new(env, json_string(*e));
	json_object_set_new(o, "env", env);
	json_object_set_new(rec, "credentials_spec", o);
}

static char *
creds_rec_get(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && v[0] != '\0' ? xstrdup(v) : NULL;
}

void
sandbox_creds_from_record(const json_t *rec, struct sandbox_creds *c)
{
	const json_t *o = json_object_get(rec, "credentials_spec"), *env, *v;
	size_t i, n = 0;

	if (!json_is_object(o))
		return;
	c->aws = json_is_true(json_object_get(o, "aws"));
	c->gcp = json_is_true(json_object_get(o, "gcp"));
	c->azure = json_is_true(json_object_get(o, "azure"));
	c->aws_profile = creds_rec_get(o, "aws_profile");
	c->aws_role_arn = creds_rec_get(o, "aws_role_arn");
	c->aws_external_id = creds_rec_get(o, "aws_external_id");
	c->aws_region = creds_rec_get(o, "aws_region");
	c->aws_duration = (unsigned)json_integer_value(json_object_get(o, "aws_duration"));
	c->gcp_project = creds_rec_get(o, "gcp_project");
	c->gcp_service_account = creds_rec_get(o, "gcp_service_account");
	c->azure_subscription = creds_rec_get(o, "azure_subscription");
	c->azure_tenant = creds_rec_get(o, "azure_tenant");
	env = json_object_get(o, "env");
	c->env = xcalloc(json_array_size(env) + 1, sizeof *c->env);
	json_array_foreach(env, i, v)
		if (json_is_string(v) && creds_env_recordable(json_string_value(v)))
			c->env[n++] = xstrdup(json_string_value(v));
	if (json_is_object(json_object_get(rec, "credentials")))
		c->resumed = json_incref(json_object_get(rec, "credentials"));
}

bool
sandbox_creds_resumable(const struct sandbox_creds *c)
{
	return c->resumed != NULL && (c->aws || c->gcp || c->azure);
}

void
sandbox_creds_free(struct sandbox_creds *c)
{
	json_decref(c->resumed);
	free(c->aws_profile);
	free(c->aws_role_arn);
	free(c->aws_external_id);
	free(c->aws_region);
	free(c->gcp_project);
	free(c->gcp_service_account);
	free(c->azure_subscription);
	free(c->azure_tenant);
	free(c->github_host);
	if (c->env != NULL)
		for (char **e = c->env; *e != NULL; e++)
			explicit_bzero(*e, strlen(*e));
	strv_free(c->env);
	memset(c, 0, sizeof *c);
}
