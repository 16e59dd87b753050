/* test-cfgfile.c: file errors with file:line, `config set` editing in
 * place, init templates, .mino.toml discovery and full resolution with
 * the trust store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgfile.h"
#include "fsutil.h"
#include "error.h"
#include "tap.h"
#include "trust.h"
#include "xalloc.h"

static char *file_error(const char *text);
static char *edit(const char *data, const char *key, const char *value);
static char *edit_error(const char *data, const char *key, const char *value);
static char *slurp(const char *path);
static void test_errors(void);
static void test_edit(void);
static void test_set_files(const char *dir);
static void test_init(const char *dir);
static void test_find_local(const char *dir);
static void test_find_local_hostile(const char *dir);
static void test_resolve(const char *dir);

static char *
file_error(const char *text)
{
	struct mino_error *err = NULL;
	struct cfg_layer l;
	char *msg = NULL;

	if (cfgfile_parse_layer("c.toml", text, strlen(text), CFG_SRC_GLOBAL, &l, &err) < 0) {
		msg = xstrdup(err->msg);
		ok(err->code == MINO_E_CONFIG, "config error code");
		mino_error_release(&err);
	}
	cfg_layer_free(&l);
	return msg;
}

static char *
edit(const char *data, const char *key, const char *value)
{
	struct mino_error *err = NULL;
	char *out = NULL;

	if (cfgfile_edit("f.toml", data, strlen(data), key, value, &out, NULL, &err) < 0) {
		tap_diag("edit failed: %s", err->msg);
		mino_error_release(&err);
	}
	return out;
}

static char *
edit_error(const char *data, const char *key, const char *value)
{
	struct mino_error *err = NULL;
	char *out = NULL, *msg = NULL;

	if (cfgfile_edit("f.toml", data, strlen(data), key, value, &out, NULL, &err) < 0) {
		msg = xstrdup(err->msg);
		mino_error_release(&err);
	}
	free(out);
	return msg;
}

static char *
slurp(const char *path)
{
	struct mino_error *err = NULL;
	char *data = NULL;
	size_t len;

	if (fs_read_file(path, 1 << 20, &data, &len, &err) < 0) {
		tap_diag("%s", err->msg);
		mino_error_release(&err);
	}
	return data;
}

static void
test_errors(void)
{
	char *e;

	e = file_error("[general]\nverbose = true\n[bogus]\n");
	tap_contains(e, "c.toml:3: unknown section [bogus]", "unknown section");
	free(e);
	e = file_error("[container]\nimage = \"x\"\nimgae = \"y\"\n");
	tap_contains(e, "c.toml:3: unknown key `imgae` in [container] (did you mean `container.image`?)",
	    "unknown key with a suggestion");
	free(e);
	e = file_error("verbose = true\n");
	tap_contains(e, "c.toml:1: key `verbose` outside of any [section] (did you mean "
	    "`general.verbose`?)", "key before a section");
	free(e);
	e = file_error("[general]\n\nverbose = \"yes\"\n");
	tap_contains(e, "c.toml:3: key `general.verbose`: expected a boolean (true or false), got a "
	    "string", "wrong type");
	free(e);
	e = file_error("[credentials.aws]\nsession_duration_secs = 60\n");
	tap_contains(e, "c.toml:2: key `credentials.aws.session_duration_secs`: expected an integer "
	    "from 3600 to 43200, got 60 (out of range)", "out of range");
	free(e);
	e = file_error("[container]\nnetwork = \"wi de\"\n");
	tap_contains(e, "c.toml:2: key `container.network`: expected bridge, host, none or the name "
	    "of a podman network", "bad network");
	free(e);
	e = file_error("[container]\nvolumes = \"/a:/b\"\n");
	tap_contains(e, "expected an array of strings", "string for an array");
	free(e);
	e = file_error("[container]\nenv = { \"1BAD\" = \"x\" }\n");
	tap_contains(e, "c.toml:2: key `container.env`: expected variable names", "bad env name");
	free(e);
	e = file_error("[container]\nlayers = [\"../../x\"]\n");
	tap_contains(e, "c.toml:2: key `container.layers`: expected layer names", "layer traversal");
	free(e);
	e = file_error("[credentials]\nfoo = 1\n");
	tap_contains(e, "c.toml:2: unknown key `foo` in [credentials]", "key in a parent section");
	free(e);
	e = file_error("[credentials]\n[credentials.aws]\nenabled = true\n");
	ok(e == NULL, "an empty [credentials] parent header is fine");
	free(e);
}

static void
test_edit(void)
{
	static const char base[] =
		"# my config\n"
		"[general]\n"
		"verbose = false   # keep this comment\n"
		"  # standalone comment\n"
		"\n"
		"[container]\n"
		"  image = \"old\"\n"
		"volumes = [\n"
		"  \"/a:/a\",  # one\n"
		"  \"/b:/b\",\n"
		"]  # trailing\n"
		"unrelated_is_kept = 1\n";
	char *out, *e;

	/* The base has an unknown key: editing still works (TOML-valid), only
	 * the edited key is checked. */
	out = edit(base, "general.verbose", "true");
	ok(out != NULL && strcmp(out,
	    "# my config\n"
	    "[general]\n"
	    "verbose = true  # keep this comment\n"
	    "  # standalone comment\n"
	    "\n"
	    "[container]\n"
	    "  image = \"old\"\n"
	    "volumes = [\n"
	    "  \"/a:/a\",  # one\n"
	    "  \"/b:/b\",\n"
	    "]  # trailing\n"
	    "unrelated_is_kept = 1\n") == 0, "replace keeps comments, order and other lines");
	free(out);

	out = edit(base, "container.image", "fedora:42");
	tap_contains(out, "\n  image = \"fedora:42\"\nvolumes", "replace keeps indentation");
	free(out);

	out = edit(base, "container.volumes", "/c:/c,/d:/d:ro");
	tap_contains(out, "  image = \"old\"\nvolumes = [\"/c:/c\", \"/d:/d:ro\"]  # trailing\n"
	    "unrelated_is_kept = 1\n", "multi-line array replaced by one line, a,b form");
	free(out);

	out = edit(base, "container.network", "none");
	tap_contains(out, "unrelated_is_kept = 1\nnetwork = \"none\"\n",
	    "new key appended after the last key of its section");
	free(out);

	out = edit(base, "general.log_format", "json");
	tap_contains(out, "verbose = false   # keep this comment\nlog_format = \"json\"\n"
	    "  # standalone comment\n", "new key after the section's last key");
	free(out);

	out = edit(base, "credentials.aws.role_arn", "arn:aws:iam::1:role/R");
	tap_contains(out, "unrelated_is_kept = 1\n\n[credentials.aws]\nrole_arn = "
	    "\"arn:aws:iam::1:role/R\"\n", "missing section appended");
	free(out);

	out = edit("[session]\nshell = \"/bin/sh\"", "session.auto_cleanup_hours", "0");
	ok(out != NULL && strcmp(out, "[session]\nshell = \"/bin/sh\"\nauto_cleanup_hours = 0\n") == 0,
	    "file without a final newline");
	free(out);

	out = edit("[session]\nshell = \"/bin/sh\"", "session.shell", "/bin/zsh");
	ok(out != NULL && strcmp(out, "[session]\nshell = \"/bin/zsh\"") == 0,
	    "last line without newline replaced in place");
	free(out);

	out = edit("", "vm.name", "myvm");
	ok(out != NULL && strcmp(out, "[vm]\nname = \"myvm\"\n") == 0, "empty file");
	free(out);

	out = edit("[vm]\r\nname = \"a\"\r\n[cache]\r\n", "cache.gc_days", "7");
	ok(out != NULL && strcmp(out, "[vm]\r\nname = \"a\"\r\n[cache]\r\ngc_days = 7\r\n") == 0,
	    "CRLF file stays CRLF");
	free(out);

	out = edit("[container]\nenv = { \"A\" = \"1\" }\n", "container.env", "B=2,C=x y");
	tap_contains(out, "env = { \"B\" = \"2\", \"C\" = \"x y\" }\n", "map K=V form");
	free(out);

	out = edit("[container]\n", "container.layers", "");
	tap_contains(out, "layers = []\n", "empty list");
	free(out);

	out = edit("[vm]\n", "vm.name", "quote\" back\\slash");
	tap_contains(out, "name = \"quote\\\" back\\\\slash\"\n", "value escaped");
	free(out);

	e = edit_error(base, "container.imgae", "x");
	tap_contains(e, "unknown key `container.imgae` (did you mean `container.image`?)",
	    "unknown key, nearest");
	tap_contains(e, "valid keys: general.verbose, general.log_format,", "lists valid keys");
	tap_contains(e, "cache.max_total_gb", "lists valid keys");
	free(e);
	e = edit_error(base, "cache.gc_days", "soon");
	tap_contains(e, "key `cache.gc_days`: expected an integer from 0 to 3650, got `soon`",
	    "wrong type");
	free(e);
	e = edit_error(base, "container.network", "pasta:x");
	tap_contains(e, "expected bridge, host, none or the name of a podman network", "bad network");
	free(e);
	e = edit_error("[vm]\nname = \"unterminated\n", "vm.name", "x");
	tap_contains(e, "cannot edit (fix the file first): f.toml:2: unterminated string",
	    "broken file is not edited");
	free(e);
	{
		struct mino_error *err = NULL;
		char *o = NULL;

		ok(cfgfile_edit("f", "", 0, "nope", "1", &o, NULL, &err) < 0 &&
		    err->code == MINO_E_INVALID_ARGUMENT, "unknown key is invalid_argument (exit 2)");
		mino_error_release(&err);
	}
}

static void
test_set_files(const char *dir)
{
	struct mino_error *err = NULL;
	char *path = xasprintf("%s/sub/dir/config.toml", dir), *data, *link, *link2;
	struct cfg_layer l;
	struct stat st;
	bool found;

	ok(cfgfile_set(path, "vm.name", "myvm", &err) == 0, "set creates a missing file and dirs");
	mino_error_release(&err);
	data = slurp(path);
	ok(data != NULL && strcmp(data, "[vm]\nname = \"myvm\"\n") == 0, "new file content");
	free(data);
	chmod(path, 0640);
	ok(cfgfile_set(path, "container.network_allow", "github.com:443,example.org:443", &err) == 0,
	    "set an array with the a,b form");
	mino_error_release(&err);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "mode kept");
	ok(cfgfile_load(path, CFG_SRC_GLOBAL, &l, &found, NULL, &err) == 0 && found && l.count == 2,
	    "the edited file loads");
	mino_error_release(&err);
	ok(cfg_layer_get(&l, "container.network_allow") != NULL &&
	    cfg_layer_get(&l, "container.network_allow")->value.count == 2, "array value");
	cfg_layer_free(&l);

	link = xasprintf("%s/link.toml", dir);
	ok(symlink(path, link) == 0, "symlink to the config");
	ok(cfgfile_set(link, "vm.distro", "debian", &err) == 0, "set through a symlink");
	mino_error_release(&err);
	ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the symlink is kept");
	data = slurp(path);
	tap_contains(data, "distro = \"debian\"", "target edited");
	free(data);
	ok(cfgfile_set(path, "bogus.key", "1", &err) < 0, "unknown key refused");
	mino_error_release(&err);

	/* Issue 13 item 2: the global file, never trust-gated, must be ours
	 * and not writable by others; a symlink to such a file is fine. */
	ok(cfgfile_load(link, CFG_SRC_GLOBAL, &l, &found, NULL, &err) == 0 && found,
	    "a global file behind a symlink loads");
	mino_error_release(&err);
	cfg_layer_free(&l);
	chmod(path, 0664);
	ok(cfgfile_load(path, CFG_SRC_GLOBAL, &l, &found, NULL, &err) < 0 && err != NULL &&
	    strstr(err->msg, "not writable by group or others") != NULL &&
	    strstr(err->msg, path) != NULL && strchr(err->msg, '\n') == NULL,
	    "a group-writable global file is refused with one line");
	tap_diag("%s", err != NULL ? err->msg : "(accepted)");
	mino_error_release(&err);
	chmod(path, 0646);
	ok(cfgfile_load(link, CFG_SRC_GLOBAL, &l, &found, NULL, &err) < 0,
	    "an other-writable global file is refused through a symlink too");
	mino_error_release(&err);
	if (getuid() == 0 && chown(path, 65534, 65534) == 0) {
		chmod(path, 0644);
		ok(cfgfile_load(path, CFG_SRC_GLOBAL, &l, &found, NULL, &err) < 0 &&
		    strstr(err->msg, "owned by you") != NULL, "a foreign-owned global file is refused");
		mino_error_release(&err);
		ok(chown(path, getuid(), getgid()) == 0, "chown back");
	}
	chmod(path, 0600);
	ok(symlink(path, link2 = xasprintf("%s/.mino.toml", dir)) == 0 &&
	    cfgfile_load(link2, CFG_SRC_LOCAL, &l, &found, NULL, &err) < 0 && err != NULL &&
	    strstr(err->msg, "symlink") != NULL, "a local file is never read through a symlink");
	mino_error_release(&err);
	unlink(link2);
	free(link2);
	free(link);
	free(path);
}

static void
test_init(const char *dir)
{
	struct mino_error *err = NULL;
	char *path = xasprintf("%s/init/.mino.toml", dir), *gpath = xasprintf("%s/init/g.toml", dir);
	struct cfg_layer l;
	struct stat st;
	bool found;

	ok(cfgfile_init(path, true, false, &err) == 0, "init writes .mino.toml");
	mino_error_release(&err);
	ok(cfgfile_init(path, true, false, &err) < 0, "init refuses to overwrite");
	tap_contains(err != NULL ? err->msg : NULL, "use --force", "init message");
	mino_error_release(&err);
	ok(cfgfile_init(path, true, true, &err) == 0, "init --force overwrites");
	mino_error_release(&err);
	ok(cfgfile_load(path, CFG_SRC_LOCAL, &l, &found, NULL, &err) == 0 && l.count == 0,
	    "the local template loads and sets nothing");
	mino_error_release(&err);
	cfg_layer_free(&l);
	ok(cfgfile_init(gpath, false, false, &err) == 0, "config init writes the global file");
	mino_error_release(&err);
	ok(stat(gpath, &st) == 0 && (st.st_mode & 077) == 0, "global file is private");
	ok(cfgfile_load(gpath, CFG_SRC_GLOBAL, &l, &found, NULL, &err) == 0 && l.count == 20,
	    "the global template loads");
	mino_error_release(&err);
	cfg_layer_free(&l);
	ok(cfgfile_set(gpath, "container.network_preset", "dev", &err) == 0,
	    "set on the template");
	mino_error_release(&err);
	{
		char *data = slurp(gpath);

		tap_contains(data, "network = \"bridge\"", "template");
		tap_contains(data, "# network_preset = \"dev\"", "the commented example stays");
		tap_contains(data, "\nnetwork_preset = \"dev\"\n", "the new line is added");
		free(data);
	}
	free(path);
	free(gpath);
}

static void
test_find_local(const char *dir)
{
	struct mino_error *err = NULL;
	char *proj = xasprintf("%s/proj", dir), *deep = xasprintf("%s/proj/a/b/c", dir);
	char *file = xasprintf("%s/proj/.mino.toml", dir), *cmd, *out = NULL, *real;

	cmd = xasprintf("mkdir -p '%s'", deep);
	ok(system(cmd) == 0, "project tree");
	free(cmd);
	ok(cfgfile_find_local(deep, &out, NULL, &err) == 0 && out == NULL, "none found");
	mino_error_release(&err);
	tap_write(file, "[general]\nverbose = true\n");
	ok(cfgfile_find_local(deep, &out, NULL, &err) == 0 && out != NULL, "found walking up");
	real = realpath(file, NULL);
	ok(out != NULL && real != NULL && strcmp(out, real) == 0, "canonical path");
	free(out);
	out = NULL;
	ok(cfgfile_find_local(proj, &out, NULL, &err) == 0 && out != NULL, "found in the start dir");
	free(out);
	ok(cfgfile_find_local("/nonexistent/dir", &out, NULL, &err) < 0, "missing project dir");
	mino_error_release(&err);
	free(real);
	free(proj);
	free(deep);
	free(file);
	test_find_local_hostile(dir);
}

/* Issue 13 item 1: a symlinked .mino.toml, or one in a directory others can
 * write (a sticky /tmp too), is never used; a warning names it. */
static void
test_find_local_hostile(const char *dir)
{
	struct mino_error *err = NULL;
	char *trusted = xasprintf("%s/trusted", dir), *evil = xasprintf("%s/evil", dir);
	char *tfile = xasprintf("%s/trusted/.mino.toml", dir), *link = xasprintf("%s/evil/.mino.toml", dir);
	char *gw = xasprintf("%s/gw", dir), *gwfile = xasprintf("%s/gw/.mino.toml", dir);
	char *sticky = xasprintf("%s/sticky", dir), *sfile = xasprintf("%s/sticky/.mino.toml", dir);
	char *sproj = xasprintf("%s/sticky/proj", dir), *out = NULL, *warning = NULL;
	char *canon = NULL;

	ok(mkdir(trusted, 0700) == 0 && mkdir(evil, 0700) == 0 && mkdir(gw, 0700) == 0 &&
	    mkdir(sticky, 0700) == 0 && mkdir(sproj, 0700) == 0, "hostile tree");
	tap_write(tfile, "[container]\nnetwork = \"host\"\n");
	ok(symlink("../trusted/.mino.toml", link) == 0, "symlink to a trusted file");
	ok(cfgfile_find_local(evil, &out, &warning, &err) == 0 && out == NULL,
	    "a symlinked .mino.toml is not used");
	ok(warning != NULL && strstr(warning, link) != NULL && strstr(warning, "symlink") != NULL &&
	    strchr(warning, '\n') == NULL, "one-line warning naming the symlink");
	tap_diag("%s", warning != NULL ? warning : "(no warning)");
	free(warning);
	warning = NULL;
	ok(cfgfile_find_local(trusted, &out, &warning, &err) == 0 && out != NULL &&
	    strcmp(out, tfile) == 0 && warning == NULL, "the real file is found where it is");
	free(out);
	out = NULL;

	tap_write(gwfile, "[general]\nverbose = true\n");
	chmod(gw, 0770);
	ok(cfgfile_find_local(gw, &out, &warning, &err) == 0 && out == NULL && warning != NULL &&
	    strstr(warning, gwfile) != NULL, "a file in a group-writable directory is skipped");
	free(warning);
	warning = NULL;

	tap_write(sfile, "[general]\nverbose = true\n");
	chmod(sticky, 01777);
	ok(cfgfile_find_local(sproj, &out, &warning, &err) == 0 && out == NULL && warning != NULL &&
	    strstr(warning, sfile) != NULL, "a file in a sticky world-writable directory is skipped");
	free(warning);
	warning = NULL;
	unlink(sfile);
	ok(symlink(tfile, sfile) == 0, "symlink in the sticky directory");
	ok(cfgfile_find_local(sproj, &out, &warning, &err) == 0 && out == NULL && warning != NULL &&
	    strstr(warning, "symlink") != NULL, "a symlink planted above the project is not used");
	free(warning);
	warning = NULL;

	ok(cfgfile_canon_parent(link, &canon, &err) == 0 && strcmp(canon, link) == 0,
	    "canon_parent keeps the symlink's own path");
	free(canon);
	mino_error_release(&err);

	free(trusted);
	free(evil);
	free(tfile);
	free(link);
	free(gw);
	free(gwfile);
	free(sticky);
	free(sfile);
	free(sproj);
}

static void
test_resolve(const char *dir)
{
	struct mino_error *err = NULL;
	char *g = xasprintf("%s/res/config.toml", dir), *p = xasprintf("%s/res/proj", dir);
	char *lf = xasprintf("%s/res/proj/.mino.toml", dir), *store = xasprintf("%s/res/trust.json", dir);
	char *cmd = xasprintf("mkdir -p '%s'", p);
	struct cfgfile_sources src = { 0 };
	struct cfgfile_report rep;
	struct cfg_layer env, flags;
	struct trust_store ts;
	struct cfg c;
	const char *envp[] = { "MINO_LAYERS=go", NULL };

	ok(system(cmd) == 0, "resolve tree");
	free(cmd);
	tap_write(g, "[container]\nimage = \"global:1\"\nenv = { \"G\" = \"1\", \"S\" = \"g\" }\n"
	    "[credentials.aws]\nenabled = true\n");
	tap_write(lf, "[general]\nverbose = true\naudit_log = false\n"
	    "[container]\nvolumes = [\"/etc:/x\"]\nnetwork = \"host\"\nimage = \"local:1\"\n"
	    "env = { \"S\" = \"l\" }\n[credentials.aws]\nenabled = false\n");
	src.global_path = g;
	src.local_path = lf;
	src.trust_store = store;

	ok(cfgfile_resolve(&c, &src, &rep, &err) == 0, "resolve, untrusted");
	mino_error_release(&err);
	ok(rep.local_found && !rep.local_trusted && strlen(rep.local_sha256) == 64,
	    "local file found, not trusted, hashed");
	ok(rep.skipped.count == 5, "five sensitive keys skipped (%zu)", rep.skipped.count);
	ok(cfg_bool(&c, "general.audit_log"), "audit_log = false cannot take effect");
	ok(cfg_value(&c, "container.volumes")->count == 0, "volumes /etc:/x cannot take effect");
	ok(strcmp(cfg_string(&c, "container.network"), "bridge") == 0,
	    "network = host cannot take effect");
	ok(strcmp(cfg_string(&c, "container.image"), "global:1") == 0, "global image kept");
	ok(strcmp(toml_value_table_get(cfg_value(&c, "container.env"), "S"), "g") == 0,
	    "local env skipped");
	ok(cfg_bool(&c, "general.verbose"), "safe key applies");
	ok(!cfg_bool(&c, "credentials.aws.enabled") &&
	    cfg_setting(&c, "credentials.aws.enabled")->source == CFG_SRC_LOCAL,
	    "tightening aws.enabled = false applies");
	cfg_free(&c);

	ok(trust_store_load(&ts, store, &err) == 0, "load store");
	ok(trust_store_add(&ts, rep.local_path, rep.local_sha256, &err) == 0, "trust the file");
	mino_error_release(&err);
	trust_store_free(&ts);
	cfgfile_report_free(&rep);

	ok(cfgfile_resolve(&c, &src, &rep, &err) == 0 && rep.local_trusted && rep.skipped.count == 0,
	    "trusted by the store");
	ok(!cfg_bool(&c, "general.audit_log") &&
	    strcmp(cfg_string(&c, "container.network"), "host") == 0 &&
	    strcmp(cfg_string(&c, "container.image"), "local:1") == 0, "trusted values apply");
	ok(strcmp(toml_value_table_get(cfg_value(&c, "container.env"), "S"), "l") == 0 &&
	    strcmp(toml_value_table_get(cfg_value(&c, "container.env"), "G"), "1") == 0,
	    "env merged key by key across files");
	cfg_free(&c);
	cfgfile_report_free(&rep);

	/* One byte more: untrusted again. */
	{
		char *data = slurp(lf), *more = xasprintf("%s ", data);

		tap_write(lf, more);
		free(data);
		free(more);
	}
	ok(cfgfile_resolve(&c, &src, &rep, &err) == 0 && !rep.local_trusted &&
	    rep.skipped.count == 5, "a changed byte asks again");
	cfg_free(&c);
	cfgfile_report_free(&rep);

	src.trust_local = true;
	cfg_layer_init(&env, CFG_SRC_ENV, "environment");
	cfg_layer_init(&flags, CFG_SRC_FLAG, "command line");
	ok(cfg_layer_from_env(&env, envp, &err) == 0, "env layer");
	ok(cfg_layer_set_text(&flags, "container.network", "none", &err) == 0, "flag layer");
	src.env = &env;
	src.flags = &flags;
	ok(cfgfile_resolve(&c, &src, &rep, &err) == 0 && rep.local_trusted, "--trust-local");
	ok(strcmp(cfg_string(&c, "container.network"), "none") == 0 &&
	    cfg_setting(&c, "container.network")->source == CFG_SRC_FLAG, "flags win");
	ok(strcmp(cfg_value(&c, "container.layers")->items[0], "go") == 0 &&
	    cfg_setting(&c, "container.layers")->source == CFG_SRC_ENV, "env applies");
	ok(cfg_setting(&c, "general.verbose")->source == CFG_SRC_LOCAL &&
	    cfg_setting(&c, "general.verbose")->line == 2, "local provenance with line");
	cfg_free(&c);
	cfgfile_report_free(&rep);
	cfg_layer_free(&env);
	cfg_layer_free(&flags);

	/* No files at all: defaults. */
	memset(&src, 0, sizeof src);
	ok(cfgfile_resolve(&c, &src, &rep, &err) == 0 && !rep.local_found &&
	    strcmp(cfg_string(&c, "container.image"), "fedora:43") == 0, "nothing: defaults");
	cfg_free(&c);
	cfgfile_report_free(&rep);

	/* A broken global file is an error naming file:line. */
	tap_write(g, "[container]\nimage = 5\n");
	src.global_path = g;
	ok(cfgfile_resolve(&c, &src, &rep, &err) < 0, "broken global file");
	tap_contains(err != NULL ? err->msg : NULL, "config.toml:2: key `container.image`",
	    "error names file:line and key");
	mino_error_release(&err);
	cfgfile_report_free(&rep);

	/* A FIFO named .mino.toml does not hang us. */
	unlink(lf);
	ok(mkfifo(lf, 0600) == 0, "fifo .mino.toml");
	src.global_path = NULL;
	src.local_path = lf;
	ok(cfgfile_resolve(&c, &src, &rep, &err) < 0, "fifo refused");
	tap_contains(err != NULL ? err->msg : NULL, "not a regular file", "fifo message");
	mino_error_release(&err);
	cfgfile_report_free(&rep);
	free(g);
	free(p);
	free(lf);
	free(store);
}

int
main(void)
{
	char *dir = tap_tmpdir();

	test_errors();
	test_edit();
	test_set_files(dir);
	test_init(dir);
	test_find_local(dir);
	test_resolve(dir);
	tap_rmrf(dir);
	free(dir);
	return tap_done();
}
