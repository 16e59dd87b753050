/* test-trust.c: the trust store round trip, its permissions and its
 * refusal of foreign or broken stores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "tap.h"
#include "trust.h"
#include "xalloc.h"

static void test_sha256(void);
static void test_round_trip(const char *dir);
static void test_refused(const char *dir);
static void test_default_path(const char *dir);

static void
test_sha256(void)
{
	char hex[TRUST_HEX_LEN + 1];

	trust_sha256_hex("abc", 3, hex);
	ok(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
	    "SHA-256(abc)");
	trust_sha256_hex("", 0, hex);
	ok(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
	    "SHA-256(empty)");
}

static void
test_round_trip(const char *dir)
{
	struct mino_error *err = NULL;
	char *store = xasprintf("%s/state/trust.json", dir), *file = xasprintf("%s/.mino.toml", dir);
	char *link = xasprintf("%s/link.toml", dir), *canon = NULL, *canon2 = NULL;
	char hex[TRUST_HEX_LEN + 1], hex2[TRUST_HEX_LEN + 1];
	struct trust_store ts;
	struct stat st;
	bool removed;

	tap_write(file, "[general]\nverbose = true\n");
	ok(symlink(file, link) == 0, "symlink");
	ok(trust_hash_file(link, &canon, hex, &err) < 0 && err != NULL &&
	    strstr(err->msg, "symlink") != NULL, "a symlink is refused, not hashed through");
	mino_error_release(&err);
	ok(trust_hash_file(file, &canon, hex, &err) == 0, "hash the file");
	{
		char *real = realpath(file, NULL);

		ok(canon != NULL && real != NULL && strcmp(canon, real) == 0,
		    "canonical path is where the file is");
		free(real);
	}
	ok(trust_store_load(&ts, store, &err) == 0 && json_object_size(ts.files) == 0,
	    "missing store is empty");
	ok(!trust_store_lookup(&ts, canon, hex), "not trusted yet");
	ok(trust_store_add(&ts, canon, hex, &err) == 0, "add");
	mino_error_release(&err);
	ok(stat(store, &st) == 0 && (st.st_mode & 0777) == 0600, "store is 0600");
	trust_store_free(&ts);

	ok(trust_store_load(&ts, store, &err) == 0, "reload");
	ok(trust_store_lookup(&ts, canon, hex), "trusted after reload");
	tap_write(file, "[general]\nverbose = false\n");
	ok(trust_hash_file(file, &canon2, hex2, &err) == 0 && strcmp(hex, hex2) != 0, "new hash");
	ok(!trust_store_lookup(&ts, canon2, hex2), "hash change = untrusted");
	ok(!trust_store_lookup(&ts, "/other/.mino.toml", hex), "other path = untrusted");
	ok(trust_store_add(&ts, canon2, hex2, &err) == 0, "re-trust");
	ok(trust_store_lookup(&ts, canon2, hex2) && !trust_store_lookup(&ts, canon2, hex),
	    "only the newest hash is trusted");
	ok(json_object_size(ts.files) == 1, "one entry per path");
	ok(trust_store_remove(&ts, canon2, &removed, &err) == 0 && removed, "remove");
	ok(trust_store_remove(&ts, canon2, &removed, &err) == 0 && !removed, "remove again");
	trust_store_free(&ts);
	ok(trust_store_load(&ts, store, &err) == 0 && !trust_store_lookup(&ts, canon2, hex2),
	    "removal persisted");
	ok(trust_store_add(&ts, "relative/path", hex2, &err) < 0, "relative path refused");
	mino_error_release(&err);
	ok(trust_store_add(&ts, "/x", "nothex", &err) < 0, "bad hash refused");
	mino_error_release(&err);
	ok(trust_store_add(&ts, "/bad\xff", hex2, &err) < 0, "non-UTF-8 path refused");
	mino_error_release(&err);
	trust_store_free(&ts);
	ok(trust_hash_file("/nonexistent/.mino.toml", &canon2, hex2, &err) < 0, "missing file");
	mino_error_release(&err);
	free(canon);
	free(canon2);
	free(store);
	free(file);
	free(link);
}

static void
test_refused(const char *dir)
{
	struct mino_error *err = NULL;
	char *store = xasprintf("%s/bad.json", dir), *target = xasprintf("%s/target.json", dir);
	struct trust_store ts;
	static const char good[] = "{\"version\": 1, \"files\": {}}";

	tap_write(store, good);
	chmod(store, 0644);
	ok(trust_store_load(&ts, store, &err) < 0, "group/other-readable store refused");
	tap_contains(err != NULL ? err->msg : NULL, "mode 0600", "permission message");
	mino_error_release(&err);
	chmod(store, 0600);
	ok(trust_store_load(&ts, store, &err) == 0, "0600 store accepted");
	trust_store_free(&ts);

	tap_write(store, "{not json");
	ok(trust_store_load(&ts, store, &err) < 0, "corrupt store refused");
	mino_error_release(&err);
	tap_write(store, "{\"version\": 1, \"files\": {\"/a\": {\"sha256\": \"00\"}}}");
	ok(trust_store_load(&ts, store, &err) < 0, "bad hash in the store refused");
	mino_error_release(&err);
	tap_write(store, "{\"version\": 2, \"files\": {}}");
	ok(trust_store_load(&ts, store, &err) < 0, "unknown version refused");
	mino_error_release(&err);
	tap_write(store, "{\"version\": 1, \"files\": {}, \"files\": {}}");
	ok(trust_store_load(&ts, store, &err) < 0, "duplicate keys refused");
	mino_error_release(&err);

	unlink(store);
	tap_write(target, good);
	chmod(target, 0600);
	ok(symlink(target, store) == 0, "symlinked store");
	ok(trust_store_load(&ts, store, &err) < 0, "symlinked store refused (O_NOFOLLOW)");
	mino_error_release(&err);
	free(store);
	free(target);
}

static void
test_default_path(const char *dir)
{
	struct mino_error *err = NULL;
	char *p = NULL, *want = xasprintf("%s/xdg-state/mino/trust.json", dir);
	char *state = xasprintf("%s/xdg-state", dir);

	setenv("XDG_STATE_HOME", state, 1);
	ok(trust_default_path(&p, &err) == 0 && p != NULL && strcmp(p, want) == 0,
	    "default path under the state dir");
	mino_error_release(&err);
	free(p);
	free(want);
	free(state);
}

int
main(void)
{
	char *dir = tap_tmpdir();

	test_sha256();
	test_round_trip(dir);
	test_refused(dir);
	test_default_path(dir);
	tap_rmrf(dir);
	free(dir);
	return tap_done();
}
