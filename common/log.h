/* log.h: logging to stderr.  In daemon mode each line starts with an
 * sd-daemon priority prefix ("<7>" debug ... "<3>" error) so journald gets
 * levels for free; in client mode lines are "mino: message". */
#ifndef MINO_LOG_H
#define MINO_LOG_H

#include <stdbool.h>
#include <stddef.h>

void log_init(const char *prog, bool daemon_mode, bool verbose);
void log_set_verbose(bool verbose);
bool log_toggle_verbose(void); /* returns the new state (SIGUSR2 in minod) */
bool log_is_verbose(void);
/* Daemon mode: one JSON object a line instead of "<N>message" (the
 * configuration's general.log_format = "json"). */
void log_set_json(bool json);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A printable, <= 128-byte sample of untrusted bytes for logs: control
 * bytes and non-ASCII become \xNN.  Caller frees. */
char *log_sanitize(const char *data, size_t len);

#endif
