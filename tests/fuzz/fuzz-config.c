/* fuzz-config.c: the config parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mino_config cfg;
	struct mino_error *err = NULL;

	config_init_defaults(&cfg);
	if (config_load_buffer(&cfg, "fuzz.toml", (const char *)data, size, &err) < 0) {
		if (err == NULL || strchr(err->msg, '\n') != NULL || strncmp(err->msg, "fuzz.toml", 9) != 0)
			abort();
		mino_error_release(&err);
	} else if (cfg.container_image == NULL || cfg.session_shell == NULL || cfg.session_auto_cleanup_hours < 0) {
		abort();
	}
	config_free(&cfg);
	return 0;
}
