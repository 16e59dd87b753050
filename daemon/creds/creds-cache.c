/* creds-cache.c: the identity-keyed token cache (cache.h).  A short list: one
 * entry per identity in use by this user's sessions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "creds-cache.h"
#include "fsutil.h"
#include "log.h"
#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

struct creds_cache_entry {
	char *key;
	void *value;
	time_t expiry;
	void (*free_fn)(void *value);
	struct creds_cache_entry *next;
};

struct creds_cache {
	struct creds_cache_entry *head;
	size_t count;
	char *dir;      /* persistence, or NULL */
};

static struct creds_cache_entry **creds_cache_find(struct creds_cache *c, const char *key);
static void creds_cache_entry_free(struct creds_cache_entry *e);

struct creds_cache *
creds_cache_new(void)
{
	return xcalloc(1, sizeof(struct creds_cache));
}

static void
creds_cache_entry_free(struct creds_cache_entry *e)
{
	if (e->free_fn != NULL)
		e->free_fn(e->value);
	free(e->key);
	free(e);
}

void
creds_cache_free(struct creds_cache *c)
{
	if (c == NULL)
		return;
	while (c->head != NULL) {
		struct creds_cache_entry *e = c->head;

		c->head = e->next;
		creds_cache_entry_free(e);
	}
	free(c->dir);
	free(c);
}

static void
creds_cache_hash_field(EVP_MD_CTX *ctx, const char *s)
{
	uint64_t len = s != NULL ? (uint64_t)strlen(s) : UINT64_MAX;

	EVP_DigestUpdate(ctx, &len, sizeof len);
	if (s != NULL)
		EVP_DigestUpdate(ctx, s, strlen(s));
}

char *
creds_cache_key(const char *provider, const struct creds_cache_field *f, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatal("creds_cache_key: SHA-256 unavailable");
	creds_cache_hash_field(ctx, provider);
	for (size_t i = 0; i < n; i++) {
		creds_cache_hash_field(ctx, f[i].name);
		creds_cache_hash_field(ctx, f[i].value);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * mdlen] = '\0';
	return xasprintf("%s:%s", provider, hex);
}

static struct creds_cache_entry **
creds_cache_find(struct creds_cache *c, const char *key)
{
	struct creds_cache_entry **pp;

	for (pp = &c->head; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->key, key) == 0)
			return pp;
	return NULL;
}

const void *
creds_cache_get(struct creds_cache *c, const char *key, time_t now, unsigned min_left)
{
	struct creds_cache_entry **pp = creds_cache_find(c, key);

	if (pp == NULL)
		return NULL;
	if ((*pp)->expiry - now <= (time_t)min_left) {
		creds_cache_drop(c, key);
		return NULL;
	}
	return (*pp)->value;
}

void
creds_cache_put(struct creds_cache *c, const char *key, void *value, time_t expiry,
    void (*free_fn)(void *value))
{
	struct creds_cache_entry *e;

	creds_cache_drop(c, key);
	e = xcalloc(1, sizeof *e);
	e->key = xstrdup(key);
	e->value = value;
	e->expiry = expiry;
	e->free_fn = free_fn;
	e->next = c->head;
	c->head = e;
	c->count++;
}

void
creds_cache_drop(struct creds_cache *c, const char *key)
{
	struct creds_cache_entry **pp = creds_cache_find(c, key);
	struct creds_cache_entry *e;

	if (pp == NULL)
		return;
	e = *pp;
	*pp = e->next;
	c->count--;
	creds_cache_entry_free(e);
}

size_t
creds_cache_count(const struct creds_cache *c)
{
	return c->count;
}

#define CREDS_CACHE_MAX_FILE (64u * 1024)

int
creds_cache_set_dir(struct creds_cache *c, const char *dir, struct mino_error **err)
{
	if (fs_mkdir_p(dir, 0700, 1, err) < 0)
		return mino_error_wrap(err, "credential cache directory");
	free(c->dir);
	c->dir = xstrdup(dir);
	return 0;
}

char *
creds_cache_path(const struct creds_cache *c, const char *key)
{
	_cleanup_free_ char *name = xstrdup(key);

	if (c->dir == NULL)
		return NULL;
	for (char *p = name; *p != '\0'; p++)
		if (*p == ':')
			*p = '-';
	return xasprintf("%s/%s.json", c->dir, name);
}

int
creds_cache_persist(struct creds_cache *c, const char *key, const char *text, time_t expiry,
    struct mino_error **err)
{
	_cleanup_free_ char *path = creds_cache_path(c, key);
	json_t *j;
	char *doc;
	int r;

	if (path == NULL)
		return 0;
	j = json_pack("{s:I, s:s}", "expiry", (json_int_t)expiry, "value", text);
	if (j == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "credential cache: the token is not UTF-8 text");
	doc = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	r = fs_write_atomic(path, doc, strlen(doc), 0600, err);
	secret_free(doc);
	return r < 0 ? mino_error_wrap(err, "credential cache") : 0;
}

char *
creds_cache_load(struct creds_cache *c, const char *key, time_t now, unsigned min_left)
{
	_cleanup_free_ char *path = creds_cache_path(c, key);
	_cleanup_secret_ char *doc = NULL;
	struct mino_error *err = NULL;
	size_t len;
	json_t *j, *exp;
	const char *v;
	char *out = NULL;

	if (path == NULL || access(path, F_OK) < 0)
		return NULL;
	if (fs_read_file(path, CREDS_CACHE_MAX_FILE, &doc, &len, &err) < 0) {
		log_warn("credential cache: %s", err->msg);
		mino_error_release(&err);
		return NULL;
	}
	j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
	exp = json_object_get(j, "expiry");
	v = json_string_value(json_object_get(j, "value"));
	if (json_is_integer(exp) && v != NULL && (time_t)json_integer_value(exp) - now > (time_t)min_left)
		out = xstrdup(v);
	json_decref(j);
	if (out == NULL && unlink(path) < 0 && errno != ENOENT)
		log_warn("credential cache: cannot remove %s: %s", path, strerror(errno));
	return out;
}
