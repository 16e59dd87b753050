/* term.c: the user's terminal.  The saved state is restored on every exit
 * path: normal exit (atexit), errors, and the signals stream.c catches. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "mino-protocol.h"

#define TERM_NFDS 3

static struct termios term_saved;
static volatile sig_atomic_t term_is_raw;
static int term_flags[TERM_NFDS] = { -1, -1, -1 };
static volatile sig_atomic_t term_fds_in_use; /* libuv may have set O_NONBLOCK */
static bool term_is_quiet;

void
term_init(void)
{
	int fd;

	for (fd = 0; fd < TERM_NFDS; fd++)
		term_flags[fd] = fcntl(fd, F_GETFL);
	atexit(term_restore);
}

void
term_fds_in_use_by_loop(void)
{
	term_fds_in_use = 1;
}

bool
term_is_interactive(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

int
term_raw(struct mino_error **err)
{
	struct termios raw;

	if (term_is_raw)
		return 0;
	if (tcgetattr(STDIN_FILENO, &term_saved) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "reading the terminal's settings");
	raw = term_saved;
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	term_is_raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0) {
		term_is_raw = 0;
		return mino_make_error(err, MINO_E_IO, errno, "setting the terminal to raw mode");
	}
	return 0;
}

/* Only async-signal-safe calls: tcsetattr and fcntl. */
void
term_restore(void)
{
	int fd, saved = errno;

	if (term_is_raw) {
		term_is_raw = 0;
		tcsetattr(STDIN_FILENO, TCSADRAIN, &term_saved);
	}
	for (fd = 0; term_fds_in_use && fd < TERM_NFDS; fd++)
		if (term_flags[fd] >= 0 && (term_flags[fd] & O_NONBLOCK) == 0)
			fcntl(fd, F_SETFL, term_flags[fd]);
	errno = saved;
}

void
term_size(int *rows, int *cols)
{
	struct winsize ws = { 0 };

	if ((ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0) &&
	    (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)) {
		*rows = 24;
		*cols = 80;
		return;
	}
	*rows = ws.ws_row > 1000 ? 1000 : ws.ws_row;
	*cols = ws.ws_col == 0 ? 80 : ws.ws_col > 1000 ? 1000 : ws.ws_col;
}

bool
term_colour(int fd)
{
	const char *no = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (no != NULL && *no != '\0')
		return false;
	if (term == NULL || strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd) == 1;
}

void
term_set_quiet(bool quiet)
{
	term_is_quiet = quiet;
}

bool
term_quiet(void)
{
	return term_is_quiet;
}
