/* entry-env.c: the command's environment (entry.h).
 *
 * What podman gave us comes first, then each --env file in order; a later
 * definition of a name replaces an earlier one and keeps the earlier one's
 * place.  A file is a sequence of KEY=VALUE\0 records and nothing else.
 * Errors name the file and the record number, never a value.  Merging sorts
 * once (n log n): a 1 MiB file can hold 350,000 records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entry.h"

static void *entry_env_xrealloc(void *p, size_t n, size_t size);
static void entry_env_add(struct entry_env *env, const char *str, size_t keylen);
static bool entry_env_name_ok(const char *s, size_t len);
static int entry_env_read(const char *path, char **bufp, size_t *lenp, struct entry_error *err);
static int entry_env_parse(struct entry_env *env, const char *path, const char *buf, size_t len,
	struct entry_error *err);
static int entry_env_cmp(const void *a, const void *b);
static bool entry_env_same_name(const struct entry_env_var *x, const struct entry_env_var *y);

static void *
entry_env_xrealloc(void *p, size_t n, size_t size)
{
	void *q;

	if (size != 0 && n > SIZE_MAX / size)
		abort();
	q = realloc(p, n != 0 && size != 0 ? n * size : 1);
	if (q == NULL)
		abort();
	return q;
}

static void
entry_env_add(struct entry_env *env, const char *str, size_t keylen)
{
	if (env->nvars == env->capvars) {
		env->capvars = env->capvars ? env->capvars * 2 : 64;
		env->vars = entry_env_xrealloc(env->vars, env->capvars, sizeof *env->vars);
	}
	env->vars[env->nvars] = (struct entry_env_var){
		.str = str, .keylen = keylen, .order = env->nvars,
	};
	env->nvars++;
}

void
entry_env_init(struct entry_env *env, char *const *inherited)
{
	const char *eq;

	memset(env, 0, sizeof *env);
	for (; inherited != NULL && *inherited != NULL; inherited++) {
		eq = strchr(*inherited, '=');
		entry_env_add(env, *inherited, eq ? (size_t)(eq - *inherited) : strlen(*inherited));
	}
}

/* [A-Za-z_][A-Za-z0-9_]* */
static bool
entry_env_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* Reads a whole regular file of at most ENTRY_ENV_FILE_MAX bytes. */
static int
entry_env_read(const char *path, char **bufp, size_t *lenp, struct entry_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	ssize_t n;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return entry_error_set(err, "%s: %s", path,
			errno == ELOOP ? "is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) < 0) {
		entry_error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		entry_error_set(err, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > (off_t)ENTRY_ENV_FILE_MAX) {
		entry_error_set(err, "%s: larger than 1 MiB", path);
		goto out;
	}
	/* One byte more than the limit, to see a file that grew past it. */
	cap = (size_t)st.st_size + 1;
	buf = entry_env_xrealloc(NULL, cap, 1);
	for (;;) {
		if (len == cap) {
			if (cap > ENTRY_ENV_FILE_MAX) {
				entry_error_set(err, "%s: larger than 1 MiB", path);
				goto out;
			}
			cap = cap * 2 > ENTRY_ENV_FILE_MAX + 1 ? ENTRY_ENV_FILE_MAX + 1 : cap * 2;
			buf = entry_env_xrealloc(buf, cap, 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			entry_error_set(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

static int
entry_env_parse(struct entry_env *env, const char *path, const char *buf, size_t len,
	struct entry_error *err)
{
	const char *p = buf, *end = buf + len, *nul, *eq;
	size_t rec = 0, first = env->nvars;

	while (p < end) {
		rec++;
		nul = memchr(p, '\0', (size_t)(end - p));
		if (nul == NULL)
			goto bad_end;
		eq = memchr(p, '=', (size_t)(nul - p));
		if (eq == NULL)
			goto bad_eq;
		if (!entry_env_name_ok(p, (size_t)(eq - p)))
			goto bad_name;
		entry_env_add(env, p, (size_t)(eq - p));
		p = nul + 1;
	}
	return 0;

bad_end:
	entry_error_set(err, "%s: record %zu is not NUL-terminated", path, rec);
	goto fail;
bad_eq:
	entry_error_set(err, "%s: record %zu has no '='", path, rec);
	goto fail;
bad_name:
	entry_error_set(err, "%s: record %zu has an invalid name", path, rec);
fail:
	env->nvars = first;
	return -1;
}

int
entry_env_load(struct entry_env *env, const char *path, struct entry_error *err)
{
	char *buf = NULL;
	size_t len = 0;

	if (entry_env_read(path, &buf, &len, err) < 0)
		return -1;
	if (entry_env_parse(env, path, buf, len, err) < 0) {
		free(buf);
		return -1;
	}
	env->bufs = entry_env_xrealloc(env->bufs, env->nbufs + 1, sizeof *env->bufs);
	env->bufs[env->nbufs++] = buf;
	return 0;
}

/* By name, then by load order. */
static int
entry_env_cmp(const void *a, const void *b)
{
	const struct entry_env_var *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->str, y->str, n);

	if (c != 0)
		return c;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool
entry_env_same_name(const struct entry_env_var *x, const struct entry_env_var *y)
{
	return x->keylen == y->keylen && memcmp(x->str, y->str, x->keylen) == 0;
}

char **
entry_env_merged(struct entry_env *env)
{
	struct entry_env_var *sorted;
	char **slots;
	size_t i, j, n = 0;

	free(env->envp);
	sorted = entry_env_xrealloc(NULL, env->nvars, sizeof *sorted);
	memcpy(sorted, env->vars, env->nvars * sizeof *sorted);
	qsort(sorted, env->nvars, sizeof *sorted, entry_env_cmp);
	/* slots[k]: the winner of the name first defined at position k. */
	slots = calloc(env->nvars + 1, sizeof *slots);
	if (slots == NULL)
		abort();
	for (i = 0; i < env->nvars; i = j) {
		for (j = i + 1; j < env->nvars && entry_env_same_name(&sorted[i], &sorted[j]); j++)
			;
		slots[sorted[i].order] = (char *)sorted[j - 1].str;
	}
	free(sorted);
	for (i = 0; i < env->nvars; i++)
		if (slots[i] != NULL)
			slots[n++] = slots[i];
	slots[n] = NULL;
	env->envp = slots;
	return slots;
}

void
entry_env_free(struct entry_env *env)
{
	size_t i;

	for (i = 0; i < env->nbufs; i++)
		free(env->bufs[i]);
	free(env->bufs);
	free(env->vars);
	free(env->envp);
	memset(env, 0, sizeof *env);
}
