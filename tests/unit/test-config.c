/* test-config.c: the minimal TOML config loader. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fsutil.h"
#include "tap.h"
#include "xalloc.h"

static int load(struct mino_config *cfg, const char *text, struct mino_error **err);
static int load_fails(const char *text, const char *want);
static void test_defaults(void);
static void test_spec_example(void);
static void test_values(void);
static void test_errors(void);
static void test_files(void);

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
	"\n"
	"[credentials.aws]\n"
	"enabled = false                      # Enable via config (equivalent to --aws)\n"
	"session_duration_secs = 3600         # Token lifetime (1-12 hours)\n"
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

static int
load(struct mino_config *cfg, const char *text, struct mino_error **err)
{
	return config_load_buffer(cfg, "test.toml", text, strlen(text), err);
}

/* 1 if loading fails with a message equal to `want`, leaving cfg alone. */
static int
load_fails(const char *text, const char *want)
{
	struct mino_config cfg;
	struct mino_error *err = NULL;
	int r;

	config_init_defaults(&cfg);
	if (load(&cfg, text, &err) == 0) {
		tap_diag("loaded fine");
		config_free(&cfg);
		return 0;
	}
	r = strcmp(err->msg, want) == 0 && strcmp(cfg.container_image, "fedora:43") == 0
		&& cfg.session_auto_cleanup_hours == 720 && !cfg.general_verbose;
	if (!r)
		tap_diag("error `%s`", err->msg);
	mino_error_release(&err);
	config_free(&cfg);
	return r;
}

static void
test_defaults(void)
{
	struct mino_config cfg;

	config_init_defaults(&cfg);
	ok(!cfg.general_verbose && cfg.general_audit_log && strcmp(cfg.container_image, "fedora:43") == 0
		&& strcmp(cfg.container_network, "bridge") == 0 && strcmp(cfg.container_workdir, "/workspace") == 0
		&& strcmp(cfg.session_shell, "/bin/bash") == 0 && cfg.session_auto_cleanup_hours == 720,
		"defaults");
	config_free(&cfg);
	config_free(&cfg);
	ok(cfg.container_image == NULL, "config_free is idempotent");
}

static void
test_spec_example(void)
{
	struct mino_config cfg;
	struct mino_error *err = NULL;

	config_init_defaults(&cfg);
	ok(load(&cfg, spec_example, &err) == 0 && err == NULL, "the README's example config loads");
	ok(!cfg.general_verbose && cfg.general_audit_log && strcmp(cfg.container_image, "fedora:43") == 0
		&& cfg.session_auto_cleanup_hours == 720, "with its values");
	config_free(&cfg);
}

static void
test_values(void)
{
	struct mino_config cfg;
	struct mino_error *err = NULL;
	char *long_cfg, *long_img;
	const char *text =
		"\xef\xbb\xbf# leading comment\r\n"
		"top = 1\r\n"
		"[general]\r\n"
		"verbose = true # on\r\n"
		"  audit_log=false\r\n"
		"[ container ]   # spaced header\n"
		"image = \"registry.example/img:tag#1\" # a '#' inside quotes\n"
		"network = 'host' # literal\n"
		"workdir = \"/w ; x\\t\\\"q\\\" \\u00e9\\U0001F600\"\n"
		"network_allow = [\n"
		"  \"github.com:443\",  # comment with ] inside\n"
		"  \"a]b\",\n"
		"]\n"
		"env = { \"MY_VAR\" = \"v#1\" }\n"
		"cpus = 1.5\n"
		"\"quoted.key\" = 1\n"
		"a.b = 2\n"
		"[session]\n"
		"shell = 'C:\\bin\\sh'\n"
		"auto_cleanup_hours = 1_000\n"
		"unknown = \"ignored\"\n"
		"[[layers]]\n"
		"name = \"x\"\n";

	config_init_defaults(&cfg);
	ok(load(&cfg, text, &err) == 0, "a config with every kind of line loads");
	if (err != NULL)
		tap_diag("%s", err->msg);
	mino_error_release(&err);
	ok(cfg.general_verbose && !cfg.general_audit_log, "booleans, CRLF, BOM, indented key");
	is_str(cfg.container_image, "registry.example/img:tag#1", "'#' inside a quoted string is kept");
	is_str(cfg.container_network, "host", "a literal string");
	is_str(cfg.container_workdir, "/w ; x\t\"q\" \xc3\xa9\xf0\x9f\x98\x80", "escapes and ';' in a basic string");
	is_str(cfg.session_shell, "C:\\bin\\sh", "backslashes in a literal string");
	is_int(cfg.session_auto_cleanup_hours, 1000, "an integer with _");

	long_img = xmalloc(5001);
	memset(long_img, 'i', 5000);
	long_img[5000] = '\0';
	long_cfg = xasprintf("[container]\nimage = \"%s\"\n[session]\nauto_cleanup_hours = 0\n", long_img);
	ok(load(&cfg, long_cfg, &err) == 0 && strcmp(cfg.container_image, long_img) == 0
		&& cfg.session_auto_cleanup_hours == 0, "a 5000-byte value and 0 hours");
	free(long_img);
	free(long_cfg);
	ok(load(&cfg, "", &err) == 0 && cfg.session_auto_cleanup_hours == 0, "an empty file changes nothing");
	ok(load(&cfg, "[container]\nimage = \"\"", &err) == 0 && strcmp(cfg.container_image, "") == 0,
		"an empty string, no final newline");
	config_free(&cfg);
}

static void
test_errors(void)
{
	ok(load_fails("[container]\n\nimage = 5\n", "test.toml:3: key `container.image`: expected a string"),
		"a number for a string key, with file:line");
	ok(load_fails("[container]\nimage = fedora\n", "test.toml:2: key `container.image`: expected a string"),
		"an unquoted string");
	ok(load_fails("[general]\nverbose = \"yes\"\n", "test.toml:2: key `general.verbose`: expected a boolean"),
		"a string for a boolean");
	ok(load_fails("[session]\nauto_cleanup_hours = 1.5\n",
		"test.toml:2: key `session.auto_cleanup_hours`: expected an integer"), "a float for an integer");
	ok(load_fails("[session]\nauto_cleanup_hours = -1\n",
		"test.toml:2: key `session.auto_cleanup_hours`: expected a non-negative integer"), "a negative integer");
	ok(load_fails("[session]\nauto_cleanup_hours = 99999999999999999999999\n",
		"test.toml:2: key `session.auto_cleanup_hours`: expected an integer"), "an overflowing integer");
	ok(load_fails("[general]\nverbose = true\n[container]\nimage = [\"a\"]\n",
		"test.toml:4: key `container.image`: expected a string"), "an array for a string");
	ok(load_fails("[general]\nverbose = true\njust words\n", "test.toml:3: expected `key = value`"),
		"a line without =");
	ok(load_fails("[container]\nimage = \"abc\n", "test.toml:2: unterminated string"), "an unterminated string");
	ok(load_fails("[container]\nimage = \"a\" b\n", "test.toml:2: unexpected text after the value"),
		"text after the value");
	ok(load_fails("[container\nimage = \"a\"\n", "test.toml:1: unterminated table header"),
		"an unterminated header");
	ok(load_fails("[container]\nimage = \"a\\q\"\n", "test.toml:2: unknown escape `\\q` in a string"),
		"a bad escape");
	ok(load_fails("[container]\nimage = \"\\u0000\"\n", "test.toml:2: escape \\u0000 is not an allowed character"),
		"a NUL escape");
	ok(load_fails("[container]\nimage = \"\"\"x\"\"\"\n", "test.toml:2: multi-line strings are not supported"),
		"a multi-line string");
	ok(load_fails("[container]\nlayers = [\n\"a\",\n", "test.toml:3: unterminated array"), "an unterminated array");
	ok(load_fails("[cache]\nenabled = yes\n", "test.toml:2: key `cache.enabled`: invalid value (strings must be quoted)"),
		"an invalid value for an unknown key");
	ok(load_fails("[container]\nimage =\n", "test.toml:2: missing value"), "a missing value");
	ok(load_fails("[general]\nverbose = true\n[container]\nimage = 1\n",
		"test.toml:4: key `container.image`: expected a string"), "an error leaves the config unchanged");
	{
		struct mino_config cfg;
		struct mino_error *err = NULL;
		static const char nul[] = "[container]\nimage = \"a\0b\"\n";

		config_init_defaults(&cfg);
		ok(config_load_buffer(&cfg, "n.toml", nul, sizeof nul - 1, &err) == -1
			&& strcmp(err->msg, "n.toml: contains a NUL byte") == 0, "a NUL byte");
		mino_error_release(&err);
		config_free(&cfg);
	}
}

static void
test_files(void)
{
	char tmpl[] = "/tmp/mino-test-config-XXXXXX";
	char *dir = mkdtemp(tmpl), *path, *msg;
	struct mino_config cfg;
	struct mino_error *err = NULL;

	if (dir == NULL)
		return;
	path = xasprintf("%s/config.toml", dir);
	config_init_defaults(&cfg);
	ok(config_load(&cfg, path, &err) == 0 && err == NULL, "a missing file is not an error");
	fs_write_atomic(path, "[session]\nshell = \"/bin/sh\"\n", 28, 0600, &err);
	ok(config_load(&cfg, path, &err) == 0 && strcmp(cfg.session_shell, "/bin/sh") == 0, "config_load reads a file");
	fs_write_atomic(path, "[session]\nshell = true\n", 23, 0600, &err);
	msg = xasprintf("%s:2: key `session.shell`: expected a string", path);
	ok(config_load(&cfg, path, &err) == -1 && strcmp(err->msg, msg) == 0, "errors name the file");
	mino_error_release(&err);
	free(msg);
	unlink(path);
	ok(config_load(&cfg, dir, &err) == -1 && err != NULL, "a directory is an error");
	mino_error_release(&err);
	config_free(&cfg);
	free(path);
	rmdir(dir);
}

int
main(void)
{
	test_defaults();
	test_spec_example();
	test_values();
	test_errors();
	test_files();
	return tap_done();
}
