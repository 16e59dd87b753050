"""mino-entry run directly on the host: the environment files, --cwd, exit
statuses, signal forwarding, and a real PTY (^C once, SIGWINCH once, raw
mode, job control).  test_entry_podman.py runs it in real containers."""
import ctypes
import json
import os
import select
import signal
import stat
import subprocess
import sys
import time

import pexpect
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import minotest  # noqa: E402

ENTRY = os.environ.get("MINO_ENTRY", "")
CHILD = os.path.join(HERE, "entry_child.py")
PY = "/usr/bin/python3"
SECRET = "s3cr3t-value-do-not-echo"
MIB = 1024 * 1024



@pytest.fixture(autouse=True)
def entry_built():
    assert os.path.isfile(ENTRY), "MINO_ENTRY (the built mino-entry) is not set or missing"


def child(mode, *args):
    return [PY, CHILD, mode] + list(args)


def run_entry(args, env=None, timeout=20, **kw):
    base = minotest.base_env() if env is None else env
    return subprocess.run([ENTRY] + list(args), env=base, capture_output=True,
                          timeout=timeout * minotest.SLOW, **kw)


def write_env(path, records):
    data = b"".join(r if isinstance(r, bytes) else r.encode() + b"\0" for r in records)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def env_report(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def readline(stream, timeout=10.0):
    """One line from a pipe, or fail after timeout."""
    buf = b""
    deadline = time.time() + timeout * minotest.SLOW
    fd = stream.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.time()
        assert left > 0, "no line within %.0fs; got %r" % (timeout, buf)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            b = os.read(fd, 1)
            assert b, "EOF before a full line; got %r" % buf
            buf += b
    return buf.decode().rstrip("\n")


# ---------------------------------------------------------------- binary

def test_binary_is_static():
    # No PT_INTERP program header: it runs in an image without a libc.
    with open(ENTRY, "rb") as f:
        elf = f.read()
    assert elf[:4] == b"\x7fELF" and elf[4] == 2, "not a 64-bit ELF"
    phoff = int.from_bytes(elf[0x20:0x28], "little")
    phentsize = int.from_bytes(elf[0x36:0x38], "little")
    phnum = int.from_bytes(elf[0x38:0x3a], "little")
    types = [int.from_bytes(elf[phoff + i * phentsize:phoff + i * phentsize + 4], "little")
             for i in range(phnum)]
    assert 3 not in types, "mino-entry has an interpreter (PT_INTERP): not static"


# ---------------------------------------------------------------- environment

def test_env_files_load_over_inherited_in_order(tmp_path):
    a = write_env(tmp_path / "a", ["ONE=from-a", "TWO=from-a", "EQ=x=y=z", "EMPTY=",
                                   "NL=line1\nline2", "INHERITED=from-a"])
    b = write_env(tmp_path / "b", ["TWO=from-b", "THREE=from-b", "ONE=from-b-too"])
    env = minotest.base_env()
    env["INHERITED"] = "podman"
    env["KEPT"] = "podman"
    r = env_report(run_entry(["--env", a, "--env=" + b, "--"] + child("env"), env=env))
    got = r["environ"]
    assert got["ONE"] == "from-b-too"
    assert got["TWO"] == "from-b"
    assert got["THREE"] == "from-b"
    assert got["EQ"] == "x=y=z"
    assert got["EMPTY"] == ""
    assert got["NL"] == "line1\nline2"
    assert got["INHERITED"] == "from-a"
    assert got["KEPT"] == "podman"
    assert got["PATH"] == env["PATH"]


def test_env_duplicate_names_are_one_variable(tmp_path):
    a = write_env(tmp_path / "a", ["X=%d" % i for i in range(50)])
    proc = run_entry(["--env", a, "--", "/usr/bin/env"])
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in proc.stdout.decode().splitlines() if l.startswith("X=")]
    assert lines == ["X=49"]


def test_env_empty_file_and_no_file(tmp_path):
    empty = write_env(tmp_path / "empty", [])
    env = minotest.base_env()
    env["ONLY"] = "inherited"
    r = env_report(run_entry(["--env", empty, "--"] + child("env"), env=env))
    assert r["environ"]["ONLY"] == "inherited"
    r = env_report(run_entry(["--"] + child("env"), env=env))
    assert r["environ"]["ONLY"] == "inherited"


def test_env_path_from_file_is_searched(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "entry-probe-tool"
    tool.write_text("#!/bin/sh\necho probe-ran \"$1\"\n")
    tool.chmod(0o755)
    f = write_env(tmp_path / "env", ["PATH=%s:/usr/bin:/bin" % bindir])
    proc = run_entry(["--env", f, "--", "entry-probe-tool", "arg1"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"probe-ran arg1\n"
    # Without the file, the inherited PATH does not find it.
    proc = run_entry(["--", "entry-probe-tool"])
    assert proc.returncode == 127


def test_env_large_file_many_records(tmp_path):
    # Just under 1 MiB of tiny records: loads, and quickly (no n^2 merge).
    recs = []
    size = 0
    i = 0
    while True:
        r = "V%d=%d" % (i, i)
        if size + len(r) + 1 > MIB:
            break
        recs.append(r)
        size += len(r) + 1
        i += 1
    pad = MIB - size
    if pad >= 3:
        recs.append("P=" + "p" * (pad - 3))
    f = write_env(tmp_path / "big", recs)
    assert os.path.getsize(f) == MIB
    t0 = time.time()
    proc = run_entry(["--env", f, "--", "/bin/sh", "-c", 'echo "$V0 $V1000"'])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"0 1000\n"
    assert time.time() - t0 < 10 * minotest.SLOW


BAD_FILES = [
    ("no-equals", [SECRET], "record 1 has no '='"),
    ("no-equals-later", ["OK=1", "OK2=2", SECRET], "record 3 has no '='"),
    ("bad-name-digit", ["1ABC=" + SECRET], "record 1 has an invalid name"),
    ("bad-name-dash", ["A-B=" + SECRET], "record 1 has an invalid name"),
    ("bad-name-empty", ["=" + SECRET], "record 1 has an invalid name"),
    ("bad-name-space", ["A B=" + SECRET], "record 1 has an invalid name"),
    ("unterminated", ["OK=1", ("TOKEN=" + SECRET).encode()], "record 2 is not NUL-terminated"),
]


@pytest.mark.parametrize("label,records,why", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_env_bad_file(tmp_path, label, records, why):
    f = write_env(tmp_path / label, records)
    marker = tmp_path / "ran"
    proc = run_entry(["--env", f, "--", "/bin/touch", str(marker)])
    assert proc.returncode == 125
    assert proc.stderr.decode() == "mino-entry: %s: %s\n" % (f, why)
    assert SECRET.encode() not in proc.stderr + proc.stdout
    assert not marker.exists(), "the command ran despite a bad env file"


def test_env_bad_file_after_good_one(tmp_path):
    good = write_env(tmp_path / "good", ["A=1"])
    bad = write_env(tmp_path / "bad", ["B" + SECRET])
    proc = run_entry(["--env", good, "--env", bad, "--", "/bin/true"])
    assert proc.returncode == 125
    assert proc.stderr.decode() == "mino-entry: %s: record 1 has no '='\n" % bad


def test_env_file_size_limit(tmp_path):
    over = write_env(tmp_path / "over", ["A=" + "x" * (MIB - 3), b"B"])
    assert os.path.getsize(over) == MIB + 1
    proc = run_entry(["--env", over, "--", "/bin/true"])
    assert proc.returncode == 125
    assert proc.stderr.decode() == "mino-entry: %s: larger than 1 MiB\n" % over
    # Exactly 1 MiB loads (in 16 values: the kernel takes at most 128 KiB
    # per environment string).
    recs = ["V%02d=%s" % (i, "x" * (MIB // 16 - 5)) for i in range(16)]
    exact = write_env(tmp_path / "exact", recs)
    assert os.path.getsize(exact) == MIB
    proc = run_entry(["--env", exact, "--", "/bin/sh", "-c", 'echo ${#V00} ${#V15}'])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"%d %d\n" % (MIB // 16 - 5, MIB // 16 - 5)


def test_env_missing_file(tmp_path):
    f = str(tmp_path / "absent")
    proc = run_entry(["--env", f, "--", "/bin/true"])
    assert proc.returncode == 125
    assert proc.stderr.decode() == "mino-entry: %s: No such file or directory\n" % f


def test_env_symlink_refused(tmp_path):
    real = write_env(tmp_path / "real", ["A=" + SECRET])
    link = tmp_path / "link"
    link.symlink_to(real)
    proc = run_entry(["--env", str(link), "--", "/bin/true"])
    assert proc.returncode == 125
    assert proc.stderr.decode() == "mino-entry: %s: is a symbolic link\n" % link


def test_env_directory_refused(tmp_path):
    proc = run_entry(["--env", str(tmp_path), "--", "/bin/true"])
    assert proc.returncode == 125
    assert proc.stderr.decode() == "mino-entry: %s: not a regular file\n" % tmp_path


def test_env_fifo_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # No writer: a blocking open would hang here until the timeout.
    proc = run_entry(["--env", str(fifo), "--", "/bin/true"], timeout=10)
    assert proc.returncode == 125
    assert proc.stderr.decode() == "mino-entry: %s: not a regular file\n" % fifo


def test_env_unreadable_file(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    f = write_env(tmp_path / "locked", ["A=1"])
    os.chmod(f, 0)
    proc = run_entry(["--env", f, "--", "/bin/true"])
    assert proc.returncode == 125
    assert proc.stderr.decode() == "mino-entry: %s: Permission denied\n" % f


# ---------------------------------------------------------------- usage, cwd

@pytest.mark.parametrize("args", [
    [], ["/bin/true"], ["--"], ["--env"], ["--cwd"], ["--bogus", "--", "/bin/true"],
    ["--env", "/dev/null"],
], ids=["nothing", "no-dashdash", "no-command", "env-no-value", "cwd-no-value", "unknown",
        "no-dashdash-after-env"])
def test_usage_errors(args):
    proc = run_entry(args)
    assert proc.returncode == 125
    err = proc.stderr.decode()
    assert err.startswith("mino-entry: ") and err.count("\n") == 1, err
    assert "usage: mino-entry [--env FILE]... [--cwd DIR] -- CMD [ARG...]" in err


def test_cwd(tmp_path):
    d = tmp_path / "work dir"
    d.mkdir()
    r = env_report(run_entry(["--cwd", str(d), "--"] + child("env")))
    assert r["cwd"] == str(d)
    r = env_report(run_entry(["--cwd=" + str(d), "--"] + child("env")))
    assert r["cwd"] == str(d)


def test_env_file_relative_to_start_dir_not_cwd(tmp_path):
    write_env(tmp_path / "rel.env", ["REL=yes"])
    other = tmp_path / "other"
    other.mkdir()
    r = env_report(run_entry(["--cwd", str(other), "--env", "rel.env", "--"] + child("env"),
                             cwd=str(tmp_path)))
    assert r["environ"]["REL"] == "yes"
    assert r["cwd"] == str(other)


def test_cwd_missing(tmp_path):
    d = str(tmp_path / "nowhere")
    marker = tmp_path / "ran"
    proc = run_entry(["--cwd", d, "--", "/bin/touch", str(marker)])
    assert proc.returncode == 125
    assert proc.stderr.decode() == \
        "mino-entry: %s: cannot change directory: No such file or directory\n" % d
    assert not marker.exists()


# ---------------------------------------------------------------- exit status

@pytest.mark.parametrize("code", [0, 3, 255])
def test_exit_status_passes_through(code):
    proc = run_entry(["--", "/bin/sh", "-c", "exit %d" % code])
    assert proc.returncode == code
    assert proc.stderr == b""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGSEGV])
def test_child_killed_by_signal_gives_128_plus_n(sig):
    proc = run_entry(["--", PY, "-c", "import os; os.kill(os.getpid(), %d)" % sig])
    assert proc.returncode == 128 + sig


def test_child_killed_from_outside():
    p = subprocess.Popen([ENTRY, "--"] + child("handlers"), env=minotest.base_env(),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        pid = int(readline(p.stdout).split()[1])
        assert pid != p.pid
        os.kill(pid, signal.SIGKILL)
        assert p.wait(timeout=10 * minotest.SLOW) == 128 + signal.SIGKILL
    finally:
        p.kill()
        p.wait()


def test_not_found():
    proc = run_entry(["--", "mino-no-such-command-xyz", "arg"])
    assert proc.returncode == 127
    assert proc.stderr == b"mino-entry: mino-no-such-command-xyz: not found\n"
    proc = run_entry(["--", "/nonexistent/dir/cmd"])
    assert proc.returncode == 127
    assert proc.stderr == b"mino-entry: /nonexistent/dir/cmd: not found\n"


def test_not_executable(tmp_path):
    f = tmp_path / "script"
    f.write_text("#!/bin/sh\necho ran\n")
    f.chmod(0o644)
    proc = run_entry(["--", str(f)])
    assert proc.returncode == 126
    assert proc.stderr.decode() == "mino-entry: %s: Permission denied\n" % f
    assert proc.stdout == b""


def test_script_without_shebang_runs_with_sh(tmp_path):
    # execvp semantics: ENOEXEC falls back to /bin/sh.
    f = tmp_path / "noshebang"
    f.write_text("echo via-sh\nexit 9\n")
    f.chmod(0o755)
    proc = run_entry(["--", str(f)])
    assert proc.returncode == 9
    assert proc.stdout == b"via-sh\n"


# ---------------------------------------------------------------- process tree, stdio

def test_parent_pgrp_session_unchanged():
    p = subprocess.Popen([ENTRY, "--"] + child("env"), env=minotest.base_env(),
                         stdout=subprocess.PIPE)
    out, _ = p.communicate(timeout=20 * minotest.SLOW)
    assert p.returncode == 0
    r = json.loads(out)
    assert r["ppid"] == p.pid, "the command is not mino-entry's child"
    assert r["pgrp"] == os.getpgrp(), "mino-entry or the command changed process group"
    assert r["sid"] == os.getsid(0), "mino-entry or the command started a session"


def test_stdio_unbuffered_pass_through():
    p = subprocess.Popen([ENTRY, "--", "/bin/cat"], env=minotest.base_env(),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for line in (b"first\n", b"\x00\xffbinary\n"):
            p.stdin.write(line)
            p.stdin.flush()
            got = b""
            deadline = time.time() + 10 * minotest.SLOW
            while len(got) < len(line) and time.time() < deadline:
                r, _, _ = select.select([p.stdout], [], [], 0.5)
                if r:
                    got += os.read(p.stdout.fileno(), 4096)
            assert got == line, "cat's output did not arrive while stdin was open"
        p.stdin.close()
        assert p.wait(timeout=10) == 0
        assert p.stderr.read() == b""
    finally:
        p.kill()
        p.wait()


# ---------------------------------------------------------------- signals

def start_siginfo(*names):
    p = subprocess.Popen([ENTRY, "--"] + child("siginfo", *names), env=minotest.base_env(),
                         stdout=subprocess.PIPE)
    words = readline(p.stdout).split()
    assert words[0] == "ready"
    return p, int(words[1])


def expect_sig(p, name, code, sender):
    assert readline(p.stdout) == "sig %s code %d pid %d" % (name, code, sender)


SI_USER = 0
SI_QUEUE = -1
SI_TKILL = -6


def test_signals_forwarded_to_command():
    p, cpid = start_siginfo("SIGUSR1", "SIGUSR2", "SIGHUP", "SIGINT", "SIGWINCH")
    try:
        for s in (signal.SIGUSR1, signal.SIGHUP, signal.SIGINT, signal.SIGWINCH, signal.SIGUSR2):
            os.kill(p.pid, s)
            # Forwarded with kill(): the sender is mino-entry.
            expect_sig(p, signal.Signals(s).name, SI_USER, p.pid)
        os.kill(p.pid, signal.SIGTERM)
        expect_sig(p, "SIGTERM", SI_USER, p.pid)
        assert p.wait(timeout=10 * minotest.SLOW) == 7
    finally:
        p.kill()
        p.wait()


def test_sigqueue_and_tgkill_forwarded():
    libc = ctypes.CDLL(None, use_errno=True)
    p, cpid = start_siginfo("SIGUSR1", "SIGUSR2")
    try:
        assert libc.sigqueue(p.pid, signal.SIGUSR1, ctypes.c_void_p(42)) == 0
        expect_sig(p, "SIGUSR1", SI_QUEUE, p.pid)   # still a queued signal
        SYS_tgkill = 234  # x86_64
        assert libc.syscall(SYS_tgkill, p.pid, p.pid, signal.SIGUSR2) == 0
        expect_sig(p, "SIGUSR2", SI_USER, p.pid)
        os.kill(p.pid, signal.SIGTERM)
        assert p.wait(timeout=10 * minotest.SLOW) == 7
    finally:
        p.kill()
        p.wait()


def test_signal_before_command_starts_is_not_lost(tmp_path):
    # A SIGTERM sent as soon as mino-entry has blocked signals (its first
    # act), while it may still be loading a large env file, is held and
    # reaches the command once that exists: sleep dies of it.
    big = write_env(tmp_path / "big", ["A%d=%s" % (i, "v" * 40) for i in range(20000)])
    p = subprocess.Popen([ENTRY, "--env", big, "--", "/bin/sleep", "30"],
                         env=minotest.base_env())
    try:
        assert minotest.wait_for(lambda: sig_blocked(p.pid), timeout=5, interval=0.001)
        os.kill(p.pid, signal.SIGTERM)
        assert p.wait(timeout=10 * minotest.SLOW) == 128 + signal.SIGTERM
    finally:
        p.kill()
        p.wait()


def sig_blocked(pid):
    """mino-entry has blocked signals: SigBlk is set, or it waits in
    sigwaitinfo (which shows the waited-for signals as unblocked)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("SigBlk:") and int(line.split()[1], 16) != 0:
                return True
    with open("/proc/%d/wchan" % pid) as f:
        return "sigtimedwait" in f.read()


def test_sigterm_stops_command_that_traps_it():
    p = subprocess.Popen([ENTRY, "--", "/bin/sh", "-c",
                          "trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done"],
                         env=minotest.base_env(), stdout=subprocess.PIPE)
    try:
        assert readline(p.stdout) == "ready"
        t0 = time.time()
        os.kill(p.pid, signal.SIGTERM)
        assert p.wait(timeout=10 * minotest.SLOW) == 7
        assert time.time() - t0 < 3 * minotest.SLOW
    finally:
        p.kill()
        p.wait()


def test_stop_and_cont_forwarded():
    # In a process group of its own in our session: the kernel drops SIGTSTP
    # to an orphaned group (meson may run us as one).
    p = subprocess.Popen([ENTRY, "--"] + child("handlers", "SIGCONT"), env=minotest.base_env(),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, process_group=0)
    try:
        cpid = int(readline(p.stdout).split()[1])
        os.kill(p.pid, signal.SIGTSTP)   # default action in the command: stop
        assert minotest.wait_for(lambda: proc_state(cpid) == "T", timeout=5)
        assert proc_state(p.pid) != "T", "mino-entry itself stopped"
        os.kill(p.pid, signal.SIGCONT)
        assert readline(p.stdout) == "got SIGCONT 1"
        assert proc_state(cpid) != "T"
        p.stdin.write(b"quit 5\n")
        p.stdin.flush()
        assert p.wait(timeout=10 * minotest.SLOW) == 5
    finally:
        p.kill()
        p.wait()


def proc_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


# ---------------------------------------------------------------- a real PTY

def spawn_pty(args, **kw):
    return pexpect.spawn(ENTRY, args, env=minotest.base_env(), timeout=10 * minotest.SLOW,
                         dimensions=(24, 80), **kw)


def test_pty_ctrl_c_reaches_command_once():
    c = spawn_pty(["--"] + child("handlers", "SIGINT", "SIGWINCH"))
    try:
        c.expect(r"ready (\d+)")
        c.sendintr()
        c.expect(r"got SIGINT 1\r\n")
        c.setwinsize(40, 100)
        c.expect(r"got SIGWINCH 1\r\n")
        time.sleep(0.5 * minotest.SLOW)   # room for a duplicate to arrive
        c.sendline("report")
        c.expect(r"counts (\{.*\})\r\n")
        assert json.loads(c.match.group(1)) == {"SIGINT": 1, "SIGWINCH": 1}
        c.sendintr()
        c.expect(r"got SIGINT 2\r\n")
        time.sleep(0.3 * minotest.SLOW)
        c.sendline("quit 40")
        c.expect(pexpect.EOF)
        c.close()
        assert "got SIGINT 3" not in c.before.decode()
        assert c.exitstatus == 42, "mino-entry did not pass on the command's status"
    finally:
        c.close(force=True)


def test_pty_kernel_signals_to_entry_are_not_forwarded():
    # The command leaves the foreground group, so ^C and SIGWINCH from the
    # terminal reach only mino-entry's group (mino-entry alone): not
    # forwarding them is what keeps the foreground command's count at one.
    c = spawn_pty(["--"] + child("aside", "SIGINT", "SIGWINCH"))
    try:
        c.expect(r"ready (\d+)")
        c.sendintr()
        c.setwinsize(30, 90)
        c.expect(r"counts (\{.*\})\r\n")
        assert json.loads(c.match.group(1)) == {"SIGINT": 0, "SIGWINCH": 0}
        c.expect(pexpect.EOF)
        c.close()
        assert c.exitstatus == 5, "mino-entry did not survive ^C or lost the status"
    finally:
        c.close(force=True)


def test_pty_ctrl_c_kills_command_with_default_action():
    c = spawn_pty(["--", "/bin/sh", "-c", "echo ready; exec /bin/sleep 30"])
    try:
        c.expect("ready")
        # ^C only once sleep runs: a shell caught between fork and exec
        # would defer it (that race is the shell's, not ours).
        assert minotest.wait_for(lambda: child_comms(c.pid) == ["sleep"], timeout=5,
                                 interval=0.01)
        t0 = time.time()
        c.sendintr()
        c.expect(pexpect.EOF)
        c.close()
        # sleep dies of SIGINT; mino-entry reports it.
        assert c.exitstatus == 128 + signal.SIGINT
        assert time.time() - t0 < 5 * minotest.SLOW
    finally:
        c.close(force=True)


def child_comms(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        kids = [int(k) for k in f.read().split()]
    comms = []
    for k in kids:
        with open("/proc/%d/comm" % k) as f:
            comms.append(f.read().strip())
    return comms


def test_pty_command_is_foreground_and_raw_mode_works():
    c = spawn_pty(["--"] + child("tty"))
    try:
        c.expect(r"fg (\d+) pgrp (\d+) sid (\d+) pid (\d+) ppid (\d+)\r\n")
        fg, pgrp, sid, pid, ppid = (int(x) for x in c.match.groups())
        assert fg == pgrp, "the command is not in the terminal's foreground group"
        assert ppid == c.pid, "the command is not mino-entry's child"
        assert sid == c.pid and pgrp == c.pid, "mino-entry changed session or group"
        c.expect("raw")
        c.send("\x03")     # raw mode: ^C is a byte, not SIGINT
        c.expect(r"byte 3")
        c.expect(pexpect.EOF)
        c.close()
        assert c.exitstatus == 0
    finally:
        c.close(force=True)


def test_pty_job_control_in_shell():
    env = minotest.base_env()
    env["PS1"] = "PROMPT$ "
    c = pexpect.spawn(ENTRY, ["--", "/bin/bash", "--norc", "--noprofile", "-i"], env=env,
                      timeout=10 * minotest.SLOW, dimensions=(24, 80))
    try:
        c.expect_exact("PROMPT$ ")
        c.sendline("sleep 30")
        bash = [int(k) for k in open("/proc/%d/task/%d/children" % (c.pid, c.pid)).read().split()]
        assert len(bash) == 1
        assert minotest.wait_for(lambda: child_comms(bash[0]) == ["sleep"], timeout=5,
                                 interval=0.01)
        c.sendcontrol("z")
        c.expect("Stopped")
        c.expect_exact("PROMPT$ ")
        c.sendline("jobs -l")
        c.expect(r"\[1\]\+\s+\d+ Stopped\s+sleep 30")
        c.expect_exact("PROMPT$ ")
        c.sendline("fg")
        c.expect("sleep 30")
        time.sleep(0.3 * minotest.SLOW)
        c.sendintr()
        c.expect_exact("PROMPT$ ")
        c.sendline("echo status=$?")
        c.expect(r"status=130")
        c.sendline("exit 4")
        c.expect(pexpect.EOF)
        c.close()
        assert c.exitstatus == 4
    finally:
        c.close(force=True)


# ---------------------------------------------------------------- as PID 1

def test_as_pid1_reaps_orphans():
    # A container run without --init makes mino-entry PID 1: orphans are
    # then its to reap.  (With --init they go to catatonit.)
    script = ('for i in 1 2 3; do (sleep 0.1 &); done; sleep 0.8; echo "pid1=$(cat /proc/1/comm)"; '
              'echo "zombies=$(grep -l "^State:.*Z" /proc/[0-9]*/status | wc -l)"; exit 4')
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "--pid", "--fork",
                           "--mount-proc", ENTRY, "--", "/bin/sh", "-c", script],
                          env=minotest.base_env(), capture_output=True,
                          timeout=20 * minotest.SLOW)
    assert proc.returncode == 4, proc.stderr
    assert proc.stdout.decode().split() == ["pid1=mino-entry", "zombies=0"]


def test_cat_copies_a_file_and_fails_in_one_line(tmp_path):
    f = tmp_path / "creds.json"
    data = b'{"Version":1,"AccessKeyId":"ASIAX"}\n' * 300  # more than one read
    f.write_bytes(data)
    p = subprocess.run([ENTRY, "--cat", str(f)], capture_output=True, timeout=20)
    assert p.returncode == 0 and p.stdout == data and p.stderr == b""
    p = subprocess.run([ENTRY, "--cat", str(tmp_path / "missing")], capture_output=True, timeout=20)
    assert p.returncode == 1 and p.stdout == b""
    assert p.stderr.count(b"\n") == 1 and b"No such file" in p.stderr


# --cmd FILE: the command from a file of ARG\0 records (a warm start's
# container was created before its command was known).

def test_cmd_file_runs_command_with_env(tmp_path):
    cmd = tmp_path / "cmd"
    cmd.write_bytes(b"/bin/sh\0-c\0echo \"$1-$A\"; exit 6\0sh\0two words\0")
    env = write_env(tmp_path / "env", ["A=from-file"])
    proc = run_entry(["--env", env, "--cmd", str(cmd)])
    assert proc.returncode == 6, proc.stderr
    assert proc.stdout == b"two words-from-file\n"


@pytest.mark.parametrize("data,why", [
    (b"", "no command"), (b"/bin/true", "not ARG"), (b"\0", "empty command name"),
], ids=["empty", "unterminated", "empty-name"])
def test_cmd_file_bad(tmp_path, data, why):
    cmd = tmp_path / "cmd"
    cmd.write_bytes(data)
    proc = run_entry(["--cmd", str(cmd)])
    assert proc.returncode == 125
    err = proc.stderr.decode()
    assert err.startswith("mino-entry: ") and err.count("\n") == 1 and why in err, err


def test_cmd_file_missing(tmp_path):
    proc = run_entry(["--cmd", str(tmp_path / "missing")])
    assert proc.returncode == 125
    assert proc.stderr.count(b"\n") == 1 and b"No such file" in proc.stderr
