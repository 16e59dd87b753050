/* cmd-run.c: mino run: create a session and stream it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "cfgfile.h"
#include "envfile.h"
#include "credenv.h"
#include "jsonrpc.h"
#include "mino-protocol.h"
#include "names.h"
#include "projectdir.h"
#include "netrule.h"
#include "paths.h"
#include "progress.h"
#include "prompt.h"
#include "xalloc.h"

extern char **environ;

static int cmd_run_exec(struct cmd_ctx *ctx, int argc, char **argv);
static int cmd_run_project(const char *arg, char **out);
static int cmd_run_default_project(struct cmd_ctx *ctx, char **out);
static int cmd_run_project_allowed(const char *project, const char *config_path);
static char *cmd_run_volume(const char *spec);
static int cmd_run_stream(struct client *c, json_t *result, bool interactive);
static int cmd_run_append(json_t *array, char *s);
static int cmd_run_env_json(const struct envfile_list *l, json_t **out);
extern char **environ;

static int cmd_run_create(struct client *c, json_t *params, bool ask, json_t **result);

enum {
	CMD_RUN_IMAGE = 0x100,
	CMD_RUN_VOLUME,
	CMD_RUN_NETWORK,
	CMD_RUN_TRUST_LOCAL,
	CMD_RUN_AWS,
	CMD_RUN_NO_AWS,
	CMD_RUN_GCP,
	CMD_RUN_NO_GCP,
	CMD_RUN_AZURE,
	CMD_RUN_NO_AZURE,
	CMD_RUN_ALL_CLOUDS,
	CMD_RUN_NO_CACHE,
	CMD_RUN_ENV_FILE,
	CMD_RUN_UNSAFE_PROJECT_DIR,
	CMD_RUN_NETWORK_ALLOW,
	CMD_RUN_NETWORK_PRESET,
	CMD_RUN_LAYERS,
	CMD_RUN_CACHE_FRESH,
	CMD_RUN_NO_HOME,
	CMD_RUN_GITHUB,
	CMD_RUN_NO_GITHUB,
	CMD_RUN_SSH_AGENT,
	CMD_RUN_NO_SSH_AGENT,
	CMD_RUN_STRICT_CREDENTIALS,
};

/* Switches of session/create's `credentials` object. */
static const struct {
	int opt;
	const char *key;
	bool value;
} cmd_run_cred_flags[] = {
	{ CMD_RUN_GITHUB, "github", true },
	{ CMD_RUN_NO_GITHUB, "github", false },
	{ CMD_RUN_SSH_AGENT, "ssh_agent", true },
	{ CMD_RUN_NO_SSH_AGENT, "ssh_agent", false },
	{ CMD_RUN_STRICT_CREDENTIALS, "strict", true },
};

/* Boolean flags: the config key each sets, and to what. */
static const struct {
	int opt;
	const char *key;
	bool value;
} cmd_run_bool_flags[] = {
	{ CMD_RUN_AWS, "credentials.aws.enabled", true },
	{ CMD_RUN_NO_AWS, "credentials.aws.enabled", false },
	{ CMD_RUN_GCP, "credentials.gcp.enabled", true },
	{ CMD_RUN_NO_GCP, "credentials.gcp.enabled", false },
	{ CMD_RUN_AZURE, "credentials.azure.enabled", true },
	{ CMD_RUN_NO_AZURE, "credentials.azure.enabled", false },
	{ CMD_RUN_ALL_CLOUDS, "credentials.aws.enabled", true },
	{ CMD_RUN_ALL_CLOUDS, "credentials.gcp.enabled", true },
	{ CMD_RUN_ALL_CLOUDS, "credentials.azure.enabled", true },
	{ CMD_RUN_NO_CACHE, "cache.enabled", false },
};

/* Flags with a value: the config key (text form, e.g. "a,b" for lists). */
static const struct {
	int opt;
	const char *key;
} cmd_run_text_flags[] = {
	{ CMD_RUN_NETWORK_ALLOW, "container.network_allow" },
	{ CMD_RUN_NETWORK_PRESET, "container.network_preset" },
	{ CMD_RUN_LAYERS, "container.layers" },
};

static const struct option cmd_run_options[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "project", required_argument, NULL, 'p' },
	{ "image", required_argument, NULL, CMD_RUN_IMAGE },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, CMD_RUN_ENV_FILE },
	{ "unsafe-project-dir", no_argument, NULL, CMD_RUN_UNSAFE_PROJECT_DIR },
	{ "volume", required_argument, NULL, CMD_RUN_VOLUME },
	{ "detach", no_argument, NULL, 'd' },
	{ "network", required_argument, NULL, CMD_RUN_NETWORK },
	{ "trust-local", no_argument, NULL, CMD_RUN_TRUST_LOCAL },
	{ "aws", no_argument, NULL, CMD_RUN_AWS },
	{ "no-aws", no_argument, NULL, CMD_RUN_NO_AWS },
	{ "gcp", no_argument, NULL, CMD_RUN_GCP },
	{ "no-gcp", no_argument, NULL, CMD_RUN_NO_GCP },
	{ "azure", no_argument, NULL, CMD_RUN_AZURE },
	{ "no-azure", no_argument, NULL, CMD_RUN_NO_AZURE },
	{ "all-clouds", no_argument, NULL, CMD_RUN_ALL_CLOUDS },
	{ "no-cache", no_argument, NULL, CMD_RUN_NO_CACHE },
	{ "network-allow", required_argument, NULL, CMD_RUN_NETWORK_ALLOW },
	{ "network-preset", required_argument, NULL, CMD_RUN_NETWORK_PRESET },
	{ "layers", required_argument, NULL, CMD_RUN_LAYERS },
	{ "cache-fresh", no_argument, NULL, CMD_RUN_CACHE_FRESH },
	{ "no-home", no_argument, NULL, CMD_RUN_NO_HOME },
	{ "github", no_argument, NULL, CMD_RUN_GITHUB },
	{ "no-github", no_argument, NULL, CMD_RUN_NO_GITHUB },
	{ "ssh-agent", no_argument, NULL, CMD_RUN_SSH_AGENT },
	{ "no-ssh-agent", no_argument, NULL, CMD_RUN_NO_SSH_AGENT },
	{ "strict-credentials", no_argument, NULL, CMD_RUN_STRICT_CREDENTIALS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_run_opts[] = {
	{ 'n', "name", "NAME", "session name (generated if omitted)", NULL },
	{ 'p', "project", "PATH", "project directory to mount (default: session.default_project_dir, "
	  "else the current directory)", CMD_VALUES_DIR },
	{ 0, "unsafe-project-dir", NULL, "allow / or $HOME as the project, or a directory that holds "
	  "mino's config, state or runtime directory or ~/.config/containers: the session can then "
	  "read and write all of your other files there (ssh keys, shell startup files); those four "
	  "directories are hidden behind empty read-only mounts", NULL },
	{ 0, "image", "IMAGE", "container image (default: config container.image)", NULL },
	{ 'e', "env", "KEY[=VALUE]", "extra environment variable (repeatable); -e KEY takes KEY's "
	  "value from your environment, so that a secret is not on the command line for other "
	  "users to see", NULL },
	{ 0, "env-file", "FILE", "variables from FILE, podman's format: KEY=VALUE or KEY per line, "
	  "# comments (repeatable)", CMD_VALUES_FILE },
	{ 0, "volume", "HOST:CONTAINER", "extra volume mount (repeatable)", CMD_VALUES_FILE },
	{ 'd', "detach", NULL, "run in the background and print the session name", NULL },
	{ 0, "network", "MODE", "bridge (default), host, none or a podman network's name",
	  "bridge host none" },
	{ 0, "trust-local", NULL, "trust the project's .mino.toml for this run", NULL },
	{ 0, "aws", NULL, "AWS credentials (credentials.aws.enabled)", NULL },
	{ 0, "no-aws", NULL, "no AWS credentials for this run", NULL },
	{ 0, "gcp", NULL, "GCP credentials (credentials.gcp.enabled)", NULL },
	{ 0, "no-gcp", NULL, "no GCP credentials for this run", NULL },
	{ 0, "azure", NULL, "Azure credentials (credentials.azure.enabled)", NULL },
	{ 0, "no-azure", NULL, "no Azure credentials for this run", NULL },
	{ 0, "all-clouds", NULL, "--aws --gcp --azure", NULL },
	{ 0, "github", NULL, "GitHub token (default: on when there is one)", NULL },
	{ 0, "no-github", NULL, "no GitHub token for this run", NULL },
	{ 0, "ssh-agent", NULL, "SSH agent relay (default: on with SSH_AUTH_SOCK)", NULL },
	{ 0, "no-ssh-agent", NULL, "no SSH agent relay for this run", NULL },
	{ 0, "strict-credentials", NULL, "fail the session when a credential cannot be had "
	  "(default: one warning, the session runs without it)", NULL },
	{ 0, "no-cache", NULL, "no dependency caches (cache.enabled = false)", NULL },
	{ 0, "cache-fresh", NULL, "start from empty dependency caches (new generation)", NULL },
	{ 0, "no-home", NULL, "no per-project home volume", NULL },
	{ 0, "network-allow", "RULES", "host:port,[v6]:port,*.domain:port allowlist "
	  "(container.network_allow)", NULL },
	{ 0, "network-preset", "P", "network preset (container.network_preset)", "dev registries" },
	{ 0, "layers", "L", "layers a,b (container.layers)", NULL },
	{ 0 },
};

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.alias = NULL,
	.usage = "[-d] [-n name] [-p path] [--unsafe-project-dir] [--image image] [-e KEY[=VALUE]]... [--env-file FILE]... "
		"[--volume HOST:CONTAINER]... [--network bridge|host|none] [--trust-local] "
		"[--[no-]aws] [--[no-]gcp] [--[no-]azure] [--all-clouds] [--[no-]github] "
		"[--[no-]ssh-agent] [--strict-credentials] [--no-cache] [--cache-fresh] [--no-home] "
		"[--network-allow RULES] [--network-preset P] [--layers L] [-- command ...]",
	.summary = "start a sandboxed session and attach to it",
	.help =
		"Configuration: defaults < config.toml < the project's .mino.toml < environment\n"
		"(MINO_LAYERS, MINO_TRUST_LOCAL) < these flags.  A .mino.toml that sets\n"
		"security-sensitive keys is applied only once trusted: at a terminal mino asks;\n"
		"otherwise those keys are skipped with a warning.\n"
		"\n"
		"When stdin and stdout are terminals the session gets a terminal and mino\n"
		"puts yours in raw mode.  Detach with ctrl-p ctrl-q: the session keeps running\n"
		"and `mino attach NAME` returns to it.  A ctrl-p followed by any other key is\n"
		"passed through with that key.\n"
		"\n"
		"Otherwise stdin, stdout and stderr are streamed byte for byte.  mino exits\n"
		"with the command's exit status (128+N if it was killed by signal N).\n",
	.flags = CMD_STARTDAEMON,
	.opts = cmd_run_opts,
	.longopts = cmd_run_options,
	.exec = cmd_run_exec,
};

/* session.default_project_dir of the global config (NULL: unset).
 * Returns 0 or an exit status. */
static int
cmd_run_default_project(struct cmd_ctx *ctx, char **out)
{
	_cleanup_free_ char *path = NULL;
	struct mino_error *err = NULL;

	if (paths_config_file(ctx->config_path, &path, &err) < 0 ||
	    cfgfile_default_project(path, out, &err) < 0)
		return cmd_report(&err);
	return 0;
}

/* The project directory, absolute and resolved.  Returns 0 or an exit status. */
static int
cmd_run_project(const char *arg, char **out)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (arg == NULL) {
		path = getcwd(NULL, 0);
		if (path == NULL) {
			fprintf(stderr, "mino: cannot find the current directory: %s\n", strerror(errno));
			return CMD_EXIT_ERROR;
		}
		arg = path;
	}
	*out = realpath(arg, NULL);
	if (*out == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			fprintf(stderr, "mino: project directory `%s` does not exist\n", arg);
		else
			fprintf(stderr, "mino: project directory `%s`: %s\n", arg, strerror(errno));
		return CMD_EXIT_ERROR;
	}
	if (stat(*out, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mino: project directory `%s` is not a directory\n", arg);
		free(*out);
		*out = NULL;
		return CMD_EXIT_ERROR;
	}
	return 0;
}

/* The project directory policy (projectdir.h), checked here too so that
 * the refusal comes before anything starts; minod decides as well. */
static int
cmd_run_project_allowed(const char *project, const char *config_path)
{
	struct projectdir_env env;
	struct mino_error *err = NULL;
	int r;

	if (projectdir_env_default(&env, config_path, &err) < 0)
		return cmd_report(&err);
	r = projectdir_check(project, &env, &err);
	projectdir_env_free(&env);
	return r < 0 ? cmd_report(&err) : 0;
}

/* HOST:CONTAINER[:OPTS] with a relative HOST made absolute against cwd. */
static char *
cmd_run_volume(const char *spec)
{
	const char *colon = strchr(spec, ':');
	_cleanup_free_ char *host = NULL;
	_cleanup_free_ char *abs = NULL;
	_cleanup_free_ char *cwd = NULL;

	if (colon == NULL || colon == spec || spec[0] == '/')
		return xstrdup(spec);
	host = xstrndup(spec, (size_t)(colon - spec));
	abs = realpath(host, NULL);
	if (abs == NULL) {
		cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return xstrdup(spec);
		abs = xasprintf("%s/%s", cwd, host);
	}
	return xasprintf("%s%s", abs, colon);
}

/* The variables as a JSON array; -1 (a message without the value) if one
 * is not valid UTF-8. */
static int
cmd_run_env_json(const struct envfile_list *l, json_t **out)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < l->n; i++) {
		json_t *j = json_string(l->items[i]);

		if (j == NULL) {
			fprintf(stderr, "mino: environment variable `%.*s` is not valid UTF-8\n",
				(int)strcspn(l->items[i], "="), l->items[i]);
			json_decref(arr);
			return -1;
		}
		json_array_append_new(arr, j);
	}
	*out = arr;
	return 0;
}

/* Appends s (taken) to array; -1 if it is not valid UTF-8. */
static int
cmd_run_append(json_t *array, char *s)
{
	json_t *j = json_string(s);

	if (j == NULL) {
		fprintf(stderr, "mino: argument `%s` is not valid UTF-8\n", s);
		free(s);
		return -1;
	}
	free(s);
	json_array_append_new(array, j);
	return 0;
}

static int
cmd_run_stream(struct client *c, json_t *result, bool interactive)
{
	struct stream_opts o = {
		.session = json_string_value(json_object_get(result, "name")),
		.exec = -1,
		.interactive = interactive,
		.detach_keys = interactive,
		.forward_stdin = true,
		.send_eof = !interactive,
	};

	if (o.session == NULL) {
		fprintf(stderr, "mino: minod's reply to session/create has no session name\n");
		return CMD_EXIT_ERROR;
	}
	return stream_run(c, &o);
}

static bool
cmd_run_cred_flag(json_t *creds, int ch)
{
	for (size_t i = 0; i < sizeof cmd_run_cred_flags / sizeof cmd_run_cred_flags[0]; i++)
		if (cmd_run_cred_flags[i].opt == ch) {
			json_object_set_new(creds, cmd_run_cred_flags[i].key, json_boolean(cmd_run_cred_flags[i].value));
			return true;
		}
	return false;
}

static bool
cmd_run_flag(json_t *flags, int ch, const char *arg)
{
	bool found = false;

	for (size_t i = 0; i < sizeof cmd_run_bool_flags / sizeof cmd_run_bool_flags[0]; i++)
		if (cmd_run_bool_flags[i].opt == ch) {
			json_object_set_new(flags, cmd_run_bool_flags[i].key,
			    json_boolean(cmd_run_bool_flags[i].value));
			found = true;
		}
	for (size_t i = 0; i < sizeof cmd_run_text_flags / sizeof cmd_run_text_flags[0]; i++)
		if (cmd_run_text_flags[i].opt == ch && arg != NULL) {
			json_object_set_new(flags, cmd_run_text_flags[i].key, json_string(arg));
			found = true;
		}
	return found;
}

/* The credential environment (credenv.h's allowlist; minod checks it
 * again): relative file paths made absolute here, where they mean
 * something.  Values are secrets: only ever in this request. */
static json_t *
cmd_run_credential_env(void)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	json_t *env = json_object(), *j;
	const char *eq;
	char *name, *abs;

	for (char **e = environ; *e != NULL; e++) {
		eq = strchr(*e, '=');
		if (eq == NULL)
			continue;
		name = xstrndup(*e, (size_t)(eq - *e));
		if (!credenv_allowed(name)) {
			free(name);
			continue;
		}
		abs = NULL;
		if (credenv_is_path(name) && eq[1] != '\0' && eq[1] != '/' && eq[1] != '~' && cwd != NULL)
			abs = xasprintf("%s/%s", cwd, eq + 1);
		j = json_string(abs != NULL ? abs : eq + 1);
		if (j != NULL)
			json_object_set_new(env, name, j);
		free(abs);
		free(name);
	}
	return env;
}

/* The environment minod's resolution needs from us. */
static json_t *
cmd_run_client_env(void)
{
	static const char *const vars[] = { "MINO_LAYERS", "MINO_TRUST_LOCAL" };
	json_t *env = json_object(), *j;
	const char *v;

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		v = getenv(vars[i]);
		j = v != NULL ? json_string(v) : NULL;
		if (j != NULL)
			json_object_set_new(env, vars[i], j);
	}
	return env;
}

/* One line from the terminal, read byte by byte so nothing meant for the
 * session is consumed.  Returns whether it starts with y (yes). */
static bool
cmd_run_read_yes(void)
{
	char line[16];
	size_t n = 0;
	ssize_t r;
	char ch;

	for (;;) {
		r = read(STDIN_FILENO, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n' || ch == '\r')
			break;
		if (n < sizeof line - 1)
			line[n++] = ch;
	}
	line[n] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

/* Shows the untrusted keys of 1017's data and asks.  Returns whether the
 * person trusts the file. */
static bool
cmd_run_ask_trust(json_t *data)
{
	const char *path = json_string_value(json_object_get(data, "path"));
	json_t *keys = json_object_get(data, "keys"), *k;
	_cleanup_free_ char *value = NULL;
	size_t i;

	fprintf(stderr, "mino: %s sets security-sensitive keys:\n", path ? path : "the project file");
	json_array_foreach(keys, i, k) {
		free(value);
		value = json_dumps(json_object_get(k, "value"), JSON_ENCODE_ANY | JSON_COMPACT);
		fprintf(stderr, "  %s = %s\n", json_string_value(json_object_get(k, "key")),
		    value ? value : "?");
	}
	fprintf(stderr, "Trust this file? [y/N] ");
	fflush(stderr);
	return cmd_run_read_yes();
}

static int
cmd_run_trust(struct client *c, json_t *data)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	json_t *p = json_object();

	json_object_set(p, "path", json_object_get(data, "path"));
	json_object_set(p, "sha256", json_object_get(data, "sha256"));
	if (client_call(c, "config/trust", p, &result, &err) < 0)
		return cmd_report(&err);
	return 0;
}

/* session/create, answering the trust prompt (1017) when `ask`: yes
 * records the trust and creates again, no creates again skipping the
 * untrusted keys.  Prints the result's warnings.  Returns 0 or an exit
 * status. */
static int
cmd_run_create(struct client *c, json_t *params, bool ask, json_t **result)
{
	struct mino_error *err = NULL;
	json_t *data = NULL, *w;
	size_t i;
	int rc;

	json_object_set_new(params, "interactive", json_boolean(ask));
	for (int attempt = 0;; attempt++) {
		if (client_call_data(c, "session/create", json_deep_copy(params), result, &data,
		    &err) == 0)
			break;
		if (err->code != MINO_E_TRUST_REQUIRED || data == NULL || attempt > 2) {
			json_decref(data);
			return cmd_report(&err);
		}
		mino_error_release(&err);
		if (cmd_run_ask_trust(data)) {
			rc = cmd_run_trust(c, data);
			if (rc != 0) {
				json_decref(data);
				return rc;
			}
		} else {
			json_object_set_new(params, "trust_decision", json_string("skip"));
		}
		json_decref(data);
		data = NULL;
	}
	json_array_foreach(json_object_get(*result, "warnings"), i, w)
		fprintf(stderr, "mino: warning: %s\n", json_string_value(w));
	return 0;
}

/* --network-allow and --network-preset conflict; each rule is checked here
 * so that a bad one is a usage error (2) naming it; none + an allowlist
 * is refused (minod refuses it too, for allowlists from the config). */
static int
cmd_run_check_network(json_t *flags, const char *network)
{
	const char *allow = json_string_value(json_object_get(flags, "container.network_allow"));
	const char *preset = json_string_value(json_object_get(flags, "container.network_preset"));
	_cleanup_free_ char *copy = NULL;
	char *save = NULL, *rule;
	struct netrule r;
	struct mino_error *err = NULL;

	if (allow != NULL && preset != NULL)
		return cmd_usage_error(&cmd_run_entry, "--network-allow and --network-preset conflict");
	if ((allow != NULL || (preset != NULL && preset[0] != '\0')) && network != NULL &&
	    strcmp(network, "none") == 0)
		return cmd_usage_error(&cmd_run_entry, "--network none cannot be combined with an allowlist");
	if (allow == NULL)
		return 0;
	copy = xstrdup(allow);
	for (rule = strtok_r(copy, ",", &save); rule != NULL; rule = strtok_r(NULL, ",", &save)) {
		if (netrule_parse(rule, &r, &err) < 0) {
			cmd_usage_error(&cmd_run_entry, "%s", err->msg);
			mino_error_release(&err);
			return CMD_EXIT_USAGE;
		}
	}
	return 0;
}

static int
cmd_run_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *params = json_object();
	_cleanup_json_ json_t *env = NULL;
	struct envfile_list envl = { 0 };
	struct mino_error *err = NULL;
	_cleanup_json_ json_t *volumes = json_array();
	_cleanup_json_ json_t *flags = json_object();
	_cleanup_json_ json_t *creds = json_object();
	_cleanup_json_ json_t *result = NULL;
	_cleanup_free_ char *project = NULL;
	_cleanup_free_ char *default_project = NULL;
	const char *project_arg = NULL, *name = NULL, *image = NULL, *network = NULL;
	struct client *c = NULL;
	bool detach = false, interactive, trust_local = false, unsafe_project = false;
	bool cache_fresh = false, no_home = false;
	int ch, rc, rows, cols;

	while ((ch = getopt_long(argc, argv, "+:n:p:e:dh", cmd_run_options, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'p':
			project_arg = optarg;
			break;
		case CMD_RUN_IMAGE:
			image = optarg;
			break;
		case 'e':
			if (envfile_add_arg(&envl, optarg, environ, &err) < 0) {
				envfile_list_free(&envl);
				mino_error_wrap(&err, "-e");
				rc = cmd_usage_error(&cmd_run_entry, "%s", err->msg);
				mino_error_release(&err);
				return rc;
			}
			break;
		case CMD_RUN_ENV_FILE:
			if (envfile_add_file(&envl, optarg, environ, &err) < 0) {
				envfile_list_free(&envl);
				return cmd_report(&err);
			}
			break;
		case CMD_RUN_UNSAFE_PROJECT_DIR:
			unsafe_project = true;
			break;
		case CMD_RUN_VOLUME:
			if (cmd_run_append(volumes, cmd_run_volume(optarg)) < 0)
				return CMD_EXIT_USAGE;
			break;
		case 'd':
			detach = true;
			break;
		case CMD_RUN_NETWORK:
			network = optarg;
			break;
		case CMD_RUN_TRUST_LOCAL:
			trust_local = true;
			break;
		case CMD_RUN_CACHE_FRESH:
			cache_fresh = true;
			break;
		case CMD_RUN_NO_HOME:
			no_home = true;
			break;
		case 'h':
			cmd_print_help(stdout, &cmd_run_entry);
			return CMD_EXIT_OK;
		default:
			if (cmd_run_flag(flags, ch, optarg) || cmd_run_cred_flag(creds, ch))
				break;
			return cmd_getopt_error(&cmd_run_entry, ch, argv);
		}
	}
	rc = cmd_run_env_json(&envl, &env);
	envfile_list_free(&envl);
	if (rc < 0)
		return CMD_EXIT_USAGE;
	if (name != NULL && !name_is_valid(name))
		return cmd_usage_error(&cmd_run_entry, "invalid session name `%s`", name);
	if (image != NULL && json_object_get(flags, "container.layers") != NULL)
		return cmd_usage_error(&cmd_run_entry, "`--layers` conflicts with `--image`: give one of them");
	if (network != NULL && !network_is_valid(network))
		return cmd_usage_error(&cmd_run_entry,
		    "invalid network mode `%s` (bridge, host, none or a podman network's name)", network);
	rc = cmd_run_check_network(flags, network);
	if (rc != 0)
		return rc;
	if (project_arg == NULL) {
		rc = cmd_run_default_project(ctx, &default_project);
		if (rc != 0)
			return rc;
		project_arg = default_project;
	}
	rc = cmd_run_project(project_arg, &project);
	if (rc != 0)
		return rc;
	rc = unsafe_project ? 0 : cmd_run_project_allowed(project, ctx->config_path);
	if (rc != 0)
		return rc;

	if (json_object_set_new(params, "project", json_string(project)) < 0) {
		fprintf(stderr, "mino: project directory `%s` is not valid UTF-8\n", project);
		return CMD_EXIT_ERROR;
	}
	if (name != NULL)
		json_object_set_new(params, "name", json_string(name));
	if (image != NULL && json_object_set_new(params, "image", json_string(image)) < 0)
		return cmd_usage_error(&cmd_run_entry, "image `%s` is not valid UTF-8", image);
	if (optind < argc) {
		json_t *command = json_array();

		json_object_set_new(params, "command", command);
		for (; optind < argc; optind++)
			if (cmd_run_append(command, xstrdup(argv[optind])) < 0)
				return CMD_EXIT_USAGE;
	}
	if (json_array_size(env) > 0)
		json_object_set(params, "env", env);
	if (json_array_size(volumes) > 0)
		json_object_set(params, "volumes", volumes);
	if (network != NULL)
		json_object_set_new(params, "network", json_string(network));
	if (ctx->config_path != NULL &&
	    json_object_set_new(params, "config", json_string(ctx->config_path)) < 0)
		return cmd_usage_error(NULL, "config path `%s` is not valid UTF-8", ctx->config_path);
	if (ctx->no_local)
		json_object_set_new(params, "no_local", json_true());
	if (trust_local)
		json_object_set_new(params, "trust_local", json_true());
	if (unsafe_project)
		json_object_set_new(params, "unsafe_project_dir", json_true());
	if (cache_fresh)
		json_object_set_new(params, "cache_fresh", json_true());
	if (no_home)
		json_object_set_new(params, "no_home", json_true());
	if (json_object_size(flags) > 0)
		json_object_set(params, "flags", flags);
	json_object_set_new(params, "client_env", cmd_run_client_env());
	json_object_set_new(params, "credential_env", cmd_run_credential_env());
	if (ctx->verbose)
		json_object_set_new(creds, "verbose", json_true());
	if (json_object_size(creds) > 0)
		json_object_set(params, "credentials", creds);

	interactive = !detach && term_is_interactive();
	json_object_set_new(params, "tty", json_boolean(detach || interactive));
	if (detach || interactive) {
		term_size(&rows, &cols);
		json_object_set_new(params, "rows", json_integer(rows));
		json_object_set_new(params, "cols", json_integer(cols));
	}
	json_object_set_new(params, "detach", json_boolean(detach));
	json_object_set_new(params, "attach", json_boolean(!detach));

	rc = cmd_connect(ctx, &c);
	if (rc != 0)
		return rc;
	if (prompt_allowed(detach) && (rc = prompt_first_run(c, params)) != 0) {
		client_free(c);
		return rc;
	}
	progress_guard_begin(c);
	rc = cmd_run_create(c, params, term_is_interactive(), &result);
	if (progress_guard_end(c) && rc != 0) {
		client_free(c);
		return 130; /* ^C: the create was cancelled, nothing started */
	}
	if (rc != 0) {
		client_free(c);
		return rc;
	}
	if (detach) {
		printf("%s\n", json_string_value(json_object_get(result, "name")));
		client_free(c);
		return CMD_EXIT_OK;
	}
	rc = cmd_run_stream(c, result, interactive);
	client_free(c);
	return rc;
}
