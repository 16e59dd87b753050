/* test-names.c: names, workdir derivation, env/volume/network specs. */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tap.h"
#include "xalloc.h"

static void test_names(void);
static void test_workdir(void);
static void test_specs(void);
static void check_workdir(const char *project, const char *configured, const char *want);
static int fails(int rc, struct mino_error **err, const char *want);

static int
fails(int rc, struct mino_error **err, const char *want)
{
	int r = rc == -1 && *err != NULL && strstr((*err)->msg, want) != NULL;

	if (!r)
		tap_diag("rc %d, error `%s`", rc, *err != NULL ? (*err)->msg : "(none)");
	mino_error_release(err);
	return r;
}

static void
test_names(void)
{
	char long_name[80];
	struct mino_error *err = NULL;
	char *a, *b;
	int gen_ok = 1;

	ok(name_is_valid("a"), "one letter");
	ok(name_is_valid("9lives"), "leading digit");
	ok(name_is_valid("my-proj_1.2"), "letters digits _ . -");
	ok(!name_is_valid(""), "empty");
	ok(!name_is_valid("-x") && !name_is_valid(".x") && !name_is_valid("_x"), "leading punctuation");
	ok(!name_is_valid("a b") && !name_is_valid("a/b") && !name_is_valid("a:b"), "space, slash, colon");
	ok(!name_is_valid("caf\xc3\xa9"), "non-ASCII");
	memset(long_name, 'x', 63);
	long_name[63] = '\0';
	ok(name_is_valid(long_name), "63 characters");
	long_name[63] = 'x';
	long_name[64] = '\0';
	ok(!name_is_valid(long_name), "64 characters");
	ok(name_validate("good", &err) == 0 && err == NULL, "name_validate accepts");
	ok(fails(name_validate("a b", &err), &err, "invalid session name `a b`"), "name_validate message");
	ok(fails(name_validate(long_name, &err), &err, "longer than 63"), "name_validate says too long");
	ok(fails(name_validate("x\ny", &err), &err, "`x\\x0ay`"), "name_validate escapes control bytes");

	for (int i = 0; i < 50; i++) {
		a = name_generate();
		if (!name_is_valid(a) || strlen(a) < 8 || strchr(a, '-') == NULL)
			gen_ok = 0;
		free(a);
	}
	ok(gen_ok, "generated names are valid");
	a = name_generate();
	b = name_generate();
	ok(strcmp(a, b) != 0, "two generated names differ (%s, %s)", a, b);
	free(a);
	free(b);
}

static void
check_workdir(const char *project, const char *configured, const char *want)
{
	char *got = workdir_for_project(project, configured);

	is_str(got, want, "workdir_for_project(%s, %s) = %s", project, configured ? configured : "NULL", want);
	free(got);
}

static void
test_workdir(void)
{
	check_workdir("/home/u/src/myproj", NULL, "/myproj");
	check_workdir("/home/u/src/myproj/", "/workspace", "/myproj");
	check_workdir("/home/u/src/my.proj-2_x", NULL, "/my.proj-2_x");
	check_workdir("/home/u/src/myproj", "/code", "/code");
	check_workdir("/home/u/usr", NULL, "/workspace");
	check_workdir("/srv/etc", NULL, "/workspace");
	check_workdir("/x/workspace", NULL, "/workspace");
	check_workdir("/x/cache", NULL, "/workspace");
	check_workdir("/x/lib64", NULL, "/workspace");
	check_workdir("/x/tmp", NULL, "/workspace");
	check_workdir("/x/Usr", NULL, "/Usr");
	check_workdir("/x/my proj", NULL, "/workspace");
	check_workdir("/x/caf\xc3\xa9", NULL, "/workspace");
	check_workdir("/x/a:b", NULL, "/workspace");
	check_workdir("/", NULL, "/workspace");
	check_workdir("/x/..", NULL, "/workspace");
	check_workdir("/x/.", NULL, "/workspace");
	check_workdir("relative", NULL, "/relative");
	check_workdir("/x/y", "relative", "/y");
}

static void
test_specs(void)
{
	struct mino_error *err = NULL;

	ok(env_validate("FOO=bar", &err) == 0, "env FOO=bar");
	ok(env_validate("_x1=", &err) == 0, "env with an empty value");
	ok(env_validate("A=b=c", &err) == 0, "env value with =");
	ok(fails(env_validate("FOO", &err), &err, "expected KEY=VALUE"), "env without =");
	ok(fails(env_validate("=x", &err), &err, "must start"), "env with an empty name");
	ok(fails(env_validate("1A=x", &err), &err, "must start"), "env name with a leading digit");
	ok(fails(env_validate("A-B=x", &err), &err, "only have letters"), "env name with -");
	ok(fails(env_validate("A=x\ny", &err), &err, "newline"), "env value with a newline");
	/* Issue 13 item 3: an error never echoes a value. */
	ok(env_validate("TOKEN=s3cr3t-v4lue\nx", &err) < 0 && strstr(err->msg, "TOKEN") != NULL &&
		strstr(err->msg, "s3cr3t") == NULL, "a newline error names the variable, not its value");
	mino_error_release(&err);
	ok(env_validate("A-B=s3cr3t-v4lue", &err) < 0 && strstr(err->msg, "s3cr3t") == NULL &&
		strstr(err->msg, "A-B") == NULL, "a bad name error shows nothing of the text");
	mino_error_release(&err);
	ok(env_validate("s3cr3t-v4lue", &err) < 0 && strstr(err->msg, "s3cr3t") == NULL,
		"a value given without KEY= is not echoed");
	mino_error_release(&err);
	ok(env_validate("1=s3cr3t-v4lue", &err) < 0 && strstr(err->msg, "s3cr3t") == NULL,
		"a leading-digit error does not echo the value");
	mino_error_release(&err);

	ok(volume_validate("/tmp:/data", &err) == 0, "volume HOST:CONTAINER");
	ok(volume_validate("/tmp:/data:ro,Z", &err) == 0, "volume with options");
	ok(volume_validate("/tmp:/data:z", &err) == 0, "volume with z");
	ok(fails(volume_validate("/tmp", &err), &err, "expected HOST:CONTAINER"), "volume without container");
	ok(fails(volume_validate("tmp:/data", &err), &err, "host path must be absolute"), "relative host");
	ok(fails(volume_validate("/tmp:data", &err), &err, "container path must be absolute"), "relative container");
	ok(fails(volume_validate("/tmp:", &err), &err, "container path must be absolute"), "empty container");
	ok(fails(volume_validate("/tmp/../etc:/data", &err), &err, "`..`"), "host with ..");
	ok(fails(volume_validate("/tmp:/data/..", &err), &err, "`..`"), "container with ..");
	ok(volume_validate("/tmp:/data/..x", &err) == 0, "`..x` is just a name");
	ok(fails(volume_validate("/tmp:/a,b", &err), &err, "`,`"), "container with ,");
	ok(fails(volume_validate("/tmp:/data:ro,exec", &err), &err, "unknown option `exec`"), "unknown option");
	ok(fails(volume_validate("/tmp:/data:", &err), &err, "unknown option"), "empty option list");
	ok(fails(volume_validate("/tmp:/data:ro,rw", &err), &err, "conflict"), "ro and rw");
	ok(fails(volume_validate("/tmp:/data:ro:x", &err), &err, "expected HOST"), "too many colons");
	ok(fails(volume_validate("/nonexistent-mino-test:/data", &err), &err, "No such file"), "missing host path");

	ok(network_validate("bridge", &err) == 0 && network_validate("host", &err) == 0
		&& network_validate("none", &err) == 0, "network modes");
	ok(fails(network_validate("slirp4netns", &err), &err, "expected bridge, host, none or a podman network's name"), "unknown network mode");
	ok(fails(network_validate("", &err), &err, "invalid network mode ``"), "empty network mode");
}

int
main(void)
{
	test_names();
	test_workdir();
	test_specs();
	return tap_done();
}
