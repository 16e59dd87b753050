/* test-log.c: log line formats and log_sanitize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"
#include "xalloc.h"

static char *capture_stderr(void (*fn)(void));
static void log_daemon_lines(void);
static void log_client_lines(void);

/* Runs fn with stderr redirected to a temp file; returns what it wrote. */
static char *
capture_stderr(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *out = xcalloc(1, 4096);
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, 4095, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static void
log_daemon_lines(void)
{
	log_init("minod", true, false);
	log_debug("hidden %d", 1);
	log_info("info %d", 2);
	log_warn("warn");
	log_err("err\nnext");
	log_set_verbose(true);
	log_debug("shown");
}

static void
log_client_lines(void)
{
	log_init("/usr/bin/mino", false, false);
	log_debug("hidden");
	log_info("hello");
	log_err("bad thing");
	ok(log_toggle_verbose() == true && log_is_verbose(), "log_toggle_verbose turns verbose on");
	log_debug("dbg");
}

int
main(void)
{
	char *out, *s;
	char big[400];

	out = capture_stderr(log_daemon_lines);
	is_str(out, "<6>info 2\n<4>warn\n<3>err next\n<7>shown\n", "daemon mode: priority prefixes, debug only when verbose");
	free(out);
	out = capture_stderr(log_client_lines);
	is_str(out, "mino: hello\nmino: bad thing\nmino: debug: dbg\n", "client mode: `mino: message`");
	free(out);

	s = log_sanitize("ab\x01\xff\\c\n", 7);
	is_str(s, "ab\\x01\\xff\\x5cc\\x0a", "log_sanitize escapes control, non-ASCII and backslash");
	free(s);
	memset(big, 'a', sizeof big);
	s = log_sanitize(big, sizeof big);
	ok(strlen(s) == 128 && strcmp(s + 125, "...") == 0, "log_sanitize caps at 128 bytes with ...");
	free(s);
	memset(big, '\n', sizeof big);
	s = log_sanitize(big, 32);
	ok(strlen(s) == 128 && strstr(s, "...") == NULL, "exactly 128 escaped bytes fit without ...");
	free(s);
	s = log_sanitize(big, 33);
	ok(strlen(s) <= 128 && strcmp(s + strlen(s) - 3, "...") == 0, "one more escaped byte truncates");
	free(s);
	s = log_sanitize("", 0);
	is_str(s, "", "empty sample");
	free(s);
	return tap_done();
}
