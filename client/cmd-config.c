/* cmd-config.c: mino config show|path|init|set|trust.
 *
 * `show` asks minod (config/resolve), the one place where configuration is
 * resolved; only a daemon without that method (-32601) makes the client
 * resolve locally with the same library.  The other subcommands work on
 * the files directly, except `trust`, which records the trust through
 * minod (config/trust) so the decision is audited. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgfile.h"
#include "client.h"
#include "cmd.h"
#include "netpresets.h"
#include "jsonrpc.h"
#include "mino-protocol.h"
#include "paths.h"
#include "trust.h"
#include "xalloc.h"

extern char **environ;

/* What the options of one `mino config` invocation said. */
struct cmd_config_opts {
	const char *sub;
	const char *project;  /* -p, or NULL: the current directory */
	bool local;
	bool force;
	bool json;            /* show -f json */
	int argc;             /* positional arguments after the subcommand */
	char **argv;
};

static int cmd_config_exec(struct cmd_ctx *ctx, int argc, char **argv);
static int cmd_config_show(struct cmd_ctx *ctx, const struct cmd_config_opts *o);
static int cmd_config_path(struct cmd_ctx *ctx, const struct cmd_config_opts *o);
static int cmd_config_init(struct cmd_ctx *ctx, const struct cmd_config_opts *o);
static int cmd_config_set(struct cmd_ctx *ctx, const struct cmd_config_opts *o);
static int cmd_config_trust(struct cmd_ctx *ctx, const struct cmd_config_opts *o);
static int cmd_config_local_path(const struct cmd_config_opts *o, char **out,
	struct mino_error **err);
static json_t *cmd_config_client_env(void);
static int cmd_config_resolve_rpc(struct cmd_ctx *ctx, const char *project, json_t **result,
	struct mino_error **err);
static int cmd_config_resolve_local(struct cmd_ctx *ctx, const char *project, json_t **result,
	struct mino_error **err);
static void cmd_config_value_from_json(json_t *j, struct toml_value *v);
static void cmd_config_comment_text(const char *text, struct buf *out);
static void cmd_config_render_entry(json_t *e, char **section, struct buf *out);
static void cmd_config_render(json_t *result, struct buf *out);
static void cmd_config_render_json(json_t *result, struct buf *out);
static int cmd_config_trust_rpc(struct cmd_ctx *ctx, const char *path, const char *sha256,
	struct mino_error **err);
static void cmd_config_print_sensitive(const char *path, const struct cfg_layer *l);

enum {
	CMD_CONFIG_LOCAL = 0x100,
	CMD_CONFIG_FORCE,
};

static const struct option cmd_config_options[] = {
	{ "project", required_argument, NULL, 'p' },
	{ "local", no_argument, NULL, CMD_CONFIG_LOCAL },
	{ "force", no_argument, NULL, CMD_CONFIG_FORCE },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_config_opts[] = {
	{ 'p', "project", "DIR", "project directory (default: current directory)", CMD_VALUES_DIR },
	{ 0, "local", NULL, "path, set: the project's .mino.toml instead of the global file", NULL },
	{ 0, "force", NULL, "init: overwrite an existing file", NULL },
	{ 'f', "format", "FORMAT", "show: toml (default) or json", "toml json" },
	{ 0 },
};

static const struct cmd_sub cmd_config_subs_doc[] = {
	{ "show", "[-f toml|json]", "the effective configuration as TOML that config.toml "
	  "accepts, each value's source (default, global, local, env, flag) as a trailing comment, "
	  "keys that have no effect on this platform marked; the default subcommand" },
	{ "path", "[--local]", "the global config file (honours -c and MINO_CONFIG); "
	  "--local: the project's .mino.toml" },
	{ "init", "[--force]", "write the global file from the commented template" },
	{ "set", "KEY VALUE [--local]", "set one key in place (arrays: a,b); --local edits the "
	  "project's .mino.toml (created in the current directory)" },
	{ "trust", "[PATH]", "trust the project's .mino.toml as it is now" },
	{ 0 },
};

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.alias = NULL,
	.usage = "[show|path|init|set|trust] [options] [args]",
	.summary = "show or edit the configuration",
	.help = NULL,
	.flags = CMD_STARTDAEMON,
	.opts = cmd_config_opts,
	.subs = cmd_config_subs_doc,
	.longopts = cmd_config_options,
	.args = CMD_ARGS_SUB,
	.exec = cmd_config_exec,
};


static int
cmd_config_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_config_opts o = { .sub = "show" };
	size_t i;
	int ch;

	if (argc > 1 && argv[1][0] != '-') {
		for (i = 0; cmd_config_subs_doc[i].name != NULL; i++)
			if (strcmp(argv[1], cmd_config_subs_doc[i].name) == 0)
				break;
		if (cmd_config_subs_doc[i].name == NULL)
			return cmd_usage_error(&cmd_config_entry,
				"unknown subcommand `%s` (show, path, init, set or trust)", argv[1]);
		o.sub = cmd_config_subs_doc[i].name;
		argc--;
		argv++;
	}
	/* Options may follow the arguments: `config set KEY VALUE --local`. */
	while ((ch = getopt_long(argc, argv, ":p:f:h", cmd_config_options, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o.project = optarg;
			break;
		case CMD_CONFIG_LOCAL:
			o.local = true;
			break;
		case CMD_CONFIG_FORCE:
			o.force = true;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "toml") != 0)
				return cmd_usage_error(&cmd_config_entry,
					"unknown format `%s` (toml or json)", optarg);
			o.json = strcmp(optarg, "json") == 0;
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_config_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_config_entry, ch, argv);
		}
	}
	o.argc = argc - optind;
	o.argv = argv + optind;
	if (o.force && strcmp(o.sub, "init") != 0)
		return cmd_usage_error(&cmd_config_entry, "--force is for `config init`");
	if (o.local && strcmp(o.sub, "path") != 0 && strcmp(o.sub, "set") != 0)
		return cmd_usage_error(&cmd_config_entry, "--local is for `config path` and `config set`");
	if (strcmp(o.sub, "show") == 0)
		return cmd_config_show(ctx, &o);
	if (strcmp(o.sub, "path") == 0)
		return cmd_config_path(ctx, &o);
	if (strcmp(o.sub, "init") == 0)
		return cmd_config_init(ctx, &o);
	if (strcmp(o.sub, "set") == 0)
		return cmd_config_set(ctx, &o);
	return cmd_config_trust(ctx, &o);
}

/* The project's .mino.toml found walking up from -p (or the current
 * directory); *out NULL when there is none. */
static int
cmd_config_local_path(const struct cmd_config_opts *o, char **out, struct mino_error **err)
{
	_cleanup_free_ char *warning = NULL;

	if (cfgfile_find_local(o->project != NULL ? o->project : ".", out, &warning, err) < 0)
		return -1;
	if (warning != NULL)
		fprintf(stderr, "mino: warning: %s\n", warning);
	return 0;
}

/* ---------------------------------------------------------------- show */

/* The client's MINO_LAYERS and MINO_TRUST_LOCAL, if set. */
static json_t *
cmd_config_client_env(void)
{
	static const char *const vars[] = { "MINO_LAYERS", "MINO_TRUST_LOCAL", NULL };
	json_t *env = json_object();

	for (size_t i = 0; vars[i] != NULL; i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL)
			json_object_set_new(env, vars[i], json_string(v));
	}
	return env;
}

static int
cmd_config_resolve_rpc(struct cmd_ctx *ctx, const char *project, json_t **result,
	struct mino_error **err)
{
	struct client *c = NULL;
	json_t *params;
	int rc;

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	params = json_pack("{s:s, s:b, s:o, s:o, s:b}", "project", project, "no_local", ctx->no_local,
		"flags", json_object(), "client_env", cmd_config_client_env(), "trust_local", false);
	if (ctx->config_path != NULL)
		json_object_set_new(params, "config", json_string(ctx->config_path));
	rc = client_call(c, "config/resolve", params, result, err);
	client_free(c);
	return rc < 0 ? -1 : 0;
}

/* Same shape as config/resolve's result, from the library in this process
 * (a daemon that predates config/resolve). */
static int
cmd_config_resolve_local(struct cmd_ctx *ctx, const char *project, json_t **result,
	struct mino_error **err)
{
	_cleanup_free_ char *global = NULL, *local = NULL, *store = NULL, *warning = NULL;
	const char *tl = getenv("MINO_TRUST_LOCAL");
	struct cfgfile_sources src = { 0 };
	struct cfgfile_report rep;
	struct cfg_layer env;
	struct cfg cfg;
	json_t *entries, *res, *warnings;
	int rc;

	if (paths_config_file(ctx->config_path, &global, err) < 0 ||
	    trust_default_path(&store, err) < 0)
		return -1;
	if (!ctx->no_local && cfgfile_find_local(project, &local, &warning, err) < 0)
		return -1;
	cfg_layer_init(&env, CFG_SRC_ENV, "MINO_LAYERS");
	if (cfg_layer_from_env(&env, (const char *const *)environ, err) < 0) {
		cfg_layer_free(&env);
		return -1;
	}
	src.global_path = global;
	src.local_path = local;
	src.trust_local = tl != NULL && strcmp(tl, "1") == 0;
	src.trust_store = store;
	src.env = &env;
	rc = cfgfile_resolve(&cfg, &src, &rep, err);
	cfg_layer_free(&env);
	if (rc < 0) {
		cfgfile_report_free(&rep);
		return -1;
	}
	entries = json_array();
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfg_setting *s = &cfg.settings[i];
		json_t *origin = json_null();
		bool file = s->source == CFG_SRC_GLOBAL || s->source == CFG_SRC_LOCAL;

		/* As minod: an origin only for values from a file. */
		if (file && s->origin != NULL && s->line > 0)
			origin = json_sprintf("%s:%u", s->origin, s->line);
		else if (file && s->origin != NULL)
			origin = json_string(s->origin);
		json_array_append_new(entries, json_pack("{s:s, s:o, s:s, s:o}", "key",
			cfgkeys_table[i].name, "value", toml_value_to_json(&s->value), "source",
			cfgkeys_source_name(s->source), "origin", origin));
	}
	warnings = json_array();
	if (warning != NULL)
		json_array_append_new(warnings, json_string(warning));
	res = json_pack("{s:o, s:n, s:o}", "entries", entries, "local", "warnings", warnings);
	if (rep.local_found) {
		json_t *skipped = json_array();
		struct buf w;

		for (size_t i = 0; i < rep.skipped.count; i++)
			json_array_append_new(skipped, json_pack("{s:s, s:o}", "key",
				rep.skipped.items[i].key->name, "value",
				toml_value_to_json(&rep.skipped.items[i].value)));
		json_object_set_new(res, "local", json_pack("{s:s, s:s, s:b, s:o}", "path",
			rep.local_path, "sha256", rep.local_sha256, "trusted", rep.local_trusted,
			"skipped", skipped));
		if (rep.skipped.count > 0) {
			buf_init(&w);
			cfg_render_skipped_warning(&rep.skipped, rep.local_path, &w);
			json_array_append_new(warnings, json_stringn(w.data, w.len));
			buf_free(&w);
		}
	}
	cfgfile_report_free(&rep);
	cfg_free(&cfg);
	*result = res;
	return 0;
}

static void
cmd_config_value_from_json(json_t *j, struct toml_value *v)
{
	const char *k;
	json_t *item;
	size_t i;

	if (json_is_string(j)) {
		toml_value_set_string(v, json_string_value(j));
	} else if (json_is_integer(j)) {
		toml_value_set_integer(v, (long long)json_integer_value(j));
	} else if (json_is_boolean(j)) {
		toml_value_set_boolean(v, json_is_true(j));
	} else if (json_is_array(j)) {
		toml_value_init_array(v);
		json_array_foreach(j, i, item)
			toml_value_push(v, json_is_string(item) ? json_string_value(item) : "?");
	} else if (json_is_object(j)) {
		toml_value_init_table(v);
		json_object_foreach(j, k, item)
			toml_value_table_put(v, k, json_is_string(item) ? json_string_value(item) : "?");
	} else {
		toml_value_set_string(v, "");
	}
}

/* What each network preset allows here (minod's answer, or this
 * process's own expansion when minod is too old to send it). */
static void
cmd_config_render_presets(json_t *presets, struct buf *out)
{
	const char *name;
	json_t *rules, *r;
	size_t i;

	if (!json_is_object(presets)) {
		netpresets_render(out);
		return;
	}
	json_object_foreach(presets, name, rules) {
		buf_printf(out, "# network preset %s:", name);
		json_array_foreach(rules, i, r)
			buf_printf(out, " %s", json_string_value(r));
		buf_printf(out, "\n");
	}
}

/* "# local PATH: ..." then "key = value  # source (origin)" per entry. */
/* `text` in a TOML comment: control characters (a newline in a path would
 * end the comment) become '?'. */
static void
cmd_config_comment_text(const char *text, struct buf *out)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		buf_printf(out, "%c", *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
}

/* One `leaf = value  # source (origin)` line, under its [section]. */
static void
cmd_config_render_entry(json_t *e, char **section, struct buf *out)
{
	const char *key = json_string_value(json_object_get(e, "key"));
	const char *origin = json_string_value(json_object_get(e, "origin"));
	const char *source = json_string_value(json_object_get(e, "source"));
	const struct cfg_key *k = key != NULL ? cfgkeys_find(key) : NULL;
	_cleanup_free_ char *sec = NULL;
	struct toml_value v = { 0 };

	if (k == NULL)
		return; /* a key this client does not know: JSON shows it */
	sec = cfgkeys_section(key);
	if (*section == NULL || strcmp(*section, sec) != 0) {
		buf_printf(out, "%s[%s]\n", *section != NULL ? "\n" : "", sec);
		free(*section);
		*section = steal_pointer(&sec);
	}
	cmd_config_value_from_json(json_object_get(e, "value"), &v);
	buf_printf(out, "%s = ", strrchr(key, '.') + 1);
	toml_append_value(out, &v);
	buf_printf(out, "  # %s", source != NULL ? source : "?");
	if (origin != NULL) {
		buf_printf(out, " (");
		cmd_config_comment_text(origin, out);
		buf_printf(out, ")");
	}
	if (k->no_effect != NULL)
		buf_printf(out, "; no effect here: %s", k->no_effect);
	buf_printf(out, "\n");
	toml_value_free(&v);
}

/* TOML that config.toml accepts: [section] tables in table order, each
 * value's source as a trailing comment; what is not configuration (the
 * local file's trust, the presets' rules) as comment lines. */
static void
cmd_config_render(json_t *result, struct buf *out)
{
	json_t *local = json_object_get(result, "local");
	json_t *entries = json_object_get(result, "entries");
	_cleanup_free_ char *section = NULL;
	json_t *e, *skipped;
	size_t i;

	buf_printf(out, "# mino config show: the effective configuration; each value's source\n"
		"# (default, global, local, env, flag) follows it.\n");
	if (json_is_object(local)) {
		skipped = json_object_get(local, "skipped");
		buf_printf(out, "# local ");
		cmd_config_comment_text(json_string_value(json_object_get(local, "path")), out);
		buf_printf(out, ": %s",
			json_is_true(json_object_get(local, "trusted")) ? "trusted" : "not trusted");
		for (i = 0; i < json_array_size(skipped); i++)
			buf_printf(out, "%s%s", i == 0 ? "; skipped " : ", ",
				json_string_value(json_object_get(json_array_get(skipped, i), "key")));
		buf_printf(out, " (sha256 %s)\n", json_string_value(json_object_get(local, "sha256")));
	}
	cmd_config_render_presets(json_object_get(result, "network_presets"), out);
	buf_printf(out, "\n");
	json_array_foreach(entries, i, e)
		cmd_config_render_entry(e, &section, out);
}

/* -f json: minod's result, each entry with "no_effect" (the reason, or
 * null). */
static void
cmd_config_render_json(json_t *result, struct buf *out)
{
	json_t *e;
	size_t i;
	char *text;

	json_array_foreach(json_object_get(result, "entries"), i, e) {
		const struct cfg_key *k = cfgkeys_find(json_string_value(json_object_get(e, "key")));

		json_object_set_new(e, "no_effect", k != NULL && k->no_effect != NULL ?
			json_string(k->no_effect) : json_null());
	}
	text = json_dumps(result, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text != NULL)
		buf_printf(out, "%s\n", text);
	free(text);
}

static int
cmd_config_show(struct cmd_ctx *ctx, const struct cmd_config_opts *o)
{
	_cleanup_json_ json_t *result = NULL;
	_cleanup_free_ char *project = NULL;
	struct mino_error *err = NULL;
	json_t *w;
	struct buf out;
	size_t i;
	int rc;

	if (o->argc > 0)
		return cmd_usage_error(&cmd_config_entry, "unexpected argument `%s`", o->argv[0]);
	project = realpath(o->project != NULL ? o->project : ".", NULL);
	if (project == NULL) {
		fprintf(stderr, "mino: project directory `%s`: %s\n",
			o->project != NULL ? o->project : ".", strerror(errno));
		return CMD_EXIT_ERROR;
	}
	rc = cmd_config_resolve_rpc(ctx, project, &result, &err);
	if (rc > 0)
		return rc; /* could not connect: already reported */
	if (rc < 0 && err != NULL && err->code == RPC_METHOD_NOT_FOUND) {
		mino_error_release(&err);
		rc = cmd_config_resolve_local(ctx, project, &result, &err);
	}
	if (rc < 0)
		return cmd_report(&err);
	json_array_foreach(json_object_get(result, "warnings"), i, w)
		if (json_is_string(w))
			fprintf(stderr, "mino: %s\n", json_string_value(w));
	buf_init(&out);
	if (o->json)
		cmd_config_render_json(result, &out);
	else
		cmd_config_render(result, &out);
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return CMD_EXIT_OK;
}

/* ---------------------------------------------------------------- path, init, set */

static int
cmd_config_path(struct cmd_ctx *ctx, const struct cmd_config_opts *o)
{
	_cleanup_free_ char *path = NULL;
	struct mino_error *err = NULL;

	if (o->argc > 0)
		return cmd_usage_error(&cmd_config_entry, "unexpected argument `%s`", o->argv[0]);
	if (o->local) {
		if (cmd_config_local_path(o, &path, &err) < 0)
			return cmd_report(&err);
		if (path == NULL) {
			fprintf(stderr, "mino: no %s found walking up from `%s`\n", CFGFILE_LOCAL_NAME,
				o->project != NULL ? o->project : ".");
			return CMD_EXIT_ERROR;
		}
	} else if (paths_config_file(ctx->config_path, &path, &err) < 0) {
		return cmd_report(&err);
	}
	printf("%s\n", path);
	return CMD_EXIT_OK;
}

static int
cmd_config_init(struct cmd_ctx *ctx, const struct cmd_config_opts *o)
{
	_cleanup_free_ char *path = NULL;
	struct mino_error *err = NULL;

	if (o->argc > 0)
		return cmd_usage_error(&cmd_config_entry, "unexpected argument `%s`", o->argv[0]);
	if (paths_config_file(ctx->config_path, &path, &err) < 0 ||
	    cfgfile_init(path, false, o->force, &err) < 0)
		return cmd_report(&err);
	printf("wrote %s\n", path);
	return CMD_EXIT_OK;
}

static int
cmd_config_set(struct cmd_ctx *ctx, const struct cmd_config_opts *o)
{
	_cleanup_free_ char *path = NULL, *checked = NULL;
	struct mino_error *err = NULL;
	size_t len;

	if (o->argc != 2)
		return cmd_usage_error(&cmd_config_entry, "`config set` takes KEY VALUE");
	/* Key and value first, against the table: a usage error (exit 2). */
	if (cfgfile_edit("value", "", 0, o->argv[0], o->argv[1], &checked, &len, &err) < 0) {
		fprintf(stderr, "mino: %s\n", err->msg);
		mino_error_release(&err);
		return CMD_EXIT_USAGE;
	}
	if (o->local) {
		if (cmd_config_local_path(o, &path, &err) < 0)
			return cmd_report(&err);
		if (path == NULL)
			path = xasprintf("%s/%s", o->project != NULL ? o->project : ".",
				CFGFILE_LOCAL_NAME);
	} else if (paths_config_file(ctx->config_path, &path, &err) < 0) {
		return cmd_report(&err);
	}
	if (cfgfile_set(path, o->argv[0], o->argv[1], &err) < 0)
		return cmd_report(&err);
	return CMD_EXIT_OK;
}

/* ---------------------------------------------------------------- trust */

static void
cmd_config_print_sensitive(const char *path, const struct cfg_layer *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->count; i++) {
		const struct cfg_assign *a = &l->items[i];
		struct buf b;

		if (!(a->key->flags & CFG_SENSITIVE))
			continue;
		if (n++ == 0)
			printf("%s sets these security-sensitive keys:\n", path);
		buf_init(&b);
		buf_printf(&b, "  %s = ", a->key->name);
		toml_append_value(&b, &a->value);
		printf("%.*s  # line %u\n", (int)b.len, b.data, a->line);
		buf_free(&b);
	}
	if (n == 0)
		printf("%s sets no security-sensitive keys\n", path);
}

/* config/trust through minod; a daemon without the method (-32601): the
 * store is written here, without an audit record. */
static int
cmd_config_trust_rpc(struct cmd_ctx *ctx, const char *path, const char *sha256,
	struct mino_error **err)
{
	_cleanup_json_ json_t *result = NULL;
	struct trust_store ts = { 0 };
	_cleanup_free_ char *store = NULL;
	struct client *c = NULL;
	int rc;

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	rc = client_call(c, "config/trust", json_pack("{s:s, s:s}", "path", path, "sha256", sha256),
		&result, err);
	client_free(c);
	if (rc == 0 || (*err)->code != RPC_METHOD_NOT_FOUND)
		return rc;
	mino_error_release(err);
	fprintf(stderr, "mino: minod has no config/trust; recording the trust locally (not audited)\n");
	if (trust_default_path(&store, err) < 0 || trust_store_load(&ts, store, err) < 0)
		return -1;
	rc = trust_store_add(&ts, path, sha256, err);
	trust_store_free(&ts);
	return rc;
}

/* A layer directory (layer.toml inside): its whole tree is trusted, by
 * the hash minod computes (config/trust {layer: true}). */
static bool
cmd_config_is_layer(const char *dir)
{
	_cleanup_free_ char *toml = xasprintf("%s/layer.toml", dir);
	struct stat st;

	return lstat(toml, &st) == 0 && S_ISREG(st.st_mode);
}

static int
cmd_config_trust_layer(struct cmd_ctx *ctx, const char *dir)
{
	_cleanup_json_ json_t *result = NULL;
	_cleanup_free_ char *canon = realpath(dir, NULL);
	struct mino_error *err = NULL;
	struct client *c = NULL;
	int rc;

	if (canon == NULL) {
		fprintf(stderr, "mino: cannot trust `%s`: %s\n", dir, strerror(errno));
		return CMD_EXIT_ERROR;
	}
	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	rc = client_call(c, "config/trust", json_pack("{s:s, s:b}", "path", canon, "layer", true), &result, &err);
	client_free(c);
	if (rc < 0)
		return cmd_report(&err);
	printf("trusted layer %s (sha256 %s)\n", json_string_value(json_object_get(result, "path")),
		json_string_value(json_object_get(result, "sha256")));
	return CMD_EXIT_OK;
}

static int
cmd_config_trust(struct cmd_ctx *ctx, const struct cmd_config_opts *o)
{
	_cleanup_free_ char *path = NULL, *canon = NULL, *data = NULL;
	char sha256[TRUST_HEX_LEN + 1];
	struct mino_error *err = NULL;
	struct cfg_layer layer;
	struct stat st;
	bool found;
	size_t len;
	int rc;

	if (o->argc > 1)
		return cmd_usage_error(&cmd_config_entry, "unexpected argument `%s`", o->argv[1]);
	if (o->argc == 1 && cmd_config_is_layer(o->argv[0]))
		return cmd_config_trust_layer(ctx, o->argv[0]);
	if (o->argc == 1 && stat(o->argv[0], &st) == 0 && S_ISDIR(st.st_mode))
		path = xasprintf("%s/%s", o->argv[0], CFGFILE_LOCAL_NAME);
	else if (o->argc == 1)
		path = xstrdup(o->argv[0]);
	else if (cmd_config_local_path(o, &path, &err) < 0)
		return cmd_report(&err);
	if (path == NULL) {
		fprintf(stderr, "mino: no %s found walking up from `%s`; nothing to trust\n",
			CFGFILE_LOCAL_NAME, o->project != NULL ? o->project : ".");
		return CMD_EXIT_ERROR;
	}
	/* Trusted is the file where it is: a symlink is refused, not followed. */
	if (cfgfile_canon_parent(path, &canon, &err) < 0) {
		mino_error_wrap(&err, "cannot trust `%s`", path);
		return cmd_report(&err);
	}
	/* Hash exactly the bytes we parse and show. */
	if (cfgfile_read(canon, TOML_MAX_FILE, true, &found, &data, &len, NULL, &err) < 0) {
		mino_error_wrap(&err, "cannot trust it");
		return cmd_report(&err);
	}
	if (!found) {
		fprintf(stderr, "mino: cannot trust `%s`: no such file\n", path);
		return CMD_EXIT_ERROR;
	}
	if (cfgfile_parse_layer(canon, data, len, CFG_SRC_LOCAL, &layer, &err) < 0)
		return cmd_report(&err);
	trust_sha256_hex(data, len, sha256);
	cmd_config_print_sensitive(canon, &layer);
	cfg_layer_free(&layer);
	(void)fflush(stdout);
	rc = cmd_config_trust_rpc(ctx, canon, sha256, &err);
	if (rc > 0)
		return rc;
	if (rc < 0)
		return cmd_report(&err);
	printf("trusted %s (sha256 %s)\n", canon, sha256);
	return CMD_EXIT_OK;
}
