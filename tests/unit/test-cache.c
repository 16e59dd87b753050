/* test-cache.c: lockfile detection, cache keys, volume names and podman's
 * size strings (daemon/sandbox/cache-detect.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "tap.h"
#include "xalloc.h"

static void
put(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static const struct cache_lock *
find(const struct cache_lock *l, size_t n, const char *eco)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].eco->name, eco) == 0)
			return &l[i];
	return NULL;
}

static void
test_detect(void)
{
	char dir[] = "/tmp/test-cache-XXXXXX";
	struct cache_lock *l = NULL;
	struct mino_error *err = NULL;
	const struct cache_lock *x;
	_cleanup_free_ char *fifo = NULL, *sub = NULL;
	size_t n = 0;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	ok(cache_detect(dir, &l, &n, &err) == 0 && n == 0, "no lockfiles, no caches");
	cache_locks_free(l, n);
	put(dir, "package-lock.json", "abc");
	put(dir, "npm-shrinkwrap.json", "other");
	put(dir, "Cargo.lock", "");
	put(dir, "Pipfile.lock", "pip");
	fifo = xasprintf("%s/go.sum", dir);
	ok(mkfifo(fifo, 0600) == 0, "a FIFO named go.sum");
	sub = xasprintf("%s/uv.lock", dir);
	ok(mkdir(sub, 0700) == 0, "a directory named uv.lock");
	ok(cache_detect(dir, &l, &n, &err) == 0, "detect");
	ok(n == 3, "three ecosystems (%zu)", n);
	x = find(l, n, "npm");
	/* sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a3... */
	ok(x != NULL && strcmp(x->lockfile, "package-lock.json") == 0 && strcmp(x->sha12, "ba7816bf8f01") == 0,
	    "npm: package-lock.json first, sha256[:12]");
	x = find(l, n, "cargo");
	ok(x != NULL && strcmp(x->sha12, "e3b0c44298fc") == 0, "cargo: an empty lockfile hashes too");
	ok(find(l, n, "pip") != NULL, "pip from Pipfile.lock");
	ok(find(l, n, "go") == NULL && find(l, n, "uv") == NULL, "FIFOs and directories are not lockfiles");
	cache_locks_free(l, n);
	ok(cache_detect("/nonexistent/project", &l, &n, &err) < 0 && err != NULL, "a missing project fails");
	mino_error_release(&err);
	unlink(fifo);
	rmdir(sub);
	for (const char *const *f = (const char *const[]){ "package-lock.json", "npm-shrinkwrap.json", "Cargo.lock",
	    "Pipfile.lock", NULL }; *f != NULL; f++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, *f);

		unlink(p);
	}
	rmdir(dir);
}

static void
test_names(void)
{
	char h[65];
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	cache_project_hash("/home/u/p", h);
	ok(strlen(h) == 64, "project hash is hex sha256");
	a = cache_volume_name("npm", "0123456789ab", h, 0);
	b = cache_volume_name("npm", "0123456789ab", NULL, 0);
	c = cache_volume_name("cargo", "0123456789ab", h, 3);
	d = cache_home_name(h);
	ok(strncmp(a, "mino-cache-npm-0123456789ab-", 28) == 0 && strlen(a) == 36 && strncmp(a + 28, h, 8) == 0,
	    "project scope: mino-cache-<eco>-<sha12>-<project8> (%s)", a);
	ok(strcmp(b, "mino-cache-npm-0123456789ab") == 0, "shared scope: no project (%s)", b);
	ok(strncmp(c, "mino-cache-cargo-0123456789ab-", 30) == 0 && strncmp(c + 30, h, 8) == 0 &&
	    strcmp(c + 38, "-g3") == 0, "generation suffix (%s)", c);
	ok(strncmp(d, "mino-home-", 10) == 0 && strlen(d) == 22 && strncmp(d + 10, h, 12) == 0, "home (%s)", d);
}

static void
test_sizes(void)
{
	ok(cache_parse_size("0B") == 0, "0B");
	ok(cache_parse_size("5.12kB") == 5120, "5.12kB");
	ok(cache_parse_size("1.5GB") == 1500000000LL, "1.5GB");
	ok(cache_parse_size("2MiB") == 2097152, "2MiB");
	ok(cache_parse_size("12") == -1 && cache_parse_size("x") == -1 && cache_parse_size("-1B") == -1,
	    "not sizes");
}

static void
test_paths(void)
{
	struct cache_lock go = { .eco = NULL, .lockfile = (char *)"go.sum" };
	struct mino_error *err = NULL;
	char *ok_paths[] = { (char *)"/cache/layer-tools", (char *)"/cache/go/bin", NULL };
	char *bad[] = { (char *)"/cache/go", NULL };
	char *rel[] = { (char *)"cache/x", NULL };

	for (const struct cache_eco *e = cache_ecos; e->name != NULL; e++)
		if (strcmp(e->name, "go") == 0)
			go.eco = e;
	ok(cache_check_paths(NULL, &go, 1, &err) == 0, "no layer paths");
	ok(cache_check_paths(ok_paths, &go, 1, &err) == 0, "paths beside and below the go cache");
	ok(cache_check_paths(bad, &go, 1, &err) < 0 && strstr(err->msg, "/cache/go") != NULL &&
	    strstr(err->msg, "go cache of `go.sum`") != NULL, "a layer's /cache/go and the go cache: one error naming both (%s)",
	    err ? err->msg : "");
	mino_error_release(&err);
	ok(cache_check_paths(bad, &go, 0, &err) == 0, "/cache/go without a go.sum is the layer's");
	ok(cache_check_paths(rel, &go, 1, &err) < 0, "a relative path is refused");
	mino_error_release(&err);
}

int
main(void)
{
	test_paths();
	test_detect();
	test_names();
	test_sizes();
	return tap_done();
}
