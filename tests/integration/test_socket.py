"""The socket: mode, peer uid check, socket activation and sd_notify."""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

import minotest
from minotest import MINOD, SLOW, Client, mode_of, wait_for


def test_socket_mode(bare_env):
    bare_env.start_daemon()
    st = os.lstat(bare_env.sock)
    assert mode_of(bare_env.sock) == 0o600, oct(mode_of(bare_env.sock))
    assert st.st_uid == os.getuid()


def test_other_uid_refused(bare_env):
    """A peer of another uid is refused even when the file permissions let
    it connect.  The other uid comes from our own subordinate range:
    `podman unshare` maps us to root in a user namespace, where setuid(1000)
    becomes a subuid on the host."""
    if shutil.which("podman") is None:
        pytest.skip("podman (for podman unshare) not installed")
    bare_env.start_daemon()
    # loosen the file permissions so that only SO_PEERCRED stands in the way
    os.chmod(bare_env.root, 0o711)
    os.chmod(bare_env.runtime, 0o711)
    os.chmod(bare_env.sock, 0o666)
    code = r"""
import json, os, socket, sys
os.setgid(1000); os.setuid(1000)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "mino/hello",
                   "params": {"protocol": 1, "client": "intruder"}}).encode()
try:
    s.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
except OSError as e:
    print("SENDFAIL", e)
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except socket.timeout:
    print("TIMEOUT")
except OSError as e:
    print("RECVFAIL", e)
print("UID", os.getuid())
print("REPLY", data.decode(errors="replace"))
"""
    p = subprocess.run(["podman", "unshare", "/usr/bin/python3", "-c", code, bare_env.sock],
                       env=bare_env.env, capture_output=True, timeout=60)
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0 and "UID" not in out:
        pytest.skip("podman unshare cannot switch uid here: %s" % p.stderr.decode(errors="replace")[-300:])
    assert "TIMEOUT" not in out, "minod neither refused nor closed the foreign peer:\n" + out
    assert '"result"' not in out, "minod served a foreign uid:\n" + out
    reply = out.split("REPLY", 1)[1].strip()
    if reply:
        assert '"error"' in reply and "1013" in reply, reply
    # and it still serves us
    os.chmod(bare_env.sock, 0o600)
    with bare_env.client() as c:
        c.call("daemon/status")


def _notify_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.2)
    return s


def _collect(ns, want, timeout):
    got = []
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        try:
            data = ns.recv(4096).decode(errors="replace")
        except socket.timeout:
            continue
        got.extend(data.split("\n"))
        if want(got):
            break
    return got


def test_sd_notify_ready_status_stopping(bare_env):
    ns_path = os.path.join(bare_env.root, "notify.sock")
    ns = _notify_socket(ns_path)
    bare_env.start_daemon(env={"NOTIFY_SOCKET": ns_path})
    got = _collect(ns, lambda g: "READY=1" in g, 10)
    assert "READY=1" in got, got
    # minod sends its status line before READY=1
    assert "STATUS=0 sessions running, 0 clients" in got, got
    assert got.index("STATUS=0 sessions running, 0 clients") < got.index("READY=1"), got
    bare_env.daemon.send_signal(signal.SIGTERM)
    got += _collect(ns, lambda g: "STOPPING=1" in g, 10)
    assert "STOPPING=1" in got, got
    assert bare_env.daemon.wait(timeout=15) == 0
    ns.close()


def test_socket_activation(bare_env):
    if shutil.which("systemd-socket-activate") is None:
        pytest.skip("systemd-socket-activate not installed")
    ns_path = os.path.join(bare_env.root, "notify.sock")
    ns = _notify_socket(ns_path)
    args = ["systemd-socket-activate", "-l", bare_env.sock]
    for k in ("PATH", "HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "LANG",
              "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in bare_env.env:
            args += ["-E", "%s=%s" % (k, bare_env.env[k])]
    args += ["-E", "NOTIFY_SOCKET=" + ns_path, MINOD]
    log = open(bare_env.daemon_log, "ab")
    proc = subprocess.Popen(args, env=bare_env.env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log, start_new_session=True)
    try:
        assert wait_for(lambda: os.path.exists(bare_env.sock), 10)
        # the first connection launches minod on the passed socket
        with Client(bare_env.sock) as c:
            r = c.hello()
            assert "result" in r, (r, bare_env.daemon_log_tail())
            assert r["result"]["pid"] == proc.pid     # it exec'd in place
            st = c.call("daemon/status")
            assert st["socket"] == bare_env.sock
        got = _collect(ns, lambda g: "READY=1" in g, 10)
        assert "READY=1" in got, got
        # a second client is served by the same process
        with Client(bare_env.sock) as c:
            assert c.hello()["result"]["pid"] == proc.pid
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15 * SLOW) == 0, bare_env.daemon_log_tail()
        # a socket minod did not create is never unlinked by it
        assert os.path.exists(bare_env.sock)
        # the client must not auto-start a daemon over a service-managed
        # socket: nothing listens now, `mino status` reports, starts nothing
        p = bare_env.mino("status")
        time.sleep(0.5)
        assert bare_env.daemon_pid() is None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        ns.close()


def _children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.append(int(d))
    return out


def _environ(pid, timeout=5.0):
    """The environment of pid, or None if it has exited.  podman is briefly
    unreadable (not dumpable) while it enters its user namespace: retry."""
    deadline = time.time() + timeout
    while True:
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                return f.read().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            return None
        except PermissionError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def test_child_env_is_explicit(podman_env):
    ns_path = os.path.join(podman_env.root, "notify.sock")
    ns = _notify_socket(ns_path)
    podman_env.start_daemon(env={"NOTIFY_SOCKET": ns_path, "LISTEN_FDNAMES": "bogus",
                                 "WATCHDOG_USEC": "99999999", "MINO_SECRET_TEST": "leak"})
    proc = podman_env.mino_popen("run", "--", "sh", "-c", "env; echo env-done; sleep 30")
    try:
        inner = b""
        while True:
            line = proc.stdout.readline()
            if not line or line == b"env-done\n":
                break
            inner += line
        assert line == b"env-done\n", inner
        kids = _children(podman_env.daemon.pid)
        assert kids, "no child processes of minod while a session runs"
        checked = 0
        for k in kids:
            env = _environ(k)
            if env is None:
                continue      # exited meanwhile
            checked += 1
            for bad in (b"NOTIFY_SOCKET=", b"LISTEN_", b"WATCHDOG_", b"MINO_SECRET_TEST="):
                assert not any(e.startswith(bad) for e in env), (k, bad)
        assert checked, "every child of minod exited before its environment was read"
        for bad in (b"NOTIFY_SOCKET", b"LISTEN_", b"WATCHDOG_", b"MINO_SECRET_TEST"):
            assert bad not in inner, inner
    finally:
        proc.kill()
        proc.wait()
        ns.close()


def test_no_fd_leak_into_containers(menv):
    # only stdio (and the fd ls itself opens) inside the container
    with menv.client() as _keep_a_connection_open:
        p = menv.mino("run", "--", "ls", "/proc/self/fd")
    assert p.returncode == 0, p.stderr
    fds = sorted(int(x) for x in p.stdout.split())
    assert fds == [0, 1, 2, 3], fds
