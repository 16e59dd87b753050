/* awsconf.c: the AWS shared files and source chains (awsconf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "awsconf.h"
#include "buf.h"
#include "fsutil.h"
#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

/* inih copies section and key names into 50-byte buffers. */
#define AWSCONF_MAX_NAME 48

struct awsconf_entry {
	char *section;     /* profile name (config's "profile " prefix removed) */
	char *key;
	char *value;       /* zeroed on free */
};

struct awsconf_file {
	char *path;
	bool is_config;
	struct awsconf_entry *v;
	size_t n;
};

struct awsconf {
	struct awsconf_file creds;
	struct awsconf_file config;
};

struct awsconf_parse {
	struct awsconf_file *f;
	char **values;        /* the pre-pass's values, by index */
	size_t nvalues;
	unsigned bad_line;
	const char *bad_what;
};

static int awsconf_load_file(struct awsconf_file *f, const char *path, bool is_config, struct mino_error **err);
static void awsconf_file_clear(struct awsconf_file *f);
static char *awsconf_trim(char *s);

static char *
awsconf_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Config sections: [default], [profile x]; others ([sso-session x],
 * [services x]) keep their whole name and are never a profile. */
static char *
awsconf_section_profile(const char *section, bool is_config)
{
	if (!is_config)
		return xstrdup(section);
	if (strcmp(section, "default") == 0)
		return xstrdup("default");
	if (strncmp(section, "profile", 7) == 0 && (section[7] == ' ' || section[7] == '\t')) {
		const char *p = section + 8;

		while (*p == ' ' || *p == '\t')
			p++;
		return xstrdup(p);
	}
	return xasprintf("\x01%s", section); /* not a profile name anyone can ask for */
}

static int
awsconf_ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct awsconf_parse *ps = user;
	struct awsconf_file *f = ps->f;
	char *end;
	unsigned long idx;

	if (value == NULL || value[0] != '@')
		return 0;
	errno = 0;
	idx = strtoul(value + 1, &end, 10);
	if (errno != 0 || *end != '\0' || idx >= ps->nvalues || ps->values[idx] == NULL)
		return 0;
	if (section[0] == '\0') {
		ps->bad_what = "a key before any [section]";
		return 0;
	}
	f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
	f->v[f->n].section = awsconf_section_profile(section, f->is_config);
	f->v[f->n].key = xstrdup(name);
	f->v[f->n].value = steal_pointer(&ps->values[idx]);
	f->n++;
	return 1;
}

/* The pre-pass: one normalised line per physical line. */
static int
awsconf_normalise(struct awsconf_parse *ps, char *text, struct buf *norm, struct mino_error **err)
{
	unsigned lineno = 0;
	char *save = NULL;

	for (char *line = text; line != NULL; line = save) {
		char *nl = strchr(line, '\n');
		char *t, *eq;

		save = nl != NULL ? nl + 1 : NULL;
		if (nl != NULL)
			*nl = '\0';
		lineno++;
		if (nl == NULL && line[0] == '\0')
			break;
		if (line[0] == ' ' || line[0] == '\t') {   /* nested value: ignored */
			buf_append(norm, "\n", 1);
			continue;
		}
		t = awsconf_trim(line);
		if (t[0] == '\0' || t[0] == '#' || t[0] == ';') {
			buf_append(norm, "\n", 1);
			continue;
		}
		if (t[0] == '[') {
			char *close = strchr(t, ']');

			if (close == NULL || close[1] != '\0' || (size_t)(close - t - 1) > AWSCONF_MAX_NAME)
				return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: bad section header", ps->f->path, lineno);
			buf_printf(norm, "%s\n", t);
			continue;
		}
		eq = strchr(t, '=');
		if (eq == NULL)
			return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: not a `key = value` line", ps->f->path, lineno);
		*eq = '\0';
		{
			char *key = awsconf_trim(t);
			char *val = awsconf_trim(eq + 1);

			if (key[0] == '\0' || strlen(key) > AWSCONF_MAX_NAME || strpbrk(key, "[]@;#") != NULL)
				return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: bad key", ps->f->path, lineno);
			ps->values = xreallocarray(ps->values, ps->nvalues + 1, sizeof *ps->values);
			ps->values[ps->nvalues] = xstrdup(val);
			buf_printf(norm, "%s=@%zu\n", key, ps->nvalues);
			ps->nvalues++;
		}
	}
	return 0;
}

static int
awsconf_load_file(struct awsconf_file *f, const char *path, bool is_config, struct mino_error **err)
{
	struct awsconf_parse ps = { .f = f };
	_cleanup_secret_ char *text = NULL;
	struct buf norm;
	struct stat st;
	size_t len;
	int r;

	f->path = xstrdup(path);
	f->is_config = is_config;
	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (fs_read_file(path, AWSCONF_MAX_FILE, &text, &len, err) < 0)
		return mino_error_wrap(err, "AWS %s file", is_config ? "config" : "credentials");
	if (strlen(text) != len)
		return mino_make_error(err, MINO_E_CONFIG, 0, "%s: has a NUL byte", path);
	buf_init(&norm);
	r = awsconf_normalise(&ps, text, &norm, err);
	if (r == 0) {
		buf_append(&norm, "", 1);
		r = ini_parse_string(norm.data, awsconf_ini_cb, &ps);
		if (r != 0)
			r = mino_make_error(err, MINO_E_CONFIG, 0, "%s:%d: %s", path, r,
			    ps.bad_what != NULL ? ps.bad_what : "cannot parse");
	}
	buf_free(&norm);
	for (size_t i = 0; i < ps.nvalues; i++)
		secret_free(ps.values[i]);
	free(ps.values);
	return r;
}

static void
awsconf_file_clear(struct awsconf_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].section);
		free(f->v[i].key);
		secret_free(f->v[i].value);
	}
	free(f->v);
	free(f->path);
	memset(f, 0, sizeof *f);
}

int
awsconf_load(const char *credentials_path, const char *config_path, struct awsconf **out,
    struct mino_error **err)
{
	struct awsconf *conf = xcalloc(1, sizeof *conf);

	if (awsconf_load_file(&conf->creds, credentials_path, false, err) < 0
	    || awsconf_load_file(&conf->config, config_path, true, err) < 0) {
		awsconf_free(conf);
		return -1;
	}
	*out = conf;
	return 0;
}

void
awsconf_free(struct awsconf *conf)
{
	if (conf == NULL)
		return;
	awsconf_file_clear(&conf->creds);
	awsconf_file_clear(&conf->config);
	free(conf);
}

/* The last assignment wins, as in botocore. */
static const char *
awsconf_file_get(const struct awsconf_file *f, const char *profile, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].section, profile) == 0 && strcmp(f->v[i].key, key) == 0)
			v = f->v[i].value;
	return v;
}

static bool
awsconf_file_has(const struct awsconf_file *f, const char *profile)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].section, profile) == 0)
			return true;
	return false;
}

const char *
awsconf_get(const struct awsconf *conf, const char *profile, const char *key)
{
	const char *v = awsconf_file_get(&conf->creds, profile, key);

	return v != NULL ? v : awsconf_file_get(&conf->config, profile, key);
}

bool
awsconf_has_profile(const struct awsconf *conf, const char *profile)
{
	return awsconf_file_has(&conf->creds, profile) || awsconf_file_has(&conf->config, profile);
}

static int
awsconf_push_hop(const struct awsconf *conf, const char *profile, struct awsconf_chain *ch,
    struct mino_error **err)
{
	struct awsconf_hop *h;
	const char *d = awsconf_get(conf, profile, "duration_seconds");

	ch->hops = xreallocarray(ch->hops, ch->nhops + 1, sizeof *ch->hops);
	h = &ch->hops[ch->nhops++];
	memset(h, 0, sizeof *h);
	h->profile = profile;
	h->role_arn = awsconf_get(conf, profile, "role_arn");
	h->external_id = awsconf_get(conf, profile, "external_id");
	h->session_name = awsconf_get(conf, profile, "role_session_name");
	if (d != NULL) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(d, &end, 10);
		if (errno != 0 || *end != '\0' || v < 900 || v > 43200)
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "profile `%s`: duration_seconds must be 900 to 43200", profile);
		h->duration_secs = (unsigned)v;
	}
	return 0;
}

/* The base source of a profile without role_arn (or a self-referencing one). */
static int
awsconf_base(const struct awsconf *conf, const char *profile, struct awsconf_chain *ch,
    struct mino_error **err)
{
	const char *id = awsconf_get(conf, profile, "aws_access_key_id");
	const char *secret = awsconf_get(conf, profile, "aws_secret_access_key");

	ch->base_profile = profile;
	if (id != NULL || secret != NULL) {
		if (id == NULL || secret == NULL || id[0] == '\0' || secret[0] == '\0')
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "profile `%s`: aws_access_key_id and aws_secret_access_key go together", profile);
		ch->kind = AWSCONF_STATIC;
		ch->access_key_id = id;
		ch->secret_access_key = secret;
		ch->session_token = awsconf_get(conf, profile, "aws_session_token");
		return 0;
	}
	if ((ch->process = awsconf_get(conf, profile, "credential_process")) != NULL) {
		ch->kind = AWSCONF_PROCESS;
		return 0;
	}
	ch->kind = AWSCONF_CLI;
	if (!awsconf_has_profile(conf, profile))
		ch->cli_reason = "not found in the shared files";
	else if (awsconf_get(conf, profile, "sso_session") != NULL || awsconf_get(conf, profile, "sso_start_url") != NULL)
		ch->cli_reason = "uses SSO, which only the aws CLI can read";
	else if (awsconf_get(conf, profile, "web_identity_token_file") != NULL)
		ch->cli_reason = "uses web_identity_token_file, which minod does not read";
	else
		ch->cli_reason = "has no credentials";
	return 0;
}

static char *
awsconf_loop_text(const char *const *seen, size_t n, const char *again)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s -> ", seen[i]);
	buf_printf(&b, "%s", again);
	return buf_steal(&b, NULL);
}

int
awsconf_resolve(const struct awsconf *conf, const char *profile, struct awsconf_chain *out,
    struct mino_error **err)
{
	const char *seen[AWSCONF_MAX_CHAIN];
	size_t nseen = 0;
	const char *p = profile;

	memset(out, 0, sizeof *out);
	out->region = awsconf_get(conf, profile, "region");
	out->ca_bundle = awsconf_get(conf, profile, "ca_bundle");
	for (;;) {
		const char *role = awsconf_get(conf, p, "role_arn");
		const char *src, *cs;

		if (role == NULL)
			break;
		src = awsconf_get(conf, p, "source_profile");
		cs = awsconf_get(conf, p, "credential_source");
		if (src == NULL && cs != NULL) {
			awsconf_chain_clear(out);
			return mino_make_error(err, MINO_E_CONFIG, 0,
			    "profile `%s`: credential_source `%s` is not supported; use source_profile", p, cs);
		}
		if (src == NULL) {
			awsconf_chain_clear(out);
			return mino_make_error(err, MINO_E_CONFIG, 0, "profile `%s`: role_arn without source_profile", p);
		}
		if (awsconf_push_hop(conf, p, out, err) < 0) {
			awsconf_chain_clear(out);
			return -1;
		}
		if (nseen == AWSCONF_MAX_CHAIN) {
			awsconf_chain_clear(out);
			return mino_make_error(err, MINO_E_CONFIG, 0, "profile `%s`: source_profile chain longer than %d",
			    profile, AWSCONF_MAX_CHAIN);
		}
		seen[nseen++] = p;
		/* source_profile naming itself means "my own keys" (botocore). */
		if (strcmp(src, p) == 0 && awsconf_get(conf, p, "aws_access_key_id") != NULL)
			break;
		for (size_t i = 0; i < nseen; i++)
			if (strcmp(seen[i], src) == 0) {
				_cleanup_free_ char *txt = awsconf_loop_text(seen, nseen, src);

				awsconf_chain_clear(out);
				return mino_make_error(err, MINO_E_CONFIG, 0, "source_profile loop: %s", txt);
			}
		if (!awsconf_has_profile(conf, src)) {
			awsconf_chain_clear(out);
			return mino_make_error(err, MINO_E_CONFIG, 0, "profile `%s`: source_profile `%s` not found", p, src);
		}
		p = src;
	}
	if (awsconf_base(conf, p, out, err) < 0) {
		awsconf_chain_clear(out);
		return -1;
	}
	/* Collected outermost first; STS goes innermost first. */
	for (size_t i = 0; i < out->nhops / 2; i++) {
		struct awsconf_hop t = out->hops[i];

		out->hops[i] = out->hops[out->nhops - 1 - i];
		out->hops[out->nhops - 1 - i] = t;
	}
	return 0;
}

void
awsconf_chain_clear(struct awsconf_chain *ch)
{
	free(ch->hops);
	memset(ch, 0, sizeof *ch);
}
