/* prompt.c: the first-run questions of `mino run` (prompt.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cfgfile.h"
#include "client.h"
#include "fsutil.h"
#include "jsonrpc.h"
#include "mino-protocol.h"
#include "paths.h"
#include "prompt.h"
#include "strv.h"
#include "toml.h"
#include "trust.h"
#include "xalloc.h"

#define PROMPT_LINE_MAX 512
#define PROMPT_LAYERS_MAX 16     /* minod's LAYERS_MAX */
#define PROMPT_EDITS_MAX 2       /* one per question */

enum prompt_where { PROMPT_SAVE_GLOBAL, PROMPT_SAVE_PROJECT, PROMPT_SAVE_NONE };

enum prompt_read { PROMPT_READ_OK, PROMPT_READ_EOF, PROMPT_READ_INTR };

/* One key to write. */
struct prompt_edit {
	enum prompt_where where;
	const char *key;
	char *text;                 /* owned; cfgfile_edit's text form */
};

/* What one run of the questions knows and has decided. */
struct prompt_state {
	json_t *resolved;           /* config/resolve's result (owned) */
	char *global_path;          /* owned */
	char *local_path;           /* owned; NULL: the project file is not offered */
	bool local_trust_ok;        /* trusting it as written trusts nothing unseen */
	struct prompt_edit edits[PROMPT_EDITS_MAX];
	size_t n_edits;
};

/* The network choices, in the order shown. */
static const struct {
	const char *name;
	const char *key;            /* what saving it sets */
	const char *help;
} prompt_networks[] = {
	{ "bridge", "container.network", "standard networking, isolated from the host's localhost" },
	{ "host", "container.network", "the host's network, no isolation" },
	{ "dev", "container.network_preset", "allowlist: GitHub, package registries, AI APIs" },
	{ "registries", "container.network_preset", "allowlist: package registries only" },
	{ "none", "container.network", "no network at all" },
};

#define PROMPT_NNETWORKS (sizeof prompt_networks / sizeof prompt_networks[0])

static volatile sig_atomic_t prompt_interrupted;

/* A JSON string's text, "" for anything else. */
static const char *
prompt_str(json_t *j)
{
	const char *s = json_string_value(j);

	return s != NULL ? s : "";
}

static void
prompt_on_sigint(int sig)
{
	(void)sig;
	prompt_interrupted = 1;
}

bool
prompt_allowed(bool detach)
{
	const char *no = getenv("MINO_NO_PROMPT");

	if (detach || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return false;
	return no == NULL || no[0] == '\0' || strcmp(no, "0") == 0;
}

/* ---------------------------------------------------------------- input */

/* One line from the terminal into buf (trimmed), read byte by byte so that
 * nothing meant for the session is consumed. */
static enum prompt_read
prompt_read_line(char *buf, size_t size)
{
	size_t n = 0, start = 0;
	ssize_t r;
	char ch;

	for (;;) {
		r = read(STDIN_FILENO, &ch, 1);
		if (r < 0 && errno == EINTR && !prompt_interrupted)
			continue;
		if (prompt_interrupted)
			return PROMPT_READ_INTR;
		if (r <= 0)
			return PROMPT_READ_EOF;
		if (ch == '\n' || ch == '\r')
			break;
		if (n < size - 1)
			buf[n++] = ch;
	}
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	while (isspace((unsigned char)buf[start]))
		start++;
	memmove(buf, buf + start, n - start + 1);
	return PROMPT_READ_OK;
}

/* Prints the question and reads the answer; an exit status on ^C / EOF. */
static int
prompt_ask(const char *question, char *buf, size_t size)
{
	fprintf(stderr, "%s", question);
	fflush(stderr);
	switch (prompt_read_line(buf, size)) {
	case PROMPT_READ_OK:
		return 0;
	case PROMPT_READ_INTR:
		fprintf(stderr, "\nmino: interrupted at the prompt; nothing was saved\n");
		return PROMPT_EXIT_INTERRUPTED;
	case PROMPT_READ_EOF:
	default:
		fprintf(stderr, "\nmino: no answer (end of input); nothing was saved\n");
		return 1;
	}
}

/* ---------------------------------------------------------------- what is configured */

/* config/resolve for the request, as minod would resolve it, but without
 * this run's trust (--trust-local, MINO_TRUST_LOCAL): `local.trusted`
 * then says what the trust store says. */
static int
prompt_resolve(struct client *c, json_t *params, json_t **out, struct mino_error **err)
{
	static const char *const keys[] = { "project", "config", "no_local", "flags", "image",
		"network", "client_env" };
	json_t *p = json_object(), *v;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if ((v = json_object_get(params, keys[i])) != NULL)
			json_object_set_new(p, keys[i], json_deep_copy(v));
	json_object_del(json_object_get(p, "client_env"), "MINO_TRUST_LOCAL");
	return client_call(c, "config/resolve", p, out, err);
}

static bool
prompt_in_skipped(json_t *resolved, const char *key)
{
	json_t *skipped = json_object_get(json_object_get(resolved, "local"), "skipped"), *s;
	size_t i;

	json_array_foreach(skipped, i, s)
		if (strcmp(prompt_str(json_object_get(s, "key")), key) == 0)
			return true;
	return false;
}

/* Whether a flag, the environment or a config file sets `key` (an
 * untrusted project file's value counts: the trust prompt asks about it). */
static bool
prompt_configured(json_t *resolved, const char *key)
{
	json_t *entries = json_object_get(resolved, "entries"), *e;
	const char *src;
	size_t i;

	json_array_foreach(entries, i, e) {
		if (strcmp(prompt_str(json_object_get(e, "key")), key) != 0)
			continue;
		src = json_string_value(json_object_get(e, "source"));
		if (src != NULL && strcmp(src, "default") != 0)
			return true;
	}
	return prompt_in_skipped(resolved, key);
}

/* Where the project file is and whether it may be offered and trusted. */
static void
prompt_find_local(struct prompt_state *st, json_t *params)
{
	json_t *local = json_object_get(st->resolved, "local");
	const char *project = json_string_value(json_object_get(params, "project"));
	_cleanup_free_ char *cand = NULL;
	struct stat sb;

	if (json_is_true(json_object_get(params, "no_local")) || project == NULL)
		return;
	if (json_is_object(local)) {
		st->local_path = xstrdup(prompt_str(json_object_get(local, "path")));
		st->local_trust_ok = json_is_true(json_object_get(local, "trusted")) ||
		    json_array_size(json_object_get(local, "skipped")) == 0;
		return;
	}
	/* none used: a new file, unless resolution would pass it over (a
	 * name already taken by a symlink or another user's file, or a
	 * directory that others can write to: cfgfile_find_local()) */
	cand = xasprintf("%s/%s", project, CFGFILE_LOCAL_NAME);
	if (lstat(cand, &sb) == 0 || stat(project, &sb) < 0 || (sb.st_mode & 022) != 0 ||
	    (sb.st_uid != getuid() && sb.st_uid != 0))
		return;
	st->local_path = steal_pointer(&cand);
	st->local_trust_ok = true;
}

/* ---------------------------------------------------------------- questions */

static int
prompt_where(const struct prompt_state *st, enum prompt_where *out)
{
	char q[2 * PATH_MAX + 128], line[PROMPT_LINE_MAX];
	int rc;

	if (st->local_path != NULL)
		snprintf(q, sizeof q, "Save this choice to [g]lobal config (%s), [p]roject file (%s) "
		    "or [n]ot at all? [g] ", st->global_path, st->local_path);
	else
		snprintf(q, sizeof q, "Save this choice to [g]lobal config (%s) or [n]ot at all? [g] ",
		    st->global_path);
	for (;;) {
		if ((rc = prompt_ask(q, line, sizeof line)) != 0)
			return rc;
		if (line[0] == '\0' || strcasecmp(line, "g") == 0 || strcasecmp(line, "global") == 0) {
			*out = PROMPT_SAVE_GLOBAL;
			return 0;
		}
		if (st->local_path != NULL && (strcasecmp(line, "p") == 0 || strcasecmp(line, "project") == 0)) {
			*out = PROMPT_SAVE_PROJECT;
			return 0;
		}
		if (strcasecmp(line, "n") == 0 || strcasecmp(line, "no") == 0 || strcasecmp(line, "none") == 0) {
			*out = PROMPT_SAVE_NONE;
			return 0;
		}
		fprintf(stderr, "mino: `%s` is not one of the choices\n", line);
	}
}

static void
prompt_add_edit(struct prompt_state *st, enum prompt_where where, const char *key, const char *text)
{
	if (st->n_edits == PROMPT_EDITS_MAX)
		abort(); /* one per question: cannot happen */
	st->edits[st->n_edits].where = where;
	st->edits[st->n_edits].key = key;
	st->edits[st->n_edits].text = xstrdup(text);
	st->n_edits++;
}

/* The layers minod can find, or an empty array (with a warning) when it
 * cannot say. */
static json_t *
prompt_list_layers(struct client *c, json_t *params)
{
	_cleanup_json_ json_t *result = NULL;
	struct mino_error *err = NULL;
	json_t *p = json_object(), *w, *layers;
	size_t i;

	json_object_set(p, "project", json_object_get(params, "project"));
	if (json_is_true(json_object_get(params, "trust_local")))
		json_object_set_new(p, "trust_local", json_true());
	if (client_call(c, "image/layers", p, &result, &err) < 0) {
		fprintf(stderr, "mino: warning: cannot list the layers: %s\n", err->msg);
		mino_error_release(&err);
		return json_array();
	}
	json_array_foreach(json_object_get(result, "warnings"), i, w)
		fprintf(stderr, "mino: warning: %s\n", json_string_value(w));
	layers = json_object_get(result, "layers");
	return json_is_array(layers) ? json_incref(layers) : json_array();
}

static void
prompt_show_layers(json_t *layers)
{
	const char *origin, *name;
	json_t *l;
	size_t i;

	fprintf(stderr, "mino: no image or layers are configured. Layers for this project's sessions:\n");
	fprintf(stderr, "  0) Base only (image = \"base\")\n");
	json_array_foreach(layers, i, l) {
		name = json_string_value(json_object_get(l, "name"));
		origin = json_string_value(json_object_get(l, "origin"));
		fprintf(stderr, "  %zu) %-12s %s (%s%s)\n", i + 1, name ? name : "?",
		    prompt_str(json_object_get(l, "description")),
		    origin ? origin : "?", json_is_false(json_object_get(l, "trusted")) ? ", not trusted" : "");
	}
}

/* The layer named by one token (a number or a name), or NULL. */
static const char *
prompt_layer_token(json_t *layers, const char *tok)
{
	char *end;
	long n;
	json_t *l;
	size_t i;

	n = strtol(tok, &end, 10);
	if (*end == '\0' && end != tok)
		return n >= 1 && (size_t)n <= json_array_size(layers) ?
		    json_string_value(json_object_get(json_array_get(layers, (size_t)n - 1), "name")) : NULL;
	json_array_foreach(layers, i, l)
		if (strcmp(prompt_str(json_object_get(l, "name")), tok) == 0)
			return json_string_value(json_object_get(l, "name"));
	return NULL;
}

static bool
prompt_strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* "a,b"; caller frees. */
static char *
prompt_strv_join(char *const *v)
{
	struct buf b;
	char *out;

	buf_init(&b);
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		buf_printf(&b, "%s%s", i > 0 ? "," : "", v[i]);
	out = xstrndup(b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

/* "a,b" for the answer, "" for Base only; NULL (with a message) if the
 * answer is not valid.  Caller frees. */
static char *
prompt_parse_layers(json_t *layers, char *line)
{
	char **names = NULL, *save = NULL, *tok;
	bool base = false;
	const char *name;
	char *out;

	for (tok = strtok_r(line, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
		if (strcmp(tok, "0") == 0 || strcasecmp(tok, "base") == 0) {
			base = true;
			continue;
		}
		if ((name = prompt_layer_token(layers, tok)) == NULL) {
			fprintf(stderr, "mino: `%s` is not one of the layers\n", tok);
			strv_free(names);
			return NULL;
		}
		if (!prompt_strv_has(names, name))
			strv_push(&names, xstrdup(name));
	}
	if (base && names != NULL) {
		fprintf(stderr, "mino: \"Base only\" cannot be combined with layers\n");
		strv_free(names);
		return NULL;
	}
	if (strv_len(names) > PROMPT_LAYERS_MAX) {
		fprintf(stderr, "mino: at most %d layers\n", PROMPT_LAYERS_MAX);
		strv_free(names);
		return NULL;
	}
	out = prompt_strv_join(names);
	strv_free(names);
	return out;
}

/* The layer question; the answer goes to *choice ("" for Base only). */
static int
prompt_layers(struct client *c, json_t *params, char **choice)
{
	_cleanup_json_ json_t *layers = prompt_list_layers(c, params);
	char line[PROMPT_LINE_MAX];
	int rc;

	prompt_show_layers(layers);
	for (;;) {
		rc = prompt_ask("Layers (numbers or names, comma-separated) [0]: ", line, sizeof line);
		if (rc != 0)
			return rc;
		*choice = prompt_parse_layers(layers, line);
		if (*choice != NULL)
			return 0;
	}
}

/* The network question; *choice indexes prompt_networks. */
static int
prompt_network(size_t *choice)
{
	char line[PROMPT_LINE_MAX], *end;
	unsigned long n;
	int rc;

	fprintf(stderr, "mino: no network mode is configured. Network for sessions:\n");
	for (size_t i = 0; i < PROMPT_NNETWORKS; i++)
		fprintf(stderr, "  %zu) %-11s %s\n", i + 1, prompt_networks[i].name, prompt_networks[i].help);
	for (;;) {
		rc = prompt_ask("Network [1]: ", line, sizeof line);
		if (rc != 0)
			return rc;
		n = line[0] == '\0' ? 1 : strtoul(line, &end, 10);
		if (line[0] == '\0' || (*end == '\0' && n >= 1 && n <= PROMPT_NNETWORKS)) {
			*choice = n - 1;
			return 0;
		}
		for (size_t i = 0; i < PROMPT_NNETWORKS; i++)
			if (strcasecmp(line, prompt_networks[i].name) == 0) {
				*choice = i;
				return 0;
			}
		fprintf(stderr, "mino: `%s` is not one of the choices\n", line);
	}
}

/* ---------------------------------------------------------------- this run */

static json_t *
prompt_flags(json_t *params)
{
	json_t *flags = json_object_get(params, "flags");

	if (!json_is_object(flags)) {
		flags = json_object();
		json_object_set_new(params, "flags", flags);
	}
	return flags;
}

static void
prompt_apply_layers(json_t *params, const char *choice)
{
	if (choice[0] == '\0')
		json_object_set_new(params, "image", json_string("base"));
	else
		json_object_set_new(prompt_flags(params), "container.layers", json_string(choice));
}

static void
prompt_apply_network(json_t *params, size_t i)
{
	if (strcmp(prompt_networks[i].key, "container.network") == 0)
		json_object_set_new(params, "network", json_string(prompt_networks[i].name));
	else
		json_object_set_new(prompt_flags(params), prompt_networks[i].key,
		    json_string(prompt_networks[i].name));
}

/* ---------------------------------------------------------------- saving */

static char *
prompt_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
}

/* Applies st's edits for `where` to the file at `path` and replaces it
 * atomically; *sha: the hash of the bytes written.  The global file may
 * be a symlink (dotfile managers: its target is edited); the project file
 * never is (it is opened O_NOFOLLOW, the rename replaces the name). */
static int
prompt_write(const struct prompt_state *st, enum prompt_where where, const char *path,
    char sha[TRUST_HEX_LEN + 1], struct mino_error **err)
{
	bool follow = where == PROMPT_SAVE_GLOBAL, found;
	_cleanup_free_ char *real = follow ? realpath(path, NULL) : NULL;
	_cleanup_free_ char *data = NULL, *dir = NULL;
	const char *target = real != NULL ? real : path;
	mode_t mode = follow ? 0600 : 0644;
	char *out;
	size_t len, out_len;
	struct stat sb;

	if (cfgfile_read(target, TOML_MAX_FILE, !follow, &found, &data, &len, &sb, err) < 0)
		return -1;
	if (found) {
		mode = sb.st_mode & 07777;
	} else {
		data = xstrdup("");
		len = 0;
	}
	for (size_t i = 0; i < st->n_edits; i++) {
		if (st->edits[i].where != where)
			continue;
		if (cfgfile_edit(target, data, len, st->edits[i].key, st->edits[i].text, &out, &out_len,
		    err) < 0)
			return -1;
		free(data);
		data = out;
		len = out_len;
	}
	dir = prompt_dir_of(target);
	if (!found && fs_mkdir_p(dir, 0700, 0, err) < 0)
		return -1;
	if (fs_write_atomic(target, data, len, mode, err) < 0)
		return -1;
	trust_sha256_hex(data, len, sha);
	for (size_t i = 0; i < st->n_edits; i++)
		if (st->edits[i].where == where)
			fprintf(stderr, "mino: saved %s = %s in %s\n", st->edits[i].key, st->edits[i].text, target);
	return 0;
}

static bool
prompt_has_edits(const struct prompt_state *st, enum prompt_where where)
{
	for (size_t i = 0; i < st->n_edits; i++)
		if (st->edits[i].where == where)
			return true;
	return false;
}

/* The project file as just written is trusted (its hash: a file changed
 * since is refused by minod). */
static int
prompt_trust(struct client *c, const struct prompt_state *st, const char *sha, struct mino_error **err)
{
	_cleanup_json_ json_t *result = NULL;

	if (!st->local_trust_ok) {
		fprintf(stderr, "mino: %s holds keys you have not trusted; it is not trusted now\n",
		    st->local_path);
		return 0;
	}
	if (client_call(c, "config/trust", json_pack("{s:s, s:s}", "path", st->local_path, "sha256", sha),
	    &result, err) < 0)
		return mino_error_wrap(err, "trusting `%s`", st->local_path);
	fprintf(stderr, "mino: trusted %s as written\n", st->local_path);
	return 0;
}

static int
prompt_save(struct client *c, const struct prompt_state *st, struct mino_error **err)
{
	char sha[TRUST_HEX_LEN + 1];

	if (prompt_has_edits(st, PROMPT_SAVE_GLOBAL) &&
	    prompt_write(st, PROMPT_SAVE_GLOBAL, st->global_path, sha, err) < 0)
		return -1;
	if (!prompt_has_edits(st, PROMPT_SAVE_PROJECT))
		return 0;
	if (prompt_write(st, PROMPT_SAVE_PROJECT, st->local_path, sha, err) < 0)
		return -1;
	return prompt_trust(c, st, sha, err);
}

/* ---------------------------------------------------------------- the whole */

static void
prompt_state_free(struct prompt_state *st)
{
	json_decref(st->resolved);
	free(st->global_path);
	free(st->local_path);
	for (size_t i = 0; i < st->n_edits; i++)
		free(st->edits[i].text);
}

/* The questions, with answers recorded in st and params. */
static int
prompt_questions(struct client *c, json_t *params, struct prompt_state *st, bool ask_layers,
    bool ask_network)
{
	_cleanup_free_ char *layers = NULL;
	enum prompt_where where;
	size_t net;
	int rc;

	if (ask_layers) {
		if ((rc = prompt_layers(c, params, &layers)) != 0 || (rc = prompt_where(st, &where)) != 0)
			return rc;
		prompt_apply_layers(params, layers);
		if (where != PROMPT_SAVE_NONE)
			prompt_add_edit(st, where, layers[0] == '\0' ? "container.image" : "container.layers",
			    layers[0] == '\0' ? "base" : layers);
	}
	if (ask_network) {
		if ((rc = prompt_network(&net)) != 0 || (rc = prompt_where(st, &where)) != 0)
			return rc;
		prompt_apply_network(params, net);
		if (where != PROMPT_SAVE_NONE)
			prompt_add_edit(st, where, prompt_networks[net].key, prompt_networks[net].name);
	}
	return 0;
}

int
prompt_first_run(struct client *c, json_t *params)
{
	struct prompt_state st = { 0 };
	struct mino_error *err = NULL;
	struct sigaction sa = { 0 }, old;
	bool ask_layers, ask_network;
	int rc;

	if (prompt_resolve(c, params, &st.resolved, &err) < 0 ||
	    paths_config_file(json_string_value(json_object_get(params, "config")), &st.global_path,
	    &err) < 0) {
		fprintf(stderr, "mino: %s\n", err->msg);
		mino_error_release(&err);
		prompt_state_free(&st);
		return 1;
	}
	ask_layers = !prompt_configured(st.resolved, "container.layers") &&
	    !prompt_configured(st.resolved, "container.image");
	ask_network = !prompt_configured(st.resolved, "container.network") &&
	    !prompt_configured(st.resolved, "container.network_preset") &&
	    !prompt_configured(st.resolved, "container.network_allow");
	if (!ask_layers && !ask_network) {
		prompt_state_free(&st);
		return 0;
	}
	prompt_find_local(&st, params);
	sa.sa_handler = prompt_on_sigint;     /* no SA_RESTART: read(2) returns */
	sigemptyset(&sa.sa_mask);
	prompt_interrupted = 0;
	sigaction(SIGINT, &sa, &old);
	rc = prompt_questions(c, params, &st, ask_layers, ask_network);
	sigaction(SIGINT, &old, NULL);
	if (rc == 0 && prompt_save(c, &st, &err) < 0) {
		fprintf(stderr, "mino: %s\n", err->msg);
		mino_error_release(&err);
		rc = 1;
	}
	prompt_state_free(&st);
	return rc;
}
