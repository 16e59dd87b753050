/* paths.c: the runtime, state and config locations. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

#include "error.h"
#include "paths.h"
#include "xalloc.h"

static int paths_check_private_dir(const char *dir, struct mino_error **err);
static int paths_check_fallback_dir(const char *dir, struct mino_error **err);
static const char *paths_env(const char *name);
static int paths_home(const char **out, struct mino_error **err);

/* An environment variable that is set to an absolute path, else NULL. */
static const char *
paths_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] == '/' ? v : NULL;
}

static int
paths_home(const char **out, struct mino_error **err)
{
	const char *home = paths_env("HOME");
	struct passwd *pw;

	if (home == NULL) {
		pw = getpwuid(getuid());
		if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
			home = pw->pw_dir;
	}
	if (home == NULL)
		return mino_make_error(err, MINO_E_CONFIG, 0, "cannot find the home directory: $HOME is not set");
	*out = home;
	return 0;
}

static int
paths_check_private_dir(const char *dir, struct mino_error **err)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "runtime directory `%s`", dir);
	if (S_ISLNK(st.st_mode))
		return mino_make_error(err, MINO_E_PERMISSION, 0, "runtime directory `%s` is a symlink", dir);
	if (!S_ISDIR(st.st_mode))
		return mino_make_error(err, MINO_E_PERMISSION, 0, "runtime directory `%s` is not a directory", dir);
	if (st.st_uid != getuid())
		return mino_make_error(err, MINO_E_PERMISSION, 0,
			"runtime directory `%s` is owned by uid %lu, not by us (uid %lu)", dir,
			(unsigned long)st.st_uid, (unsigned long)getuid());
	if ((st.st_mode & 077) != 0)
		return mino_make_error(err, MINO_E_PERMISSION, 0,
			"runtime directory `%s` is accessible by group or others (mode %04o, want 0700)", dir,
			(unsigned)(st.st_mode & 07777));
	return 0;
}

/* The /tmp/mino-UID fallback, which anyone can create first: the error
 * says how to get out of it. */
static int
paths_check_fallback_dir(const char *dir, struct mino_error **err)
{
	char *msg;

	if (paths_check_private_dir(dir, err) == 0)
		return 0;
	if (err == NULL || *err == NULL)
		return -1;
	msg = xasprintf("%s; $XDG_RUNTIME_DIR is not set and this fallback is not usable (another user "
		"may have created it first): set XDG_RUNTIME_DIR to a private directory of yours, or have "
		"`%s` removed", (*err)->msg, dir);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

int
paths_runtime_dir(char **out, struct mino_error **err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	_cleanup_free_ char *dir = NULL;

	if (xdg != NULL && xdg[0] != '\0') {
		if (xdg[0] != '/')
			return mino_make_error(err, MINO_E_CONFIG, 0,
				"$XDG_RUNTIME_DIR `%s` is not an absolute path", xdg);
		dir = xstrdup(xdg);
		if (paths_check_private_dir(dir, err) < 0)
			return -1;
	} else {
		dir = xasprintf("/tmp/mino-%lu", (unsigned long)getuid());
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return mino_make_error(err, MINO_E_IO, errno, "creating runtime directory `%s`", dir);
		/* Never the home directory instead: session secrets would then
		 * sit on persistent disk. */
		if (paths_check_fallback_dir(dir, err) < 0)
			return -1;
	}
	*out = steal_pointer(&dir);
	return 0;
}

int
paths_socket(char **out, struct mino_error **err)
{
	_cleanup_free_ char *dir = NULL;
	char *path;

	if (paths_runtime_dir(&dir, err) < 0)
		return -1;
	path = xasprintf("%s/mino.sock", dir);
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		mino_make_error(err, MINO_E_IO, ENAMETOOLONG, "socket path `%s` is longer than %zu bytes", path,
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		free(path);
		return -1;
	}
	*out = path;
	return 0;
}

int
paths_state_dir(char **out, struct mino_error **err)
{
	const char *xdg = paths_env("XDG_STATE_HOME"), *home = NULL;

	if (xdg != NULL) {
		*out = xasprintf("%s/mino", xdg);
		return 0;
	}
	if (paths_home(&home, err) < 0)
		return -1;
	*out = xasprintf("%s/.local/state/mino", home);
	return 0;
}

int
paths_config_file(const char *override, char **out, struct mino_error **err)
{
	const char *env = getenv("MINO_CONFIG"), *xdg = paths_env("XDG_CONFIG_HOME"), *home = NULL;

	if (override != NULL) {
		*out = xstrdup(override);
		return 0;
	}
	if (env != NULL && env[0] != '\0') {
		*out = xstrdup(env);
		return 0;
	}
	if (xdg != NULL) {
		*out = xasprintf("%s/mino/config.toml", xdg);
		return 0;
	}
	if (paths_home(&home, err) < 0)
		return -1;
	*out = xasprintf("%s/.config/mino/config.toml", home);
	return 0;
}

char *
paths_find_program(const char *name, const char *path)
{
	_cleanup_free_ char *copy = NULL;
	char *dir, *save = NULL, *cand;
	struct stat st;

	copy = xstrdup(path != NULL && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			continue;
		cand = xasprintf("%s/%s", dir, name);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}

int
paths_self_dir(char **out, struct mino_error **err)
{
	char exe[PATH_MAX + 1];
	char *slash;
#ifdef __APPLE__
	uint32_t size = sizeof exe;

	if (_NSGetExecutablePath(exe, &size) != 0)
		return mino_make_error(err, MINO_E_IO, ENAMETOOLONG, "finding the executable's path");
#else
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n < 0)
		return mino_make_error(err, MINO_E_IO, errno, "readlink `/proc/self/exe`");
	exe[n] = '\0';
#endif
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return mino_make_error(err, MINO_E_IO, 0, "executable path `%s` is not absolute", exe);
	*out = slash == exe ? xstrdup("/") : xstrndup(exe, (size_t)(slash - exe));
	return 0;
}
