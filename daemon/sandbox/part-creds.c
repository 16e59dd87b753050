/* part-creds.c: what the credential parts share (part-creds.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "creds-cache.h"
#include "http.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "part-creds.h"
#include "rundir.h"
#include "xalloc.h"

#define PART_CREDS_ROLE_SESSION_MAX 64

static struct http_client *part_creds_http_client;

static void
part_creds_iso(time_t t, char *out, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "%lld", (long long)t);
}
static time_t
part_creds_parse_iso(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end != '\0')
		return 0;
	return timegm(&tm);
}

static struct creds_cache *part_creds_token_cache;
static LIST_HEAD(, part_creds_live) part_creds_lives = LIST_HEAD_INITIALIZER(part_creds_lives);

struct http_client *
part_creds_http(struct mino_error **err)
{
	if (part_creds_http_client == NULL)
		part_creds_http_client = http_client_new(minod.loop, err);
	return part_creds_http_client;
}

struct creds_cache *
part_creds_cache(void)
{
	_cleanup_free_ char *dir = NULL;
	struct mino_error *err = NULL;

	if (part_creds_token_cache != NULL)
		return part_creds_token_cache;
	part_creds_token_cache = creds_cache_new();
	if (minod.state_dir != NULL) {
		dir = xasprintf("%s/credentials", minod.state_dir);
		if (creds_cache_set_dir(part_creds_token_cache, dir, &err) < 0) {
			log_warn("credential cache: %s (tokens are kept in memory only)", err->msg);
			mino_error_release(&err);
		}
	}
	return part_creds_token_cache;
}

const char *const *
part_creds_env(const struct part_ctx *ctx)
{
	static const char *const none[] = { NULL };

	return ctx->spec->creds.env != NULL ? (const char *const *)ctx->spec->creds.env : none;
}

char *
part_creds_session_name(const struct part_ctx *ctx)
{
	return xasprintf("mino-%.*s", PART_CREDS_ROLE_SESSION_MAX - 5, ctx->spec->name);
}

void
part_creds_audit(const struct part_ctx *ctx, const char *event, const char *provider,
    const char *identity, time_t expires, const char *error)
{
	json_t *a = json_object(), *providers = json_array();
	char when[32];

	json_array_append_new(providers, json_string(provider));
	json_object_set_new(a, "session_name", json_string(ctx->spec->name));
	json_object_set_new(a, "providers", providers);
	if (identity != NULL)
		json_object_set_new(a, "identity", json_string(identity));
	if (expires != 0) {
		part_creds_iso(expires, when, sizeof when);
		json_object_set_new(a, "expires", json_string(when));
	}
	if (error != NULL)
		json_object_set_new(a, "error", json_string(error));
	audit_event_if(!ctx->spec->no_audit, event, a);
}

void
part_creds_failed(struct part_ctx *ctx, const char *provider, const struct mino_error *err)
{
	_cleanup_free_ char *line = NULL;

	part_creds_audit(ctx, "credentials.failed", provider, NULL, 0, err->msg);
	if (ctx->spec->creds.strict) {
		part_prepared(ctx, err);
		return;
	}
	line = xasprintf("%s credentials: %s (the session runs without them; --strict-credentials fails instead)",
	    provider, err->msg);
	part_warn(ctx, line);
	part_prepared(ctx, NULL);
}

int
part_creds_write(const struct part_ctx *ctx, const char *file, const char *data, struct mino_error **err)
{
	_cleanup_free_ char *dir = NULL;

	if (rundir_path(ctx->spec->id, &dir, err) < 0)
		return -1;
	return rundir_write(dir, file, data, strlen(data), err);
}

void
part_creds_record(json_t *rec, const char *provider, const char *key, const char *identity,
    time_t expires, unsigned refreshes, const char *last_error)
{
	json_t *all = json_object_get(rec, "credentials"), *p = json_object();
	char when[32];

	if (!json_is_object(all)) {
		all = json_object();
		json_object_set_new(rec, "credentials", all);
	}
	if (identity != NULL)
		json_object_set_new(p, "identity", json_string(identity));
	if (key != NULL)
		json_object_set_new(p, "identity_key", json_string(key));
	if (expires != 0) {
		part_creds_iso(expires, when, sizeof when);
		json_object_set_new(p, "expires", json_string(when));
	}
	json_object_set_new(p, "refreshes", json_integer(refreshes));
	json_object_set_new(p, "last_error", last_error != NULL ? json_string(last_error) : json_null());
	json_object_set_new(all, provider, p);
}

int
part_creds_resumed(const struct part_ctx *ctx, const char *provider, struct part_creds_resumed *out)
{
	const json_t *p = json_object_get(ctx->spec->creds.resumed, provider);

	out->key = json_string_value(json_object_get(p, "identity_key"));
	out->identity = json_string_value(json_object_get(p, "identity"));
	if (out->key == NULL || out->identity == NULL)
		return -1;
	out->refreshes = (unsigned)json_integer_value(json_object_get(p, "refreshes"));
	out->expires = part_creds_parse_iso(json_string_value(json_object_get(p, "expires")));
	return 0;
}

void
part_creds_live_add(struct part_creds_live *l, void (*stop)(void *arg), void *arg)
{
	if (l->linked)
		return;
	l->stop = stop;
	l->arg = arg;
	l->linked = true;
	LIST_INSERT_HEAD(&part_creds_lives, l, link);
}

void
part_creds_live_del(struct part_creds_live *l)
{
	if (!l->linked)
		return;
	l->linked = false;
	LIST_REMOVE(l, link);
}

static json_t *
part_creds_time_json(time_t t)
{
	char when[32];

	if (t == 0)
		return json_null();
	part_creds_iso(t, when, sizeof when);
	return json_string(when);
}

static json_t *
part_creds_status_entry(json_t *all, const struct part_creds_view *v)
{
	json_t *e;
	size_t i;

	json_array_foreach(all, i, e)
		if (strcmp(json_string_value(json_object_get(e, "provider")), v->provider) == 0 &&
		    v->key != NULL && json_is_string(json_object_get(e, "identity_key")) &&
		    strcmp(json_string_value(json_object_get(e, "identity_key")), v->key) == 0)
			return e;
	e = json_object();
	json_object_set_new(e, "provider", json_string(v->provider));
	json_object_set_new(e, "identity", json_string(v->identity != NULL ? v->identity : "?"));
	json_object_set_new(e, "identity_key", v->key != NULL ? json_string(v->key) : json_null());
	json_object_set_new(e, "source", v->source != NULL ? json_string(v->source) : json_null());
	json_object_set_new(e, "expires", part_creds_time_json(v->expires));
	json_object_set_new(e, "next_refresh", part_creds_time_json(v->next_refresh));
	json_object_set_new(e, "last_error", v->last_error != NULL ? json_string(v->last_error) : json_null());
	json_object_set_new(e, "sessions", json_array());
	json_array_append_new(all, e);
	return e;
}

json_t *
part_creds_status(void)
{
	json_t *all = json_array(), *e;
	struct part_creds_live *l;
	struct part_creds_view v;

	LIST_FOREACH(l, &part_creds_lives, link) {
		memset(&v, 0, sizeof v);
		if (l->view == NULL || !l->view(l->arg, &v))
			continue;
		e = part_creds_status_entry(all, &v);
		json_array_append_new(json_object_get(e, "sessions"), json_string(v.session));
		/* The soonest expiry and the latest error of its sessions. */
		if (v.expires != 0 && (json_is_null(json_object_get(e, "expires")) ||
		    v.expires < part_creds_parse_iso(json_string_value(json_object_get(e, "expires")))))
			json_object_set_new(e, "expires", part_creds_time_json(v.expires));
		if (v.last_error != NULL)
			json_object_set_new(e, "last_error", json_string(v.last_error));
	}
	return all;
}

void
part_creds_fini(void)
{
	struct part_creds_live *l;

	while ((l = LIST_FIRST(&part_creds_lives)) != NULL) {
		part_creds_live_del(l);
		l->stop(l->arg);
	}
	if (part_creds_http_client != NULL) {
		http_client_close(part_creds_http_client, NULL, NULL);
		part_creds_http_client = NULL;
	}
	creds_cache_free(part_creds_token_cache);
	part_creds_token_cache = NULL;
}
