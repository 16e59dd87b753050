/* test-layers.c: layer.toml, the tree hash, the choice chain, and the
 * generated Containerfile and tag (layers.c, compose.c). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgkeys.h"
#include "compose.h"
#include "layers.h"
#include "minod.h"
#include "strv.h"
#include "tap.h"
#include "toml.h"
#include "xalloc.h"

struct minod minod; /* podman.c reads it */

static char root[64];

static void
put(const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", root, rel);
	FILE *f = fopen(p, "w");

	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	free(p);
}

static void
mk(const char *rel)
{
	char *p = xasprintf("%s/%s", root, rel);

	mkdir(p, 0755);
	free(p);
}

static int
load(const char *name, struct layer *l, struct mino_error **err)
{
	char *dir = xasprintf("%s/%s", root, name);
	int r = layer_load(name, dir, LAYER_USER, l, err);

	free(dir);
	return r;
}

static void
test_load(void)
{
	struct layer l;
	struct mino_error *err = NULL;

	mk("go");
	put("go/layer.toml", "[layer]\nname = \"go\"\ndescription = \"Go\"\nversion = \"1\"\n\n[env]\n"
	    "GOPATH = \"/cache/go\"\nODD = \"a b$c\"\n\n[env.path_prepend]\ndirs = [\"/usr/local/go/bin\"]\n\n"
	    "[cache]\npaths = [\"/cache/go\"]\n", 0644);
	put("go/install.sh", "#!/bin/sh\ntrue\n", 0755);
	ok(load("go", &l, &err) == 0, "a valid layer loads");
	is_str(l.env[0], "GOPATH=/cache/go", "env in file order");
	is_str(l.env[1], "ODD=a b$c", "values are kept literally");
	is_str(l.path_prepend[0], "/usr/local/go/bin", "path_prepend dirs");
	is_str(l.cache_paths[0], "/cache/go", "cache paths");
	is_str(l.description, "Go", "description");
	is_int(l.n_files, 2, "two files");
	layer_free(&l);

	put("go/layer.toml", "[layer]\nname = \"go\"\n[env]\nPATH = \"/x\"\n", 0644);
	ok(load("go", &l, &err) < 0 && strstr(err->msg, "go/layer.toml:4:") != NULL, "PATH in [env]: file:line");
	mino_error_release(&err);
	put("go/layer.toml", "[layer]\nname = \"other\"\n", 0644);
	ok(load("go", &l, &err) < 0 && strstr(err->msg, "layer.toml:2:") != NULL, "name must be the directory's");
	mino_error_release(&err);
	put("go/layer.toml", "[cache]\npaths = [\"relative\"]\n", 0644);
	ok(load("go", &l, &err) < 0 && strstr(err->msg, "layer.toml:2:") != NULL, "cache paths are absolute");
	mino_error_release(&err);
	put("go/layer.toml", "[weird]\nx = \"y\"\n", 0644);
	ok(load("go", &l, &err) < 0 && strstr(err->msg, "unknown section `[weird]`") != NULL, "unknown section");
	mino_error_release(&err);
	put("go/layer.toml", "[env]\nX = \"a\nb\"\n", 0644);
	ok(load("go", &l, &err) < 0, "a broken string is an error");
	mino_error_release(&err);
	put("go/layer.toml", "[layer]\nname = \"go\"\n", 0644);
	{
		char *p = xasprintf("%s/go/install.sh", root);

		unlink(p);
		ok(load("go", &l, &err) < 0 && strstr(err->msg, "needs layer.toml and install.sh") != NULL,
		    "install.sh is required");
		mino_error_release(&err);
		put("go/install.sh", "#!/bin/sh\ntrue\n", 0755);
		free(p);
	}
	{
		char *link = xasprintf("%s/go/link", root);

		symlink("/etc/passwd", link);
		ok(load("go", &l, &err) < 0 && strstr(err->msg, "symlink") != NULL, "a symlink is refused");
		mino_error_release(&err);
		unlink(link);
		free(link);
	}
}

static void
test_tree_hash(void)
{
	char a[TRUST_HEX_LEN + 1], b[TRUST_HEX_LEN + 1], c[TRUST_HEX_LEN + 1];
	struct mino_error *err = NULL;
	char *dir = xasprintf("%s/go", root);

	ok(layers_tree_hash(dir, a, &err) == 0, "tree hash");
	put("go/install.sh", "#!/bin/sh\ntrue \n", 0755);
	layers_tree_hash(dir, b, &err);
	ok(strcmp(a, b) != 0, "one byte changes the hash");
	put("go/install.sh", "#!/bin/sh\ntrue \n", 0644);
	layers_tree_hash(dir, c, &err);
	ok(strcmp(b, c) != 0, "the exec bit changes the hash");
	mk("go/sub");
	layers_tree_hash(dir, a, &err);
	ok(strcmp(a, c) != 0, "a new directory changes the hash");
	free(dir);
}

static void
test_names(void)
{
	ok(layers_name_valid("typescript") && layers_name_valid("go-1_x"), "valid names");
	ok(!layers_name_valid("") && !layers_name_valid("Go") && !layers_name_valid("../x") &&
	    !layers_name_valid("-x") && !layers_name_valid("a/b"), "invalid names");
}

static void
choose(const char *image, bool image_flag, const char *layers, enum cfg_source lsrc, char ***out_l,
    char **out_i, struct mino_error **err, int *r)
{
	struct cfg cfg;
	struct cfg_layer fl, gl;
	struct toml_value v = { 0 };

	cfg_init(&cfg);
	cfg_layer_init(&fl, CFG_SRC_FLAG, "command line");
	cfg_layer_init(&gl, lsrc, "file");
	if (image != NULL) {
		toml_value_set_string(&v, image);
		cfg_layer_set(image_flag ? &fl : &gl, "container.image", &v, 0, err);
		toml_value_free(&v);
	}
	if (layers != NULL)
		cfg_layer_set_text(lsrc == CFG_SRC_FLAG ? &fl : &gl, "container.layers", layers, err);
	cfg_apply(&cfg, &gl);
	cfg_apply(&cfg, &fl);
	*r = layers_choose(&cfg, "localhost/mino-base", out_l, out_i, err);
	cfg_free(&cfg);
	cfg_layer_free(&fl);
	cfg_layer_free(&gl);
}

static void
test_choose(void)
{
	struct mino_error *err = NULL;
	char **l = NULL, *i = NULL;
	int r;

	choose("ubuntu:22.04", true, NULL, CFG_SRC_ENV, &l, &i, &err, &r);
	ok(r == 0 && l == NULL && strcmp(i, "ubuntu:22.04") == 0, "a plain image passes through");
	free(i);
	choose("ts", true, NULL, CFG_SRC_ENV, &l, &i, &err, &r);
	ok(r == 0 && l != NULL && strcmp(l[0], "typescript") == 0 && strcmp(i, "localhost/mino-base") == 0,
	    "ts is the typescript layer on the base");
	strv_free(l);
	free(i);
	choose("base", true, NULL, CFG_SRC_ENV, &l, &i, &err, &r);
	ok(r == 0 && l == NULL && strcmp(i, "localhost/mino-base") == 0, "base is the base image");
	free(i);
	choose("fedora:43", true, "rust", CFG_SRC_ENV, &l, &i, &err, &r);
	ok(r == 0 && l == NULL && strcmp(i, "fedora:43") == 0, "--image beats MINO_LAYERS");
	free(i);
	choose("fedora:43", false, "rust,py", CFG_SRC_ENV, &l, &i, &err, &r);
	ok(r == 0 && l != NULL && strcmp(l[1], "py") == 0, "MINO_LAYERS beats container.image");
	strv_free(l);
	free(i);
	choose("fedora:43", true, "rust", CFG_SRC_FLAG, &l, &i, &err, &r);
	ok(r < 0 && strstr(err->msg, "--layers") != NULL, "--layers with --image is refused");
	mino_error_release(&err);
}

static void
test_compose(void)
{
	struct layer l[2];
	struct layer_set ls = { .v = l, .n = 2 };
	struct compose_base base = { .name = "localhost/mino-base", .id = "abc123", .user = "developer" };
	struct mino_error *err = NULL;
	char *cf, *t1, *t2;

	load("go", &l[0], &err);
	mk("py");
	put("py/layer.toml", "[env]\nQ = \"x\\\"y$z\\\\\"\n", 0644);
	put("py/install.sh", "#!/bin/sh\n", 0755);
	ok(load("py", &l[1], &err) == 0, "second layer");
	cf = compose_containerfile(&ls, &base);
	ok(strstr(cf, "FROM abc123\nUSER root\nCOPY l0-go/ /opt/mino/layers/go/\nRUN cd /opt/mino/layers/go && ./install.sh\n"
	    "COPY l1-py/") != NULL, "one COPY and RUN per layer, in order");
	ok(strstr(cf, "ENV Q=\"x\\\"y\\$z\\\\\"\n") != NULL, "env escaped for a literal value");
	ok(strstr(cf, "USER developer\n") != NULL, "the base's user back");
	ok(strstr(cf, "mino.layers=\"go,py\"") != NULL && strstr(cf, "mino.base.id=\"abc123\"") != NULL, "labels");
	t1 = compose_tag(&ls, &base);
	ok(strncmp(t1, COMPOSE_TAG_PREFIX, strlen(COMPOSE_TAG_PREFIX)) == 0, "tag prefix");
	base.id = "abc124";
	t2 = compose_tag(&ls, &base);
	ok(strcmp(t1, t2) != 0, "a new base id, a new tag");
	free(t2);
	base.id = "abc123";
	l[1].sha256[0] = l[1].sha256[0] == 'a' ? 'b' : 'a';
	t2 = compose_tag(&ls, &base);
	ok(strcmp(t1, t2) != 0, "a changed layer file, a new tag");
	free(t1);
	free(t2);
	free(cf);
	layer_free(&l[0]);
	layer_free(&l[1]);
}

int
main(void)
{
	char *cmd;

	snprintf(root, sizeof root, "/tmp/mino-test-layers-XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	test_load();
	test_tree_hash();
	test_names();
	test_choose();
	test_compose();
	cmd = xasprintf("rm -rf '%s'", root);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", root);
	free(cmd);
	return tap_done();
}
