/* aws-process.c: AWS credentials rendered for the container, and read
 * back from `credential_process` and `aws configure export-credentials`
 * (aws.h, aws-int.h).  Nothing here logs a secret. */
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "aws-int.h"
#include "capture.h"
#include "log.h"
#include "mino-protocol.h"
#include "secret.h"
#include "xalloc.h"

static void aws_capture_done(struct capture *cp, const struct capture_result *res,
    const struct mino_error *err, void *data);

/* ---- credentials and their renderings ---- */

void
aws_creds_clear(struct aws_creds *c)
{
	free(c->access_key_id);
	secret_free(c->secret_access_key);
	secret_free(c->session_token);
	free(c->region);
	memset(c, 0, sizeof *c);
}

void
aws_creds_move(struct aws_creds *dst, struct aws_creds *src)
{
	*dst = *src;
	memset(src, 0, sizeof *src);
}

void
aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	dst->access_key_id = src->access_key_id != NULL ? xstrdup(src->access_key_id) : NULL;
	dst->secret_access_key = src->secret_access_key != NULL ? xstrdup(src->secret_access_key) : NULL;
	dst->session_token = src->session_token != NULL ? xstrdup(src->session_token) : NULL;
	dst->region = src->region != NULL ? xstrdup(src->region) : NULL;
	dst->expiration = src->expiration;
}

static void
aws_format_time(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Key texts are checked on the way in (no quote, backslash, space or
 * control byte), so they render without escaping. */
char *
aws_creds_process_json(const struct aws_creds *c)
{
	char exp[32] = "";

	if (c->expiration != 0)
		aws_format_time(c->expiration, exp);
	return xasprintf("{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"%s%s%s%s%s%s}\n",
	    c->access_key_id, c->secret_access_key,
	    c->session_token != NULL ? ",\"SessionToken\":\"" : "",
	    c->session_token != NULL ? c->session_token : "",
	    c->session_token != NULL ? "\"" : "",
	    c->expiration != 0 ? ",\"Expiration\":\"" : "", exp, c->expiration != 0 ? "\"" : "");
}

char *
aws_creds_ini(const struct aws_creds *c, const char *profile)
{
	return xasprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n%s%s%s",
	    profile, c->access_key_id, c->secret_access_key,
	    c->session_token != NULL ? "aws_session_token = " : "",
	    c->session_token != NULL ? c->session_token : "",
	    c->session_token != NULL ? "\n" : "");
}

char *
aws_config_render(const char *credential_process, const char *region)
{
	return xasprintf("[default]\ncredential_process = %s\n%s%s%s", credential_process,
	    region != NULL ? "region = " : "", region != NULL ? region : "", region != NULL ? "\n" : "");
}


int
aws_creds_check(const struct aws_creds *c, const char *from, struct mino_error **err)
{
	if (c->access_key_id == NULL || c->secret_access_key == NULL)
		return mino_make_error(err, MINO_E_IO, 0, "%s: no access key id or secret access key", from);
	if (secret_check_text("access key id", c->access_key_id, 128, err) < 0
	    || secret_check_text("secret access key", c->secret_access_key, AWS_MAX_SECRET, err) < 0
	    || (c->session_token != NULL && secret_check_text("session token", c->session_token, AWS_MAX_SECRET, err) < 0))
		return mino_error_wrap(err, "%s", from);
	return 0;
}

/* ---- the helper programs ---- */

int
aws_creds_from_process_json(struct aws_creds *c, const char *out, size_t len, struct mino_error **err)
{
	json_error_t je;
	json_t *j = json_loadb(out, len, JSON_REJECT_DUPLICATES, &je);
	json_t *v;
	const char *id, *secret, *token, *exp;
	int r = 0;

	if (!json_is_object(j)) {
		json_decref(j);
		return mino_make_error(err, MINO_E_IO, 0, "output is not a JSON object");
	}
	v = json_object_get(j, "Version");
	id = json_string_value(json_object_get(j, "AccessKeyId"));
	secret = json_string_value(json_object_get(j, "SecretAccessKey"));
	token = json_string_value(json_object_get(j, "SessionToken"));
	exp = json_string_value(json_object_get(j, "Expiration"));
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		r = mino_make_error(err, MINO_E_IO, 0, "output has no \"Version\": 1");
	else if (id == NULL || secret == NULL)
		r = mino_make_error(err, MINO_E_IO, 0, "output lacks AccessKeyId or SecretAccessKey");
	else if (json_object_get(j, "Expiration") != NULL && (exp == NULL || aws_parse_time(exp, &c->expiration) < 0))
		r = mino_make_error(err, MINO_E_IO, 0, "output's Expiration is not an ISO 8601 time");
	if (r == 0) {
		c->access_key_id = xstrdup(id);
		c->secret_access_key = xstrdup(secret);
		c->session_token = token != NULL && token[0] != '\0' ? xstrdup(token) : NULL;
		r = aws_creds_check(c, "output", err);
	}
	json_decref(j);
	return r;
}

static int
aws_parse_process_output(struct aws_mint *m, const char *out, size_t len, struct mino_error **err)
{
	return aws_creds_from_process_json(&m->cur, out, len, err);
}

static void
aws_capture_done(struct capture *cp, const struct capture_result *res, const struct mino_error *cerr,
    void *data)
{
	struct aws_mint *m = data;
	struct mino_error *err = NULL;
	const char *what = m->process != NULL ? "credential_process" : "aws configure export-credentials";

	m->io.cap = NULL;
	if (cerr != NULL)
		mino_make_error(&err, cerr->code, 0, "%s", cerr->msg);
	else if (res->exit_status != 0 || res->term_signal != 0) {
		_cleanup_free_ char *first = xstrndup(res->errout, strcspn(res->errout, "\n"));
		_cleanup_free_ char *clean = log_sanitize(first, strlen(first));

		mino_make_error(&err, MINO_E_IO, 0, "%s exited with %s %d%s%s", what,
		    res->term_signal != 0 ? "signal" : "status",
		    res->term_signal != 0 ? res->term_signal : (int)res->exit_status,
		    clean[0] != '\0' ? ": " : "", clean);
	} else
		aws_parse_process_output(m, res->out, res->out_len, &err);
	if (err != NULL) {
		mino_error_wrap(&err, "%s", m->source);
		aws_mint_fail(m, err);
		return;
	}
	m->stage = AWS_STAGE_CACHE;
	aws_mint_step(m);
}

int
aws_start_helper(struct aws_mint *m, struct mino_error **err)
{
	char **argv;
	char **env = capture_env_with_defaults((const char *const *)m->io.env);
	struct capture_opts co = {
		.loop = m->io.loop,
		.env = (const char *const *)env,
		.timeout_ms = m->timeout_ms * 2,
		.on_done = aws_capture_done,
		.data = m,
	};

	if (m->process != NULL) {
		argv = capture_split_words(m->process, err);
		if (argv == NULL) {
			capture_env_free(env);
			return mino_error_wrap(err, "%s: credential_process", m->source);
		}
		co.what = "credential_process";
	} else {
		const char *v[] = { m->cli, "configure", "export-credentials", "--profile", m->profile,
			"--format", "process", NULL };

		argv = xcalloc(8, sizeof *argv);
		for (size_t i = 0; v[i] != NULL; i++)
			argv[i] = xstrdup(v[i]);
		co.what = "aws configure export-credentials";
	}
	co.argv = (const char *const *)argv;
	log_debug("aws: %s: running %s", m->source, co.what);
	m->io.cap = capture_start(&co, err);
	capture_argv_free(argv);
	capture_env_free(env);
	if (m->io.cap == NULL)
		return mino_error_wrap(err, "%s", m->source);
	return 0;
}
