"""mino-entry in real rootless containers, the way minod will run it:
  podman run --init --cap-drop ALL --security-opt no-new-privileges
    -v <mino-entry>:/run/mino-entry:ro -v <dir>:/run/mino:ro IMAGE
    /run/mino-entry --env /run/mino/env -- CMD...
The environment value reaches the command and is in no podman argv and not in
`podman inspect`; exit statuses pass through; podman stop and kill reach the
command; a non-root --user reads the env file; ^C on a terminal arrives once."""
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

import pexpect
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import minotest  # noqa: E402

ENTRY = os.environ.get("MINO_ENTRY", "")
IMAGE = minotest.IMAGE


class Pod:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mino-entry-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.secret = "s3cr3t-" + secrets.token_hex(12)
        self.env_file = os.path.join(self.dir, "env")
        with open(self.env_file, "wb") as f:
            f.write(b"TOKEN=" + self.secret.encode() + b"\0GREETING=hello world\0")
        os.chmod(self.env_file, 0o644)
        self.env = minotest.base_env()
        self.names = []

    def name(self):
        n = "mino-entry-t%s-%d" % (secrets.token_hex(4), len(self.names))
        self.names.append(n)
        return n

    def args(self, *cmd, opts=()):
        return (["run", "--init", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                 "--network", "none", "--label", "mino.test=entry",
                 "-v", "%s:/run/mino-entry:ro" % ENTRY, "-v", "%s:/run/mino:ro" % self.dir]
                + list(opts) + [IMAGE, "/run/mino-entry", "--env", "/run/mino/env", "--"]
                + list(cmd))

    def podman(self, *args, timeout=60):
        return subprocess.run(["podman"] + list(args), env=self.env, capture_output=True,
                              timeout=timeout * minotest.SLOW)

    def run(self, *cmd, opts=(), timeout=60):
        return self.podman(*self.args(*cmd, opts=["--rm"] + list(opts)), timeout=timeout)

    def token_hash(self):
        return hashlib.sha256(self.secret.encode() + b"\n").hexdigest()

    def cleanup(self):
        for n in self.names:
            self.podman("rm", "-f", "-t", "0", n)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def pod():
    reason = minotest.podman_reason()
    if reason:
        pytest.skip(reason)
    assert os.path.isfile(ENTRY), "MINO_ENTRY (the built mino-entry) is not set or missing"
    p = Pod()
    yield p
    p.cleanup()


def cmdlines_with(needle):
    hits = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if needle in f.read():
                    hits.append(int(d))
        except OSError:
            pass
    return hits


def wait_log(pod, name, text, timeout=20):
    def seen():
        r = pod.podman("logs", name)
        return text in r.stdout.decode()
    assert minotest.wait_for(seen, timeout=timeout), "%r not in the logs of %s" % (text, name)


# A command that proves it has the value without printing it, then runs
# until SIGTERM (exit 7).
LONG_RUNNING = ('echo "$TOKEN" | sha256sum; echo "greeting=$GREETING"; '
                'trap "echo got-usr1" USR1; trap "exit 7" TERM; echo ready; '
                'while :; do sleep 0.1; done')


def test_env_arrives_and_is_not_in_inspect_or_argv(pod):
    name = pod.name()
    r = pod.podman(*(["run", "-d", "--name", name] + pod.args("sh", "-c", LONG_RUNNING)[1:]))
    assert r.returncode == 0, r.stderr
    wait_log(pod, name, "ready")
    logs = pod.podman("logs", name).stdout.decode()
    assert "%s  -" % pod.token_hash() in logs, "TOKEN did not arrive in the command"
    assert "greeting=hello world" in logs
    assert pod.secret not in logs
    assert cmdlines_with(pod.secret.encode()) == [], "the value is in some process's argv"
    ins = pod.podman("inspect", name)
    assert ins.returncode == 0, ins.stderr
    assert pod.secret not in ins.stdout.decode(), "the value is in podman inspect"
    cfg = json.loads(ins.stdout)[0]["Config"]
    assert not any(e.startswith("TOKEN=") for e in cfg["Env"])
    # podman stop: SIGTERM through catatonit and mino-entry to the command,
    # which exits 7 well inside the 5 s grace period.
    t0 = time.time()
    r = pod.podman("stop", "-t", "5", name)
    elapsed = time.time() - t0
    assert r.returncode == 0, r.stderr
    assert elapsed < 4 * minotest.SLOW, "podman stop waited out its grace period"
    st = pod.podman("inspect", "-f", "{{.State.ExitCode}}", name)
    assert st.stdout.decode().strip() == "7"


def test_control_env_option_would_show_in_inspect(pod):
    # The check above can fail: a value given with -e is in podman inspect.
    name = pod.name()
    r = pod.podman("create", "--name", name, "-e", "TOKEN=" + pod.secret, IMAGE, "true")
    assert r.returncode == 0, r.stderr
    ins = pod.podman("inspect", name)
    assert pod.secret in ins.stdout.decode()


def test_podman_kill_signal_is_forwarded(pod):
    name = pod.name()
    r = pod.podman(*(["run", "-d", "--name", name] + pod.args("sh", "-c", LONG_RUNNING)[1:]))
    assert r.returncode == 0, r.stderr
    wait_log(pod, name, "ready")
    r = pod.podman("kill", "-s", "USR1", name)
    assert r.returncode == 0, r.stderr
    wait_log(pod, name, "got-usr1")
    r = pod.podman("kill", "-s", "TERM", name)
    assert r.returncode == 0, r.stderr
    w = pod.podman("wait", name)
    assert w.stdout.decode().strip() == "7"


@pytest.mark.parametrize("script,code", [
    ("exit 0", 0), ("exit 3", 3), ("exit 255", 255), ("kill -KILL $$", 137),
    ("kill -TERM $$", 143),
])
def test_exit_status_passes_through(pod, script, code):
    r = pod.run("sh", "-c", script)
    assert r.returncode == code, r.stderr


def test_not_found_and_not_executable(pod):
    r = pod.run("mino-no-such-command")
    assert r.returncode == 127
    assert "mino-entry: mino-no-such-command: not found" in r.stderr.decode()
    r = pod.run("/etc/passwd")
    assert r.returncode == 126
    assert "mino-entry: /etc/passwd: Permission denied" in r.stderr.decode()


def test_non_root_user_reads_env_file(pod):
    r = pod.run("sh", "-c", 'id -u; echo "$TOKEN" | sha256sum', opts=["--user", "1000"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\n")[:2] == ["1000", "%s  -" % pod.token_hash()]


def test_bad_env_file_in_container(pod):
    with open(pod.env_file, "wb") as f:
        f.write(b"TOKEN" + pod.secret.encode() + b"\0")
    r = pod.run("true")
    assert r.returncode == 125
    err = r.stderr.decode()
    assert "mino-entry: /run/mino/env: record 1 has no '='" in err
    assert pod.secret not in err


def test_tty_ctrl_c_arrives_once(pod):
    script = ('n=0; trap \'n=$((n+1)); echo "INT$n"\' INT; echo ready; '
              'while :; do read l; [ "$l" = q ] && exit $((40+n)); done')
    name = pod.name()
    args = pod.args("sh", "-c", script, opts=["--rm", "-it", "--name", name])
    c = pexpect.spawn("podman", args, env=pod.env, timeout=30 * minotest.SLOW,
                      dimensions=(24, 80))
    try:
        c.expect("ready")
        c.sendintr()
        c.expect(r"INT1\r\n")
        # A forwarded copy would show as INT2 here.
        assert c.expect([r"INT2", pexpect.TIMEOUT], timeout=1.5 * minotest.SLOW) == 1
        c.sendintr()
        c.expect(r"INT2\r\n")
        time.sleep(0.3 * minotest.SLOW)
        c.sendline("q")
        c.expect(pexpect.EOF)
        c.close()
        assert "INT3" not in c.before.decode()
        assert c.exitstatus == 42
    finally:
        c.close(force=True)


def test_tty_kernel_signals_to_entry_are_not_forwarded(pod):
    # The command moves to its own session, so ^C from the terminal reaches
    # only mino-entry (the foreground group catatonit made): it must not
    # pass it on, or a foreground command would get two.  (SIGWINCH is not
    # checked here: on a resize podman also sends one to PID 1, which
    # catatonit forwards as a process's signal, with or without mino-entry.)
    script = ('exec setsid sh -c \'trap "echo got-int" INT; '
              'echo ready; i=0; while [ $i -lt 25 ]; do sleep 0.1; i=$((i+1)); done; '
              'echo done; exit 5\'')
    name = pod.name()
    args = pod.args("sh", "-c", script, opts=["--rm", "-it", "--name", name])
    c = pexpect.spawn("podman", args, env=pod.env, timeout=30 * minotest.SLOW,
                      dimensions=(24, 80))
    try:
        c.expect("ready")
        time.sleep(0.2 * minotest.SLOW)
        c.sendintr()
        c.expect("done")
        assert "got-int" not in c.before.decode()
        c.expect(pexpect.EOF)
        c.close()
        assert c.exitstatus == 5
    finally:
        c.close(force=True)
