/* spare.c: created containers kept ready for warm starts (spare.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "buf.h"
#include "container.h"
#include "log.h"
#include "minod.h"
#include "podman.h"
#include "rundir.h"
#include "spare.h"
#include "xalloc.h"

#define SPARE_NAME_ARG "--name=mino-spare-" SPARE_PLACEHOLDER
#define SPARE_RUNDIR_ARG SPARE_PLACEHOLDER ":" RUNDIR_MOUNT ":ro"
#define SPARE_PROJECT_ARG "--label=mino.project="

struct spare {
	struct spare *next;
	char *key;                /* spare_key of its template */
	size_t keylen;
	char *project;            /* its --label=mino.project= value */
	char hex[17];             /* its name suffix and run directory id */
	char *dir;                /* its run directory */
	char *id;                 /* its container, once created */
	uint64_t born;            /* uv_now() when it became ready */
	bool ready;
	bool dropped;             /* creating: remove it once podman answers */
};

/* A claimed spare's rename, due at `due` (uv_now()). */
struct spare_rename {
	struct spare_rename *next;
	char *id, *name;
	uint64_t due;
};

static struct spare *spare_list;
static struct spare_rename *spare_renames;
static uv_timer_t spare_timer;
static bool spare_timer_live;
static struct spare_stats spare_stats;

static long spare_env_bound(const char *name, long def, long lo, long hi);
static unsigned spare_max(void);
static uint64_t spare_max_age_ms(void);
static void spare_free(struct spare *sp);
static void spare_unlink(struct spare *sp);
static void spare_drop(struct spare *sp, const char *why);
static char *spare_parse_id(const struct podman_result *res);
static void spare_create_cb(struct podman_result *res, void *arg);
static const char *spare_project_of(char *const *tmpl);
static char **spare_argv(const struct spare *sp, char *const *tmpl);
static bool spare_make_room(void);
static void spare_rename_free(struct spare_rename *r);
static void spare_rename_due(uint64_t now);
static void spare_gc_cb(uv_timer_t *t);

/* A bound from minod's environment, read once: N in [lo, hi], else def. */
static long
spare_env_bound(const char *name, long def, long lo, long hi)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || v[0] == '\0')
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi) {
		log_warn("%s=%s: expected an integer from %ld to %ld; using %ld", name, v, lo, hi, def);
		return def;
	}
	return n;
}

static unsigned
spare_max(void)
{
	static long n = -1;

	if (n < 0)
		n = spare_env_bound(SPARE_ENV_MAX, SPARE_DEFAULT_MAX, 0, SPARE_LIMIT_MAX);
	return (unsigned)n;
}

static uint64_t
spare_max_age_ms(void)
{
	static long s = -1;

	if (s < 0)
		s = spare_env_bound(SPARE_ENV_AGE, SPARE_DEFAULT_AGE_S, 1, 86400);
	return (uint64_t)s * 1000u;
}

bool
spare_enabled(void)
{
	return spare_max() > 0 && minod.entry_path != NULL;
}

char *
spare_key(char *const *tmpl, size_t *len)
{
	struct buf b;

	buf_init(&b);
	for (; tmpl != NULL && *tmpl != NULL; tmpl++)
		buf_append(&b, *tmpl, strlen(*tmpl) + 1);
	return buf_steal(&b, len);
}

static void
spare_free(struct spare *sp)
{
	free(sp->key);
	free(sp->project);
	free(sp->dir);
	free(sp->id);
	free(sp);
}

static void
spare_unlink(struct spare *sp)
{
	struct spare **pp;

	for (pp = &spare_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == sp) {
			*pp = sp->next;
			return;
		}
}

/* A ready one goes now; a creating one once its create answers. */
static void
spare_drop(struct spare *sp, const char *why)
{
	if (sp->dropped)
		return;
	spare_stats.dropped++;
	log_debug("spare %s: dropped (%s)", sp->hex, why);
	if (!sp->ready) {
		sp->dropped = true;
		return;
	}
	spare_unlink(sp);
	container_remove(sp->id, NULL, NULL);
	rundir_remove(sp->hex);
	spare_free(sp);
}

void
spare_drop_all(void)
{
	struct spare *sp, *next;

	for (sp = spare_list; sp != NULL; sp = next) {
		next = sp->next;
		spare_drop(sp, "all dropped");
	}
}

bool
spare_claim(const char *key, size_t len, char **id, char **rundir)
{
	struct spare *sp;
	uint64_t now = uv_now(minod.loop);

	for (sp = spare_list; sp != NULL; sp = sp->next) {
		if (!sp->ready || sp->dropped || sp->keylen != len || memcmp(sp->key, key, len) != 0)
			continue;
		if (now - sp->born > spare_max_age_ms())
			continue; /* the GC takes it */
		spare_unlink(sp);
		*id = sp->id;
		*rundir = sp->dir;
		sp->id = NULL;
		sp->dir = NULL;
		spare_stats.claimed++;
		log_info("spare %s: claimed (container %.12s)", sp->hex, *id);
		spare_free(sp);
		return true;
	}
	return false;
}

/* The container id: the last non-empty line podman printed. */
static char *
spare_parse_id(const struct podman_result *res)
{
	const char *p = res->out.data, *end, *line = NULL;
	size_t n = 0;

	if (res->exit_status != 0 || p == NULL)
		return NULL;
	while (*p != '\0') {
		end = p + strcspn(p, "\r\n");
		if (end > p) {
			line = p;
			n = (size_t)(end - p);
		}
		p = *end != '\0' ? end + 1 : end;
	}
	if (line == NULL || n < 12 || strspn(line, "0123456789abcdef") < n)
		return NULL;
	return xstrndup(line, n);
}

static void
spare_create_cb(struct podman_result *res, void *arg)
{
	struct spare *sp = arg;
	_cleanup_free_ char *line = NULL;

	sp->id = spare_parse_id(res);
	if (sp->id == NULL) {
		line = podman_error_line(res);
		log_info("spare %s: podman create: %s", sp->hex, line ? line : "failed");
		sp->dropped = true;
	}
	if (sp->dropped || minod.shutting_down) {
		spare_unlink(sp);
		if (sp->id != NULL)
			container_remove(sp->id, NULL, NULL);
		rundir_remove(sp->hex);
		spare_free(sp);
		return;
	}
	sp->ready = true;
	sp->born = uv_now(minod.loop);
	spare_stats.created++;
	log_debug("spare %s: ready (container %.12s)", sp->hex, sp->id);
}

static const char *
spare_project_of(char *const *tmpl)
{
	for (; *tmpl != NULL; tmpl++)
		if (strncmp(*tmpl, SPARE_PROJECT_ARG, strlen(SPARE_PROJECT_ARG)) == 0)
			return *tmpl + strlen(SPARE_PROJECT_ARG);
	return "";
}

/* The template with this spare's name and run directory. */
static char **
spare_argv(const struct spare *sp, char *const *tmpl)
{
	size_t n = 0, i;
	char **v;

	while (tmpl[n] != NULL)
		n++;
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++) {
		if (strcmp(tmpl[i], SPARE_NAME_ARG) == 0)
			v[i] = xasprintf("--name=mino-spare-%s", sp->hex);
		else if (strcmp(tmpl[i], SPARE_RUNDIR_ARG) == 0)
			v[i] = xasprintf("%s:%s:ro", sp->dir, RUNDIR_MOUNT);
		else
			v[i] = xstrdup(tmpl[i]);
	}
	return v;
}

/* Room for one more: the oldest ready one goes if the pool is full. */
static bool
spare_make_room(void)
{
	struct spare *sp, *oldest = NULL;
	unsigned n = 0;

	for (sp = spare_list; sp != NULL; sp = sp->next) {
		if (sp->dropped)
			continue;
		n++;
		if (sp->ready && (oldest == NULL || sp->born < oldest->born))
			oldest = sp;
	}
	if (n < spare_max())
		return true;
	if (oldest == NULL)
		return false;
	spare_drop(oldest, "the pool is full");
	return true;
}

void
spare_offer(char *const *tmpl)
{
	struct spare *sp, *next;
	struct mino_error *err = NULL;
	unsigned char rnd[8];
	size_t len;
	char *key, **argv;
	const char *project;

	if (!spare_enabled() || minod.shutting_down || tmpl == NULL)
		return;
	key = spare_key(tmpl, &len);
	project = spare_project_of(tmpl);
	for (sp = spare_list; sp != NULL; sp = next) {
		next = sp->next;
		if (sp->dropped)
			continue;
		if (sp->keylen == len && memcmp(sp->key, key, len) == 0) {
			free(key);
			return; /* one per key */
		}
		if (strcmp(sp->project, project) == 0)
			spare_drop(sp, "the project's settings changed");
	}
	if (!spare_make_room() || getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
		free(key);
		return;
	}
	sp = xcalloc(1, sizeof *sp);
	sp->key = key;
	sp->keylen = len;
	sp->project = xstrdup(project);
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(sp->hex + 2 * i, 3, "%02x", rnd[i]);
	if (rundir_create(sp->hex, &sp->dir, &err) < 0) {
		log_warn("spare: %s", err->msg);
		mino_error_release(&err);
		spare_free(sp);
		return;
	}
	argv = spare_argv(sp, tmpl);
	if (podman_capture((const char *const *)argv, spare_create_cb, sp, &err) < 0) {
		log_warn("spare: %s", err->msg);
		mino_error_release(&err);
		rundir_remove(sp->hex);
		spare_free(sp);
	} else {
		sp->next = spare_list;
		spare_list = sp;
	}
	podman_argv_free(argv);
}

void
spare_rename_later(const char *id, const char *name)
{
	struct spare_rename *r = xcalloc(1, sizeof *r);

	r->id = xstrdup(id);
	r->name = xstrdup(name);
	r->due = uv_now(minod.loop) + SPARE_RENAME_MS;
	r->next = spare_renames;
	spare_renames = r;
}

static void
spare_rename_free(struct spare_rename *r)
{
	free(r->id);
	free(r->name);
	free(r);
}

void
spare_rename_cancel(const char *id)
{
	struct spare_rename **pp, *r;

	for (pp = &spare_renames; (r = *pp) != NULL;) {
		if (strcmp(r->id, id) == 0) {
			*pp = r->next;
			spare_rename_free(r);
		} else {
			pp = &r->next;
		}
	}
}

static void
spare_rename_due(uint64_t now)
{
	struct spare_rename **pp, *r;
	const char *argv[] = { "rename", NULL, NULL, NULL };

	for (pp = &spare_renames; (r = *pp) != NULL;) {
		if (now < r->due) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		argv[1] = r->id;
		argv[2] = r->name;
		podman_run_quiet(argv);
		spare_rename_free(r);
	}
}

static void
spare_gc_cb(uv_timer_t *t)
{
	struct spare *sp, *next;
	uint64_t now = uv_now(minod.loop);
	bool off = !spare_enabled();

	spare_rename_due(now);
	for (sp = spare_list; sp != NULL; sp = next) {
		next = sp->next;
		if (off)
			spare_drop(sp, "warm starts are off");
		else if (sp->ready && now - sp->born > spare_max_age_ms())
			spare_drop(sp, "too old");
	}
}

void
spare_init(void)
{
	if (spare_timer_live)
		return;
	/* the bounds are read once, now */
	if (spare_max() > 0)
		log_info("warm starts: up to %u spares, each kept %llu s", spare_max(),
		    (unsigned long long)(spare_max_age_ms() / 1000u));
	uv_timer_init(minod.loop, &spare_timer);
	uv_timer_start(&spare_timer, spare_gc_cb, SPARE_GC_MS, SPARE_GC_MS);
	uv_unref((uv_handle_t *)&spare_timer);
	spare_timer_live = true;
}

void
spare_shutdown(void)
{
	struct spare_rename *r;

	while ((r = spare_renames) != NULL) {
		spare_renames = r->next;
		spare_rename_free(r);
	}
	spare_drop_all();
	if (!spare_timer_live)
		return;
	spare_timer_live = false;
	uv_timer_stop(&spare_timer);
	uv_close((uv_handle_t *)&spare_timer, NULL);
}

void
spare_get_stats(struct spare_stats *st)
{
	const struct spare *sp;

	*st = spare_stats;
	st->ready = st->creating = 0;
	for (sp = spare_list; sp != NULL; sp = sp->next) {
		if (sp->dropped)
			continue;
		if (sp->ready)
			st->ready++;
		else
			st->creating++;
	}
}
