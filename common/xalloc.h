/* xalloc.h: allocation that aborts on OOM, and cleanup attributes.
 * Ownership: a returned char * is the caller's to free; const char *
 * parameters and returns are borrowed. */
#ifndef MINO_XALLOC_H
#define MINO_XALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include <jansson.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);             /* overflow-checked */
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size); /* overflow-checked */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Never returns: prints "fatal: ..." to stderr and aborts.  For impossible
 * states only; anything a user can cause is an error return. */
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

void cleanup_freep(void *p);
void cleanup_closep(int *fd);
void cleanup_jsonp(json_t **j);
#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_json_ __attribute__((cleanup(cleanup_jsonp)))

/* Hand ownership out of a _cleanup_ variable. */
#define steal_pointer(pp) __extension__({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) __extension__({ int _fd = *(fdp); *(fdp) = -1; _fd; })

#endif
