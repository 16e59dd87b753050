/* cfgkeys.c: the configuration key table and everything derived from it. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgkeys.h"
#include "error.h"
#include "names.h"
#include "netrule.h"
#include "xalloc.h"

static bool cfgkeys_check_text(const struct toml_value *v, char **why);
static bool cfgkeys_check_abs_path(const struct toml_value *v, char **why);
static bool cfgkeys_check_image(const struct toml_value *v, char **why);
static bool cfgkeys_check_host(const struct toml_value *v, char **why);
static bool cfgkeys_check_network_allow(const struct toml_value *v, char **why);
static bool cfgkeys_check_network(const struct toml_value *v, char **why);
static bool cfgkeys_check_env(const struct toml_value *v, char **why);
static bool cfgkeys_check_volumes(const struct toml_value *v, char **why);
static bool cfgkeys_check_layers(const struct toml_value *v, char **why);
static bool cfgkeys_text_ok(const char *s);
static bool cfgkeys_host_ok(const char *s, size_t len);
static bool cfgkeys_port_ok(const char *s);
static bool cfgkeys_layer_name_ok(const char *s);
static bool cfgkeys_tighten_false(const struct toml_value *v);
static bool cfgkeys_tighten_true(const struct toml_value *v);
static bool cfgkeys_tighten_network(const struct toml_value *v);
static bool cfgkeys_tighten_zero(const struct toml_value *v);
static size_t cfgkeys_distance(const char *a, const char *b);
static bool cfgkeys_text_bool(const char *text, bool *out);
static int cfgkeys_text_list(const char *text, struct toml_value *out);
static int cfgkeys_text_map(const struct cfg_key *k, const char *text, struct toml_value *out,
    struct mino_error **err);
static char *cfgkeys_section_of(const char *name);
static void cfgkeys_markdown_trust(const struct cfg_key *k, struct buf *out);
static void cfgkeys_template_line(const struct cfg_key *k, bool local, struct buf *out);
static void cfg_render_origin(enum cfg_source src, const char *origin, unsigned line,
    struct buf *out);
static const struct cfg_setting *cfg_typed(const struct cfg *c, const char *name,
    enum toml_type type);

static const char *const log_formats[] = { "text", "json", NULL };
static const char *const networks[] = { "bridge", "host", "none", NULL };
static const char *const presets[] = { "dev", "registries", NULL };
static const char *const cache_scopes[] = { "project", "shared", NULL };

/* Why vm.* does nothing here. */
#define CFGKEYS_NO_VM "podman runs natively on Linux; the VM is the macOS port's, not this build's"

#define S CFG_SENSITIVE
#define O CFG_OPTIONAL
#define C CFG_COMMENTED

const struct cfg_key cfgkeys_table[] = {
	{ .name = "general.verbose", .type = CFG_BOOL, .def_bool = false,
	  .help = "Enable verbose output",
	  .consumer = "daemon/core/main.c" },
	{ .name = "general.log_format", .type = CFG_ENUM, .def_str = "text", .choices = log_formats,
	  .help = "Log format: \"text\" or \"json\"",
	  .consumer = "daemon/core/main.c" },
	{ .name = "general.audit_log", .type = CFG_BOOL, .flags = S, .def_bool = true,
	  .tightens = cfgkeys_tighten_true, .help = "Write security events to the state dir's audit.log",
	  .consumer = "daemon/session/audit.c" },
	{ .name = "general.update_check", .type = CFG_BOOL, .flags = S, .def_bool = true,
	  .tightens = cfgkeys_tighten_false, .help = "Check for new versions (once per 24 h)",
	  .no_effect = "mino never asks a server for new versions; it is updated with your "
	    "distribution's packages (mino setup --upgrade)" },

	{ .name = "vm.name", .type = CFG_STRING, .flags = S, .def_str = "mino",
	  .check = cfgkeys_check_text,
	  .help = "VM name (macOS/OrbStack)",
	  .no_effect = CFGKEYS_NO_VM },
	{ .name = "vm.distro", .type = CFG_STRING, .flags = S, .def_str = "fedora",
	  .check = cfgkeys_check_text, .help = "VM distribution (macOS/OrbStack)",
	  .no_effect = CFGKEYS_NO_VM },

	{ .name = "container.image", .type = CFG_STRING, .flags = S, .def_str = "fedora:43",
	  .check = cfgkeys_check_image,
	  .help = "Container image or alias (typescript, rust, python, base)",
	  .consumer = "daemon/sandbox/layers.c" },
	{ .name = "container.workdir", .type = CFG_STRING, .flags = S, .def_str = "/workspace",
	  .check = cfgkeys_check_abs_path, .help = "Where the project is mounted in the container",
	  .consumer = "daemon/sandbox/spec.c" },
	{ .name = "container.network", .type = CFG_STRING, .flags = S, .def_str = "bridge",
	  .choices = networks, .check = cfgkeys_check_network, .tightens = cfgkeys_tighten_network,
	  .help = "Network mode: bridge, host, none or an existing podman network's name",
	  .consumer = "daemon/sandbox/spec.c" },
	{ .name = "container.network_preset", .type = CFG_ENUM, .flags = S | O | C, .def_str = "",
	  .choices = presets, .example = "\"dev\"",
	  .help = "Preset allowlist: dev, registries (conflicts with network_allow)",
	  .consumer = "daemon/sandbox/spec.c" },
	{ .name = "container.network_allow", .type = CFG_LIST, .flags = S | C,
	  .check = cfgkeys_check_network_allow, .example = "[\"github.com:443\"]",
	  .help = "Allowed host:port destinations; implies bridge + iptables egress filtering",
	  .consumer = "daemon/sandbox/spec.c" },
	{ .name = "container.env", .type = CFG_MAP, .flags = S | C, .check = cfgkeys_check_env,
	  .example = "{ \"MY_VAR\" = \"value\" }", .help = "Additional environment variables",
	  .consumer = "daemon/sandbox/spec.c" },
	{ .name = "container.volumes", .type = CFG_LIST, .flags = S | C, .check = cfgkeys_check_volumes,
	  .example = "[\"/host/path:/container/path\"]",
	  .help = "Additional volume mounts HOST:CONTAINER[:OPTIONS]",
	  .consumer = "daemon/sandbox/spec.c" },
	{ .name = "container.layers", .type = CFG_LIST, .flags = S | C, .check = cfgkeys_check_layers,
	  .example = "[\"typescript\", \"rust\"]", .help = "Composable language layers",
	  .consumer = "daemon/sandbox/layers.c" },

	{ .name = "credentials.aws.enabled", .type = CFG_BOOL, .flags = S, .def_bool = false,
	  .tightens = cfgkeys_tighten_false, .help = "Include AWS credentials (like --aws)",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.aws.session_duration_secs", .type = CFG_INT, .flags = S,
	  .def_int = 3600, .min = 3600, .max = 43200,
	  .help = "AWS token lifetime in seconds (1-12 hours)",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.aws.role_arn", .type = CFG_STRING, .flags = S | O | C, .def_str = "",
	  .check = cfgkeys_check_text, .example = "\"arn:aws:iam::123456789012:role/MyRole\"",
	  .help = "Role to assume with STS AssumeRole",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.aws.external_id", .type = CFG_STRING, .flags = S | O | C,
	  .def_str = "", .check = cfgkeys_check_text, .example = "\"my-external-id\"",
	  .help = "External ID for AssumeRole",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.aws.profile", .type = CFG_STRING, .flags = S | O | C, .def_str = "",
	  .check = cfgkeys_check_text, .example = "\"default\"", .help = "AWS profile",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.aws.region", .type = CFG_STRING, .flags = S | O | C, .def_str = "",
	  .check = cfgkeys_check_text, .example = "\"us-east-1\"", .help = "AWS region",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.aws.env_vars", .type = CFG_BOOL, .flags = S | C, .def_bool = false,
	  .tightens = cfgkeys_tighten_false,
	  .help = "Also put AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN in the environment "
	    "(for tools that read only those; running processes then keep the first token)",
	  .consumer = "daemon/sandbox/spec-creds.c" },

	{ .name = "credentials.gcp.enabled", .type = CFG_BOOL, .flags = S, .def_bool = false,
	  .tightens = cfgkeys_tighten_false, .help = "Include GCP credentials (like --gcp)",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.gcp.project", .type = CFG_STRING, .flags = S | O | C, .def_str = "",
	  .check = cfgkeys_check_text, .example = "\"my-project\"", .help = "GCP project",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.gcp.service_account", .type = CFG_STRING, .flags = S | O | C,
	  .def_str = "", .check = cfgkeys_check_text, .example = "\"sa@project.iam.gserviceaccount.com\"",
	  .help = "GCP service account to impersonate",
	  .consumer = "daemon/sandbox/spec-creds.c" },

	{ .name = "credentials.azure.enabled", .type = CFG_BOOL, .flags = S, .def_bool = false,
	  .tightens = cfgkeys_tighten_false, .help = "Include Azure credentials (like --azure)",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.azure.subscription", .type = CFG_STRING, .flags = S | O | C,
	  .def_str = "", .check = cfgkeys_check_text, .example = "\"subscription-id\"",
	  .help = "Azure subscription",
	  .consumer = "daemon/sandbox/spec-creds.c" },
	{ .name = "credentials.azure.tenant", .type = CFG_STRING, .flags = S | O | C, .def_str = "",
	  .check = cfgkeys_check_text, .example = "\"tenant-id\"", .help = "Azure tenant",
	  .consumer = "daemon/sandbox/spec-creds.c" },

	{ .name = "credentials.github.host", .type = CFG_STRING, .flags = S,
	  .def_str = "github.com", .check = cfgkeys_check_host,
	  .help = "GitHub host for the token (GitHub Enterprise)",
	  .consumer = "daemon/sandbox/spec-creds.c" },

	{ .name = "session.shell", .type = CFG_STRING, .flags = S, .def_str = "/bin/bash",
	  .check = cfgkeys_check_abs_path, .help = "Default command of a session",
	  .consumer = "daemon/sandbox/spec.c" },
	{ .name = "session.auto_cleanup_hours", .type = CFG_INT, .flags = S, .def_int = 720,
	  .min = 0, .max = 87600, .tightens = cfgkeys_tighten_zero,
	  .help = "Remove stopped sessions after N hours (0 = never)",
	  .consumer = "daemon/session/session.c" },
	{ .name = "session.default_project_dir", .type = CFG_STRING, .flags = S | O | C,
	  .def_str = "", .check = cfgkeys_check_abs_path, .example = "\"/path/to/default/project\"",
	  .help = "Project directory when -p is not given",
	  .consumer = "common/cfgfile.c" },

	{ .name = "cache.enabled", .type = CFG_BOOL, .flags = S, .def_bool = true,
	  .tightens = cfgkeys_tighten_false, .help = "Enable dependency caching",
	  .consumer = "daemon/sandbox/spec.c" },
	{ .name = "cache.gc_days", .type = CFG_INT, .flags = S, .def_int = 30, .min = 0,
	  .max = 3650, .help = "Auto-remove caches not used for N days (0 = never by age)",
	  .consumer = "daemon/sandbox/cache-gc.c" },
	{ .name = "cache.max_total_gb", .type = CFG_INT, .flags = S, .def_int = 50, .min = 1,
	  .max = 65536, .help = "Max total cache size in GB before GC",
	  .consumer = "daemon/sandbox/cache-gc.c" },
	{ .name = "cache.scope", .type = CFG_ENUM, .flags = S, .def_str = "project",
	  .choices = cache_scopes,
	  .help = "Cache sharing: \"project\" (per project) or \"shared\" (same lockfile, any project)",
	  .consumer = "daemon/sandbox/spec.c" },
};

#undef S
#undef O
#undef C
#undef CFGKEYS_NO_VM

const size_t cfgkeys_count = sizeof cfgkeys_table / sizeof cfgkeys_table[0];

/* Printable, no control characters, and not an option for a command. */
static bool
cfgkeys_text_ok(const char *s)
{
	if (s[0] == '-')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool
cfgkeys_check_text(const struct toml_value *v, char **why)
{
	if (!cfgkeys_text_ok(v->string)) {
		*why = "control characters or a leading `-`";
		return false;
	}
	return true;
}

static bool
cfgkeys_check_abs_path(const struct toml_value *v, char **why)
{
	if (v->string[0] != '/' || !cfgkeys_text_ok(v->string)) {
		*why = "an absolute path";
		return false;
	}
	return true;
}

/* The same rule as session/create's `image` (names.c). */
static bool
cfgkeys_check_image(const struct toml_value *v, char **why)
{
	if (!image_is_valid(v->string)) {
		*why = "an image reference (1-255 bytes, no blanks, no leading `-`)";
		return false;
	}
	return true;
}

static bool
cfgkeys_host_ok(const char *s, size_t len)
{
	if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static bool
cfgkeys_port_ok(const char *s)
{
	char *end;
	long p;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	p = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && p >= 1 && p <= 65535;
}

static bool
cfgkeys_check_host(const struct toml_value *v, char **why)
{
	const char *colon = strchr(v->string, ':');
	size_t len = colon != NULL ? (size_t)(colon - v->string) : strlen(v->string);

	if (!cfgkeys_host_ok(v->string, len) || (colon != NULL && !cfgkeys_port_ok(colon + 1))) {
		*why = "a host name, optionally with :PORT";
		return false;
	}
	return true;
}

static bool
cfgkeys_check_network_allow(const struct toml_value *v, char **why)
{
	for (size_t i = 0; i < v->count; i++) {
		if (!netrule_is_valid(v->items[i])) {
			*why = "host:port, [v6addr]:port or *.domain:port entries (port 1-65535)";
			return false;
		}
	}
	return true;
}

static bool
cfgkeys_check_network(const struct toml_value *v, char **why)
{
	if (!network_is_valid(v->string)) {
		*why = "bridge, host, none or the name of a podman network ([A-Za-z0-9][A-Za-z0-9_.-]*)";
		return false;
	}
	return true;
}

/* Names by the rule of session/create's `env` (names.c); values may hold
 * anything but a newline. */
static bool
cfgkeys_check_env(const struct toml_value *v, char **why)
{
	for (size_t i = 0; i < v->count; i++) {
		if (!env_name_is_valid(v->items[i], strlen(v->items[i]))) {
			*why = "variable names matching [A-Za-z_][A-Za-z0-9_]*";
			return false;
		}
		if (v->values != NULL && v->values[i] != NULL && strchr(v->values[i], '\n') != NULL) {
			*why = "values without a newline";
			return false;
		}
	}
	return true;
}

/* The rule of session/create's `volumes` (names.c), but for the host
 * path's existence, which is checked when a session is created. */
static bool
cfgkeys_check_volumes(const struct toml_value *v, char **why)
{
	for (size_t i = 0; i < v->count; i++)
		if (!volume_syntax_is_valid(v->items[i])) {
			*why = "HOST:CONTAINER[:OPTIONS] entries with absolute paths (OPTIONS: ro, rw, z, Z)";
			return false;
		}
	return true;
}

static bool
cfgkeys_layer_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static bool
cfgkeys_check_layers(const struct toml_value *v, char **why)
{
	for (size_t i = 0; i < v->count; i++) {
		if (!cfgkeys_layer_name_ok(v->items[i])) {
			*why = "layer names matching [a-z0-9][a-z0-9_-]* (at most 64 bytes)";
			return false;
		}
	}
	return true;
}

static bool
cfgkeys_tighten_false(const struct toml_value *v)
{
	return !v->boolean;
}

static bool
cfgkeys_tighten_true(const struct toml_value *v)
{
	return v->boolean;
}

static bool
cfgkeys_tighten_network(const struct toml_value *v)
{
	return strcmp(v->string, "none") == 0;
}

static bool
cfgkeys_tighten_zero(const struct toml_value *v)
{
	return v->integer == 0;
}

const struct cfg_key *
cfgkeys_find(const char *name)
{
	for (size_t i = 0; i < cfgkeys_count; i++)
		if (strcmp(cfgkeys_table[i].name, name) == 0)
			return &cfgkeys_table[i];
	return NULL;
}

size_t
cfgkeys_index(const struct cfg_key *k)
{
	return (size_t)(k - cfgkeys_table);
}

static size_t
cfgkeys_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *row, best;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	row = xcalloc(lb + 1, sizeof *row);
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], v = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

const struct cfg_key *
cfgkeys_nearest(const char *name)
{
	const struct cfg_key *best = NULL;
	size_t best_d = SIZE_MAX, len = strlen(name);

	for (size_t i = 0; i < cfgkeys_count; i++) {
		const char *kn = cfgkeys_table[i].name;
		size_t kl = strlen(kn), d;

		/* "verbose" or "aws.enabled" for "general.verbose", ... */
		if (kl > len && kn[kl - len - 1] == '.' && strcmp(kn + kl - len, name) == 0)
			d = 0;
		else
			d = cfgkeys_distance(name, kn);
		if (d < best_d) {
			best_d = d;
			best = &cfgkeys_table[i];
		}
	}
	if (best_d > 3 && best_d > len / 3)
		return NULL;
	return best;
}

char *
cfgkeys_section(const char *name)
{
	return cfgkeys_section_of(name);
}

static char *
cfgkeys_section_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot == NULL ? xstrdup("") : xstrndup(name, (size_t)(dot - name));
}

bool
cfgkeys_section_known(const char *section)
{
	size_t n = strlen(section);

	if (n == 0)
		return false;
	for (size_t i = 0; i < cfgkeys_count; i++)
		if (strncmp(cfgkeys_table[i].name, section, n) == 0 && cfgkeys_table[i].name[n] == '.')
			return true;
	return false;
}

char *
cfgkeys_expected(const struct cfg_key *k)
{
	struct buf b;

	buf_init(&b);
	switch (k->type) {
	case CFG_BOOL:
		buf_printf(&b, "a boolean (true or false)");
		break;
	case CFG_INT:
		buf_printf(&b, "an integer from %lld to %lld", k->min, k->max);
		break;
	case CFG_STRING:
		buf_printf(&b, "a string");
		break;
	case CFG_ENUM:
		buf_printf(&b, "one of ");
		for (size_t i = 0; k->choices[i] != NULL; i++)
			buf_printf(&b, "%s\"%s\"", i > 0 ? ", " : "", k->choices[i]);
		if (k->flags & CFG_OPTIONAL)
			buf_printf(&b, " or \"\" (unset)");
		break;
	case CFG_LIST:
		buf_printf(&b, "an array of strings ([\"a\", \"b\"], or a,b on the command line)");
		break;
	case CFG_MAP:
		buf_printf(&b, "an inline table of strings ({ \"KEY\" = \"value\" }, or KEY=value,...)");
		break;
	}
	buf_append(&b, "", 1);
	return buf_steal(&b, NULL);
}

const char *
cfgkeys_source_name(enum cfg_source src)
{
	switch (src) {
	case CFG_SRC_DEFAULT: return "default";
	case CFG_SRC_GLOBAL: return "global";
	case CFG_SRC_LOCAL: return "local";
	case CFG_SRC_ENV: return "env";
	case CFG_SRC_FLAG: return "flag";
	}
	return "?";
}

static enum toml_type
cfgkeys_toml_type(enum cfg_type t)
{
	switch (t) {
	case CFG_BOOL: return TOML_BOOLEAN;
	case CFG_INT: return TOML_INTEGER;
	case CFG_STRING:
	case CFG_ENUM: return TOML_STRING;
	case CFG_LIST: return TOML_ARRAY;
	case CFG_MAP: return TOML_TABLE;
	}
	return TOML_NONE;
}

int
cfgkeys_check(const struct cfg_key *k, const struct toml_value *v, struct mino_error **err)
{
	_cleanup_free_ char *exp = cfgkeys_expected(k);
	char *why = NULL;

	if (v->type != cfgkeys_toml_type(k->type))
		return mino_make_error(err, MINO_E_CONFIG, 0, "key `%s`: expected %s, got %s",
		    k->name, exp, toml_type_name(v->type));
	switch (k->type) {
	case CFG_INT:
		if (v->integer < k->min || v->integer > k->max)
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "key `%s`: expected %s, got %lld (out of range)", k->name, exp, v->integer);
		break;
	case CFG_ENUM:
		if ((k->flags & CFG_OPTIONAL) && v->string[0] == '\0')
			return 0;
		for (size_t i = 0; k->choices[i] != NULL; i++)
			if (strcmp(k->choices[i], v->string) == 0)
				return 0;
		{
			struct buf b;
			int r;

			buf_init(&b);
			toml_append_string(&b, v->string);
			buf_append(&b, "", 1);
			r = mino_make_error(err, MINO_E_CONFIG, 0, "key `%s`: expected %s, got %s",
			    k->name, exp, b.data);
			buf_free(&b);
			return r;
		}
	case CFG_STRING:
		if (v->string[0] == '\0') {
			if (k->flags & CFG_OPTIONAL)
				return 0;
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "key `%s`: expected a non-empty string", k->name);
		}
		break;
	default:
		break;
	}
	if (k->check != NULL && !k->check(v, &why))
		return mino_make_error(err, MINO_E_CONFIG, 0, "key `%s`: expected %s", k->name, why);
	return 0;
}

static bool
cfgkeys_text_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };

	for (size_t i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* "a, b,c" -> ["a", "b", "c"]; "" -> []. */
static int
cfgkeys_text_list(const char *text, struct toml_value *out)
{
	const char *p = text;

	toml_value_init_array(out);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		const char *end = strchr(p, ','), *stop;
		_cleanup_free_ char *item = NULL;

		if (end == NULL)
			end = p + strlen(p);
		while (*p == ' ' || *p == '\t')
			p++;
		stop = end;
		while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t'))
			stop--;
		if (stop == p)
			return -1;
		if (out->count >= TOML_MAX_ITEMS)
			return -1;
		item = xstrndup(p, (size_t)(stop - p));
		toml_value_push(out, item);
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

static int
cfgkeys_text_map(const struct cfg_key *k, const char *text, struct toml_value *out,
    struct mino_error **err)
{
	struct toml_value list;

	toml_value_init_table(out);
	if (cfgkeys_text_list(text, &list) < 0) {
		toml_value_free(&list);
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "key `%s`: expected KEY=value[,KEY=value...], got an empty item", k->name);
	}
	for (size_t i = 0; i < list.count; i++) {
		char *eq = strchr(list.items[i], '=');

		if (eq == NULL || eq == list.items[i]) {
			mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			    "key `%s`: expected KEY=value, got `%s`", k->name, list.items[i]);
			toml_value_free(&list);
			return -1;
		}
		*eq = '\0';
		toml_value_table_put(out, list.items[i], eq + 1);
	}
	toml_value_free(&list);
	return 0;
}

int
cfgkeys_parse_text(const struct cfg_key *k, const char *text, struct toml_value *out,
    struct mino_error **err)
{
	_cleanup_free_ char *exp = cfgkeys_expected(k);
	size_t bad;

	memset(out, 0, sizeof *out);
	if (!toml_utf8_valid(text, strlen(text), &bad))
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "key `%s`: the value is not valid UTF-8", k->name);
	switch (k->type) {
	case CFG_BOOL: {
		bool b;

		if (!cfgkeys_text_bool(text, &b))
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			    "key `%s`: expected %s, got `%s`", k->name, exp, text);
		toml_value_set_boolean(out, b);
		break;
	}
	case CFG_INT: {
		char *end;
		long long i;

		errno = 0;
		i = strtoll(text, &end, 10);
		if (errno != 0 || end == text || *end != '\0' || isspace((unsigned char)text[0]))
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			    "key `%s`: expected %s, got `%s`", k->name, exp, text);
		toml_value_set_integer(out, i);
		break;
	}
	case CFG_STRING:
	case CFG_ENUM:
		toml_value_set_string(out, text);
		break;
	case CFG_LIST:
		if (cfgkeys_text_list(text, out) < 0) {
			toml_value_free(out);
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			    "key `%s`: expected %s, got an empty item in `%s`", k->name, exp, text);
		}
		break;
	case CFG_MAP:
		if (cfgkeys_text_map(k, text, out, err) < 0) {
			toml_value_free(out);
			return -1;
		}
		break;
	}
	if (cfgkeys_check(k, out, err) < 0) {
		if (err != NULL && *err != NULL)
			(*err)->code = MINO_E_INVALID_ARGUMENT;
		toml_value_free(out);
		return -1;
	}
	return 0;
}

void
cfgkeys_default(const struct cfg_key *k, struct toml_value *out)
{
	switch (k->type) {
	case CFG_BOOL:
		toml_value_set_boolean(out, k->def_bool);
		break;
	case CFG_INT:
		toml_value_set_integer(out, k->def_int);
		break;
	case CFG_STRING:
	case CFG_ENUM:
		toml_value_set_string(out, k->def_str != NULL ? k->def_str : "");
		break;
	case CFG_LIST:
		toml_value_init_array(out);
		break;
	case CFG_MAP:
		toml_value_init_table(out);
		break;
	}
}

bool
cfgkeys_untrusted_ok(const struct cfg_key *k, const struct toml_value *v)
{
	if (!(k->flags & CFG_SENSITIVE))
		return true;
	return k->tightens != NULL && k->tightens(v);
}

void
cfg_layer_init(struct cfg_layer *l, enum cfg_source source, const char *origin)
{
	memset(l, 0, sizeof *l);
	l->source = source;
	l->origin = origin != NULL ? xstrdup(origin) : NULL;
}

void
cfg_layer_free(struct cfg_layer *l)
{
	for (size_t i = 0; i < l->count; i++)
		toml_value_free(&l->items[i].value);
	free(l->items);
	free(l->origin);
	memset(l, 0, sizeof *l);
}

static void
cfg_layer_put(struct cfg_layer *l, const struct cfg_key *k, const struct toml_value *v,
    unsigned line)
{
	struct cfg_assign *a = NULL;

	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].key == k)
			a = &l->items[i];
	if (a != NULL) {
		toml_value_free(&a->value);
	} else {
		l->items = xreallocarray(l->items, l->count + 1, sizeof *l->items);
		a = &l->items[l->count++];
	}
	a->key = k;
	toml_value_copy(&a->value, v);
	a->line = line;
}

int
cfg_layer_set(struct cfg_layer *l, const char *name, const struct toml_value *v, unsigned line,
    struct mino_error **err)
{
	const struct cfg_key *k = cfgkeys_find(name);

	if (k == NULL)
		return mino_make_error(err, MINO_E_CONFIG, 0, "unknown key `%s`", name);
	if (cfgkeys_check(k, v, err) < 0)
		return -1;
	cfg_layer_put(l, k, v, line);
	return 0;
}

int
cfg_layer_set_text(struct cfg_layer *l, const char *name, const char *text,
    struct mino_error **err)
{
	const struct cfg_key *k = cfgkeys_find(name);
	struct toml_value v;

	if (k == NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "unknown key `%s`", name);
	if (cfgkeys_parse_text(k, text, &v, err) < 0)
		return -1;
	cfg_layer_put(l, k, &v, 0);
	toml_value_free(&v);
	return 0;
}

const struct cfg_assign *
cfg_layer_get(const struct cfg_layer *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i].key->name, name) == 0)
			return &l->items[i];
	return NULL;
}

int
cfg_layer_from_env(struct cfg_layer *l, const char *const *envp, struct mino_error **err)
{
	static const char var[] = "MINO_LAYERS=";

	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], var, sizeof var - 1) != 0 || envp[i][sizeof var - 1] == '\0')
			continue;
		if (cfg_layer_set_text(l, "container.layers", envp[i] + sizeof var - 1, err) < 0)
			return mino_error_wrap(err, "MINO_LAYERS");
	}
	return 0;
}

void
cfg_trust_gate(const struct cfg_layer *local, bool trusted, struct cfg_layer *apply,
    struct cfg_layer *skipped)
{
	cfg_layer_init(apply, local->source, local->origin);
	cfg_layer_init(skipped, local->source, local->origin);
	for (size_t i = 0; i < local->count; i++) {
		const struct cfg_assign *a = &local->items[i];

		if (trusted || cfgkeys_untrusted_ok(a->key, &a->value))
			cfg_layer_put(apply, a->key, &a->value, a->line);
		else
			cfg_layer_put(skipped, a->key, &a->value, a->line);
	}
}

bool
cfg_layer_needs_trust(const struct cfg_layer *local)
{
	for (size_t i = 0; i < local->count; i++)
		if (!cfgkeys_untrusted_ok(local->items[i].key, &local->items[i].value))
			return true;
	return false;
}

void
cfg_init(struct cfg *c)
{
	c->settings = xcalloc(cfgkeys_count, sizeof *c->settings);
	for (size_t i = 0; i < cfgkeys_count; i++) {
		cfgkeys_default(&cfgkeys_table[i], &c->settings[i].value);
		c->settings[i].source = CFG_SRC_DEFAULT;
	}
}

void
cfg_free(struct cfg *c)
{
	if (c->settings == NULL)
		return;
	for (size_t i = 0; i < cfgkeys_count; i++) {
		toml_value_free(&c->settings[i].value);
		free(c->settings[i].origin);
	}
	free(c->settings);
	c->settings = NULL;
}

void
cfg_apply(struct cfg *c, const struct cfg_layer *l)
{
	for (size_t i = 0; i < l->count; i++) {
		const struct cfg_assign *a = &l->items[i];
		struct cfg_setting *s = &c->settings[cfgkeys_index(a->key)];

		if (a->key->type == CFG_MAP) {
			for (size_t j = 0; j < a->value.count; j++)
				toml_value_table_put(&s->value, a->value.items[j], a->value.values[j]);
		} else {
			toml_value_free(&s->value);
			toml_value_copy(&s->value, &a->value);
		}
		s->source = l->source;
		free(s->origin);
		s->origin = l->origin != NULL ? xstrdup(l->origin) : NULL;
		s->line = a->line;
	}
}

const struct cfg_setting *
cfg_setting(const struct cfg *c, const char *name)
{
	const struct cfg_key *k = cfgkeys_find(name);

	return k == NULL ? NULL : &c->settings[cfgkeys_index(k)];
}

static const struct cfg_setting *
cfg_typed(const struct cfg *c, const char *name, enum toml_type type)
{
	const struct cfg_setting *s = cfg_setting(c, name);

	if (s == NULL)
		fatal("cfg: unknown key %s", name);
	if (s->value.type != type)
		fatal("cfg: key %s is not %s", name, toml_type_name(type));
	return s;
}

bool
cfg_bool(const struct cfg *c, const char *name)
{
	return cfg_typed(c, name, TOML_BOOLEAN)->value.boolean;
}

long long
cfg_int(const struct cfg *c, const char *name)
{
	return cfg_typed(c, name, TOML_INTEGER)->value.integer;
}

const char *
cfg_string(const struct cfg *c, const char *name)
{
	return cfg_typed(c, name, TOML_STRING)->value.string;
}

const struct toml_value *
cfg_value(const struct cfg *c, const char *name)
{
	const struct cfg_setting *s = cfg_setting(c, name);

	if (s == NULL)
		fatal("cfg: unknown key %s", name);
	return &s->value;
}

static void
cfg_render_origin(enum cfg_source src, const char *origin, unsigned line, struct buf *out)
{
	buf_printf(out, "%s", cfgkeys_source_name(src));
	if (origin != NULL && line > 0)
		buf_printf(out, " (%s:%u)", origin, line);
	else if (origin != NULL)
		buf_printf(out, " (%s)", origin);
}

void
cfg_render_show(const struct cfg *c, struct buf *out)
{
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfg_setting *s = &c->settings[i];

		buf_printf(out, "%s = ", cfgkeys_table[i].name);
		toml_append_value(out, &s->value);
		buf_printf(out, "  # ");
		cfg_render_origin(s->source, s->origin, s->line, out);
		buf_printf(out, "\n");
	}
}

void
cfg_render_layer(const struct cfg_layer *l, const char *indent, struct buf *out)
{
	for (size_t i = 0; i < l->count; i++) {
		buf_printf(out, "%s%s = ", indent, l->items[i].key->name);
		toml_append_value(out, &l->items[i].value);
		if (l->items[i].line > 0)
			buf_printf(out, "  # line %u", l->items[i].line);
		buf_printf(out, "\n");
	}
}

void
cfg_render_skipped_warning(const struct cfg_layer *skipped, const char *path, struct buf *out)
{
	buf_printf(out, "untrusted %s: skipped ", path);
	for (size_t i = 0; i < skipped->count; i++)
		buf_printf(out, "%s%s", i > 0 ? ", " : "", skipped->items[i].key->name);
	buf_printf(out, " (trust it with --trust-local, MINO_TRUST_LOCAL=1 or `mino config trust %s`)",
	    path);
}

static void
cfgkeys_template_line(const struct cfg_key *k, bool local, struct buf *out)
{
	const char *leaf = strrchr(k->name, '.') + 1;
	bool commented = local || (k->flags & CFG_COMMENTED);
	size_t start = out->len, width;
	struct toml_value v;

	buf_printf(out, "%s%s = ", commented ? "# " : "", leaf);
	if ((k->flags & CFG_COMMENTED) && k->example != NULL) {
		buf_printf(out, "%s", k->example);
	} else {
		cfgkeys_default(k, &v);
		toml_append_value(out, &v);
		toml_value_free(&v);
	}
	width = out->len - start;
	buf_printf(out, "%*s# %s%s\n", width < 36 ? (int)(36 - width) : 1, "",
	    local && (k->flags & CFG_SENSITIVE) ? "(needs trust) " : "", k->help);
}

void
cfgkeys_render_template(bool local, struct buf *out)
{
	_cleanup_free_ char *section = NULL;

	if (local) {
		buf_printf(out,
		    "# .mino.toml: project settings for mino (generated by `mino init`).\n"
		    "# Uncomment what this project needs.  Keys marked (needs trust) are\n"
		    "# security-sensitive: they take effect only once you trust this file\n"
		    "# (`mino config trust`, --trust-local or MINO_TRUST_LOCAL=1), and any\n"
		    "# change to the file asks again.  Values that only tighten the sandbox\n"
		    "# (network = \"none\", enabled = false, audit_log = true) always apply.\n");
	} else {
		buf_printf(out,
		    "# mino configuration (generated by `mino config init`).\n"
		    "# Precedence: defaults < this file < trusted project .mino.toml <\n"
		    "# environment < command-line flags.  Edit with `mino config set KEY VALUE`.\n");
	}
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfg_key *k = &cfgkeys_table[i];
		_cleanup_free_ char *sec = cfgkeys_section_of(k->name);

		if (section == NULL || strcmp(sec, section) != 0) {
			buf_printf(out, "\n[%s]\n", sec);
			free(section);
			section = steal_pointer(&sec);
		}
		cfgkeys_template_line(k, local, out);
	}
}

void
cfgkeys_render_names(struct buf *out)
{
	for (size_t i = 0; i < cfgkeys_count; i++)
		buf_printf(out, "%s\n", cfgkeys_table[i].name);
}

/* "no", "yes" or "yes; `none` always applies": the tightening values are
 * found by asking the key's own predicate. */
static void
cfgkeys_markdown_trust(const struct cfg_key *k, struct buf *out)
{
	struct toml_value v;
	size_t n = 0;

	if (!(k->flags & CFG_SENSITIVE)) {
		buf_printf(out, "no");
		return;
	}
	buf_printf(out, "yes");
	if (k->tightens == NULL)
		return;
	for (int i = 0; i < 2 && k->type == CFG_BOOL; i++) {
		toml_value_set_boolean(&v, i == 1);
		if (k->tightens(&v))
			buf_printf(out, "%s`%s`", n++ == 0 ? "; " : ", ", i == 1 ? "true" : "false");
		toml_value_free(&v);
	}
	for (size_t i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
		toml_value_set_string(&v, k->choices[i]);
		if (k->tightens(&v))
			buf_printf(out, "%s`\"%s\"`", n++ == 0 ? "; " : ", ", k->choices[i]);
		toml_value_free(&v);
	}
	if (k->type == CFG_INT) {
		toml_value_set_integer(&v, 0);
		if (k->tightens(&v))
			buf_printf(out, "%s`0`", n++ == 0 ? "; " : ", ");
	}
	if (n > 0)
		buf_printf(out, " always applies");
}

void
cfgkeys_render_markdown(struct buf *out)
{
	buf_printf(out, "| key | type | default | sensitive | description |\n");
	buf_printf(out, "|---|---|---|---|---|\n");
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfg_key *k = &cfgkeys_table[i];
		_cleanup_free_ char *exp = cfgkeys_expected(k);
		struct toml_value v;
		struct buf def;

		buf_init(&def);
		cfgkeys_default(k, &v);
		toml_append_value(&def, &v);
		toml_value_free(&v);
		buf_append(&def, "", 1);
		buf_printf(out, "| `%s` | %s | `%s` | ", k->name, exp, def.data);
		cfgkeys_markdown_trust(k, out);
		buf_printf(out, " | %s |\n", k->help);
		buf_free(&def);
	}
}
