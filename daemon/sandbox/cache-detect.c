/* cache-detect.c: lockfile detection, cache keys and volume names
 * (cache.h).  Pure apart from reading the lockfiles: no loop, no podman,
 * so it runs in a worker thread and in unit tests. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "mino-protocol.h"
#include "xalloc.h"

#define L(...) (const char *const[]){ __VA_ARGS__, NULL }

const struct cache_eco cache_ecos[] = {
	{ "npm", L("package-lock.json", "npm-shrinkwrap.json"), L("npm_config_cache=/cache/npm") },
	{ "yarn", L("yarn.lock"), L("YARN_CACHE_FOLDER=/cache/yarn") },
	{ "pnpm", L("pnpm-lock.yaml"), L("npm_config_store_dir=/cache/pnpm") },
	{ "cargo", L("Cargo.lock"), L("CARGO_HOME=/cache/cargo") },
	{ "pip", L("requirements.txt", "Pipfile.lock"), L("PIP_CACHE_DIR=/cache/pip") },
	{ "poetry", L("poetry.lock"), L("POETRY_CACHE_DIR=/cache/poetry") },
	{ "uv", L("uv.lock"), L("UV_CACHE_DIR=/cache/uv") },
	{ "go", L("go.sum"), L("GOMODCACHE=/cache/go/mod", "GOCACHE=/cache/go/build") },
	{ NULL, NULL, NULL },
};

const struct cache_eco cache_eco_xdg = { "xdg", L("-"), L("XDG_CACHE_HOME=/cache/xdg") };

#undef L

static const char hexdigits[] = "0123456789abcdef";

static void
cache_hex(const unsigned char *md, unsigned len, char *out)
{
	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = hexdigits[md[i] >> 4];
		out[2 * i + 1] = hexdigits[md[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
cache_project_hash(const char *project, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(project, strlen(project), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		fatal("cache_project_hash: EVP_Digest failed");
	cache_hex(md, mdlen, out);
}

/* sha256 of a regular file, streamed; 1: not there (or not a regular file). */
static int
cache_hash_file(int dirfd, const char *name, char sha12[13], struct mino_error **err)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	char hex[65];
	unsigned int mdlen = 0;
	struct stat st;
	EVP_MD_CTX *md_ctx;
	ssize_t n;
	int fd, r = 0;

	/* O_NONBLOCK: a FIFO named like a lockfile must not hang the worker. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 1 :
		    mino_make_error(err, MINO_E_IO, errno, "reading lockfile `%s`", name);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 1;
	}
	md_ctx = EVP_MD_CTX_new();
	if (md_ctx == NULL || EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL) != 1)
		fatal("cache_hash_file: EVP_DigestInit failed");
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = mino_make_error(err, MINO_E_IO, errno, "reading lockfile `%s`", name);
			break;
		}
		EVP_DigestUpdate(md_ctx, buf, (size_t)n);
	}
	if (r == 0) {
		EVP_DigestFinal_ex(md_ctx, md, &mdlen);
		cache_hex(md, mdlen, hex);
		memcpy(sha12, hex, 12);
		sha12[12] = '\0';
	}
	EVP_MD_CTX_free(md_ctx);
	close(fd);
	return r;
}

int
cache_detect(const char *project, struct cache_lock **out, size_t *n, struct mino_error **err)
{
	size_t neco = 0;
	struct cache_lock *locks;
	int dirfd, r;

	*out = NULL;
	*n = 0;
	while (cache_ecos[neco].name != NULL)
		neco++;
	dirfd = open(project, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return mino_make_error(err, MINO_E_PROJECT_MISSING, errno, "project directory `%s`", project);
	locks = xcalloc(neco, sizeof *locks);
	for (size_t i = 0; i < neco; i++) {
		for (const char *const *f = cache_ecos[i].lockfiles; *f != NULL; f++) {
			r = cache_hash_file(dirfd, *f, locks[*n].sha12, err);
			if (r < 0) {
				close(dirfd);
				cache_locks_free(locks, *n);
				return -1;
			}
			if (r == 0) {
				locks[*n].eco = &cache_ecos[i];
				locks[*n].lockfile = xstrdup(*f);
				(*n)++;
				break;
			}
		}
	}
	close(dirfd);
	*out = locks;
	return 0;
}

void
cache_locks_free(struct cache_lock *locks, size_t n)
{
	for (size_t i = 0; locks != NULL && i < n; i++)
		free(locks[i].lockfile);
	free(locks);
}

char *
cache_volume_name(const char *eco, const char *sha12, const char *project8, unsigned gen)
{
	char gensuffix[16] = "";

	if (gen > 0)
		snprintf(gensuffix, sizeof gensuffix, "-g%u", gen);
	if (project8 != NULL)
		return xasprintf("mino-cache-%s-%s-%.8s%s", eco, sha12, project8, gensuffix);
	return xasprintf("mino-cache-%s-%s%s", eco, sha12, gensuffix);
}

char *
cache_home_name(const char *project_hash)
{
	return xasprintf("mino-home-%.12s", project_hash);
}

int
cache_check_paths(char *const *paths, const struct cache_lock *locks, size_t n, struct mino_error **err)
{
	char dest[64];

	for (size_t i = 0; paths != NULL && paths[i] != NULL; i++) {
		if (paths[i][0] != '/' || strpbrk(paths[i], ":,\n") != NULL)
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
			    "layer cache path `%s` is not an absolute path without ':' or ','", paths[i]);
		for (size_t k = 0; k < n; k++) {
			snprintf(dest, sizeof dest, "/cache/%s", locks[k].eco->name);
			if (strcmp(paths[i], dest) == 0 || (strncmp(paths[i], dest, strlen(dest)) == 0 &&
			    strcmp(paths[i] + strlen(dest), "/") == 0))
				return mino_make_error(err, MINO_E_CONFIG, 0,
				    "layer cache path `%s` collides with the %s cache of `%s` at %s", paths[i],
				    locks[k].eco->name, locks[k].lockfile, dest);
		}
		if (strcmp(paths[i], "/cache/xdg") == 0 || strcmp(paths[i], "/cache/xdg/") == 0)
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "layer cache path `%s` collides with the XDG cache at /cache/xdg", paths[i]);
	}
	return 0;
}

long long
cache_parse_size(const char *text)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "B", 1 }, { "kB", 1e3 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 }, { "TB", 1e12 },
		{ "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno != 0 || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].unit) == 0)
			return (long long)(v * units[i].mult + 0.5);
	return -1;
}
