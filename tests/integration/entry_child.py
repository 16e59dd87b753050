"""The command that test_entry.py runs under mino-entry; it reports what it
sees.  Modes:
  env               print one JSON line: environ, cwd, pid, ppid, pgrp, sid
  handlers SIG...   count the listed signals (handlers); read stdin lines:
                    "report" prints the counts, "quit N" exits N+SIGINTs
  siginfo SIG...    take the listed signals with sigwaitinfo and print each
                    one's name, si_code and sender; SIGTERM ends with 7
  tty               print foreground/session facts, then read one byte in
                    raw mode and print it
  aside SIG...      leave the terminal's foreground group (setpgid), count
                    the listed signals for 2 s, print the counts, exit 5
"""
import json
import os
import signal
import sys
import termios
import time
import tty


def out(line):
    os.write(1, (line + "\n").encode())


def mode_env():
    out(json.dumps({
        "environ": dict(os.environ), "cwd": os.getcwd(), "pid": os.getpid(),
        "ppid": os.getppid(), "pgrp": os.getpgrp(), "sid": os.getsid(0),
    }))


def mode_handlers(names):
    counts = {n: 0 for n in names}

    def handler(sig, frame):
        name = signal.Signals(sig).name
        counts[name] += 1
        out("got %s %d" % (name, counts[name]))

    for n in names:
        signal.signal(getattr(signal, n), handler)
    out("ready %d" % os.getpid())
    for line in sys.stdin:
        words = line.split()
        if words == ["report"]:
            out("counts " + json.dumps(counts, sort_keys=True))
        elif len(words) == 2 and words[0] == "quit":
            sys.exit(int(words[1]) + counts.get("SIGINT", 0))
    sys.exit(99)


def mode_siginfo(names):
    sigs = {getattr(signal, n) for n in names} | {signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    out("ready %d" % os.getpid())
    while True:
        si = signal.sigwaitinfo(sigs)
        out("sig %s code %d pid %d" % (signal.Signals(si.si_signo).name, si.si_code, si.si_pid))
        if si.si_signo == signal.SIGTERM:
            sys.exit(7)


def mode_tty():
    fd = 0
    out("fg %d pgrp %d sid %d pid %d ppid %d" % (
        os.tcgetpgrp(fd), os.getpgrp(), os.getsid(0), os.getpid(), os.getppid()))
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        out("raw")
        b = os.read(fd, 1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    out("byte %d" % b[0])


def mode_aside(names):
    counts = {n: 0 for n in names}

    def handler(sig, frame):
        counts[signal.Signals(sig).name] += 1

    for n in names:
        signal.signal(getattr(signal, n), handler)
    os.setpgid(0, 0)
    out("ready %d" % os.getpid())
    deadline = time.time() + 2
    while time.time() < deadline:
        time.sleep(0.05)
    out("counts " + json.dumps(counts, sort_keys=True))
    sys.exit(5)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "env":
        mode_env()
    elif mode == "handlers":
        mode_handlers(args)
    elif mode == "siginfo":
        mode_siginfo(args)
    elif mode == "tty":
        mode_tty()
    elif mode == "aside":
        mode_aside(args)
    else:
        sys.exit("entry_child: unknown mode " + mode)


if __name__ == "__main__":
    main()
