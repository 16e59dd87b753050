/* fuzz-toml.c: libFuzzer harness for the configuration parser: the TOML
 * subset, the key table checks and the in-place editor. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfile.h"
#include "cfgkeys.h"
#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mino_error *err = NULL;
	struct toml_doc doc;
	struct cfg_layer layer;
	struct cfg cfg;
	struct buf b;
	char *out = NULL;

	if (toml_parse("fuzz", (const char *)data, size, &doc, &err) < 0) {
		/* Every refusal is one line naming the input. */
		if (err == NULL || strchr(err->msg, '\n') != NULL || strncmp(err->msg, "fuzz", 4) != 0)
			abort();
	} else {
		buf_init(&b);
		for (size_t i = 0; i < doc.n_entries; i++)
			toml_append_value(&b, &doc.entries[i].value);
		buf_free(&b);
		toml_doc_free(&doc);
	}
	mino_error_release(&err);

	if (cfgfile_parse_layer("fuzz", (const char *)data, size, CFG_SRC_LOCAL, &layer, &err) == 0) {
		struct cfg_layer apply, skipped;

		cfg_init(&cfg);
		cfg_trust_gate(&layer, false, &apply, &skipped);
		/* The gate never lets a sensitive widening through. */
		for (size_t i = 0; i < apply.count; i++)
			if (!cfgkeys_untrusted_ok(apply.items[i].key, &apply.items[i].value))
				abort();
		if (apply.count + skipped.count != layer.count)
			abort();
		cfg_apply(&cfg, &apply);
		buf_init(&b);
		cfg_render_show(&cfg, &b);
		cfg_render_layer(&skipped, "  ", &b);
		buf_free(&b);
		cfg_free(&cfg);
		cfg_layer_free(&apply);
		cfg_layer_free(&skipped);
	}
	cfg_layer_free(&layer);
	mino_error_release(&err);

	/* The editor must either refuse or produce a file that parses. */
	if (cfgfile_edit("fuzz", (const char *)data, size, "container.volumes", "/a:/b,/c:/d",
	    &out, NULL, &err) == 0)
		free(out);
	mino_error_release(&err);
	return 0;
}
