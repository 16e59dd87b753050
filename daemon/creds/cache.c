/* cache.c: the identity-keyed token cache (cache.h).  A short list: one
 * entry per identity in use by this user's sessions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cache.h"
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
