/* names.c: validation of user-supplied names and specs, generated session
 * names and the workdir derivation. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "error.h"
#include "names.h"
#include "xalloc.h"

static const char *const names_adjectives[] = {
	"amber", "brisk", "calm", "deft", "eager", "fuzzy",
	"gentle", "hardy", "jolly", "lucid", "nimble", "quiet",
};

static const char *const names_nouns[] = {
	"badger", "comet", "falcon", "harbor", "lantern", "maple",
	"otter", "pebble", "quartz", "raven", "thistle", "willow",
};

static const char *const names_reserved[] = {
	"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "media", "mnt",
	"opt", "proc", "root", "run", "sbin", "srv", "sys", "tmp", "usr", "var", "cache", "workspace",
};

static bool names_is_name_char(char c);
static bool names_is_plain(const char *s, size_t len);
static bool names_is_reserved(const char *s, size_t len);
static void names_random(void *out, size_t len);
static int names_check_path(const char *spec, const char *what, const char *path, size_t len,
	struct mino_error **err);
static int names_check_opts(const char *spec, const char *opts, struct mino_error **err);

static bool
names_is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		|| c == '_' || c == '.' || c == '-';
}

bool
name_is_valid(const char *name)
{
	size_t len;

	if (name == NULL || !names_is_name_char(name[0]) || name[0] == '_' || name[0] == '.' || name[0] == '-')
		return false;
	len = strlen(name);
	if (len > MINO_NAME_MAX)
		return false;
	for (size_t i = 1; i < len; i++)
		if (!names_is_name_char(name[i]))
			return false;
	return true;
}

int
name_validate(const char *name, struct mino_error **err)
{
	_cleanup_free_ char *shown = NULL;
	const char *why;

	if (name_is_valid(name))
		return 0;
	if (name == NULL || name[0] == '\0')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "invalid session name ``: it is empty");
	shown = log_sanitize(name, strlen(name));
	if (strlen(name) > MINO_NAME_MAX)
		why = "longer than 63 characters";
	else if (!names_is_name_char(name[0]) || name[0] == '_' || name[0] == '.' || name[0] == '-')
		why = "must start with a letter or a digit";
	else
		why = "only letters, digits, `_`, `.` and `-` are allowed";
	return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "invalid session name `%s`: %s", shown, why);
}

static void
names_random(void *out, size_t len)
{
	ssize_t n;
	int fd;

	do
		n = getrandom(out, len, GRND_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, out, len);
		close(fd);
		if (n == (ssize_t)len)
			return;
	}
	/* Names only need to differ, not to be secret. */
	{
		struct timespec ts;
		unsigned long x;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16);
		for (size_t i = 0; i < len; i++, x >>= 8)
			((unsigned char *)out)[i] = (unsigned char)x;
	}
}

char *
name_generate(void)
{
	unsigned char r[4];
	size_t nadj = sizeof names_adjectives / sizeof names_adjectives[0];
	size_t nnoun = sizeof names_nouns / sizeof names_nouns[0];

	names_random(r, sizeof r);
	return xasprintf("%s-%s-%02x%02x", names_adjectives[r[0] % nadj], names_nouns[r[1] % nnoun], r[2], r[3]);
}

static bool
names_is_plain(const char *s, size_t len)
{
	if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!names_is_name_char(s[i]))
			return false;
	return true;
}

static bool
names_is_reserved(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof names_reserved / sizeof names_reserved[0]; i++)
		if (strlen(names_reserved[i]) == len && memcmp(names_reserved[i], s, len) == 0)
			return true;
	return false;
}

char *
workdir_for_project(const char *project_dir, const char *configured)
{
	const char *end, *base;

	if (configured != NULL && configured[0] == '/' && strcmp(configured, "/workspace") != 0)
		return xstrdup(configured);
	if (project_dir == NULL)
		return xstrdup("/workspace");
	end = project_dir + strlen(project_dir);
	while (end > project_dir && end[-1] == '/')
		end--;
	base = end;
	while (base > project_dir && base[-1] != '/')
		base--;
	if (!names_is_plain(base, (size_t)(end - base)) || names_is_reserved(base, (size_t)(end - base)))
		return xstrdup("/workspace");
	return xasprintf("/%.*s", (int)(end - base), base);
}

bool
env_name_is_valid(const char *name, size_t len)
{
	if (len == 0 || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Errors name the variable, never its value: a value may be a secret, and
 * errors go to logs and terminals.  Text before `=` that is not a valid
 * name is not shown either (it may be a value pasted without its KEY=). */
int
env_validate(const char *kv, struct mino_error **err)
{
	const char *eq = strchr(kv, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
	bool good = env_name_is_valid(kv, nlen);
	_cleanup_free_ char *name = good ? xstrndup(kv, nlen) : NULL;

	if (eq == NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid environment variable%s%s%s: expected KEY=VALUE", good ? " `" : "",
			good ? name : "", good ? "`" : "");
	if (nlen == 0 || (kv[0] >= '0' && kv[0] <= '9'))
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid environment variable: the name must start with a letter or `_` "
			"(the text is not shown)");
	if (!good)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid environment variable: the name may only have letters, digits and `_` "
			"(the text is not shown)");
	if (strchr(eq + 1, '\n') != NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid environment variable `%s`: the value contains a newline", name);
	return 0;
}

static int
names_check_path(const char *spec, const char *what, const char *path, size_t len, struct mino_error **err)
{
	const char *p = path, *end = path + len;

	if (len == 0 || path[0] != '/')
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid volume `%s`: the %s path must be absolute", spec, what);
	if (memchr(path, ',', len) != NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid volume `%s`: the %s path must not contain `,`", spec, what);
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *cend = slash != NULL ? slash : end;

		if (cend - p == 2 && p[0] == '.' && p[1] == '.')
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
				"invalid volume `%s`: the %s path must not contain `..`", spec, what);
		p = cend + 1;
	}
	return 0;
}

static int
names_check_opts(const char *spec, const char *opts, struct mino_error **err)
{
	const char *p = opts;
	int rw = 0, ro = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

		if (n == 2 && memcmp(p, "ro", 2) == 0)
			ro = 1;
		else if (n == 2 && memcmp(p, "rw", 2) == 0)
			rw = 1;
		else if (!(n == 1 && (p[0] == 'z' || p[0] == 'Z')))
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
				"invalid volume `%s`: unknown option `%.*s` (allowed: ro, rw, z, Z)", spec, (int)n, p);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (ro && rw)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid volume `%s`: `ro` and `rw` conflict", spec);
	return 0;
}

static int
names_check_volume(const char *spec, int check_host, struct mino_error **err)
{
	_cleanup_free_ char *shown = log_sanitize(spec, strlen(spec));
	_cleanup_free_ char *host = NULL;
	const char *c1 = strchr(spec, ':'), *c2, *cend;
	struct stat st;

	if (c1 == NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid volume `%s`: expected HOST:CONTAINER[:OPTS]", shown);
	c2 = strchr(c1 + 1, ':');
	cend = c2 != NULL ? c2 : c1 + 1 + strlen(c1 + 1);
	if (c2 != NULL && strchr(c2 + 1, ':') != NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			"invalid volume `%s`: expected HOST:CONTAINER[:OPTS]", shown);
	if (names_check_path(shown, "host", spec, (size_t)(c1 - spec), err) < 0
		|| names_check_path(shown, "container", c1 + 1, (size_t)(cend - (c1 + 1)), err) < 0)
		return -1;
	if (c2 != NULL && names_check_opts(shown, c2 + 1, err) < 0)
		return -1;
	if (check_host == 0)
		return 0;
	host = xstrndup(spec, (size_t)(c1 - spec));
	if (stat(host, &st) < 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, errno,
			"invalid volume `%s`: host path `%s`", shown, host);
	return 0;
}

int
volume_validate(const char *spec, struct mino_error **err)
{
	return names_check_volume(spec, 1, err);
}

bool
volume_syntax_is_valid(const char *spec)
{
	struct mino_error *err = NULL;

	if (names_check_volume(spec, 0, &err) == 0)
		return true;
	mino_error_release(&err);
	return false;
}

/* bridge, host, none, or the name of a podman network (podman's rule);
 * podman's other forms (container:, ns:, slirp4netns, pasta, private) and
 * other spellings of the modes are refused. */
bool
network_is_valid(const char *mode)
{
	static const char *const refused[] = { "bridge", "host", "none", "private", "slirp4netns",
		"pasta", "container", "ns", NULL };
	size_t n;

	if (mode == NULL)
		return false;
	if (strcmp(mode, "bridge") == 0 || strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0)
		return true;
	n = strlen(mode);
	if (n == 0 || n > 64 || !isalnum((unsigned char)mode[0]))
		return false;
	for (const char *p = mode; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	for (size_t i = 0; refused[i] != NULL; i++)
		if (strcasecmp(mode, refused[i]) == 0)
			return false;
	return true;
}

int
network_validate(const char *mode, struct mino_error **err)
{
	_cleanup_free_ char *shown = NULL;

	if (network_is_valid(mode))
		return 0;
	shown = log_sanitize(mode != NULL ? mode : "", mode != NULL ? strlen(mode) : 0);
	return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		"invalid network mode `%s`: expected bridge, host, none or a podman network's name", shown);
}

bool
image_is_valid(const char *image)
{
	size_t n = strlen(image);

	if (n == 0 || n > MINO_IMAGE_MAX || image[0] == '-')
		return false;
	for (const unsigned char *p = (const unsigned char *)image; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

int
image_validate(const char *image, struct mino_error **err)
{
	_cleanup_free_ char *shown = NULL;

	if (image_is_valid(image))
		return 0;
	shown = log_sanitize(image, strlen(image) > 80 ? 80 : strlen(image));
	return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		"invalid image `%s`: expected 1-%d bytes, no leading `-`, no blank or control character",
		shown, MINO_IMAGE_MAX);
}
