/* test-parts.c: a sandbox's parts (daemon/sandbox/parts.c): hooks run in
 * table order; a part that fails after two have succeeded stops the set
 * with its error and both are undone, in reverse order; an asynchronous
 * prepare can be cancelled; the prepared set contributes create options. */
#include <stdlib.h>
#include <string.h>

#include "parts.h"
#include "strv.h"
#include "tap.h"
#include "xalloc.h"

static char journal[256];

static void
note(const char *what)
{
	if (journal[0] != '\0')
		strcat(journal, " ");
	strcat(journal, what);
}

static int
a_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	note("prepare:a");
	part_prepared(ctx, NULL);
	return 0;
}

static void a_undo(struct part_ctx *ctx) { note("undo:a"); }

/* b answers later (asynchronous), from the test. */
static struct part_ctx *b_pending;

static int
b_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	note("prepare:b");
	b_pending = ctx;
	return 0;
}

static void b_undo(struct part_ctx *ctx) { note("undo:b"); }

static void
b_cancel(struct part_ctx *ctx)
{
	struct mino_error *err = NULL;

	note("cancel:b");
	mino_make_error(&err, 1, 0, "b cancelled");
	b_pending = NULL;
	part_prepared(ctx, err);
	mino_error_release(&err);
}

static int
c_prepare_fails(struct part_ctx *ctx, struct mino_error **err)
{
	note("prepare:c");
	return mino_make_error(err, 1234, 0, "c: no credentials for `%s`", ctx->spec->name);
}

static void c_undo(struct part_ctx *ctx) { note("undo:c"); }

static int
d_prepare(struct part_ctx *ctx, struct mino_error **err)
{
	note("prepare:d");
	part_prepared(ctx, NULL);
	return 0;
}

static int
a_contribute(struct part_ctx *ctx, struct part_opts *o, struct mino_error **err)
{
	char *args[] = { "--tmpfs=/secret", NULL };
	char *env[] = { "A_TOKEN=t", NULL };

	o->args = strv_copy(args);
	o->env = strv_copy(env);
	return 0;
}

static void
a_record(struct part_ctx *ctx, json_t *rec)
{
	json_object_set_new(rec, "a", json_true());
}

static const struct part_ops part_a = { .name = "a", .prepare = a_prepare, .undo = a_undo,
	.contribute = a_contribute, .record = a_record };
static const struct part_ops part_b = { .name = "b", .prepare = b_prepare, .undo = b_undo,
	.cancel = b_cancel };
static const struct part_ops part_c = { .name = "c", .prepare = c_prepare_fails, .undo = c_undo };
static const struct part_ops part_d = { .name = "d", .prepare = d_prepare };

static int prepared_calls;
static char prepared_error[128];
static int prepared_code;

static void
on_prepared(struct parts *p, const struct mino_error *err, void *owner)
{
	prepared_calls++;
	snprintf(prepared_error, sizeof prepared_error, "%s", err ? err->msg : "");
	prepared_code = err ? err->code : 0;
}

static const struct parts_callbacks cbs = { .on_prepared = on_prepared };

static void
reset(void)
{
	journal[0] = '\0';
	prepared_calls = 0;
	prepared_error[0] = '\0';
	prepared_code = 0;
	b_pending = NULL;
}

static void
test_rollback(void)
{
	const struct part_ops *const table[] = { &part_a, &part_b, &part_c, &part_d, NULL };
	struct sandbox_spec spec = { .name = "s1" };
	struct mino_error *err = NULL;
	struct parts *p;

	reset();
	p = parts_new(table, &spec, &cbs, NULL);
	ok(parts_prepare(p, &err) == 0, "prepare begins");
	is_str(journal, "prepare:a prepare:b", "a is prepared at once, b is in flight");
	ok(prepared_calls == 0, "no answer while b is in flight");
	ok(parts_preparing(p), "the set is preparing");
	part_prepared(b_pending, NULL);
	is_str(journal, "prepare:a prepare:b prepare:c undo:b undo:a",
	    "c fails after a and b succeeded: b then a are undone, d never runs, c is not undone");
	ok(prepared_calls == 1, "one answer");
	is_str(prepared_error, "c: no credentials for `s1`", "the answer is c's own error");
	ok(prepared_code == 1234, "with c's code");
	ok(!parts_preparing(p), "the set no longer prepares");
	parts_undo(p);
	is_str(journal, "prepare:a prepare:b prepare:c undo:b undo:a", "undoing again does nothing");
	parts_free(p);
}

static void
test_cancel(void)
{
	const struct part_ops *const table[] = { &part_a, &part_b, &part_d, NULL };
	struct sandbox_spec spec = { .name = "s2" };
	struct mino_error *err = NULL;
	struct parts *p;

	reset();
	p = parts_new(table, &spec, &cbs, NULL);
	parts_prepare(p, &err);
	parts_cancel(p);
	is_str(journal, "prepare:a prepare:b cancel:b undo:a", "cancel stops b in flight and undoes a");
	ok(prepared_calls == 1 && strcmp(prepared_error, "b cancelled") == 0, "one answer: cancelled");
	parts_free(p);
}

static void
test_success(void)
{
	const struct part_ops *const table[] = { &part_a, &part_d, NULL };
	struct sandbox_spec spec = { .name = "s3" };
	struct part_opts o = { 0 };
	struct mino_error *err = NULL;
	json_t *rec = json_object(), *res = NULL;
	struct parts *p;

	reset();
	p = parts_new(table, &spec, &cbs, NULL);
	parts_prepare(p, &err);
	is_str(journal, "prepare:a prepare:d", "synchronous parts are prepared in order");
	ok(prepared_calls == 1 && prepared_error[0] == '\0', "one answer: success");
	ok(parts_prepare(p, &err) < 0 && err != NULL, "a set is prepared once");
	mino_error_release(&err);
	ok(parts_contribute(p, &o, &err) == 0 && o.args != NULL && strcmp(o.args[0], "--tmpfs=/secret") == 0,
	    "contribute gathers create options");
	ok(o.env != NULL && strcmp(o.env[0], "A_TOKEN=t") == 0, "and environment for the env file");
	part_opts_free(&o);
	parts_record(p, rec);
	ok(json_is_true(json_object_get(rec, "a")), "record adds the part's fields");
	ok(parts_call(p, "a", "x", NULL, &res, &err) < 0 && err != NULL, "a part without `call` refuses RPCs");
	mino_error_release(&err);
	json_decref(rec);
	parts_free(p);
}

int
main(void)
{
	test_rollback();
	test_cancel();
	test_success();
	return tap_done();
}
