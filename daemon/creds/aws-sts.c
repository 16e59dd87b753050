/* aws-sts.c: STS for the AWS mint (aws.h, aws-int.h): Query API POSTs
 * signed with SigV4 (sigv4.h), and a strict reader of their XML answers. */
#include <ctype.h>
#include <string.h>

#include <curl/curl.h>

#include "aws.h"
#include "aws-int.h"
#include "http.h"
#include "log.h"
#include "mino-protocol.h"
#include "secret.h"
#include "sigv4.h"
#include "xalloc.h"

static void aws_sts_done(struct http_req *r, const struct http_response *resp,
    const struct mino_error *err, void *data);

/* ISO 8601 as AWS writes it: 2026-12-01T21:00:00Z, optional fraction,
 * Z or +hh:mm / +hhmm. */
int
aws_parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	int n = 0, sign, oh = 0, om = 0;
	const char *p;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' && p[1] == '\0')
		sign = 0;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2])) {
		sign = *p == '+' ? 1 : -1;
		oh = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == ':')
			p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != '\0')
			return -1;
		om = (p[0] - '0') * 10 + (p[1] - '0');
	} else
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23
	    || tm.tm_min > 59 || tm.tm_sec > 60 || oh > 23 || om > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* ---- STS XML: a strict extractor for the few elements we need ---- */

/* The text of the single <tag>...</tag> in [doc, doc+len), entities
 * decoded; NULL if absent, repeated or holding markup. */
static char *
aws_xml_text(const char *doc, size_t len, const char *tag)
{
	_cleanup_free_ char *open = xasprintf("<%s>", tag);
	_cleanup_free_ char *close = xasprintf("</%s>", tag);
	const char *s = memmem(doc, len, open, strlen(open));
	const char *e, *p;
	struct buf b;

	if (s == NULL)
		return NULL;
	s += strlen(open);
	e = memmem(s, len - (size_t)(s - doc), close, strlen(close));
	if (e == NULL || memmem(e, len - (size_t)(e - doc), open, strlen(open)) != NULL
	    || memchr(s, '<', (size_t)(e - s)) != NULL)
		return NULL;
	buf_init(&b);
	for (p = s; p < e; p++) {
		static const struct { const char *ent; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
		};
		size_t i;

		if (*p != '&') {
			secret_buf_append(&b, p, 1);
			continue;
		}
		for (i = 0; i < sizeof ents / sizeof ents[0]; i++)
			if ((size_t)(e - p) >= strlen(ents[i].ent) && strncmp(p, ents[i].ent, strlen(ents[i].ent)) == 0)
				break;
		if (i == sizeof ents / sizeof ents[0]) {
			secret_buf_free(&b);
			return NULL;
		}
		secret_buf_append(&b, &ents[i].c, 1);
		p += strlen(ents[i].ent) - 1;
	}
	secret_buf_append(&b, "", 0);
	return b.data;
}

static bool
aws_xml_root_is(const char *doc, size_t len, const char *root)
{
	const char *p = doc;
	size_t rl = strlen(root);

	while (p < doc + len && isspace((unsigned char)*p))
		p++;
	if (p + 5 < doc + len && strncmp(p, "<?xml", 5) == 0) {
		p = memmem(p, len - (size_t)(p - doc), "?>", 2);
		if (p == NULL)
			return false;
		p += 2;
		while (p < doc + len && isspace((unsigned char)*p))
			p++;
	}
	return (size_t)(doc + len - p) > rl + 1 && p[0] == '<' && strncmp(p + 1, root, rl) == 0
	    && (p[rl + 1] == ' ' || p[rl + 1] == '>');
}

int
aws_sts_parse(const char *action, const char *doc, size_t len, long status, struct aws_creds *out,
    struct mino_error **err)
{
	_cleanup_free_ char *root = xasprintf("%sResponse", action);
	const char *cs, *ce;
	_cleanup_free_ char *exp = NULL;

	memset(out, 0, sizeof *out);
	if (status != 200) {
		_cleanup_free_ char *code = aws_xml_text(doc, len, "Code");
		_cleanup_free_ char *msg = aws_xml_text(doc, len, "Message");

		if (code == NULL)
			return mino_make_error(err, MINO_E_IO, 0, "STS %s: HTTP %ld without an STS error document",
			    action, status);
		if (msg != NULL && strlen(msg) > 300)
			msg[300] = '\0';
		return mino_make_error(err, MINO_E_IO, 0, "STS %s: %s: %s (HTTP %ld)", action, code,
		    msg != NULL ? msg : "(no message)", status);
	}
	if (!aws_xml_root_is(doc, len, root))
		return mino_make_error(err, MINO_E_IO, 0, "STS %s: the answer is not a %s document", action, root);
	cs = memmem(doc, len, "<Credentials>", 13);
	ce = cs != NULL ? memmem(cs, len - (size_t)(cs - doc), "</Credentials>", 14) : NULL;
	if (ce == NULL)
		return mino_make_error(err, MINO_E_IO, 0, "STS %s: no <Credentials> in the answer", action);
	out->access_key_id = aws_xml_text(cs, (size_t)(ce - cs), "AccessKeyId");
	out->secret_access_key = aws_xml_text(cs, (size_t)(ce - cs), "SecretAccessKey");
	out->session_token = aws_xml_text(cs, (size_t)(ce - cs), "SessionToken");
	exp = aws_xml_text(cs, (size_t)(ce - cs), "Expiration");
	if (out->session_token == NULL || exp == NULL || aws_parse_time(exp, &out->expiration) < 0) {
		aws_creds_clear(out);
		return mino_make_error(err, MINO_E_IO, 0, "STS %s: <Credentials> lacks a SessionToken or a valid Expiration",
		    action);
	}
	if (aws_creds_check(out, "STS answer", err) < 0) {
		aws_creds_clear(out);
		return mino_error_wrap(err, "STS %s", action);
	}
	return 0;
}

/* ---- STS ---- */

static char *
aws_form_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r;

	if (e == NULL)
		fatal("curl_easy_escape: out of memory");
	r = xstrdup(e);
	curl_free(e);
	return r;
}

static char *
aws_sts_body(const char *action, const struct aws_hop *h, unsigned duration)
{
	_cleanup_free_ char *arn = NULL;
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *ext = NULL;

	if (h == NULL)
		return xasprintf("Action=%s&Version=%s&DurationSeconds=%u", action, AWS_STS_VERSION, duration);
	arn = aws_form_escape(h->role_arn);
	name = aws_form_escape(h->session_name);
	ext = h->external_id != NULL ? aws_form_escape(h->external_id) : NULL;
	return xasprintf("Action=%s&Version=%s&RoleArn=%s&RoleSessionName=%s&DurationSeconds=%u%s%s", action,
	    AWS_STS_VERSION, arn, name, h->duration_secs, ext != NULL ? "&ExternalId=" : "", ext != NULL ? ext : "");
}

/* The Host header curl sends for the endpoint: host, plus :port when given. */
static int
aws_endpoint_host(const char *url, char **host_out, struct mino_error **err)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	int r = 0;

	if (u == NULL)
		fatal("curl_url: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		r = mino_make_error(err, MINO_E_CONFIG, 0, "STS endpoint `%s` is not a URL", url);
	else {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		*host_out = port != NULL ? xasprintf("%s:%s", host, port) : xstrdup(host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

int
aws_sts_call(struct aws_mint *m, const char *action, const struct aws_hop *hop, struct mino_error **err)
{
	static const char ctype[] = "application/x-www-form-urlencoded; charset=utf-8";
	_cleanup_free_ char *body = aws_sts_body(action, hop, m->duration_secs);
	_cleanup_free_ char *host = NULL;
	_cleanup_free_ char *h_host = NULL, *h_date = NULL, *h_auth = NULL;
	_cleanup_secret_ char *h_token = NULL;
	struct sigv4_key key = {
		.access_key_id = m->cur.access_key_id,
		.secret_access_key = m->cur.secret_access_key,
		.session_token = m->cur.session_token,
	};
	struct sigv4_input in = {
		.method = "POST", .path = "/", .region = m->region, .service = "sts",
		.content_type = ctype, .body = body, .body_len = strlen(body), .now = time(NULL),
	};
	struct sigv4_output sig;
	const char *headers[6];
	size_t nh = 0;
	struct http_request_opts ho = {
		.method = "POST", .url = m->endpoint, .headers = headers, .body = body, .body_len = strlen(body),
		.timeout_ms = m->timeout_ms, .ca_bundle = m->ca_bundle, .on_done = aws_sts_done, .data = m,
	};

	if (aws_endpoint_host(m->endpoint, &host, err) < 0)
		return -1;
	in.host = host;
	if (sigv4_sign(&in, &key, &sig, err) < 0)
		return mino_error_wrap(err, "STS %s", action);
	h_host = xasprintf("Host: %s", host);
	h_date = xasprintf("X-Amz-Date: %s", sig.amz_date);
	h_auth = xasprintf("Authorization: %s", sig.authorization);
	sigv4_output_clear(&sig);
	headers[nh++] = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
	headers[nh++] = h_host;
	headers[nh++] = h_date;
	headers[nh++] = h_auth;
	if (m->cur.session_token != NULL) {
		h_token = xasprintf("X-Amz-Security-Token: %s", m->cur.session_token);
		headers[nh++] = h_token;
	}
	headers[nh] = NULL;
	m->action = action;
	log_debug("aws: STS %s at %s (key %s%s%s)", action, m->endpoint, m->cur.access_key_id,
	    hop != NULL ? ", role " : "", hop != NULL ? hop->role_arn : "");
	m->io.req = http_request(m->io.http, &ho, err);
	if (m->io.req == NULL)
		return mino_error_wrap(err, "STS %s", action);
	return 0;
}

static void
aws_sts_done(struct http_req *r, const struct http_response *resp, const struct mino_error *herr, void *data)
{
	struct aws_mint *m = data;
	struct mino_error *err = NULL;
	struct aws_creds fresh;

	m->io.req = NULL;
	if (herr != NULL) {
		mino_make_error(&err, herr->code, 0, "STS %s: %s", m->action, herr->msg);
		aws_mint_fail(m, err);
		return;
	}
	if (aws_sts_parse(m->action, resp->body, resp->body_len, resp->status, &fresh, &err) < 0) {
		mino_error_wrap(&err, "%s", m->source);
		aws_mint_fail(m, err);
		return;
	}
	log_debug("aws: STS %s gave key %s", m->action, fresh.access_key_id);
	aws_creds_clear(&m->cur);
	m->cur = fresh;
	m->minted = true;
	aws_mint_step(m);
}
