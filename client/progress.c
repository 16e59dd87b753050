/* progress.c: a long request's progress (an image build or pull:
 * session/progress and image/progress notifications) and its ^C.
 *
 * At a terminal one status line is rewritten in place: "[step N/M] the
 * current line", N/M from podman's "STEP N/M:" lines.  Otherwise each
 * line is printed as it comes ("mino: build: LINE").  While a request is
 * guarded, SIGINT (without SA_RESTART) makes client_request cancel it
 * ($/cancelRequest) instead of killing the client. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client.h"
#include "progress.h"

static volatile int progress_interrupted;
static struct sigaction progress_old_int;
static unsigned progress_step, progress_steps;
static bool progress_drawn;

static void
progress_on_sigint(int sig)
{
	(void)sig;
	progress_interrupted = 1;
}

void
progress_guard_begin(struct client *c)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = progress_on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the blocking read returns EINTR */
	progress_interrupted = 0;
	sigaction(SIGINT, &sa, &progress_old_int);
	c->interrupted = &progress_interrupted;
	c->on_progress = progress_show;
	c->progress_arg = NULL;
	progress_step = progress_steps = 0;
}

bool
progress_guard_end(struct client *c)
{
	sigaction(SIGINT, &progress_old_int, NULL);
	c->interrupted = NULL;
	c->on_progress = NULL;
	if (progress_drawn)
		fputs("\r\033[K", stderr);
	progress_drawn = false;
	return progress_interrupted != 0;
}

static unsigned
progress_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

void
progress_show(const json_t *params, void *arg)
{
	const char *line = json_string_value(json_object_get(params, "line"));
	const char *part = json_string_value(json_object_get(params, "part"));
	bool image = part == NULL || strcmp(part, "image") == 0;   /* image/progress has no part */
	char prefix[48];
	unsigned n, m, room;

	(void)arg;
	if (params == NULL && progress_drawn) {
		fputs("\r\033[K", stderr);
		progress_drawn = false;
	}
	if (line == NULL || term_quiet())
		return;
	if (sscanf(line, "STEP %u/%u:", &n, &m) == 2) {
		progress_step = n;
		progress_steps = m;
	}
	/* Plain lines are for the image's build or pull only: other parts'
	 * progress (credentials being minted) is a passing line at a terminal. */
	if (!isatty(STDERR_FILENO)) {
		if (image)
			fprintf(stderr, "mino: image: %s\n", line);
		return;
	}
	if (image && progress_steps > 0)
		snprintf(prefix, sizeof prefix, "[step %u of %u] ", progress_step, progress_steps);
	else
		snprintf(prefix, sizeof prefix, "[%.32s] ", image ? "image" : part);
	room = progress_width() - 1 - (unsigned)strlen(prefix);
	fprintf(stderr, "\r\033[K%s%.*s", prefix, (int)room, line);
	fflush(stderr);
	progress_drawn = true;
}
