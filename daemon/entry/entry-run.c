/* entry-run.c: the command as our child (entry.h).
 *
 * Every signal is blocked from the start and taken with sigwaitinfo(), so
 * none is lost between our start and the command's.  A signal that a
 * process sent us (kill, sigqueue, tgkill: podman stop and kill through
 * catatonit) is forwarded to the command.  One that the kernel generated
 * (SI_KERNEL: ^C, ^Z, ^\, SIGWINCH, SIGHUP from the terminal) is not: the
 * command is in our process group on the same terminal and gets those
 * itself, so a ^C arrives once.  We never call setsid() or setpgid() or
 * touch the terminal, so the command's job control and raw mode work as if
 * it had been started directly.  We reap only our own child; orphans go to
 * PID 1 (podman's --init), unless we are PID 1 ourselves.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entry.h"

extern char **environ;

static void entry_forward(pid_t child, const siginfo_t *si);
static int entry_wait_blocking(pid_t child);
static int entry_reap(pid_t child, int *status);

int
entry_signals_block(struct entry_signals *sigs, struct entry_error *err)
{
	struct sigaction dfl;

	memset(sigs, 0, sizeof *sigs);
	sigfillset(&sigs->all);
	if (sigprocmask(SIG_SETMASK, &sigs->all, &sigs->saved_mask) < 0)
		return entry_error_set(err, "blocking signals: %s", strerror(errno));
	/* SIG_IGN here would reap our child behind our back. */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	if (sigaction(SIGCHLD, &dfl, &sigs->saved_chld) < 0)
		return entry_error_set(err, "resetting SIGCHLD: %s", strerror(errno));
	return 0;
}

pid_t
entry_spawn(const struct entry_signals *sigs, char *const argv[], char **envp,
	struct entry_error *err)
{
	pid_t pid = fork();

	if (pid < 0) {
		entry_error_set(err, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;

	/* The child: what we were given, then the command. */
	if (sigaction(SIGCHLD, &sigs->saved_chld, NULL) < 0 ||
	    sigprocmask(SIG_SETMASK, &sigs->saved_mask, NULL) < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": restoring signals: %s\n", strerror(errno));
		_exit(ENTRY_EXIT_FAILED);
	}
	entry_exec(argv, envp);
}

void
entry_exec(char *const argv[], char **envp)
{
	int e;

	environ = envp;         /* execvp searches this PATH */
	execvp(argv[0], argv);
	e = errno;
	dprintf(STDERR_FILENO, ENTRY_NAME ": %s: %s\n", argv[0],
		e == ENOENT ? "not found" : strerror(e));
	_exit(e == ENOENT ? ENTRY_EXIT_NOTFOUND : ENTRY_EXIT_NOEXEC);
}

int
entry_exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return ENTRY_EXIT_FAILED;
}

static void
entry_forward(pid_t child, const siginfo_t *si)
{
	int r;

	switch (si->si_code) {
	case SI_USER:
	case SI_TKILL:
		r = kill(child, si->si_signo);
		break;
	case SI_QUEUE:
		r = sigqueue(child, si->si_signo, si->si_value);
		break;
	default:
		return;  /* SI_KERNEL and the rest: the command has its own copy */
	}
	/* ESRCH: it has just ended; the SIGCHLD is on its way. */
	if (r < 0 && errno != ESRCH)
		dprintf(STDERR_FILENO, ENTRY_NAME ": forwarding signal %d: %s\n", si->si_signo,
			strerror(errno));
}

/* The fallback if sigwaitinfo() ever fails: no forwarding, same status. */
static int
entry_wait_blocking(pid_t child)
{
	int wstatus;
	pid_t r;

	while ((r = waitpid(child, &wstatus, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		dprintf(STDERR_FILENO, ENTRY_NAME ": waiting for the command: %s\n", strerror(errno));
		return ENTRY_EXIT_FAILED;
	}
	return entry_exit_status(wstatus);
}

/* After a SIGCHLD: 1 and *status if the command has ended, 0 if not, -1 on
 * error.  As PID 1 (a container run without --init) orphans are ours too:
 * reap them so that they do not pile up as zombies. */
static int
entry_reap(pid_t child, int *status)
{
	pid_t who = getpid() == 1 ? -1 : child, r;
	int wstatus;

	for (;;) {
		r = waitpid(who, &wstatus, WNOHANG);
		if (r == child) {
			*status = entry_exit_status(wstatus);
			return 1;
		}
		if (r > 0)
			continue;       /* an orphan, as PID 1 */
		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		dprintf(STDERR_FILENO, ENTRY_NAME ": waiting for the command: %s\n", strerror(errno));
		*status = ENTRY_EXIT_FAILED;
		return -1;
	}
}

int
entry_supervise(const struct entry_signals *sigs, pid_t child)
{
	siginfo_t si;
	int status;

	for (;;) {
		if (sigwaitinfo(&sigs->all, &si) < 0) {
			if (errno == EINTR)
				continue;
			dprintf(STDERR_FILENO, ENTRY_NAME ": sigwaitinfo: %s\n", strerror(errno));
			return entry_wait_blocking(child);
		}
		if (si.si_signo != SIGCHLD)
			entry_forward(child, &si);
		else if (entry_reap(child, &status) != 0)
			return status;
	}
}
