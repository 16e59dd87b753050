/* log.c: logging to stderr, one fprintf per line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "log.h"
#include "xalloc.h"

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERR,
};

static char log_prog[64] = "mino";
static bool log_daemon;
static bool log_verbose;
static bool log_json;

static void log_emit(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static size_t log_escaped_width(unsigned char c);
static void log_emit_json(enum log_level level, const char *msg);

void
log_init(const char *prog, bool daemon_mode, bool verbose)
{
	if (prog != NULL) {
		const char *slash = strrchr(prog, '/');

		snprintf(log_prog, sizeof log_prog, "%s", slash != NULL ? slash + 1 : prog);
	}
	log_daemon = daemon_mode;
	log_verbose = verbose;
}

void
log_set_verbose(bool verbose)
{
	log_verbose = verbose;
}

bool
log_toggle_verbose(void)
{
	log_verbose = !log_verbose;
	return log_verbose;
}

void
log_set_json(bool json)
{
	log_json = json;
}

bool
log_is_verbose(void)
{
	return log_verbose;
}

/* {"time":"2026-12-01T23:59:59.123Z","level":"info","prog":"minod","msg":"..."}:
 * a message that is not UTF-8 is logged as log_sanitize() shows it. */
static void
log_emit_json(enum log_level level, const char *msg)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	char stamp[32] = "";
	struct timespec ts;
	struct tm tm;
	json_t *m, *o;
	char *line, *safe = NULL;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm) != NULL) {
		size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

		(void)snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", ts.tv_nsec / 1000000);
	}
	m = json_string(msg);
	if (m == NULL) {
		safe = log_sanitize(msg, strlen(msg));
		m = json_string(safe);
	}
	o = json_pack("{s:s, s:s, s:s, s:o*}", "time", stamp, "level", names[level], "prog", log_prog,
	    "msg", m);
	line = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (line != NULL)
		fprintf(stderr, "%s\n", line);
	free(line);
	json_decref(o);
	free(safe);
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const sd_prefix[] = { "<7>", "<6>", "<4>", "<3>" };
	char *msg;

	if (level == LOG_LEVEL_DEBUG && !log_verbose)
		return;
	msg = xvasprintf(fmt, ap);
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_daemon && log_json)
		log_emit_json(level, msg);
	else if (log_daemon)
		fprintf(stderr, "%s%s\n", sd_prefix[level], msg);
	else if (level == LOG_LEVEL_DEBUG)
		fprintf(stderr, "%s: debug: %s\n", log_prog, msg);
	else
		fprintf(stderr, "%s: %s\n", log_prog, msg);
	free(msg);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
}

static size_t
log_escaped_width(unsigned char c)
{
	return (c < 0x20 || c >= 0x7f || c == '\\') ? 4 : 1;
}

char *
log_sanitize(const char *data, size_t len)
{
	enum { LOG_SAMPLE_MAX = 128 };
	char *out = xmalloc(LOG_SAMPLE_MAX + 1);
	size_t total = 0, limit, o = 0, i;

	for (i = 0; i < len && total <= LOG_SAMPLE_MAX; i++)
		total += log_escaped_width((unsigned char)data[i]);
	/* everything fits, or leave room for "..." */
	limit = total <= LOG_SAMPLE_MAX ? LOG_SAMPLE_MAX : LOG_SAMPLE_MAX - 3;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		size_t w = log_escaped_width(c);

		if (o + w > limit)
			break;
		if (w == 4)
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
