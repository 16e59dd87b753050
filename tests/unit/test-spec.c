/* test-spec.c: one validator set for session/create's params and the
 * config key table (common/names.c used by common/cfgkeys.c): the same
 * values pass and fail on both sides. */
#include <stdlib.h>
#include <string.h>

#include "cfgkeys.h"
#include "names.h"
#include "tap.h"
#include "toml.h"
#include "xalloc.h"

/* The config key table's verdict on `text` for `key`. */
static bool
cfg_accepts(const char *key, const char *text)
{
	const struct cfg_key *k = cfgkeys_find(key);
	struct mino_error *err = NULL;
	struct toml_value v;
	int r;

	memset(&v, 0, sizeof v);
	r = cfgkeys_parse_text(k, text, &v, &err);
	mino_error_release(&err);
	if (r == 0)
		toml_value_free(&v);
	return r == 0;
}

static bool
rpc_accepts(int (*check)(const char *, struct mino_error **), const char *value)
{
	struct mino_error *err = NULL;
	int r = check(value, &err);

	mino_error_release(&err);
	return r == 0;
}

static void
test_image(void)
{
	char *max = xmalloc(MINO_IMAGE_MAX + 2);
	static const char *const cases[] = {
		"fedora:43", "ghcr.io/x/y:1", "localhost/mino-busybox:latest",
		"", "-x", "a b", "a\tb", "x\x7f",
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ok(rpc_accepts(image_validate, cases[i]) == cfg_accepts("container.image", cases[i]),
		    "image `%s`: the params and the config key agree (%s)", cases[i],
		    rpc_accepts(image_validate, cases[i]) ? "valid" : "invalid");
	memset(max, 'a', MINO_IMAGE_MAX);
	max[MINO_IMAGE_MAX] = '\0';
	ok(rpc_accepts(image_validate, max) && cfg_accepts("container.image", max),
	    "a %d-byte image is valid on both sides", MINO_IMAGE_MAX);
	max[MINO_IMAGE_MAX] = 'a';
	max[MINO_IMAGE_MAX + 1] = '\0';
	ok(!rpc_accepts(image_validate, max) && !cfg_accepts("container.image", max),
	    "a %d-byte image is invalid on both sides (the params allowed 512 before)", MINO_IMAGE_MAX + 1);
	free(max);
}

static void
test_env(void)
{
	static const struct { const char *kv; bool valid; } cases[] = {
		{ "A=1", true }, { "_X=", true }, { "a_b9=v=w", true },
		{ "9A=1", false }, { "A-B=1", false }, { "=1", false },
	};
	struct mino_error *err = NULL;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ok(rpc_accepts(env_validate, cases[i].kv) == cases[i].valid, "env `%s` (params)", cases[i].kv);
		ok(cfg_accepts("container.env", cases[i].kv) == cases[i].valid, "env `%s` (config key)", cases[i].kv);
	}
	/* An invalid name may be a pasted value: neither it nor the value is shown. */
	ok(env_validate("9TOKEN=s3cr3t", &err) < 0 && strstr(err->msg, "s3cr3t") == NULL &&
	    strstr(err->msg, "9TOKEN") == NULL && strstr(err->msg, "not shown") != NULL,
	    "an invalid variable's message shows neither its name nor its value");
	mino_error_release(&err);
	ok(env_validate("TOKEN", &err) < 0 && strstr(err->msg, "`TOKEN`") != NULL,
	    "a valid name without a value is named");
	mino_error_release(&err);
}

static void
test_volumes_network(void)
{
	static const struct { const char *v; bool valid; } vols[] = {
		{ "/tmp:/data", true }, { "/tmp:/data:ro", true }, { "/tmp:/data:Z", true },
		{ "tmp:/data", false }, { "/tmp:data", false }, { "/tmp:/data:exec", false },
		{ "/tmp/../etc:/data", false },
	};
	static const char *const nets[] = { "bridge", "host", "none", "slirp", "" };

	for (size_t i = 0; i < sizeof vols / sizeof *vols; i++) {
		ok(rpc_accepts(volume_validate, vols[i].v) == vols[i].valid, "volume `%s` (params)", vols[i].v);
		ok(cfg_accepts("container.volumes", vols[i].v) == vols[i].valid, "volume `%s` (config key)",
		    vols[i].v);
	}
	for (size_t i = 0; i < sizeof nets / sizeof *nets; i++)
		ok(rpc_accepts(network_validate, nets[i]) == cfg_accepts("container.network", nets[i]),
		    "network `%s`: the params and the config key agree", nets[i]);
}

int
main(void)
{
	test_image();
	test_env();
	test_volumes_network();
	return tap_done();
}
