/* network.c: the egress part.  For a session with an allowlist (spec
 * network_allow: --network-allow, a preset or the config) it enforces the
 * list from outside the container, before the user's command runs, and
 * serves the container's DNS so that the rules follow the names:
 *
 *   before_start  (the container is created and initialized, nothing of
 *                 the user's runs yet) reads the container's resolv.conf
 *                 (its upstream resolver, search list), runs mino-netns in
 *                 the container's network namespace (nsenter -U -n -t PID)
 *                 which passes back three sockets made there (SCM_RIGHTS):
 *                 the resolver on 127.0.0.53:53 (UDP + TCP) and a UDP socket
 *                 to the upstream resolver marked NETWORK_MARK; starts one
 *                 long-lived `nft -e -i` in that namespace and applies the
 *                 table `inet mino` (output: policy drop; lo, established,
 *                 the mark, and the sets a4/a6 of address . port accepted),
 *                 waiting for its echo; points resolv.conf at 127.0.0.53.
 *                 Any failure fails the start (fail closed).
 *   the resolver  a query for a name that a rule allows (also with one of
 *                 the search domains appended) is forwarded upstream; the
 *                 answer's A/AAAA records join the sets with the rules'
 *                 ports and a timeout of their TTL (clamped to
 *                 NETWORK_TTL_MIN..MAX, as are the TTLs the container
 *                 sees) through the nft process, and the answer is relayed
 *                 only after nft echoed the change.  Other names get
 *                 NXDOMAIN and are audited (network.dns_denied).  No cache.
 *   call          session/network: status, allow, deny (live changes).
 * The container has no capability (--cap-drop=ALL), so nothing inside,
 * `podman exec` included, can change the table. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "audit.h"
#include "buf.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "netrule.h"
#include "network.h"
#include "parts.h"
#include "strv.h"
#include "xalloc.h"

static bool network_wants_container(struct part_ctx *ctx);
static int network_before_start(struct part_ctx *ctx, const struct container_info *info, const char *rundir,
    struct mino_error **err);
static void network_ended(struct part_ctx *ctx);
static void network_record(struct part_ctx *ctx, json_t *rec);
static int network_call(struct part_ctx *ctx, const char *what, json_t *params, json_t **result,
    struct mino_error **err);
static void network_free(struct part_ctx *ctx);

const struct part_ops network_part = {
	.name = "network",
	.wants_container = network_wants_container,
	.before_start = network_before_start,
	.ended = network_ended,
	.record = network_record,
	.call = network_call,
	.free = network_free,
};

static bool
network_wants_container(struct part_ctx *ctx)
{
	return ctx->spec->network_allow != NULL;
}

/* ---------- rules ---------- */

static int
network_set_rules(struct network_state *st, char *const *rules, struct mino_error **err)
{
	size_t n = strv_len(rules);

	free(st->rules);
	st->rules = xcalloc(n + 1, sizeof *st->rules);
	st->nrules = 0;
	for (size_t i = 0; i < n; i++) {
		if (netrule_parse(rules[i], &st->rules[st->nrules], err) < 0)
			return -1;
		st->nrules++;
	}
	return 0;
}

static json_t *
network_rules_json(const struct network_state *st)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; i < st->nrules; i++) {
		s = netrule_format(&st->rules[i]);
		json_array_append_new(a, json_string(s));
		free(s);
	}
	return a;
}

/* The upstream resolvers, in the order they are asked. */
static json_t *
network_resolvers_json(const struct network_state *st)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < st->nup; i++)
		json_array_append_new(a, json_string(st->upstream[i]));
	return a;
}

/* The ports that the rules allow for `name`, directly or as a short name
 * with one of the search domains appended. */
unsigned
network_ports_for(const struct network_state *st, const char *name, unsigned *ports)
{
	unsigned n = 0;
	size_t len = strlen(name), dl;
	char short_name[256];
	bool hit;

	for (size_t i = 0; i < st->nrules && n < NETWORK_PORTS; i++) {
		hit = netrule_matches_name(&st->rules[i], name);
		for (char **d = st->search; !hit && d != NULL && *d != NULL; d++) {
			dl = strlen(*d);
			if (len > dl + 1 && name[len - dl - 1] == '.' && strcasecmp(name + len - dl, *d) == 0) {
				memcpy(short_name, name, len - dl - 1);
				short_name[len - dl - 1] = '\0';
				hit = netrule_matches_name(&st->rules[i], short_name);
			}
		}
		for (unsigned j = 0; hit && j < n; j++)
			if (ports[j] == st->rules[i].port)
				hit = false;
		if (hit)
			ports[n++] = st->rules[i].port;
	}
	return n;
}

/* The static elements: the rules that are addresses. */
void
network_static_elements(const struct network_state *st, struct buf *b)
{
	for (size_t i = 0; i < st->nrules; i++) {
		const struct netrule *r = &st->rules[i];

		if (r->kind == NETRULE_IPV4 || r->kind == NETRULE_IPV6)
			buf_printf(b, "; add element inet mino %s { %s . %u }", r->kind == NETRULE_IPV4 ? "a4" : "a6",
			    r->host, r->port);
	}
}


/* The whole table, one nft line (one transaction). */
static char *
network_ruleset(const struct network_state *st)
{
	struct buf b = { 0 };

	buf_printf(&b, "add table inet mino"
	    "; add set inet mino a4 { type ipv4_addr . inet_service; flags timeout; }"
	    "; add set inet mino a6 { type ipv6_addr . inet_service; flags timeout; }"
	    "; add set inet mino ack { type inet_service; }"
	    "; add chain inet mino out { type filter hook output priority -10; policy drop; }"
	    "; add rule inet mino out oif lo accept"
	    "; add rule inet mino out ct state established,related accept"
	    "; add rule inet mino out meta mark 0x%x accept"
	    "; add rule inet mino out meta l4proto { tcp, udp } ip daddr . th dport @a4 accept"
	    "; add rule inet mino out meta l4proto { tcp, udp } ip6 daddr . th dport @a6 accept"
	    "; add rule inet mino out icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit }"
	    " accept", NETWORK_MARK);
	network_static_elements(st, &b);
	buf_printf(&b, NETWORK_ACK, 0u, 0u);
	buf_append(&b, "", 1);
	return (char *)b.data;
}

static int
network_before_start(struct part_ctx *ctx, const struct container_info *info, const char *rundir,
    struct mino_error **err)
{
	struct network_state *st;
	_cleanup_free_ char *options = NULL;
	_cleanup_free_ char *ruleset = NULL;
	int fds[NETWORK_NFDS] = { -1, -1, -1, -1, -1 }, io[3] = { -1, -1, -1 };
	uint64_t t0;
	json_t *a;

	(void)rundir;
	if (ctx->spec->network_allow == NULL)
		return 0;
	uv_update_time(minod.loop);
	t0 = uv_hrtime();
	if (info->pid <= 0)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "the container has no process to set rules for");
	st = xcalloc(1, sizeof *st);
	st->ctx = ctx;
	st->session = xstrdup(ctx->spec->name);
	st->factory_fd = -1;
	st->audit = !ctx->spec->no_audit;
	ctx->state = st;
	if (network_set_rules(st, ctx->spec->network_allow, err) < 0 ||
	    network_ns_read_resolv(st, info->pid, &options, err) < 0 ||
	    network_ns_start_nft(st, info->pid, io, err) < 0)
		goto fail;
	ruleset = network_ruleset(st);
	if (network_ns_nft_sync(io, ruleset, err) < 0 ||
	    network_ns_sockets(st, info->pid, fds, &st->factory_fd, &st->factory_pid, err) < 0 ||
	    network_ns_write_resolv(st, info->pid, options, err) < 0)
		goto fail;
	if (network_resolver_activate(st, fds, io, err) < 0) {
		network_resolver_teardown(st);
		return mino_error_wrap(err, "egress rules");
	}
	a = json_object();
	json_object_set_new(a, "session", json_string(st->session));
	json_object_set_new(a, "network", json_string(ctx->spec->network));
	json_object_set_new(a, "rules", network_rules_json(st));
	json_object_set_new(a, "resolver", json_string(st->upstream[0]));
	json_object_set_new(a, "resolvers", network_resolvers_json(st));
	audit_event_if(st->audit, "network.rules_applied", a);
	log_info("network %s: egress rules applied (%zu rules) in %.1f ms, resolver 127.0.0.53 -> %s",
	    st->session, st->nrules, (double)(uv_hrtime() - t0) / 1e6, st->upstream[0]);
	return 0;
fail:
	for (int i = 0; i < NETWORK_NFDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (int i = 0; i < 3; i++)
		if (io[i] >= 0)
			close(io[i]);
	network_ns_reap(st->nft_pid, true);
	st->nft_pid = 0;
	if (st->factory_fd >= 0)
		close(st->factory_fd);
	st->factory_fd = -1;
	network_ns_reap(st->factory_pid, true);
	st->factory_pid = 0;
	return mino_error_wrap(err, "egress rules");
}

static void
network_ended(struct part_ctx *ctx)
{
	struct network_state *st = ctx->state;

	if (st != NULL)
		network_resolver_teardown(st);
}

static void
network_free(struct part_ctx *ctx)
{
	struct network_state *st = ctx->state;

	if (st == NULL)
		return;
	ctx->state = NULL;
	network_resolver_teardown(st);
	st->ctx = NULL;
	if (st->open == 0)
		network_resolver_state_free(st);
}

static void
network_record(struct part_ctx *ctx, json_t *rec)
{
	struct network_state *st = ctx->state;
	const char *mode = ctx->spec->network_allow != NULL ? "allowlist" : ctx->spec->network;

	json_object_set_new(rec, "network_mode", json_string(mode));
	if (ctx->spec->network_allow != NULL) {
		json_object_set_new(rec, "network_allow", st != NULL ? network_rules_json(st) :
		    strv_to_json(ctx->spec->network_allow));
		json_object_set_new(rec, "network_denied", json_integer(st != NULL ? (json_int_t)st->denied : 0));
	}
}

/* ---------- session/network ---------- */

static json_t *
network_status(const struct network_state *st, const struct sandbox_spec *spec)
{
	json_t *r = json_object(), *res = json_array(), *den = json_array(), *e;
	uint64_t now = uv_now(minod.loop);

	json_object_set_new(r, "session", json_string(spec->name));
	json_object_set_new(r, "network", json_string(spec->network));
	json_object_set_new(r, "mode", json_string("allowlist"));
	json_object_set_new(r, "rules", network_rules_json(st));
	json_object_set_new(r, "resolver", json_string(st->upstream[0]));
	json_object_set_new(r, "resolvers", network_resolvers_json(st));
	for (unsigned i = 0; i < NETWORK_RESOLVED; i++) {
		const struct network_resolved *x = &st->resolved[i];

		if (x->name[0] == '\0' || x->expires <= now)
			continue;
		e = json_object();
		json_object_set_new(e, "name", json_string(x->name));
		json_object_set_new(e, "address", json_string(x->addr));
		json_object_set_new(e, "port", json_integer(x->port));
		json_object_set_new(e, "expires_in", json_integer((json_int_t)((x->expires - now) / 1000)));
		json_array_append_new(res, e);
	}
	json_object_set_new(r, "resolved", res);
	json_object_set_new(r, "forwarded", json_integer((json_int_t)st->forwarded));
	json_object_set_new(r, "denied", json_integer((json_int_t)st->denied));
	for (unsigned i = 0; i < NETWORK_DENIALS; i++) {
		const struct network_denial *d = &st->denials[(st->denials_next + i) % NETWORK_DENIALS];

		if (d->name[0] == '\0')
			continue;
		e = json_object();
		json_object_set_new(e, "name", json_string(d->name));
		json_object_set_new(e, "type", json_string(d->type));
		json_object_set_new(e, "time", json_integer((json_int_t)d->when));
		json_array_append_new(den, e);
	}
	json_object_set_new(r, "recent_denials", den);
	return r;
}

/* Rules of a param array, checked. */
static int
network_param_rules(json_t *params, const char *key, struct netrule **out, size_t *n, struct mino_error **err)
{
	json_t *a = json_object_get(params, key), *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` must be an array of rules", key);
	*out = xcalloc(json_array_size(a) + 1, sizeof **out);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			free(*out);
			*out = NULL;
			return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "`%s` must be an array of rules", key);
		}
		if (netrule_parse(json_string_value(v), &(*out)[i], err) < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	*n = json_array_size(a);
	return 0;
}

static bool
network_same_rule(const struct netrule *a, const struct netrule *b)
{
	return a->kind == b->kind && a->port == b->port && strcmp(a->host, b->host) == 0;
}

static int
network_change(struct network_state *st, json_t *params, struct mino_error **err)
{
	_cleanup_free_ struct netrule *allow = NULL;
	_cleanup_free_ struct netrule *deny = NULL;
	size_t na, nd, k;
	struct buf cmd = { 0 };
	bool found;
	json_t *a, *ja = json_array(), *jd = json_array();
	char *s;

	if (network_param_rules(params, "allow", &allow, &na, err) < 0 ||
	    network_param_rules(params, "deny", &deny, &nd, err) < 0) {
		json_decref(ja);
		json_decref(jd);
		return -1;
	}
	for (size_t i = 0; i < nd; i++) {
		found = false;
		for (k = 0; k < st->nrules; k++)
			if (network_same_rule(&st->rules[k], &deny[i])) {
				memmove(&st->rules[k], &st->rules[k + 1], (st->nrules - k - 1) * sizeof *st->rules);
				st->nrules--;
				found = true;
				break;
			}
		s = netrule_format(&deny[i]);
		if (!found) {
			mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "no rule `%s` in session `%s`", s, st->session);
			free(s);
			json_decref(ja);
			json_decref(jd);
			return -1;
		}
		json_array_append_new(jd, json_string(s));
		free(s);
	}
	for (size_t i = 0; i < na; i++) {
		found = false;
		for (k = 0; k < st->nrules && !found; k++)
			found = network_same_rule(&st->rules[k], &allow[i]);
		s = netrule_format(&allow[i]);
		json_array_append_new(ja, json_string(s));
		free(s);
		if (found)
			continue;
		st->rules = xreallocarray(st->rules, st->nrules + 1, sizeof *st->rules);
		st->rules[st->nrules++] = allow[i];
	}
	/* A removed rule takes its addresses with it: the sets start again from
	 * the address rules; names join again at their next query. */
	if (nd > 0) {
		buf_printf(&cmd, "flush set inet mino a4; flush set inet mino a6");
		memset(st->resolved, 0, sizeof st->resolved);
	} else {
		buf_printf(&cmd, "add table inet mino");
	}
	network_static_elements(st, &cmd);
	buf_append(&cmd, "", 1);
	network_resolver_nft_queue(st, (char *)cmd.data, NULL, 0, NULL, NULL);
	a = json_object();
	json_object_set_new(a, "session", json_string(st->session));
	json_object_set_new(a, "allow", ja);
	json_object_set_new(a, "deny", jd);
	json_object_set_new(a, "rules", network_rules_json(st));
	audit_event_if(st->audit, "network.changed", a);
	return 0;
}

static int
network_call(struct part_ctx *ctx, const char *what, json_t *params, json_t **result, struct mino_error **err)
{
	struct network_state *st = ctx->state;

	if (strcmp(what, "network") != 0)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0, "network: no call `%s`", what);
	if (ctx->spec->network_allow == NULL)
		return mino_make_error(err, MINO_E_INVALID_ARGUMENT, 0,
		    "session `%s` has no allowlist (network %s): start it with --network-allow or a preset",
		    ctx->spec->name, ctx->spec->network);
	if (st == NULL || !st->active)
		return mino_make_error(err, MINO_E_NOT_RUNNING, 0, "session `%s` is not running", ctx->spec->name);
	if ((json_object_get(params, "allow") != NULL || json_object_get(params, "deny") != NULL) &&
	    network_change(st, params, err) < 0)
		return -1;
	*result = network_status(st, ctx->spec);
	return 0;
}
