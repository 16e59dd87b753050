"""The exec spawner (issue 14): an exec through the session's spawner behaves
as one through `podman exec` (status, signals, stdin EOF, stdout/stderr,
terminal size), its process is the same kind of member of the container,
a spawner that died is replaced by podman exec, and a minod restart starts
a new one."""

import os
import signal
import time

import pexpect
import pytest

from minotest import EXEC_PATHS, MINO, SLOW, exec_via, wait_for

LOOP = ["sh", "-c", 'while read -r l; do eval "$l"; done']
TIMEOUT = 30 * SLOW

# What makes a process a member of the container, as seen from inside.
IDENTITY = ("id; pwd; env | grep -v '^MINO_EXEC=' | sort; "
            "grep -E '^(Cap|NoNewPrivs|Seccomp|Uid|Gid|Groups)' /proc/self/status; "
            "cat /proc/self/cgroup; ls -l /proc/self/ns | sed 's/.* -> //'; ulimit -n")


def start(menv, *extra):
    name = menv.name("sp")
    p = menv.mino("run", "-d", "-n", name, *extra, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")
    return name


def spawners(menv, name):
    """Host pids of the session's spawner processes (in its pid namespace)."""
    c = menv.container_of(name)
    r = menv.podman("inspect", "--format", "{{.State.Pid}}", c["id"])
    assert r.returncode == 0, r.stderr
    ns = os.readlink("/proc/%d/ns/pid" % int(r.stdout))
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
            if b"--spawner-fd" in argv and os.readlink("/proc/%s/ns/pid" % d) == ns:
                out.append(int(d))
        except OSError:
            continue
    return out


def spawn_mino(menv, *args, rows=24, cols=80):
    return pexpect.spawn(MINO, [str(a) for a in args], env=menv.env, cwd=menv.project,
                         dimensions=(rows, cols), timeout=TIMEOUT)


def finish(child):
    child.expect(pexpect.EOF, timeout=TIMEOUT)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)


@pytest.mark.parametrize("menv", EXEC_PATHS, indirect=True)
def test_exec_status_signal_stdin(menv):
    name = start(menv)
    assert exec_via(menv, name) == (menv.exec_path, 0)
    # killed by a signal: 128+N, as mino-entry reports it under podman exec
    p = menv.mino("exec", name, "--", "sh", "-c", "kill -TERM $$")
    assert p.returncode == 143, (p.returncode, p.stderr)
    # stdin to its EOF, then the command goes on
    p = menv.mino("exec", name, "--", "sh", "-c", "cat; echo after-eof", input=b"abc")
    assert (p.returncode, p.stdout) == (0, b"abcafter-eof\n"), p.stderr
    # stdout and stderr stay apart
    p = menv.mino("exec", name, "--", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (p.returncode, p.stdout, p.stderr) == (7, b"out\n", b"err\n")
    # the exec ends with its command: a background child that keeps the
    # output open is not waited for (what it writes later is not the exec's)
    p = menv.mino("exec", name, "--", "sh", "-c", "(sleep 4; echo late) & echo early")
    assert (p.returncode, p.stdout) == (0, b"early\n"), p.stderr
    # mino-entry's own failures, with their line
    p = menv.mino("exec", name, "--", "no-such-command-here")
    assert p.returncode == 127, p.stderr
    assert b"no-such-command-here: not found" in p.stderr


@pytest.mark.parametrize("menv", EXEC_PATHS, indirect=True)
def test_exec_tty_resize_and_winch(menv):
    name = start(menv)
    assert exec_via(menv, name) == (menv.exec_path, 0)
    child = spawn_mino(menv, "exec", name, "--", *LOOP, rows=24, cols=80)
    child.sendline("stty size")
    child.expect(r"24 80\r?\n")
    child.sendline("[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty-$((1+1))")
    child.expect("tty-2")
    child.setwinsize(40, 132)
    seen = False
    for _ in range(20):
        child.sendline("stty size")
        if child.expect([r"40 132\r?\n", r"24 80\r?\n"]) == 0:
            seen = True
            break
    assert seen, "the resize never reached the exec"
    child.sendline("exit 6")
    assert finish(child) == 6
    # and the command gets SIGWINCH (from the kernel, as the terminal's
    # foreground process group)
    child = spawn_mino(menv, "exec", name, "--", "sh", "-c",
                       "trap 'stty size; exit 3' WINCH; echo armed-$((2*2)); while :; do sleep 1; done")
    child.expect("armed-4")
    child.setwinsize(50, 100)
    child.expect(r"50 100\r?\n")
    assert finish(child) == 3


def test_spawner_process_is_a_podman_exec_twin(menv):
    # One session, the same command through the spawner, then (spawner
    # killed) through podman exec: the same user, groups, capabilities,
    # seccomp, no_new_privs, cgroup, namespaces, limits, directory and
    # environment.
    name = start(menv, "-e", "WHO=twin")
    assert exec_via(menv, name) == ("spawner", 0)
    p1 = menv.mino("exec", name, "--", "sh", "-c", IDENTITY)
    assert p1.returncode == 0, p1.stderr
    pids = spawners(menv, name)
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    assert wait_for(lambda: exec_via(menv, name)[0] == "podman", 20)
    p2 = menv.mino("exec", name, "--", "sh", "-c", IDENTITY)
    assert p2.returncode == 0, p2.stderr
    assert b"WHO=twin" in p1.stdout and b"Seccomp:\t2" in p1.stdout and b"CapEff:\t0000000000000000" in p1.stdout
    assert p1.stdout == p2.stdout


def test_dead_spawner_falls_back(menv):
    name = start(menv)
    assert exec_via(menv, name) == ("spawner", 0)
    pids = spawners(menv, name)
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    # detected: the next execs go through podman exec, and work
    assert wait_for(lambda: exec_via(menv, name)[0] == "podman", 20)
    p = menv.mino("exec", name, "--", "sh", "-c", "echo still-$((1+2)); exit 3")
    assert (p.returncode, p.stdout) == (3, b"still-3\n"), p.stderr
    child = spawn_mino(menv, "exec", name, "--", *LOOP, rows=27, cols=91)
    child.sendline("stty size")
    child.expect(r"27 91\r?\n")
    child.sendline("exit 2")
    assert finish(child) == 2


def test_stopped_spawner_mid_request_falls_back(menv):
    # A spawner that cannot answer (stopped) and then dies with the exec's
    # request queued: the client runs the exec through podman itself.
    name = start(menv)
    # launched five seconds after the container runs
    assert wait_for(lambda: len(spawners(menv, name)) == 1, 20)
    pids = spawners(menv, name)
    os.kill(pids[0], signal.SIGSTOP)
    proc = menv.mino_popen("exec", name, "--", "sh", "-c", "echo queued; exit 5")
    # minod has handed this exec to the (stopped) spawner
    assert wait_for(lambda: b"(through the spawner)" in open(menv.daemon_log, "rb").read(), 20)
    os.kill(pids[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert (proc.returncode, out) == (5, b"queued\n"), err


def test_spawner_reestablished_after_minod_restart(menv):
    name = start(menv)
    assert exec_via(menv, name) == ("spawner", 0)
    old = spawners(menv, name)
    menv.kill9_daemon()
    # the old spawner ends with its channel
    assert wait_for(lambda: not any(p in spawners(menv, name) for p in old), 20)
    menv.start_daemon()
    menv.wait_status(name, "running")
    # until minod has re-adopted the container (its record says running
    # before), execs go through podman exec; then through a new spawner
    assert wait_for(lambda: exec_via(menv, name) == ("spawner", 0), 30), menv.daemon_log_tail()
    p = menv.mino("exec", name, "--", "sh", "-c", "echo readopted")
    assert (p.returncode, p.stdout) == (0, b"readopted\n"), p.stderr
    assert len(spawners(menv, name)) == 1


def test_short_session_launches_no_spawner(menv):
    # A run over before the spawner's delay pays no podman exec for it
    # (once launched at its end, it failed with podman's 125: "did not start").
    name = menv.name("short")
    p = menv.mino("run", "-n", name, "--", "true")
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "exited")
    time.sleep(1.5)
    log = open(menv.daemon_log, "rb").read().decode(errors="replace")
    assert "session %s: running" % name in log, log[-3000:]
    assert not [l for l in log.splitlines() if name in l and "spawner" in l], log[-3000:]
