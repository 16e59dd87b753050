/* test-prereq.c: the pure parts of common/prereq.c: subordinate id files,
 * containers.conf init_path, podman info output, podman's init error. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "prereq.h"
#include "tap.h"
#include "xalloc.h"

/* Trimmed from podman 4.3.1's `podman info --format json`. */
static const char info_43[] =
	"{\"host\": {\"arch\": \"amd64\", \"networkBackend\": \"netavark\",\n"
	"  \"ociRuntime\": {\"name\": \"runc\", \"package\": \"runc_1.1.5\", \"path\": \"/usr/bin/runc\"},\n"
	"  \"security\": {\"rootless\": true, \"seccompEnabled\": true},\n"
	"  \"slirp4netns\": {\"executable\": \"/usr/bin/slirp4netns\", \"version\": \"1.2.0\"}},\n"
	" \"store\": {\"graphDriverName\": \"vfs\", \"graphRoot\": \"/home/u/.local/share/containers/storage\"},\n"
	" \"registries\": {}, \"plugins\": {},\n"
	" \"version\": {\"APIVersion\": \"4.3.1\", \"Version\": \"4.3.1\", \"GoVersion\": \"go1.19.8\"}}\n";

/* The shape of podman 5 with pasta and no slirp4netns. */
static const char info_5[] =
	"{\"host\": {\"ociRuntime\": {\"name\": \"crun\", \"path\": \"/usr/bin/crun\"},\n"
	"  \"security\": {\"rootless\": false},\n"
	"  \"slirp4netns\": {\"executable\": \"\"},\n"
	"  \"pasta\": {\"executable\": \"/usr/bin/pasta\"}},\n"
	" \"store\": {\"graphDriverName\": \"overlay\"},\n"
	" \"version\": {\"Version\": \"5.2.2\"}}\n";

static void
test_subid(void)
{
	static const char file[] =
		"alice:100000:65536\n"
		"bob:165536:65536\n"
		"# not a comment in the format, but harmless\n"
		"alice:300000:1000\n"
		"1005:400000:65536\r\n"
		"alice:bad:10\n"
		"alice:500000:\n"
		"alice:600000:12x\n"
		"alicex:700000:65536\n"
		"ali:800000:65536\n"
		"carol:900000:0\n"
		"alice:910000:5";
	unsigned long long total = 1;

	ok(prereq_parse_subid(file, "alice", 1001, &total) == 3 && total == 65536 + 1000 + 5,
		"alice: three well-formed ranges summed, prefixes and bad lines skipped (got %llu)", total);
	ok(prereq_parse_subid(file, "bob", 1002, &total) == 1 && total == 65536, "bob: one range");
	ok(prereq_parse_subid(file, "dave", 1005, &total) == 1 && total == 65536,
		"a line by numeric uid counts (with CRLF)");
	ok(prereq_parse_subid(file, "carol", 1003, &total) == 0 && total == 0, "a zero count is no range");
	ok(prereq_parse_subid("", "alice", 1001, &total) == 0 && total == 0, "an empty file: no ranges");
	ok(prereq_parse_subid(file, NULL, 1005, &total) == 1, "no user name: the uid still matches");
}

static void
test_conf(void)
{
	struct mino_error *err = NULL;
	char *out = NULL;

	ok(prereq_conf_init_path("a.conf",
		"[engine]\ninit_path = \"/wrong/section\"\n"
		"[containers]\n# init_path = \"/commented\"\n"
		"default_ulimits = [\"nofile=1:1\"]\n  init_path   =   \"/opt/catatonit\"   # mine\n"
		"[engine.runtimes]\nrunc = [\"/usr/bin/runc\"]\n", &out, &err) == 0 &&
		out != NULL && strcmp(out, "/opt/catatonit") == 0,
		"init_path of [containers], not of another section or a comment (got %s)", out ? out : "NULL");
	free(out);
	ok(prereq_conf_init_path("b.conf", "[containers]\ninit_path='/lit'\ninit_path=\"/last\"\n", &out, &err) == 0 &&
		out != NULL && strcmp(out, "/last") == 0, "literal strings parse; the last setting wins");
	free(out);
	ok(prereq_conf_init_path("c.conf", "[containers]\ninit_pathx = \"/x\"\n[[containers]]\n", &out, &err) == 0 &&
		out == NULL, "a longer key is not init_path; no setting gives NULL");
	ok(prereq_conf_init_path("d.conf", "[network]\n\n[ containers ]\ninit_path = \"/sp\"\n", &out, &err) == 0 &&
		out != NULL && strcmp(out, "/sp") == 0, "spaces inside the section brackets");
	free(out);
	ok(prereq_conf_init_path("e.conf", "[containers]\n\ninit_path = /unquoted\n", &out, &err) < 0 &&
		out == NULL && err != NULL && strcmp(err->msg, "e.conf:3: init_path is not a quoted string") == 0,
		"an unquoted value: one line naming file and line (%s)", err ? err->msg : "no error");
	mino_error_release(&err);
}

static void
test_conf_files(void)
{
	char tmpl[] = "/tmp/mino-test-prereq-XXXXXX";
	char *dir = mkdtemp(tmpl), *conf, *out = NULL;
	struct mino_error *err = NULL;
	FILE *f;

	if (dir == NULL) {
		ok(false, "mkdtemp");
		return;
	}
	conf = xasprintf("%s/containers.conf", dir);
	f = fopen(conf, "w");
	fputs("[containers]\ninit_path = \"/nonexistent/catatonit\"\n", f);
	fclose(f);
	setenv("CONTAINERS_CONF", conf, 1);
	ok(prereq_init_path(&out, &err) == 0 && out != NULL && strcmp(out, "/nonexistent/catatonit") == 0,
		"$CONTAINERS_CONF is read alone");
	free(out);
	unlink(conf);
	ok(prereq_init_path(&out, &err) < 0 && err != NULL && strstr(err->msg, conf) != NULL,
		"a missing $CONTAINERS_CONF is an error naming it");
	mino_error_release(&err);
	unsetenv("CONTAINERS_CONF");
	rmdir(dir);
	free(conf);
}

static void
test_info(void)
{
	struct prereq_podman_info info;
	struct mino_error *err = NULL;

	ok(prereq_parse_podman_info(info_43, &info, &err) == 0, "podman 4.3 info parses");
	is_str(info.version, "4.3.1", "version");
	ok(info.rootless, "rootless");
	is_str(info.runtime, "runc", "runtime name");
	is_str(info.runtime_path, "/usr/bin/runc", "runtime path");
	is_str(info.graph_driver, "vfs", "graph driver");
	is_str(info.slirp4netns, "/usr/bin/slirp4netns", "slirp4netns");
	ok(info.pasta == NULL, "no pasta in 4.3");
	prereq_podman_info_free(&info);

	ok(prereq_parse_podman_info(info_5, &info, &err) == 0, "podman 5 info parses");
	ok(!info.rootless && info.slirp4netns == NULL, "rootful; an empty slirp4netns path is none");
	is_str(info.pasta, "/usr/bin/pasta", "pasta");
	is_str(info.graph_driver, "overlay", "overlay");
	prereq_podman_info_free(&info);

	ok(prereq_parse_podman_info("Error: cannot connect", &info, &err) < 0 && err != NULL &&
		strstr(err->msg, "not a JSON object") != NULL, "non-JSON output is an error");
	mino_error_release(&err);
	ok(prereq_parse_podman_info("{\"host\": {}}", &info, &err) < 0 && err != NULL &&
		strstr(err->msg, "version") != NULL, "JSON without a version is an error");
	mino_error_release(&err);
}

static void
test_explain(void)
{
	char *m;

	m = prereq_explain_podman_error("Error: container-init binary not found on the host: "
		"stat /usr/libexec/podman/catatonit: no such file or directory\n");
	is_str(m, "init binary /usr/libexec/podman/catatonit is missing: install the package that provides it "
		"(Debian: catatonit)", "podman's init error becomes one line naming the file and the package");
	free(m);
	m = prereq_explain_podman_error("time=\"x\" level=warning msg=\"y\"\n"
		"Error: container-init binary not found on the host: stat /opt/init\n");
	is_str(m, "init binary /opt/init is missing: install the package that provides it (Debian: catatonit)",
		"found after other lines; the path ends at the line end");
	free(m);
	ok(prereq_explain_podman_error("Error: image not known\n") == NULL, "another error is not rewritten");
	ok(prereq_explain_podman_error(NULL) == NULL, "NULL in, NULL out");
	ok(prereq_explain_podman_error("container-init binary not found on the host: stat : x") == NULL,
		"an empty path is not rewritten");
}

static void
test_find_program(void)
{
	char tmpl[] = "/tmp/mino-test-prog-XXXXXX";
	char *dir = mkdtemp(tmpl), *prog, *path, *found;
	FILE *f;

	if (dir == NULL) {
		ok(false, "mkdtemp");
		return;
	}
	prog = xasprintf("%s/podman", dir);
	f = fopen(prog, "w");
	fputs("#!/bin/sh\n", f);
	fclose(f);
	ok(paths_find_program("podman", dir) == NULL, "a non-executable file is not a program");
	chmod(prog, 0755);
	path = xasprintf("relative:%s", dir);
	found = paths_find_program("podman", path);
	is_str(found, prog, "found in the first absolute entry");
	free(found);
	free(path);
	if (chdir(dir) == 0) {
		ok(paths_find_program("podman", ":.:bin") == NULL,
			"empty and relative PATH entries are skipped even where they would match");
		if (chdir("/") != 0)
			tap_diag("chdir / failed");
	}
	unlink(prog);
	rmdir(dir);
	free(prog);
}

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_subid();
	test_conf();
	test_conf_files();
	test_info();
	test_explain();
	test_find_program();
	return tap_done();
}
