"""Terminal behaviour through a real pty (pexpect): raw mode restored,
window size and resize, detach and attach with replay, exit codes."""

import os
import signal
import time

import pexpect
import pytest

from minotest import EXEC_PATHS, MINO, SLOW, exec_via, pids_with_cmdline, wait_for

# busybox ash's line editor asks for the cursor position (ESC[6n) and waits;
# drive the container with a plain read/eval loop instead.
LOOP = ["sh", "-c", 'while read -r l; do eval "$l"; done']
TIMEOUT = 30 * SLOW


def spawn_mino(menv, *args, rows=24, cols=80):
    return pexpect.spawn(MINO, [str(a) for a in args], env=menv.env, cwd=menv.project,
                         dimensions=(rows, cols), timeout=TIMEOUT)


def finish(child, timeout=TIMEOUT):
    child.expect(pexpect.EOF, timeout=timeout)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)


def test_tty_exit_code_and_size(menv):
    child = spawn_mino(menv, "run", "-n", menv.name("sz"), "--", *LOOP, rows=31, cols=97)
    child.sendline("stty size")
    child.expect(r"31 97\r?\n")
    child.sendline("[ -t 0 ] && [ -t 1 ] && echo is-a-tty-$((1+1))")
    child.expect("is-a-tty-2")
    child.sendline("exit 9")
    assert finish(child) == 9


def test_tty_resize(menv):
    child = spawn_mino(menv, "run", "-n", menv.name("rs"), "--", *LOOP, rows=24, cols=80)
    child.sendline("stty size")
    child.expect(r"24 80\r?\n")
    child.setwinsize(40, 132)
    seen = False
    for _ in range(20):
        time.sleep(0.2)
        child.sendline("stty size")
        i = child.expect([r"40 132\r?\n", r"24 80\r?\n"])
        if i == 0:
            seen = True
            break
    assert seen, "resize never reached the container"
    # and the container's processes get SIGWINCH
    child.sendline("trap 'echo got-$((1))winch' WINCH; echo armed-$((2*2))")
    child.expect("armed-4")
    child.setwinsize(50, 100)
    child.expect("got-1winch", timeout=10 * SLOW)
    child.sendline("exit 0")
    assert finish(child) == 0


def test_ctrl_c_reaches_container(menv):
    child = spawn_mino(menv, "run", "-n", menv.name("cc"), "--", "sh", "-c",
                       "trap 'echo caught-int; exit 42' INT; echo ready; while :; do sleep 1; done")
    child.expect("ready")
    child.sendintr()
    child.expect("caught-int")
    assert finish(child) == 42


def _host_shell(menv):
    sh = pexpect.spawn("/bin/sh", ["-i"], env=dict(menv.env, PS1="$ ", ENV=""), cwd=menv.project,
                       dimensions=(24, 80), timeout=TIMEOUT)
    sh.expect(r"\$ ")
    return sh


def _stty(sh, path):
    sh.sendline("stty -g > %s; echo saved-$?" % path)
    sh.expect("saved-0")
    sh.expect(r"\$ ")
    with open(path) as f:
        return f.read().strip()


def test_raw_mode_restored_after_exit(menv):
    sh = _host_shell(menv)
    before = _stty(sh, os.path.join(menv.root, "before"))
    sh.sendline('"%s" run -n %s -- sh -c "stty -a | head -3; exit 3"; echo "rc=$?"'
                % (MINO, menv.name("raw")))
    sh.expect(r"rc=3")
    sh.expect(r"\$ ")
    after = _stty(sh, os.path.join(menv.root, "after"))
    assert before == after
    sh.sendline("exit")
    sh.expect(pexpect.EOF)


def test_raw_mode_restored_after_sigterm(menv):
    sh = _host_shell(menv)
    before = _stty(sh, os.path.join(menv.root, "before"))
    name = menv.name("rt")
    sh.sendline('"%s" run -n %s -- sh -c "echo running-$((5*5)); sleep 300"; echo "rc=$?"' % (MINO, name))
    sh.expect("running-25")
    pids = [p for p in pids_with_cmdline(name) if open("/proc/%d/cmdline" % p, "rb").read()
            .split(b"\0")[0] == MINO.encode()]
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGTERM)
    sh.expect(r"rc=\d+")
    sh.expect(r"\$ ")
    after = _stty(sh, os.path.join(menv.root, "after"))
    assert before == after
    sh.sendline("exit")
    sh.expect(pexpect.EOF)


def test_detach_and_attach_with_replay(menv):
    name = menv.name("da")
    child = spawn_mino(menv, "run", "-n", name, "--", *LOOP)
    child.sendline("echo marker-$((40+2))")
    child.expect("marker-42")
    child.send("\x10\x11")          # ctrl-p ctrl-q
    rc = finish(child)
    assert rc == 0
    s = menv.session(name, all_=False)
    assert s is not None and s["status"] == "running", s
    assert s["tty"] is True

    child = spawn_mino(menv, "attach", name)
    child.expect("marker-42")       # replayed output
    child.sendline("echo after-$((1+1))")
    child.expect("after-2")
    child.sendline("exit 5")
    assert finish(child) == 5
    s = menv.wait_status(name, ("exited",))
    assert s["exit_code"] == 5
    assert wait_for(lambda: menv.container_of(name) is None, 10)


def test_detach_keys_not_eaten_singly(menv):
    # a lone ctrl-p followed by something else reaches the container
    child = spawn_mino(menv, "run", "-n", menv.name("cp"), "--", "sh", "-c",
                       "stty raw -echo; head -c 2 | od -An -c; exit 0")
    time.sleep(1 * SLOW)
    child.send("\x10a")
    child.expect(r"020\s+a|\^P\s+a|020 +a")
    assert finish(child) == 0


def test_two_viewers_see_output(menv):
    name = menv.name("tv")
    first = spawn_mino(menv, "run", "-n", name, "--", *LOOP)
    first.sendline("echo one-$((0+1))")
    first.expect("one-1")
    second = spawn_mino(menv, "attach", name)
    second.expect("one-1")
    first.sendline("echo shared-$((3*3))")
    first.expect("shared-9")
    second.expect("shared-9")
    second.send("\x10\x11")
    assert finish(second) == 0
    first.sendline("exit 0")
    assert finish(first) == 0


def test_tty_client_killed_keeps_session(menv):
    name = menv.name("tk")
    child = spawn_mino(menv, "run", "-n", name, "--", *LOOP)
    child.sendline("echo alive-$((0+1))")
    child.expect("alive-1")
    os.kill(child.pid, signal.SIGKILL)
    child.close(force=True)
    time.sleep(2 * SLOW)
    s = menv.session(name, all_=False)
    assert s is not None and s["status"] == "running", s
    c = menv.container_of(name)
    assert c is not None and c["state"] == "running"
    child = spawn_mino(menv, "attach", name)
    child.expect("alive-1")
    child.sendline("echo alive-$((1+1))")
    child.expect("alive-2")
    child.sendline("exit 0")
    assert finish(child) == 0
    assert wait_for(lambda: menv.container_of(name) is None, 15)


@pytest.mark.parametrize("menv", EXEC_PATHS, indirect=True)
def test_exec_tty(menv):
    name = menv.name("et")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")
    assert exec_via(menv, name) == (menv.exec_path, 0)
    child = spawn_mino(menv, "exec", name, "--", *LOOP, rows=27, cols=91)
    child.sendline("stty size")
    child.expect(r"27 91\r?\n")
    child.sendline("exit 4")
    assert finish(child) == 4


@pytest.mark.parametrize("menv", EXEC_PATHS, indirect=True)
def test_exec_default_shell(menv):
    name = menv.name("es")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")
    # no command: the configured session.shell (/bin/sh) in the latest session
    p = menv.mino("exec", input=b"echo from-default-shell; exit 3\n")
    assert p.returncode == 3, p.stderr
    assert b"from-default-shell" in p.stdout


@pytest.mark.parametrize("how", ["eof-on-stdin"])
def test_run_default_shell(menv, how):
    p = menv.mino("run", input=b"echo sh-is-$0\n")
    assert p.returncode == 0, p.stderr
    assert b"sh-is-/bin/sh" in p.stdout
