/* test-paths.c: runtime dir checks, socket path, state and config paths. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "tap.h"
#include "xalloc.h"

static char *runtime_with(const char *dir, struct mino_error **err);

static char *
runtime_with(const char *dir, struct mino_error **err)
{
	char *out = NULL;

	setenv("XDG_RUNTIME_DIR", dir, 1);
	if (paths_runtime_dir(&out, err) < 0)
		return NULL;
	return out;
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/mino-test-paths-XXXXXX";
	char *base = mkdtemp(tmpl), *good, *open_dir, *link, *file, *deep, *out = NULL, *want;
	struct mino_error *err = NULL;
	char self[PATH_MAX];

	if (base == NULL) {
		printf("1..0 # SKIP mkdtemp failed\n");
		return 77;
	}
	good = xasprintf("%s/good", base);
	open_dir = xasprintf("%s/open", base);
	link = xasprintf("%s/link", base);
	file = xasprintf("%s/file", base);
	mkdir(good, 0700);
	mkdir(open_dir, 0700);
	chmod(open_dir, 0770);
	if (symlink(good, link) < 0)
		tap_diag("symlink failed");
	close(creat(file, 0600));

	out = runtime_with(good, &err);
	is_str(out, good, "a 0700 dir of ours is accepted");
	free(out);
	ok(runtime_with(open_dir, &err) == NULL && err->code != 0 && strstr(err->msg, "group or others") != NULL,
		"a group-writable runtime dir is refused");
	mino_error_release(&err);
	chmod(open_dir, 0701);
	ok(runtime_with(open_dir, &err) == NULL && err != NULL, "an other-executable runtime dir is refused");
	mino_error_release(&err);
	ok(runtime_with(link, &err) == NULL && strstr(err->msg, "symlink") != NULL, "a symlink is refused");
	mino_error_release(&err);
	ok(runtime_with(file, &err) == NULL && strstr(err->msg, "not a directory") != NULL, "a file is refused");
	mino_error_release(&err);
	ok(runtime_with("/nonexistent-mino", &err) == NULL && err->errno_ == ENOENT, "a missing dir is refused");
	mino_error_release(&err);
	ok(runtime_with("relative/dir", &err) == NULL && strstr(err->msg, "absolute") != NULL,
		"a relative $XDG_RUNTIME_DIR is refused");
	mino_error_release(&err);
	if (getuid() == 0) {
		chmod(open_dir, 0700);
		if (chown(open_dir, 65534, 65534) == 0) {
			ok(runtime_with(open_dir, &err) == NULL && strstr(err->msg, "owned by uid 65534") != NULL,
				"a dir owned by someone else is refused");
			mino_error_release(&err);
		}
	} else {
		ok(runtime_with("/", &err) == NULL && strstr(err->msg, "owned by") != NULL,
			"a dir owned by root is refused");
		mino_error_release(&err);
	}

	setenv("XDG_RUNTIME_DIR", good, 1);
	want = xasprintf("%s/mino.sock", good);
	ok(paths_socket(&out, &err) == 0 && strcmp(out, want) == 0, "socket path in the runtime dir");
	free(out);
	free(want);
	deep = xasprintf("%s/%s", good, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	mkdir(deep, 0700);
	setenv("XDG_RUNTIME_DIR", deep, 1);
	ok(paths_socket(&out, &err) == -1 && err->errno_ == ENAMETOOLONG, "socket path too long: ENAMETOOLONG");
	mino_error_release(&err);

	unsetenv("XDG_RUNTIME_DIR");
	want = xasprintf("/tmp/mino-%lu", (unsigned long)getuid());
	if (paths_runtime_dir(&out, &err) == 0) {
		is_str(out, want, "without $XDG_RUNTIME_DIR: /tmp/mino-UID");
		free(out);
	} else {
		tap_diag("fallback refused: %s", err->msg);
		ok(strstr(err->msg, want) != NULL, "fallback refusal names /tmp/mino-UID");
		mino_error_release(&err);
	}
	free(want);

	setenv("XDG_STATE_HOME", "/st", 1);
	ok(paths_state_dir(&out, &err) == 0 && strcmp(out, "/st/mino") == 0, "state dir from $XDG_STATE_HOME");
	free(out);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/someone", 1);
	ok(paths_state_dir(&out, &err) == 0 && strcmp(out, "/home/someone/.local/state/mino") == 0,
		"state dir from $HOME");
	free(out);

	setenv("MINO_CONFIG", "/etc/m.toml", 1);
	setenv("XDG_CONFIG_HOME", "/cfg", 1);
	ok(paths_config_file("/x.toml", &out, &err) == 0 && strcmp(out, "/x.toml") == 0, "config: -c wins");
	free(out);
	ok(paths_config_file(NULL, &out, &err) == 0 && strcmp(out, "/etc/m.toml") == 0, "config: $MINO_CONFIG");
	free(out);
	unsetenv("MINO_CONFIG");
	ok(paths_config_file(NULL, &out, &err) == 0 && strcmp(out, "/cfg/mino/config.toml") == 0,
		"config: $XDG_CONFIG_HOME");
	free(out);
	unsetenv("XDG_CONFIG_HOME");
	ok(paths_config_file(NULL, &out, &err) == 0 && strcmp(out, "/home/someone/.config/mino/config.toml") == 0,
		"config: ~/.config");
	free(out);

	if (argc > 0 && realpath(argv[0], self) != NULL) {
		*strrchr(self, '/') = '\0';
		ok(paths_self_dir(&out, &err) == 0 && strcmp(out, self) == 0, "paths_self_dir");
		free(out);
	}

	free(good);
	free(open_dir);
	free(link);
	free(file);
	rmdir(deep);
	free(deep);
	{
		char *cmd = xasprintf("rm -rf '%s'", base);

		if (system(cmd) != 0)
			tap_diag("cleanup failed");
		free(cmd);
	}
	return tap_done();
}
