/* projectdir.c: the project directory policy (projectdir.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "paths.h"
#include "projectdir.h"
#include "xalloc.h"

static bool projectdir_within(const char *path, const char *dir);
static char *projectdir_canon(char *path);
static char *projectdir_dirname(const char *path);

static const char *const projectdir_names[PROJECTDIR_NKINDS] = {
	[PROJECTDIR_CONFIG] = "mino's configuration directory",
	[PROJECTDIR_STATE] = "mino's state directory",
	[PROJECTDIR_RUNTIME] = "mino's runtime directory",
	[PROJECTDIR_CONTAINERS] = "podman's configuration directory",
};

const char *
projectdir_kind_name(enum projectdir_kind kind)
{
	return kind < PROJECTDIR_NKINDS ? projectdir_names[kind] : "?";
}

/* Whether `path` is `dir` or below it. */
static bool
projectdir_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* realpath() when it exists, else the path as it is; takes `path`. */
static char *
projectdir_canon(char *path)
{
	char *real;

	if (path == NULL)
		return NULL;
	real = realpath(path, NULL);
	if (real == NULL)
		return path;
	free(path);
	return real;
}

static char *
projectdir_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
projectdir_env_default(struct projectdir_env *env, const char *config_override,
	struct mino_error **err)
{
	_cleanup_free_ char *config = NULL;
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	char *dir = NULL;

	memset(env, 0, sizeof *env);
	if (home != NULL && home[0] == '/')
		env->home = projectdir_canon(xstrdup(home));
	if (paths_config_file(config_override, &config, err) < 0)
		goto fail;
	if (config[0] == '/')
		env->dirs[PROJECTDIR_CONFIG] = projectdir_canon(projectdir_dirname(config));
	if (paths_state_dir(&dir, err) < 0)
		goto fail;
	env->dirs[PROJECTDIR_STATE] = projectdir_canon(dir);
	if (paths_runtime_dir(&dir, err) < 0)
		goto fail;
	env->dirs[PROJECTDIR_RUNTIME] = projectdir_canon(dir);
	if (xdg != NULL && xdg[0] == '/')
		env->dirs[PROJECTDIR_CONTAINERS] = projectdir_canon(xasprintf("%s/containers", xdg));
	else if (env->home != NULL)
		env->dirs[PROJECTDIR_CONTAINERS] = projectdir_canon(xasprintf("%s/.config/containers",
			env->home));
	return 0;
fail:
	projectdir_env_free(env);
	return -1;
}

void
projectdir_env_free(struct projectdir_env *env)
{
	free(env->home);
	env->home = NULL;
	for (int i = 0; i < PROJECTDIR_NKINDS; i++) {
		free(env->dirs[i]);
		env->dirs[i] = NULL;
	}
}

int
projectdir_check(const char *project, const struct projectdir_env *env,
	struct mino_error **err)
{
	const char *why = NULL;
	_cleanup_free_ char *what = NULL;

	if (project == NULL || project[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"project directory `%s` is not an absolute path", project != NULL ? project : "");
	if (strcmp(project, "/") == 0)
		why = "it is the root directory";
	else if (env->home != NULL && strcmp(project, env->home) == 0)
		why = "it is your home directory";
	for (int i = 0; why == NULL && i < PROJECTDIR_NKINDS; i++) {
		const char *d = env->dirs[i];

		if (d == NULL)
			continue;
		if (strcmp(d, project) == 0)
			what = xasprintf("it is %s", projectdir_names[i]);
		else if (projectdir_within(d, project))
			what = xasprintf("it contains %s `%s`", projectdir_names[i], d);
		else if (projectdir_within(project, d))
			what = xasprintf("it is inside %s `%s`", projectdir_names[i], d);
		why = what;
	}
	if (why == NULL)
		return 0;
	return mino_make_error(err, MINO_E_PERMISSION, 0,
		"refusing project directory `%s`: %s, so a session could rewrite mino's or podman's "
		"own configuration; pass --unsafe-project-dir to mount it anyway", project, why);
}

size_t
projectdir_masks(const char *project, const char *mount_point,
	const struct projectdir_env *env, struct projectdir_mask **out)
{
	struct projectdir_mask *m = NULL;
	size_t n = 0, plen = strcmp(project, "/") == 0 ? 0 : strlen(project);
	size_t mlen = strlen(mount_point);

	while (mlen > 0 && mount_point[mlen - 1] == '/')
		mlen--;
	for (int i = 0; i < PROJECTDIR_NKINDS; i++) {
		const char *d = env->dirs[i];
		bool dup = false;

		if (d == NULL || !projectdir_within(d, project))
			continue;
		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(m[j].host_path, d) == 0;
		if (dup)
			continue;
		m = xreallocarray(m, n + 1, sizeof *m);
		m[n].kind = (enum projectdir_kind)i;
		m[n].host_path = xstrdup(d);
		m[n].container_path = mlen == 0 && d[plen] == '\0' ? xstrdup("/") :
			xasprintf("%.*s%s", (int)mlen, mount_point, d + plen);
		n++;
	}
	*out = m;
	return n;
}

void
projectdir_masks_free(struct projectdir_mask *masks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(masks[i].host_path);
		free(masks[i].container_path);
	}
	free(masks);
}
