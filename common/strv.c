/* strv.c: NULL-terminated vectors of owned strings (strv.h). */
#include <stdlib.h>

#include "strv.h"
#include "xalloc.h"

void
strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

size_t
strv_len(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

void
strv_push(char ***v, char *s)
{
	size_t n = strv_len(*v);

	*v = xreallocarray(*v, n + 2, sizeof **v);
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

char **
strv_copy(char *const *v)
{
	size_t n = strv_len(v);
	char **out;

	if (v == NULL)
		return NULL;
	out = xcalloc(n + 1, sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

char **
strv_from_json(const json_t *arr)
{
	char **v;
	size_t i, n;

	if (arr == NULL || !json_is_array(arr))
		return NULL;
	n = json_array_size(arr);
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++) {
		const char *str = json_string_value(json_array_get(arr, i));

		v[i] = xstrdup(str ? str : "");
	}
	return v;
}

json_t *
strv_to_json(char *const *v)
{
	json_t *arr = json_array();

	for (; v != NULL && *v != NULL; v++)
		json_array_append_new(arr, json_string(*v));
	return arr;
}
