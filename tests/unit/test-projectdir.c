/* test-projectdir.c: the project directory policy (issue 13 item 2). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "projectdir.h"
#include "tap.h"
#include "xalloc.h"

static void env_init(struct projectdir_env *env);
static bool refused(const char *project, const struct projectdir_env *env, const char *want);

static void
env_init(struct projectdir_env *env)
{
	memset(env, 0, sizeof *env);
	env->home = xstrdup("/home/u");
	env->dirs[PROJECTDIR_CONFIG] = xstrdup("/home/u/.config/mino");
	env->dirs[PROJECTDIR_STATE] = xstrdup("/home/u/.local/state/mino");
	env->dirs[PROJECTDIR_RUNTIME] = xstrdup("/run/user/1000");
	env->dirs[PROJECTDIR_CONTAINERS] = xstrdup("/home/u/.config/containers");
}

/* Refused with one line that has `want`, the path and the way out. */
static bool
refused(const char *project, const struct projectdir_env *env, const char *want)
{
	struct mino_error *err = NULL;
	bool r;

	if (projectdir_check(project, env, &err) == 0)
		return false;
	tap_diag("%s", err->msg);
	r = strstr(err->msg, want) != NULL && strstr(err->msg, project) != NULL &&
		strstr(err->msg, "--unsafe-project-dir") != NULL && strchr(err->msg, '\n') == NULL;
	mino_error_release(&err);
	return r;
}

int
main(void)
{
	struct projectdir_env env, dflt;
	struct projectdir_mask *m = NULL;
	struct mino_error *err = NULL;
	size_t n;

	env_init(&env);
	ok(projectdir_check("/home/u/src/app", &env, &err) == 0, "an ordinary project is fine");
	ok(projectdir_check("/home/u/.config/minotaur", &env, &err) == 0, "a sibling with a common prefix is fine");
	ok(projectdir_check("/srv/app", &env, &err) == 0, "a project outside home is fine");
	ok(refused("/", &env, "root directory"), "/ is refused");
	ok(refused("/home/u", &env, "home directory"), "$HOME is refused");
	ok(refused("/home/u/.config", &env, "mino's configuration directory"), "a dir holding ~/.config/mino is refused");
	ok(refused("/home/u/.config/mino", &env, "it is mino's configuration directory"), "the config dir itself is refused");
	ok(refused("/home/u/.local", &env, "mino's state directory"), "a dir holding the state dir is refused");
	ok(refused("/home/u/.local/state/mino/logs", &env, "inside mino's state directory"),
		"a dir inside the state dir is refused");
	ok(refused("/run/user", &env, "mino's runtime directory"), "a dir holding the runtime dir is refused");
	ok(refused("/home/u/.config/containers/storage", &env, "podman's configuration directory"),
		"a dir inside ~/.config/containers is refused");
	ok(refused("/home", &env, "mino's configuration directory"), "a dir above $HOME is refused");
	ok(projectdir_check("relative", &env, &err) < 0, "a relative path is an error");
	mino_error_release(&err);

	n = projectdir_masks("/home/u", "/workspace", &env, &m);
	ok(n == 3, "home: three masks (config, state, containers; the runtime dir is elsewhere)");
	ok(n == 3 && m[0].kind == PROJECTDIR_CONFIG && strcmp(m[0].container_path, "/workspace/.config/mino") == 0 &&
		strcmp(m[0].host_path, "/home/u/.config/mino") == 0, "config mask");
	ok(n == 3 && strcmp(m[1].container_path, "/workspace/.local/state/mino") == 0, "state mask");
	ok(n == 3 && strcmp(m[2].container_path, "/workspace/.config/containers") == 0, "containers mask");
	projectdir_masks_free(m, n);
	n = projectdir_masks("/", "/hostroot/", &env, &m);
	ok(n == 4 && strcmp(m[2].container_path, "/hostroot/run/user/1000") == 0, "/: every dir, under the mount point");
	projectdir_masks_free(m, n);
	n = projectdir_masks("/home/u/.config/mino", "/workspace", &env, &m);
	ok(n == 1 && strcmp(m[0].container_path, "/workspace") == 0, "the config dir itself: the whole mount");
	projectdir_masks_free(m, n);
	n = projectdir_masks("/home/u/src/app", "/workspace", &env, &m);
	ok(n == 0, "an ordinary project: no masks");
	projectdir_masks_free(m, n);
	free(env.dirs[PROJECTDIR_CONTAINERS]);
	env.dirs[PROJECTDIR_CONTAINERS] = xstrdup("/home/u/.config/mino");
	n = projectdir_masks("/home/u", "/workspace", &env, &m);
	ok(n == 2, "the same dir twice is masked once");
	projectdir_masks_free(m, n);
	projectdir_env_free(&env);

	setenv("HOME", "/home/someone", 1);
	setenv("XDG_RUNTIME_DIR", "/tmp", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	unsetenv("MINO_CONFIG");
	/* /tmp is not private: the runtime dir check refuses it. */
	ok(projectdir_env_default(&dflt, NULL, &err) < 0, "an unusable runtime dir is an error");
	mino_error_release(&err);
	{
		char tmpl[] = "/tmp/mino-test-projectdir-XXXXXX";
		char *rt = mkdtemp(tmpl);

		setenv("XDG_RUNTIME_DIR", rt, 1);
		ok(projectdir_env_default(&dflt, NULL, &err) == 0, "the default environment");
		ok(strcmp(dflt.home, "/home/someone") == 0 &&
			strcmp(dflt.dirs[PROJECTDIR_CONFIG], "/home/someone/.config/mino") == 0 &&
			strcmp(dflt.dirs[PROJECTDIR_STATE], "/home/someone/.local/state/mino") == 0 &&
			strcmp(dflt.dirs[PROJECTDIR_RUNTIME], rt) == 0 &&
			strcmp(dflt.dirs[PROJECTDIR_CONTAINERS], "/home/someone/.config/containers") == 0,
			"default dirs from $HOME and $XDG_RUNTIME_DIR");
		projectdir_env_free(&dflt);
		ok(projectdir_env_default(&dflt, "/etc/mino/m.toml", &err) == 0 &&
			strcmp(dflt.dirs[PROJECTDIR_CONFIG], "/etc/mino") == 0, "-c moves the config dir");
		projectdir_env_free(&dflt);
		rmdir(rt);
	}
	return tap_done();
}
