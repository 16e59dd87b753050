/* pty-exec.c: mino-pty-exec, the helper minod runs on a PTY.
 *
 * uv_spawn(UV_PROCESS_DETACHED) gives the child a new session but never a
 * controlling terminal.  This helper makes its stdin (the PTY slave) the
 * controlling terminal, so ^C, /dev/tty and SIGWINCH work, then execs the
 * real command:  mino-pty-exec PROGRAM [ARG...]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mino-pty-exec PROGRAM [ARG...]\n");
		return 127;
	}
	if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) == -1) {
		fprintf(stderr, "mino-pty-exec: TIOCSCTTY: %s\n", strerror(errno));
		return 127;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "mino-pty-exec: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
