"""Files where minod expects its own (issue 13 item 5), and the squatted
runtime dir fallback (item 9).  A FIFO at sessions/NAME.json, audit.log or
a transcript path must never block the single loop; a symlink there is
refused, not followed; each refusal is a logged error."""

import json
import os
import pwd
import stat
import time

import subprocess

import pytest

from minotest import MINO, is_one_line_error, wait_for

RECORD = {"name": "planted", "status": "exited", "exit_code": 0, "image": "x",
          "project": "/tmp", "created_at": "2026-01-01T00:00:00Z"}


def state_dir(e):
    return os.path.join(e.state, "mino")


def private_dirs(*parts):
    """mkdir -p with every level 0700 (minod refuses a state dir others can read)."""
    path = ""
    for part in parts:
        path = os.path.join(path, part) if path else part
        if not os.path.isdir(path):
            os.mkdir(path, 0o700)
    return path


def test_fifo_session_record_does_not_block_start(bare_env):
    sessions = private_dirs(state_dir(bare_env), "sessions")
    fifo = os.path.join(sessions, "planted.json")
    os.mkfifo(fifo, 0o600)
    t0 = time.time()
    bare_env.start_daemon()                    # waits for a hello reply
    assert time.time() - t0 < 15
    with bare_env.client() as c:
        st = c.call("daemon/status")
        assert st["pid"] == bare_env.daemon.pid
        names = [s["name"] for s in c.call("session/list", {"all": True})["sessions"]]
        assert "planted" not in names
    log = bare_env.daemon_log_tail()
    assert fifo in log and "not a regular file" in log, log


def test_symlinked_session_record_is_not_followed(bare_env):
    sessions = private_dirs(state_dir(bare_env), "sessions")
    real = os.path.join(bare_env.root, "elsewhere.json")
    with open(real, "w") as f:
        json.dump(RECORD, f)
    link = os.path.join(sessions, "planted.json")
    os.symlink(real, link)
    bare_env.start_daemon()
    with bare_env.client() as c:
        names = [s["name"] for s in c.call("session/list", {"all": True})["sessions"]]
        assert "planted" not in names
    log = bare_env.daemon_log_tail()
    assert link in log and "symlink" in log, log


def trust_event(e):
    """One audit event (config.trusted) through minod."""
    d = os.path.join(e.root, "proj", "t%d" % time.monotonic_ns())
    os.makedirs(d)
    with open(os.path.join(d, ".mino.toml"), "w") as f:
        f.write('[general]\nverbose = true\n')
    p = e.mino("config", "trust", d)
    assert p.returncode == 0, p.stderr


def test_symlinked_audit_log_is_not_followed(bare_env):
    sd = private_dirs(state_dir(bare_env))
    target = os.path.join(bare_env.root, "victim.txt")
    with open(target, "w") as f:
        f.write("untouched\n")
    link = os.path.join(sd, "audit.log")
    os.symlink(target, link)
    bare_env.start_daemon()
    trust_event(bare_env)
    with open(target) as f:
        assert f.read() == "untouched\n"
    assert os.path.islink(link)
    log = bare_env.daemon_log_tail()
    assert "audit" in log and link in log and "symlink" in log, log


def test_fifo_audit_log_does_not_block(bare_env):
    sd = private_dirs(state_dir(bare_env))
    fifo = os.path.join(sd, "audit.log")
    os.mkfifo(fifo, 0o600)
    # a reader that holds the FIFO open would let a plain open(O_WRONLY)
    # succeed and a write block once the pipe is full
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        bare_env.start_daemon()
        for _ in range(3):
            trust_event(bare_env)
        with bare_env.client() as c:
            assert c.call("daemon/status")["audit"]["errors"] >= 3
        assert os.read(rfd, 65536) == b""
    finally:
        os.close(rfd)
    assert "not a regular file" in bare_env.daemon_log_tail()


def finished_session(menv):
    name = menv.name("lg")
    p = menv.mino("run", "-n", name, "--", "echo", "transcript-line")
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: menv.container_of(name) is None, 10)
    path = os.path.join(state_dir(menv), "logs", name + ".log")
    assert os.path.isfile(path)
    return name, path


def test_fifo_transcript_does_not_block_logs(menv):
    name, path = finished_session(menv)
    os.unlink(path)
    os.mkfifo(path, 0o600)
    t0 = time.time()
    p = menv.mino("logs", name, timeout=20)
    assert time.time() - t0 < 10
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr
    assert b"not a regular file" in p.stderr, p.stderr
    assert menv.mino("status").returncode == 0       # the loop still serves


def test_symlinked_transcript_is_not_followed(menv):
    name, path = finished_session(menv)
    secret = os.path.join(menv.root, "not-a-transcript")
    with open(secret, "w") as f:
        f.write("private-words\n")
    os.unlink(path)
    os.symlink(secret, path)
    p = menv.mino("logs", name)
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr
    assert b"symlink" in p.stderr
    assert b"private-words" not in p.stdout + p.stderr


# ---------------------------------------------------------------- item 9

@pytest.fixture
def squatted_fallback():
    """/tmp/mino-UID as someone else would leave it: not private to us.
    (Cross-user, another user creates it; to mino the refusal is the same:
    the directory is not ours alone.)"""
    path = "/tmp/mino-%d" % os.getuid()
    existed = os.path.lexists(path)
    if existed:
        st = os.lstat(path)
        assert stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid(), \
            "%s exists and is not ours: cannot run this test here" % path
        old_mode = stat.S_IMODE(st.st_mode)
    else:
        os.mkdir(path, 0o700)
    os.chmod(path, 0o777)
    yield path
    if existed:
        os.chmod(path, old_mode)
    else:
        os.rmdir(path)


def test_squatted_runtime_fallback_says_how_to_fix(bare_env, squatted_fallback):
    env = dict(bare_env.env)
    del env["XDG_RUNTIME_DIR"]
    home = pwd.getpwuid(os.getuid()).pw_dir
    before = set(os.listdir(home))
    # a command that needs the socket: one error line on stderr
    p = subprocess.run([MINO, "list"], env=env, capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert is_one_line_error(p.stderr), p.stderr
    err = p.stderr.decode()
    assert squatted_fallback in err, err
    assert "set XDG_RUNTIME_DIR" in err and "removed" in err, err
    # `mino status` reports it among the facts it prints, and fails
    p = subprocess.run([MINO, "status"], env=env, capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    out = p.stdout.decode()
    assert squatted_fallback in out and "set XDG_RUNTIME_DIR" in out, out
    # never a fallback to the home directory
    assert set(os.listdir(home)) == before
    assert not os.path.exists(os.path.join(home, "mino.sock"))
