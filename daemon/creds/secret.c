/* secret.c: zero-on-free for secrets (secret.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
secret_clear(char **sp)
{
	secret_free(*sp);
	*sp = NULL;
}

void
secret_buf_free(struct buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}

void
cleanup_secretp(char **sp)
{
	secret_clear(sp);
}

void
secret_buf_append(struct buf *b, const void *data, size_t len)
{
	size_t need, cap;
	char *n;

	if (len > SIZE_MAX - b->len - 1)
		fatal("secret_buf_append: %zu + %zu overflows", b->len, len);
	need = b->len + len + 1;
	if (need > b->cap) {
		cap = b->cap < 1024 ? 1024 : b->cap;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		n = xmalloc(cap);
		if (b->len > 0)
			memcpy(n, b->data, b->len);
		if (b->data != NULL)
			OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

int
secret_check_text(const char *what, const char *v, size_t max, struct mino_error **err)
{
	size_t n = strlen(v);

	if (n == 0 || n > max)
		return mino_make_error(err, MINO_E_IO, 0, "%s is empty or longer than %zu bytes", what, max);
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '"' || *p == '\\')
			return mino_make_error(err, MINO_E_IO, 0, "%s has a byte that is not printable ASCII", what);
	return 0;
}
