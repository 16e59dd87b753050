/* trust.c: the trust store of project-local configuration files. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "cfgfile.h"
#include "fsutil.h"
#include "error.h"
#include "paths.h"
#include "sha256.h"
#include "trust.h"
#include "xalloc.h"

static int trust_store_parse(struct trust_store *ts, const char *data, size_t len,
    struct mino_error **err);
static int trust_store_save(const struct trust_store *ts, struct mino_error **err);
static bool trust_hex_ok(const char *s);
static char *trust_parent_dir(const char *path);

int
trust_default_path(char **out, struct mino_error **err)
{
	_cleanup_free_ char *dir = NULL;

	if (paths_state_dir(&dir, err) < 0)
		return -1;
	*out = xasprintf("%s/trust.json", dir);
	return 0;
}

static bool
trust_hex_ok(const char *s)
{
	if (strlen(s) != TRUST_HEX_LEN)
		return false;
	return strspn(s, "0123456789abcdef") == TRUST_HEX_LEN;
}

static int
trust_store_parse(struct trust_store *ts, const char *data, size_t len, struct mino_error **err)
{
	_cleanup_json_ json_t *root = NULL;
	json_error_t jerr;
	json_t *files, *entry, *version;
	const char *key;

	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return mino_make_error(err, MINO_E_CONFIG, 0, "trust store `%s`: line %d: %s",
		    ts->path, jerr.line, jerr.text);
	version = json_object_get(root, "version");
	files = json_object_get(root, "files");
	if (!json_is_object(root) || !json_is_integer(version) || json_integer_value(version) != 1 ||
	    !json_is_object(files))
		return mino_make_error(err, MINO_E_CONFIG, 0,
		    "trust store `%s`: expected {\"version\": 1, \"files\": {...}}", ts->path);
	json_object_foreach(files, key, entry) {
		json_t *h = json_object_get(entry, "sha256");

		if (key[0] != '/' || !json_is_object(entry) || !json_is_string(h) ||
		    !trust_hex_ok(json_string_value(h)))
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "trust store `%s`: bad entry for `%s`", ts->path, key);
	}
	ts->files = json_incref(files);
	return 0;
}

int
trust_store_load(struct trust_store *ts, const char *path, struct mino_error **err)
{
	_cleanup_free_ char *data = NULL;
	struct stat st;
	size_t len;
	bool found;

	ts->path = xstrdup(path);
	ts->files = NULL;
	if (cfgfile_read(path, TRUST_MAX_STORE, true, &found, &data, &len, &st, err) < 0)
		goto fail;
	if (!found) {
		ts->files = json_object();
		return 0;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		mino_make_error(err, MINO_E_PERMISSION, 0,
		    "trust store `%s` must be owned by you and not accessible to others (mode 0600)",
		    path);
		goto fail;
	}
	if (trust_store_parse(ts, data, len, err) < 0)
		goto fail;
	return 0;
fail:
	trust_store_free(ts);
	return -1;
}

void
trust_store_free(struct trust_store *ts)
{
	free(ts->path);
	ts->path = NULL;
	json_decref(ts->files);
	ts->files = NULL;
}

bool
trust_store_lookup(const struct trust_store *ts, const char *canon, const char *sha256)
{
	json_t *entry = json_object_get(ts->files, canon);
	const char *h = json_string_value(json_object_get(entry, "sha256"));

	return h != NULL && strcmp(h, sha256) == 0;
}

static char *
trust_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int
trust_store_save(const struct trust_store *ts, struct mino_error **err)
{
	_cleanup_json_ json_t *root = NULL;
	_cleanup_free_ char *text = NULL, *dir = trust_parent_dir(ts->path);

	if (fs_mkdir_p(dir, 0700, 0, err) < 0)
		return -1;
	root = json_pack("{s:i, s:O}", "version", 1, "files", ts->files);
	if (root == NULL)
		fatal("trust_store_save: json_pack failed");
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		fatal("trust_store_save: json_dumps failed");
	if (fs_write_atomic(ts->path, text, strlen(text), 0600, err) < 0)
		return mino_error_wrap(err, "writing the trust store");
	return 0;
}

int
trust_store_add(struct trust_store *ts, const char *canon, const char *sha256,
    struct mino_error **err)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	if (canon[0] != '/' || !trust_hex_ok(sha256))
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "trust: need an absolute path and a SHA-256");
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (json_object_set_new(ts->files, canon,
	    json_pack("{s:s, s:s}", "sha256", sha256, "trusted_at", stamp)) < 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "trust: the path is not valid UTF-8");
	return trust_store_save(ts, err);
}

int
trust_store_remove(struct trust_store *ts, const char *canon, bool *removed,
    struct mino_error **err)
{
	bool had = json_object_get(ts->files, canon) != NULL;

	if (removed != NULL)
		*removed = had;
	if (!had)
		return 0;
	json_object_del(ts->files, canon);
	return trust_store_save(ts, err);
}

void
trust_sha256_hex(const void *data, size_t len, char out[TRUST_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	static const char hex[] = "0123456789abcdef";

	sha256_digest(data, len, md);
	for (unsigned int i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[TRUST_HEX_LEN] = '\0';
}

int
trust_hash_file(const char *path, char **canon, char out[TRUST_HEX_LEN + 1],
    struct mino_error **err)
{
	_cleanup_free_ char *data = NULL, *real = NULL;
	size_t len;
	bool found;

	/* Trusted is the file where it is, never a symlink's target. */
	if (cfgfile_canon_parent(path, &real, err) < 0)
		return -1;
	if (cfgfile_read(real, TOML_MAX_FILE, true, &found, &data, &len, NULL, err) < 0)
		return -1;
	if (!found)
		return mino_make_error(err, MINO_E_IO, ENOENT, "`%s`", real);
	trust_sha256_hex(data, len, out);
	*canon = steal_pointer(&real);
	return 0;
}
