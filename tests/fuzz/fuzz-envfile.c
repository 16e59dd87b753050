/* fuzz-envfile.c: the env-file parser (envfile_add_text) and -e NAME
 * lookups on arbitrary bytes: no crash, every result is a valid KEY=VALUE,
 * and an error is one line that never repeats a value from the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *const fuzz_envp[] = { "TOKEN=fuzz-secret-value", "AWS_A=1", "HOME=/h", NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envfile_list l = { 0 };
	struct mino_error *err = NULL;

	if (envfile_add_text(&l, "fuzz.env", (const char *)data, size, fuzz_envp, &err) < 0) {
		if (err == NULL || err->msg == NULL || strchr(err->msg, '\n') != NULL ||
		    strstr(err->msg, "fuzz-secret-value") != NULL)
			abort();
		mino_error_release(&err);
	}
	for (size_t i = 0; i < l.n; i++)
		if (strchr(l.items[i], '=') == NULL || env_validate(l.items[i], NULL) < 0)
			abort();
	envfile_list_free(&l);
	return 0;
}
