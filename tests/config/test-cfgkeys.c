/* test-cfgkeys.c: the key table, defaults, bounds, text values, layers,
 * precedence, merge, the trust gate and rendering.
 * `config-keys --markdown` prints the key table for docs/CONFIG.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfile.h"
#include "cfgkeys.h"
#include "fsutil.h"
#include "error.h"
#include "tap.h"
#include "xalloc.h"

/* The spec's example config.toml, verbatim (mino-1.6.0 README). */
static const char spec_example[] =
	"[general]\n"
	"verbose = false\n"
	"log_format = \"text\"    # \"text\" or \"json\"\n"
	"audit_log = true       # Security events written to state dir\n"
	"update_check = true    # Check for new versions (once/24h)\n"
	"\n"
	"[vm]\n"
	"name = \"mino\"\n"
	"distro = \"fedora\"\n"
	"\n"
	"[container]\n"
	"image = \"fedora:43\"\n"
	"workdir = \"/workspace\"\n"
	"network = \"bridge\"\n"
	"# network_preset = \"dev\"              # Preset allowlist: dev, registries\n"
	"# network_allow = [\"github.com:443\"]  # Implies bridge + iptables egress filtering\n"
	"# env = { \"MY_VAR\" = \"value\" }       # Additional env vars\n"
	"# volumes = [\"/host/path:/container/path\"]\n"
	"# layers = [\"typescript\", \"rust\"]     # Composable language layers\n"
	"\n"
	"[credentials.aws]\n"
	"enabled = false                      # Enable via config (equivalent to --aws)\n"
	"session_duration_secs = 3600         # Token lifetime (1-12 hours)\n"
	"# role_arn = \"arn:aws:iam::123456789012:role/MyRole\"\n"
	"# external_id = \"my-external-id\"\n"
	"# profile = \"default\"\n"
	"# region = \"us-east-1\"\n"
	"\n"
	"[credentials.gcp]\n"
	"enabled = false                      # Enable via config (equivalent to --gcp)\n"
	"# project = \"my-project\"\n"
	"# service_account = \"sa@project.iam.gserviceaccount.com\"\n"
	"\n"
	"[credentials.azure]\n"
	"enabled = false                      # Enable via config (equivalent to --azure)\n"
	"# subscription = \"subscription-id\"\n"
	"# tenant = \"tenant-id\"\n"
	"\n"
	"[credentials.github]\n"
	"host = \"github.com\"    # For GitHub Enterprise\n"
	"\n"
	"[session]\n"
	"shell = \"/bin/bash\"\n"
	"auto_cleanup_hours = 720             # Auto-cleanup stopped sessions (0 = disabled)\n"
	"# default_project_dir = \"/path/to/default/project\"\n"
	"\n"
	"[cache]\n"
	"enabled = true           # Enable dependency caching\n"
	"gc_days = 30             # Auto-remove caches older than N days\n"
	"max_total_gb = 50        # Max total cache size before GC\n";

/* Every key of the spec (example, commented-out lines and key list) with
 * its default as TOML. */
static const struct {
	const char *name;
	const char *def;
	bool sensitive;
} spec_keys[] = {
	{ "general.verbose", "false", false },
	{ "general.log_format", "\"text\"", false },
	{ "general.audit_log", "true", true },
	{ "general.update_check", "true", true },
	{ "vm.name", "\"mino\"", true },
	{ "vm.distro", "\"fedora\"", true },
	{ "container.image", "\"fedora:43\"", true },
	{ "container.workdir", "\"/workspace\"", true },
	{ "container.network", "\"bridge\"", true },
	{ "container.network_preset", "\"\"", true },
	{ "container.network_allow", "[]", true },
	{ "container.env", "{}", true },
	{ "container.volumes", "[]", true },
	{ "container.layers", "[]", true },
	{ "credentials.aws.enabled", "false", true },
	{ "credentials.aws.session_duration_secs", "3600", true },
	{ "credentials.aws.role_arn", "\"\"", true },
	{ "credentials.aws.external_id", "\"\"", true },
	{ "credentials.aws.profile", "\"\"", true },
	{ "credentials.aws.region", "\"\"", true },
	{ "credentials.aws.env_vars", "false", true },
	{ "credentials.gcp.enabled", "false", true },
	{ "credentials.gcp.project", "\"\"", true },
	{ "credentials.gcp.service_account", "\"\"", true },
	{ "credentials.azure.enabled", "false", true },
	{ "credentials.azure.subscription", "\"\"", true },
	{ "credentials.azure.tenant", "\"\"", true },
	{ "credentials.github.host", "\"github.com\"", true },
	{ "session.shell", "\"/bin/bash\"", true },
	{ "session.auto_cleanup_hours", "720", true },
	{ "session.default_project_dir", "\"\"", true },
	{ "cache.enabled", "true", true },
	{ "cache.gc_days", "30", true },
	{ "cache.max_total_gb", "50", true },
	{ "cache.scope", "\"project\"", true },
};

static char *render(const struct toml_value *v);
static char *text_error(const char *key, const char *text);
static void test_table(void);
static void test_spec_example(void);
static void test_bounds(void);
static void test_text(void);
static void test_nearest(void);
static void test_precedence(void);
static void test_merge(void);
static void test_gate(void);
static void test_render(void);
static void test_docs(void);

static char *
render(const struct toml_value *v)
{
	struct buf b;

	buf_init(&b);
	toml_append_value(&b, v);
	buf_append(&b, "", 1);
	return buf_steal(&b, NULL);
}

/* NULL if `text` is accepted for `key`, else the message. */
static char *
text_error(const char *key, const char *text)
{
	struct mino_error *err = NULL;
	struct toml_value v;
	char *msg;

	if (cfgkeys_parse_text(cfgkeys_find(key), text, &v, &err) == 0) {
		toml_value_free(&v);
		return NULL;
	}
	msg = xstrdup(err->msg);
	mino_error_release(&err);
	return msg;
}

static void
test_table(void)
{
	size_t n = sizeof spec_keys / sizeof spec_keys[0];

	ok(cfgkeys_count == n, "the table has the spec's %zu keys (has %zu)", n, cfgkeys_count);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_key *k = cfgkeys_find(spec_keys[i].name);
		struct toml_value v;
		char *s;

		ok(k != NULL, "%s is in the table", spec_keys[i].name);
		if (k == NULL)
			continue;
		cfgkeys_default(k, &v);
		s = render(&v);
		ok(strcmp(s, spec_keys[i].def) == 0, "%s defaults to %s (got %s)", k->name,
		    spec_keys[i].def, s);
		ok(cfgkeys_check(k, &v, NULL) == 0, "%s: its default passes its own checks", k->name);
		ok(!!(k->flags & CFG_SENSITIVE) == spec_keys[i].sensitive, "%s is %ssensitive", k->name,
		    spec_keys[i].sensitive ? "" : "not ");
		ok(k->help != NULL && k->help[0] != '\0', "%s has help", k->name);
		free(s);
		toml_value_free(&v);
	}
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const char *name = cfgkeys_table[i].name;

		if (strncmp(name, "container.", 10) == 0 || strncmp(name, "credentials.", 12) == 0 ||
		    strncmp(name, "cache.", 6) == 0 || strncmp(name, "vm.", 3) == 0)
			ok(cfgkeys_table[i].flags & CFG_SENSITIVE, "%s: whole section is sensitive", name);
	}
	ok(cfgkeys_section_known("credentials") && cfgkeys_section_known("credentials.aws") &&
	    cfgkeys_section_known("cache") && !cfgkeys_section_known("credentials.foo") &&
	    !cfgkeys_section_known("") && !cfgkeys_section_known("contain"), "known sections");
}

static void
test_spec_example(void)
{
	struct mino_error *err = NULL;
	struct cfg_layer l;
	struct cfg c, d;
	bool same = true;

	ok(cfgfile_parse_layer("config.toml", spec_example, strlen(spec_example), CFG_SRC_GLOBAL, &l,
	    &err) == 0, "the spec's example config parses");
	if (err != NULL)
		tap_diag("%s", err->msg);
	mino_error_release(&err);
	ok(l.count == 19, "it sets 19 keys (%zu)", l.count);
	cfg_init(&c);
	cfg_init(&d);
	cfg_apply(&c, &l);
	for (size_t i = 0; i < cfgkeys_count; i++)
		if (!toml_value_equal(&c.settings[i].value, &d.settings[i].value)) {
			same = false;
			tap_diag("%s differs", cfgkeys_table[i].name);
		}
	ok(same, "its values are the defaults of the table");
	ok(cfg_setting(&c, "vm.name")->source == CFG_SRC_GLOBAL &&
	    cfg_setting(&c, "vm.name")->line == 8, "provenance: global, line 8");
	cfg_free(&c);
	cfg_free(&d);
	cfg_layer_free(&l);
}

static void
test_bounds(void)
{
	static const struct {
		const char *key, *text;
		bool good;
	} cases[] = {
		{ "credentials.aws.session_duration_secs", "3599", false },
		{ "credentials.aws.session_duration_secs", "3600", true },
		{ "credentials.aws.session_duration_secs", "43200", true },
		{ "credentials.aws.session_duration_secs", "43201", false },
		{ "session.auto_cleanup_hours", "0", true },
		{ "session.auto_cleanup_hours", "-1", false },
		{ "session.auto_cleanup_hours", "87600", true },
		{ "session.auto_cleanup_hours", "87601", false },
		{ "cache.gc_days", "0", true },
		{ "cache.gc_days", "-1", false },
		{ "cache.gc_days", "1", true },
		{ "cache.gc_days", "3650", true },
		{ "cache.gc_days", "3651", false },
		{ "cache.max_total_gb", "0", false },
		{ "cache.max_total_gb", "65536", true },
		{ "cache.max_total_gb", "65537", false },
		{ "container.network", "none", true },
		{ "container.network", "host", true },
		{ "container.network", "Bridge", false },
		{ "container.network", "", false },
		{ "container.network", "mino-test-net", true },
		{ "container.network", "ns:/proc/1/ns/net", false },
		{ "container.network", "slirp4netns", false },
		{ "container.network_preset", "", true },
		{ "container.network_preset", "registries", true },
		{ "container.network_preset", "all", false },
		{ "general.log_format", "json", true },
		{ "general.log_format", "xml", false },
		{ "container.image", "", false },
		{ "container.image", "--privileged", false },
		{ "container.image", "a b", false },
		{ "container.image", "ghcr.io/x/y:1", true },
		{ "container.workdir", "relative", false },
		{ "session.shell", "/bin/zsh", true },
		{ "session.default_project_dir", "", true },
		{ "credentials.aws.region", "-x", false },
		{ "credentials.aws.region", "eu-west-1", true },
		{ "credentials.github.host", "ghe.example.com:8443", true },
		{ "credentials.github.host", "evil host", false },
		{ "credentials.github.host", "x:0", false },
		{ "container.network_allow", "github.com:443,example.org:443", true },
		{ "container.network_allow", "github.com", false },
		{ "container.network_allow", "github.com:65536", false },
		{ "container.network_allow", "*.githubusercontent.com:443,[fd00::1]:8080,10.0.0.1:22", true },
		{ "container.network_allow", "[fd00::1:8080", false },
		{ "container.network_allow", "fd00::1:8080", false },
		{ "container.network_allow", "a.*.com:443", false },
		{ "container.volumes", "/a:/b,/c:/d:ro", true },
		{ "container.volumes", "rel:/b", false },
		{ "container.volumes", "/a:rel", false },
		{ "container.volumes", "/a:/b:RO;x", false },
		{ "container.layers", "rust,typescript", true },
		{ "container.layers", "../../etc", false },
		{ "container.layers", "Rust", false },
		{ "container.env", "A=1,B_2=x=y", true },
		{ "container.env", "1A=x", false },
		{ "container.env", "A-B=x", false },
		{ "container.env", "novalue", false },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *e = text_error(cases[i].key, cases[i].text);

		ok((e == NULL) == cases[i].good, "%s = \"%s\" is %s", cases[i].key, cases[i].text,
		    cases[i].good ? "accepted" : "refused");
		if (e != NULL && cases[i].good)
			tap_diag("%s", e);
		if (e != NULL && !cases[i].good)
			tap_contains(e, cases[i].key, "the message names the key");
		free(e);
	}
	{
		char *e = text_error("credentials.aws.session_duration_secs", "99999");

		tap_contains(e, "expected an integer from 3600 to 43200", "range message");
		free(e);
		e = text_error("container.network", "container:x");
		tap_contains(e, "expected bridge, host, none or the name of a podman network",
		    "network message");
		free(e);
	}
}

static void
test_text(void)
{
	const struct cfg_key *b = cfgkeys_find("general.verbose");
	const struct cfg_key *l = cfgkeys_find("container.layers");
	const struct cfg_key *m = cfgkeys_find("container.env");
	const struct cfg_key *n = cfgkeys_find("cache.gc_days");
	static const char *const yes[] = { "true", "TRUE", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "Off", "0" };
	struct mino_error *err = NULL;
	struct toml_value v;

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		ok(cfgkeys_parse_text(b, yes[i], &v, NULL) == 0 && v.boolean, "bool `%s`", yes[i]);
		toml_value_free(&v);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		ok(cfgkeys_parse_text(b, no[i], &v, NULL) == 0 && !v.boolean, "bool `%s`", no[i]);
		toml_value_free(&v);
	}
	ok(cfgkeys_parse_text(b, "maybe", &v, &err) < 0 && err->code == MINO_E_INVALID_ARGUMENT,
	    "bool `maybe` refused as invalid_argument");
	tap_contains(err->msg, "expected a boolean (true or false), got `maybe`", "bool message");
	mino_error_release(&err);

	ok(cfgkeys_parse_text(l, " rust , typescript,go ", &v, NULL) == 0 && v.count == 3 &&
	    strcmp(v.items[0], "rust") == 0 && strcmp(v.items[2], "go") == 0, "list a,b form, trimmed");
	toml_value_free(&v);
	ok(cfgkeys_parse_text(l, "", &v, NULL) == 0 && v.type == TOML_ARRAY && v.count == 0,
	    "\"\" is the empty list");
	toml_value_free(&v);
	ok(cfgkeys_parse_text(l, "rust,,go", &v, &err) < 0, "empty list item refused");
	mino_error_release(&err);
	ok(cfgkeys_parse_text(m, "A=1,B=", &v, NULL) == 0 && v.count == 2 &&
	    strcmp(toml_value_table_get(&v, "B"), "") == 0, "map K=V form");
	toml_value_free(&v);
	ok(cfgkeys_parse_text(n, "12abc", &v, &err) < 0, "int with junk refused");
	tap_contains(err->msg, "expected an integer from 0 to 3650, got `12abc`", "int message");
	mino_error_release(&err);
	ok(cfgkeys_parse_text(n, "99999999999999999999", &v, &err) < 0, "int overflow refused");
	mino_error_release(&err);
	ok(cfgkeys_parse_text(cfgkeys_find("vm.name"), "\xff", &v, &err) < 0, "invalid UTF-8 refused");
	mino_error_release(&err);
	ok(cfgkeys_parse_text(cfgkeys_find("vm.name"), "a\nb", &v, &err) < 0, "newline refused");
	mino_error_release(&err);
}

static void
test_nearest(void)
{
	const struct cfg_key *k;

	k = cfgkeys_nearest("verbose");
	ok(k != NULL && strcmp(k->name, "general.verbose") == 0, "verbose -> general.verbose");
	k = cfgkeys_nearest("container.imag");
	ok(k != NULL && strcmp(k->name, "container.image") == 0, "typo -> container.image");
	k = cfgkeys_nearest("aws.role_arn");
	ok(k != NULL && strcmp(k->name, "credentials.aws.role_arn") == 0, "suffix match");
	ok(cfgkeys_nearest("zzzzzzzzzzzzzzzzzz") == NULL, "nothing near");
}

static void
test_precedence(void)
{
	struct mino_error *err = NULL;
	struct cfg_layer g, lo, env, fl;
	struct cfg c;
	const char *envp[] = { "PATH=/bin", "MINO_LAYERS=rust,go", NULL };
	const char *envp_empty[] = { "MINO_LAYERS=", NULL };
	const char *envp_bad[] = { "MINO_LAYERS=../x", NULL };

	cfg_layer_init(&g, CFG_SRC_GLOBAL, "/g.toml");
	cfg_layer_init(&lo, CFG_SRC_LOCAL, "/p/.mino.toml");
	cfg_layer_init(&env, CFG_SRC_ENV, "environment");
	cfg_layer_init(&fl, CFG_SRC_FLAG, "command line");
	ok(cfg_layer_set_text(&g, "container.image", "global:1", NULL) == 0 &&
	    cfg_layer_set_text(&g, "credentials.aws.enabled", "true", NULL) == 0 &&
	    cfg_layer_set_text(&g, "container.layers", "python", NULL) == 0 &&
	    cfg_layer_set_text(&g, "general.verbose", "true", NULL) == 0, "global layer");
	g.items[0].line = 12;
	ok(cfg_layer_set_text(&lo, "container.image", "local:1", NULL) == 0 &&
	    cfg_layer_set_text(&lo, "session.shell", "/bin/zsh", NULL) == 0, "local layer");
	ok(cfg_layer_from_env(&env, envp, NULL) == 0 && env.count == 1, "MINO_LAYERS read");
	{
		struct cfg_layer e2;

		cfg_layer_init(&e2, CFG_SRC_ENV, NULL);
		ok(cfg_layer_from_env(&e2, envp_empty, NULL) == 0 && e2.count == 0,
		    "empty MINO_LAYERS ignored");
		ok(cfg_layer_from_env(&e2, envp_bad, &err) < 0, "bad MINO_LAYERS refused");
		tap_contains(err != NULL ? err->msg : NULL, "MINO_LAYERS", "names the variable");
		mino_error_release(&err);
		cfg_layer_free(&e2);
	}
	/* --no-aws turns off what the config turned on. */
	ok(cfg_layer_set_text(&fl, "credentials.aws.enabled", "false", NULL) == 0 &&
	    cfg_layer_set_text(&fl, "session.shell", "/bin/sh", NULL) == 0, "flag layer");

	cfg_init(&c);
	cfg_apply(&c, &g);
	cfg_apply(&c, &lo);
	cfg_apply(&c, &env);
	cfg_apply(&c, &fl);
	ok(strcmp(cfg_string(&c, "container.image"), "local:1") == 0 &&
	    cfg_setting(&c, "container.image")->source == CFG_SRC_LOCAL, "local beats global");
	ok(strcmp(cfg_value(&c, "container.layers")->items[0], "rust") == 0 &&
	    cfg_setting(&c, "container.layers")->source == CFG_SRC_ENV, "env beats global");
	ok(!cfg_bool(&c, "credentials.aws.enabled") &&
	    cfg_setting(&c, "credentials.aws.enabled")->source == CFG_SRC_FLAG,
	    "a flag turns a config `true` off");
	ok(strcmp(cfg_string(&c, "session.shell"), "/bin/sh") == 0, "flag beats local");
	ok(cfg_bool(&c, "general.verbose") &&
	    cfg_setting(&c, "general.verbose")->source == CFG_SRC_GLOBAL, "global beats default");
	ok(cfg_int(&c, "cache.gc_days") == 30 &&
	    cfg_setting(&c, "cache.gc_days")->source == CFG_SRC_DEFAULT, "default stays");
	cfg_free(&c);

	cfg_init(&c);
	cfg_apply(&c, &g);
	ok(strcmp(cfg_setting(&c, "container.image")->origin, "/g.toml") == 0 &&
	    cfg_setting(&c, "container.image")->line == 12, "origin and line are kept");
	{
		struct buf b;

		buf_init(&b);
		cfg_render_show(&c, &b);
		buf_append(&b, "", 1);
		tap_contains(b.data, "container.image = \"global:1\"  # global (/g.toml:12)\n", "show");
		tap_contains(b.data, "cache.gc_days = 30  # default\n", "show");
		for (size_t i = 0; i < cfgkeys_count; i++) {
			char *line = xasprintf("\n%s = ", cfgkeys_table[i].name);

			ok(strstr(b.data, line) != NULL || strncmp(b.data, line + 1, strlen(line + 1)) == 0,
			    "show lists %s", cfgkeys_table[i].name);
			free(line);
		}
		buf_free(&b);
	}
	cfg_free(&c);
	cfg_layer_free(&g);
	cfg_layer_free(&lo);
	cfg_layer_free(&env);
	cfg_layer_free(&fl);
}

static void
test_merge(void)
{
	struct cfg_layer g, lo;
	struct cfg c;
	const struct toml_value *v;

	cfg_layer_init(&g, CFG_SRC_GLOBAL, NULL);
	cfg_layer_init(&lo, CFG_SRC_LOCAL, NULL);
	cfg_layer_set_text(&g, "container.env", "A=1,B=2", NULL);
	cfg_layer_set_text(&g, "container.volumes", "/a:/a,/b:/b", NULL);
	cfg_layer_set_text(&lo, "container.env", "B=3,C=4", NULL);
	cfg_layer_set_text(&lo, "container.volumes", "/c:/c", NULL);
	cfg_init(&c);
	cfg_apply(&c, &g);
	cfg_apply(&c, &lo);
	v = cfg_value(&c, "container.env");
	ok(v->count == 3 && strcmp(toml_value_table_get(v, "A"), "1") == 0 &&
	    strcmp(toml_value_table_get(v, "B"), "3") == 0 &&
	    strcmp(toml_value_table_get(v, "C"), "4") == 0, "tables merge key by key");
	v = cfg_value(&c, "container.volumes");
	ok(v->count == 1 && strcmp(v->items[0], "/c:/c") == 0, "arrays replace");
	ok(cfg_layer_set_text(&g, "container.image", "x", NULL) == 0 &&
	    cfg_layer_set_text(&g, "container.image", "y", NULL) == 0 &&
	    strcmp(cfg_layer_get(&g, "container.image")->value.string, "y") == 0,
	    "setting a key twice in a layer replaces it");
	cfg_free(&c);
	cfg_layer_free(&g);
	cfg_layer_free(&lo);
}

static void
test_gate(void)
{
	static const char local[] =
		"[general]\n"
		"verbose = true\n"
		"log_format = \"json\"\n"
		"audit_log = false\n"
		"[container]\n"
		"volumes = [\"/etc:/x\"]\n"
		"network = \"host\"\n"
		"[credentials.aws]\n"
		"enabled = false\n"
		"[cache]\n"
		"enabled = false\n";
	static const char tighten[] =
		"[general]\naudit_log = true\nverbose = true\n"
		"[container]\nnetwork = \"none\"\n"
		"[credentials.gcp]\nenabled = false\n"
		"[session]\nauto_cleanup_hours = 0\n";
	struct mino_error *err = NULL;
	struct cfg_layer l, apply, skipped;
	struct cfg c;
	struct buf b;

	ok(cfgfile_parse_layer("/p/.mino.toml", local, strlen(local), CFG_SRC_LOCAL, &l, &err) == 0,
	    "hostile local file parses");
	mino_error_release(&err);
	ok(cfg_layer_needs_trust(&l), "it needs trust");

	cfg_trust_gate(&l, false, &apply, &skipped);
	ok(apply.count == 4 && cfg_layer_get(&apply, "general.verbose") != NULL &&
	    cfg_layer_get(&apply, "general.log_format") != NULL &&
	    cfg_layer_get(&apply, "credentials.aws.enabled") != NULL &&
	    cfg_layer_get(&apply, "cache.enabled") != NULL,
	    "untrusted: safe keys and tightening values apply");
	ok(skipped.count == 3 && cfg_layer_get(&skipped, "general.audit_log") != NULL &&
	    cfg_layer_get(&skipped, "container.volumes") != NULL &&
	    cfg_layer_get(&skipped, "container.network") != NULL,
	    "untrusted: volumes, audit_log = false and network = host are skipped");
	ok(cfg_layer_get(&skipped, "container.network")->line == 7, "skipped keys keep their line");
	cfg_init(&c);
	cfg_apply(&c, &apply);
	ok(cfg_bool(&c, "general.audit_log") &&
	    strcmp(cfg_string(&c, "container.network"), "bridge") == 0 &&
	    cfg_value(&c, "container.volumes")->count == 0 && cfg_bool(&c, "general.verbose"),
	    "untrusted: the effective config keeps the safe defaults");
	cfg_free(&c);

	buf_init(&b);
	cfg_render_skipped_warning(&skipped, "/p/.mino.toml", &b);
	buf_append(&b, "", 1);
	ok(strchr(b.data, '\n') == NULL, "the warning is one line");
	tap_contains(b.data, "general.audit_log, container.volumes, container.network", "warning");
	tap_contains(b.data, "--trust-local", "warning");
	tap_contains(b.data, "MINO_TRUST_LOCAL=1", "warning");
	tap_contains(b.data, "mino config trust /p/.mino.toml", "warning");
	buf_free(&b);
	buf_init(&b);
	cfg_render_layer(&skipped, "  ", &b);
	buf_append(&b, "", 1);
	tap_contains(b.data, "  container.volumes = [\"/etc:/x\"]  # line 6\n", "prompt lines");
	buf_free(&b);
	cfg_layer_free(&apply);
	cfg_layer_free(&skipped);

	cfg_trust_gate(&l, true, &apply, &skipped);
	ok(apply.count == l.count && skipped.count == 0, "trusted: everything applies");
	cfg_layer_free(&apply);
	cfg_layer_free(&skipped);
	cfg_layer_free(&l);

	ok(cfgfile_parse_layer("t", tighten, strlen(tighten), CFG_SRC_LOCAL, &l, NULL) == 0,
	    "tightening file parses");
	ok(!cfg_layer_needs_trust(&l), "tightening values need no trust");
	cfg_trust_gate(&l, false, &apply, &skipped);
	ok(apply.count == 5 && skipped.count == 0, "untrusted: all tightening values apply");
	cfg_layer_free(&apply);
	cfg_layer_free(&skipped);
	cfg_layer_free(&l);

	/* Per key and value, not per file. */
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfg_key *k = &cfgkeys_table[i];
		struct toml_value v;

		cfgkeys_default(k, &v);
		if (k->type == CFG_BOOL || !(k->flags & CFG_SENSITIVE)) {
			toml_value_free(&v);
			continue;
		}
		ok(!cfgkeys_untrusted_ok(k, &v), "%s: even its default needs trust", k->name);
		toml_value_free(&v);
	}
	{
		struct toml_value v;

		toml_value_set_string(&v, "bridge");
		ok(!cfgkeys_untrusted_ok(cfgkeys_find("container.network"), &v),
		    "network = bridge is not a tightening");
		toml_value_free(&v);
		toml_value_set_boolean(&v, true);
		ok(!cfgkeys_untrusted_ok(cfgkeys_find("credentials.azure.enabled"), &v),
		    "credentials.azure.enabled = true needs trust");
		ok(cfgkeys_untrusted_ok(cfgkeys_find("general.verbose"), &v), "verbose never needs trust");
		toml_value_free(&v);
	}
}

static void
test_render(void)
{
	struct mino_error *err = NULL;
	struct cfg_layer l;
	struct buf b;
	struct cfg c, d;
	bool same = true;

	buf_init(&b);
	cfgkeys_render_template(false, &b);
	ok(cfgfile_parse_layer("tmpl", b.data, b.len, CFG_SRC_GLOBAL, &l, &err) == 0,
	    "the global template parses");
	mino_error_release(&err);
	cfg_init(&c);
	cfg_init(&d);
	cfg_apply(&c, &l);
	for (size_t i = 0; i < cfgkeys_count; i++)
		same = same && toml_value_equal(&c.settings[i].value, &d.settings[i].value);
	ok(same, "the global template holds the defaults");
	ok(l.count == 20, "with the spec's 19 active keys and cache.scope (%zu)", l.count);
	buf_append(&b, "", 1);
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const char *leaf = strrchr(cfgkeys_table[i].name, '.') + 1;
		char *s = xasprintf("\n%s%s = ", cfgkeys_table[i].flags & CFG_COMMENTED ? "# " : "", leaf);

		ok(strstr(b.data, s) != NULL, "global template has %s", cfgkeys_table[i].name);
		free(s);
	}
	cfg_free(&c);
	cfg_free(&d);
	cfg_layer_free(&l);
	buf_free(&b);

	buf_init(&b);
	cfgkeys_render_template(true, &b);
	ok(cfgfile_parse_layer("tmpl", b.data, b.len, CFG_SRC_LOCAL, &l, NULL) == 0 && l.count == 0,
	    "the local template parses and sets nothing");
	buf_append(&b, "", 1);
	tap_contains(b.data, "# volumes = [\"/host/path:/container/path\"]", "local template");
	tap_contains(b.data, "(needs trust)", "local template");
	cfg_layer_free(&l);
	buf_free(&b);

	buf_init(&b);
	cfgkeys_render_names(&b);
	buf_append(&b, "", 1);
	{
		size_t lines = 0;

		for (const char *p = b.data; *p != '\0'; p++)
			lines += *p == '\n';
		ok(lines == cfgkeys_count, "completion list has every key");
	}
	tap_contains(b.data, "credentials.aws.session_duration_secs\n", "completion list");
	buf_free(&b);
}

static void
test_docs(void)
{
	_cleanup_free_ char *data = NULL;
	struct mino_error *err = NULL;
	size_t len;

	if (fs_read_file(MINO_SOURCE_ROOT "/docs/CONFIG.md", 1 << 20, &data, &len, &err) < 0) {
		ok(false, "docs/CONFIG.md readable: %s", err->msg);
		mino_error_release(&err);
		return;
	}
	for (size_t i = 0; i < cfgkeys_count; i++) {
		char *s = xasprintf("`%s`", cfgkeys_table[i].name);

		ok(strstr(data, s) != NULL, "docs/CONFIG.md documents %s", cfgkeys_table[i].name);
		free(s);
	}
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--markdown") == 0) {
		struct buf b;

		buf_init(&b);
		cfgkeys_render_markdown(&b);
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
		return 0;
	}
	test_table();
	test_spec_example();
	test_bounds();
	test_text();
	test_nearest();
	test_precedence();
	test_merge();
	test_gate();
	test_render();
	test_docs();
	return tap_done();
}
