/* test-envfile.c: -e NAME and --env-file (issue 13 item 3). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile.h"
#include "fsutil.h"
#include "tap.h"
#include "xalloc.h"

static char *const test_envp[] = {
	"HOME=/home/u", "API_TOKEN=s3cr3t=with=eq", "AWS_A=1", "AWS_B=2", "EMPTY=", "1BAD=x", NULL,
};

static bool has(const struct envfile_list *l, const char *kv);

static bool
has(const struct envfile_list *l, const char *kv)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], kv) == 0)
			return true;
	return false;
}

int
main(void)
{
	struct envfile_list l = { 0 };
	struct mino_error *err = NULL;
	char tmpl[] = "/tmp/mino-test-envfile-XXXXXX";
	char *dir = mkdtemp(tmpl), *path, *link;
	const char *text =
		"# a comment\n"
		"\n"
		"   PLAIN=a value with spaces\n"
		"QUOTED=\"kept as is\"\n"
		"API_TOKEN\n"
		"UNSET_ONE\n"
		"AWS_*\n"
		"\tEMPTY=\n"
		"CRLF=x\r\n";

	ok(envfile_add_arg(&l, "A=b", test_envp, &err) == 0 && has(&l, "A=b"), "-e NAME=VALUE as given");
	ok(envfile_add_arg(&l, "API_TOKEN", test_envp, &err) == 0 && has(&l, "API_TOKEN=s3cr3t=with=eq"),
		"-e NAME takes the client's value");
	ok(envfile_add_arg(&l, "NOPE", test_envp, &err) == 0 && l.n == 2, "-e NAME unset: skipped, as podman");
	ok(envfile_add_arg(&l, "AWS_*", test_envp, &err) == 0 && has(&l, "AWS_A=1") && has(&l, "AWS_B=2") && l.n == 4,
		"-e PREFIX* takes every match");
	ok(envfile_add_arg(&l, "BAD-NAME", test_envp, &err) < 0, "-e with a bad name is refused");
	mino_error_release(&err);
	envfile_list_free(&l);

	ok(envfile_add_text(&l, "f.env", text, strlen(text), test_envp, &err) == 0, "env file text parses");
	ok(has(&l, "PLAIN=a value with spaces"), "leading white space dropped, the value kept");
	ok(has(&l, "QUOTED=\"kept as is\""), "quotes are kept, as podman");
	ok(has(&l, "API_TOKEN=s3cr3t=with=eq"), "a bare name takes the client's value");
	ok(has(&l, "AWS_A=1") && has(&l, "AWS_B=2"), "a prefix* line");
	ok(has(&l, "EMPTY="), "an empty value");
	ok(has(&l, "CRLF=x\r"), "the value is everything after `=` (podman keeps a CR)");
	ok(l.n == 7, "comments, blank lines and unset names add nothing");
	envfile_list_free(&l);

	text = "GOOD=1\nBAD NAME=s3cr3t-value\n";
	ok(envfile_add_text(&l, "f.env", text, strlen(text), test_envp, &err) < 0 && err != NULL &&
		strstr(err->msg, "f.env:2") != NULL && strstr(err->msg, "s3cr3t") == NULL,
		"an error names the file and line, never the value");
	tap_diag("%s", err != NULL ? err->msg : "(accepted)");
	mino_error_release(&err);
	envfile_list_free(&l);
	text = "MULTI=a\nNEXT=s3cr3t\0tail\n";
	ok(envfile_add_text(&l, "f.env", text, 21, test_envp, &err) < 0 && strstr(err->msg, "s3cr3t") == NULL,
		"a NUL byte is refused without the value");
	mino_error_release(&err);
	envfile_list_free(&l);

	path = xasprintf("%s/secrets.env", dir);
	link = xasprintf("%s/link.env", dir);
	ok(fs_write_atomic(path, "TOKEN=abc\n", 10, 0600, &err) == 0 && symlink(path, link) == 0, "an env file");
	ok(envfile_add_file(&l, link, test_envp, &err) == 0 && has(&l, "TOKEN=abc"),
		"an env file is read (through a symlink: the user's own file)");
	envfile_list_free(&l);
	ok(envfile_add_file(&l, "/nonexistent/x.env", test_envp, &err) < 0 &&
		strstr(err->msg, "/nonexistent/x.env") != NULL, "a missing env file is an error naming it");
	mino_error_release(&err);
	unlink(link);
	unlink(path);
	rmdir(dir);
	free(path);
	free(link);
	return tap_done();
}
