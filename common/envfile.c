/* envfile.c: session environment from the client's environment and env
 * files (envfile.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"
#include "fsutil.h"
#include "error.h"
#include "names.h"
#include "xalloc.h"

static void envfile_push(struct envfile_list *l, char *kv);
static int envfile_add_checked(struct envfile_list *l, char *kv, struct mino_error **err);
static int envfile_add_prefix(struct envfile_list *l, const char *prefix, size_t plen,
	char *const *envp, struct mino_error **err);

static void
envfile_push(struct envfile_list *l, char *kv)
{
	l->items = xreallocarray(l->items, l->n + 1, sizeof *l->items);
	l->items[l->n++] = kv;
}

/* Takes kv. */
static int
envfile_add_checked(struct envfile_list *l, char *kv, struct mino_error **err)
{
	if (env_validate(kv, err) < 0) {
		free(kv);
		return -1;
	}
	envfile_push(l, kv);
	return 0;
}

static int
envfile_add_prefix(struct envfile_list *l, const char *prefix, size_t plen, char *const *envp,
	struct mino_error **err)
{
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		const char *eq = strchr(envp[i], '=');

		if (eq == NULL || strncmp(envp[i], prefix, plen) != 0)
			continue;
		/* The client's own odd variables (a name env_validate refuses)
		 * are not an error of the user's. */
		if (env_validate(envp[i], NULL) < 0)
			continue;
		envfile_push(l, xstrdup(envp[i]));
	}
	(void)err;
	return 0;
}

int
envfile_add_arg(struct envfile_list *l, const char *arg, char *const *envp,
	struct mino_error **err)
{
	size_t nlen = strcspn(arg, "=");
	_cleanup_free_ char *probe = NULL;

	if (arg[nlen] == '=')
		return envfile_add_checked(l, xstrdup(arg), err);
	if (nlen > 0 && arg[nlen - 1] == '*') {
		probe = xasprintf("%.*s=", (int)(nlen - 1), arg);
		if (nlen > 1 && env_validate(probe, err) < 0)
			return -1;
		return envfile_add_prefix(l, arg, nlen - 1, envp, err);
	}
	probe = xasprintf("%s=", arg);
	if (env_validate(probe, err) < 0)
		return -1;
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++)
		if (strncmp(envp[i], arg, nlen) == 0 && envp[i][nlen] == '=')
			return envfile_add_checked(l, xstrdup(envp[i]), err);
	return 0; /* unset: not passed, as podman and docker do */
}

int
envfile_add_text(struct envfile_list *l, const char *origin, const char *data, size_t len,
	char *const *envp, struct mino_error **err)
{
	const char *p = data, *end = data + len;
	unsigned lineno = 0;

	if (memchr(data, '\0', len) != NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "env file `%s` contains a NUL byte",
			origin);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		_cleanup_free_ char *line = NULL;
		const char *s = p;

		lineno++;
		p = nl != NULL ? nl + 1 : end;
		while (s < eol && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f'))
			s++;
		if (s == eol || *s == '#')
			continue;
		line = xstrndup(s, (size_t)(eol - s));
		if (envfile_add_arg(l, line, envp, err) < 0)
			return mino_error_wrap(err, "%s:%u", origin, lineno);
	}
	return 0;
}

int
envfile_add_file(struct envfile_list *l, const char *path, char *const *envp,
	struct mino_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;

	if (fs_read_file_flags(path, ENVFILE_MAX, FS_FOLLOW, &data, &len, err) < 0)
		return mino_error_wrap(err, "env file");
	return envfile_add_text(l, path, data, len, envp, err);
}

void
envfile_list_free(struct envfile_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
