"""Shared helpers for mino's integration tests.

Every test gets a MinoEnv: its own XDG_RUNTIME_DIR (0700), XDG_STATE_HOME and
XDG_CONFIG_HOME (with a config.toml that selects the local busybox image and
/bin/sh), a project directory, and a private minod.  Podman's storage and its
containers.conf stay the user's own (XDG_CONFIG_HOME/containers is a symlink
to ~/.config/containers), so the test image is shared.

The binaries come from the environment that meson sets: MINO, MINOD,
MINO_PTY_EXEC, MINO_SRCDIR.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

MINO = os.environ.get("MINO", "mino")
MINOD = os.environ.get("MINOD", "minod")
PTY_EXEC = os.environ.get("MINO_PTY_EXEC", "")
SRCDIR = os.environ.get("MINO_SRCDIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
IMAGE = os.environ.get("MINO_TEST_IMAGE", "localhost/mino-busybox:latest")
PROTOCOL = 1
SANITIZED = os.environ.get("MINO_SANITIZED", "") == "1"
# Sanitized builds are slower; stretch waits.
SLOW = 3.0 if SANITIZED else 1.0
# For daemons whose memory a test bounds: under ASan, freed memory stays
# resident in the quarantine (256 MiB by default); cap it (16 MiB) so that a
# scaled RSS bound (memory_bound_kib) still catches unbounded growth.
MEMORY_BOUND_ENV = ({"ASAN_OPTIONS": (os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16").lstrip(":")}
                    if SANITIZED else {})


def memory_bound_kib(plain_kib):
    """An RSS growth bound that holds under ASan too: there every live byte
    costs about twice (redzones, allocator headers, shadow memory), plus the
    16 MiB quarantine of MEMORY_BOUND_ENV."""
    return 2 * plain_kib + 16 * 1024 if SANITIZED else plain_kib

ERR_PARSE = -32700
ERR_INVALID_REQUEST = -32600
ERR_METHOD_NOT_FOUND = -32601
ERR_INVALID_PARAMS = -32602
E_PROTOCOL_MISMATCH = 1001
E_HELLO_REQUIRED = 1002
E_INVALID_ARGUMENT = 1003
E_SESSION_NOT_FOUND = 1004
E_NAME_TAKEN = 1005


# ---------------------------------------------------------------- skipping

_podman_reason = None
_podman_checked = False


def base_env():
    """The environment every child of the tests gets (explicit, small)."""
    home = os.environ.get("HOME") or os.path.expanduser("~")
    path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
    env = {
        "PATH": path,
        "HOME": home,
        "USER": os.environ.get("USER", ""),
        "LOGNAME": os.environ.get("LOGNAME", ""),
        "LANG": "C.UTF-8",
        "TERM": "xterm",
    }
    for k in ("XDG_RUNTIME_DIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def root_reason():
    if os.geteuid() == 0:
        return ("running as root: mino is rootless and minod refuses root; "
                "run the suite as an unprivileged user (tests/run-all does)")
    return None


def podman_reason():
    """None if rootless podman and the test image are usable, else why not."""
    global _podman_reason, _podman_checked
    if _podman_checked:
        return _podman_reason
    _podman_checked = True
    r = root_reason()
    if r is None and shutil.which("podman") is None:
        r = "podman not installed"
    if r is None:
        try:
            p = subprocess.run(["podman", "info", "--format", "{{.Host.Security.Rootless}}"],
                               env=base_env(), capture_output=True, timeout=60)
            if p.returncode != 0:
                r = "podman info failed: " + p.stderr.decode(errors="replace").strip()[:200]
            elif p.stdout.strip() != b"true":
                r = "podman is not rootless here"
        except subprocess.TimeoutExpired:
            r = "podman info timed out"
    if r is None:
        p = subprocess.run(["podman", "image", "exists", IMAGE], env=base_env(),
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            r = ("test image %s missing: run images/build-busybox-image.sh as this user" % IMAGE)
    _podman_reason = r
    return r


_netns_base = []


def prepare_rootless_netns(runtime_dir):
    """Test-machine workaround for podman 4.3 with a runtime dir per test.

    Podman keeps one rootless network namespace per user (for --network
    bridge) under its pinned tmp dir, and bind-mounts the caller's
    XDG_RUNTIME_DIR to <tmp>/rootless-netns/<XDG_RUNTIME_DIR> inside it; that
    target only exists for the runtime dir that created the namespace, so a
    second runtime dir fails with "failed to mount runtime directory for
    rootless netns".  Users have one runtime dir, so only tests need this."""
    if not _netns_base:
        base = ""
        try:
            p = subprocess.run(["podman", "info", "--format", "{{.Store.RunRoot}}"],
                               env=base_env(), capture_output=True, timeout=60)
            runroot = p.stdout.decode().strip()
            if p.returncode == 0 and runroot:
                base = os.path.join(os.path.dirname(runroot), "libpod", "tmp", "rootless-netns")
        except (OSError, subprocess.TimeoutExpired):
            pass
        _netns_base.append(base)
    if _netns_base[0] and os.path.isdir(os.path.dirname(_netns_base[0])):
        try:
            os.makedirs(_netns_base[0] + runtime_dir, exist_ok=True)
        except OSError:
            pass


# ---------------------------------------------------------------- framing

def frame(msg):
    """One LSP frame.  msg is a dict (encoded as JSON) or raw bytes/str."""
    if isinstance(msg, dict) or isinstance(msg, list):
        body = json.dumps(msg, separators=(",", ":")).encode()
    elif isinstance(msg, str):
        body = msg.encode()
    else:
        body = msg
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class FrameError(Exception):
    pass


def parse_frames(buf):
    """Splits complete frames off buf: returns ([bodies], rest)."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        length = None
        for line in buf[:end].split(b"\r\n"):
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        if length is None:
            raise FrameError("reply without Content-Length: %r" % buf[:end])
        if len(buf) < end + 4 + length:
            return out, buf
        out.append(buf[end + 4:end + 4 + length])
        buf = buf[end + 4 + length:]


class Client:
    """A raw JSON-RPC connection to minod."""

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout * SLOW)
        self.sock.connect(path)
        self.buf = b""
        self.notes = []     # notifications seen while waiting for replies
        self.eof = False
        self.next_id = 1

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, msg):
        self.sock.sendall(frame(msg))

    def read_message(self, timeout=None):
        """Next message (dict), or None at EOF.  Raises socket.timeout."""
        if timeout is not None:
            self.sock.settimeout(timeout * SLOW)
        while True:
            msgs, rest = parse_frames(self.buf)
            if msgs:
                body = msgs[0]
                # put the rest back
                self.buf = self.buf[self.buf.find(b"\r\n\r\n") + 4 + len(body):]
                return json.loads(body)
            if self.eof:
                return None
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                self.eof = True
                continue
            self.buf += data

    def wait_closed(self, timeout=5.0):
        """True if the peer closes within timeout (messages are collected)."""
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            try:
                m = self.read_message(timeout=max(0.05, deadline - time.time()))
            except (socket.timeout, TimeoutError):
                return False
            except OSError:
                return True
            if m is None:
                return True
            self.notes.append(m)
        return False

    def request(self, method, params=None, id_=None, timeout=30.0):
        if id_ is None:
            id_ = self.next_id
            self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.wait_reply(id_, timeout)

    def wait_reply(self, id_, timeout=30.0):
        deadline = time.time() + timeout * SLOW
        while True:
            m = self.read_message(timeout=max(0.05, deadline - time.time()))
            if m is None:
                raise EOFError("connection closed while waiting for reply %r" % (id_,))
            if "id" in m and m.get("id") == id_ and "method" not in m:
                return m
            self.notes.append(m)

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def hello(self, protocol=PROTOCOL):
        r = self.request("mino/hello", {"protocol": protocol, "client": "minotest"})
        return r

    def call(self, method, params=None, timeout=30.0):
        """Request that must succeed; returns the result."""
        r = self.request(method, params, timeout=timeout)
        assert "result" in r, "%s failed: %r" % (method, r)
        return r["result"]

    def wait_note(self, method, pred=lambda m: True, timeout=30.0):
        for i, m in enumerate(self.notes):
            if m.get("method") == method and pred(m):
                del self.notes[i]
                return m
        deadline = time.time() + timeout * SLOW
        while True:
            m = self.read_message(timeout=max(0.05, deadline - time.time()))
            if m is None:
                raise EOFError("connection closed while waiting for %s" % method)
            if m.get("method") == method and pred(m):
                return m
            self.notes.append(m)


def b64(data):
    return base64.b64encode(data).decode()


def unb64(s):
    return base64.b64decode(s)


# ---------------------------------------------------------------- environment

_counter = [0]


class MinoEnv:
    """A private mino world for one test."""

    def __init__(self, label="t", config_extra=""):
        self.root = tempfile.mkdtemp(prefix="mino-%s-" % label[:12], dir="/tmp")
        os.chmod(self.root, 0o700)
        self.token = os.path.basename(self.root).rsplit("-", 1)[-1].lower()
        self.token = re.sub(r"[^a-z0-9]", "x", self.token)
        self.runtime = os.path.join(self.root, "run")
        self.state = os.path.join(self.root, "state")
        self.config_home = os.path.join(self.root, "config")
        self.project = os.path.join(self.root, "proj", "myproject")
        self.sock = os.path.join(self.runtime, "mino.sock")
        os.mkdir(self.runtime, 0o700)
        os.mkdir(self.state, 0o700)
        os.makedirs(os.path.join(self.config_home, "mino"), 0o700)
        os.makedirs(self.project)
        base = base_env()
        home_containers = os.path.join(base["HOME"], ".config", "containers")
        if os.path.isdir(home_containers):
            os.symlink(home_containers, os.path.join(self.config_home, "containers"))
        self.config = os.path.join(self.config_home, "mino", "config.toml")
        with open(self.config, "w") as f:
            # network "none": podman 4.3's rootless bridge network shares one
            # namespace per user that does not cope with a runtime dir per
            # test (see prepare_rootless_netns); tests that need a network
            # ask for --network bridge.
            f.write('[container]\nimage = "%s"\nnetwork = "none"\n\n[session]\nshell = "/bin/sh"\n'
                    % IMAGE)
            if config_extra:
                f.write(config_extra)
        os.chmod(self.config, 0o600)    # minod refuses a global file others can write
        self.env = dict(base)
        self.env.update({
            "XDG_RUNTIME_DIR": self.runtime,
            "XDG_STATE_HOME": self.state,
            "XDG_CONFIG_HOME": self.config_home,
            "MINO_MINOD": os.path.abspath(MINOD) if os.path.sep in MINOD else MINOD,
        })
        bindirs = [os.path.dirname(os.path.abspath(p)) for p in (MINO, MINOD) if os.path.sep in p]
        if bindirs:
            self.env["PATH"] = ":".join(bindirs + [self.env["PATH"]])
        if podman_reason() is None:
            prepare_rootless_netns(self.runtime)
        self.daemon = None
        self.daemon_log = os.path.join(self.root, "minod.log")
        self._log = None

    # -- names
    def name(self, what="s"):
        _counter[0] += 1
        return "t%s-%s%d" % (self.token, what, _counter[0])

    # -- daemon
    def start_daemon(self, *args, wait=True, env=None):
        if self._log is None:
            self._log = open(self.daemon_log, "ab")
        e = dict(self.env)
        if env:
            e.update(env)
        self.daemon = subprocess.Popen([MINOD] + list(args or ("-v",)), env=e, stdin=subprocess.DEVNULL,
                                       stdout=self._log, stderr=self._log,
                                       start_new_session=True, cwd=self.root)
        if wait:
            self.wait_ready()
        return self.daemon

    def daemon_log_tail(self, n=4000):
        try:
            with open(self.daemon_log, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout=20.0, proc=None):
        proc = proc or self.daemon
        deadline = time.time() + timeout * SLOW
        last = None
        while time.time() < deadline:
            if proc is not None and proc.poll() is not None:
                raise AssertionError("minod exited with %s before it was ready:\n%s"
                                     % (proc.returncode, self.daemon_log_tail()))
            try:
                with Client(self.sock, timeout=2) as c:
                    r = c.hello()
                    if "result" in r:
                        return r["result"]
                    last = r
            except (OSError, EOFError) as e:
                last = e
            time.sleep(0.05)
        raise AssertionError("minod not ready after %ss: %r\n%s" % (timeout, last, self.daemon_log_tail()))

    def client(self, hello=True):
        c = Client(self.sock)
        if hello:
            r = c.hello()
            assert "result" in r, r
        return c

    def daemon_pid(self):
        """pid of whatever minod serves our socket (also auto-started ones)."""
        try:
            with Client(self.sock, timeout=3) as c:
                r = c.request("mino/hello", {"protocol": PROTOCOL, "client": "minotest"}, timeout=3)
                return r["result"]["pid"]
        except (OSError, EOFError, AssertionError, KeyError):
            return None

    def stop_daemon(self, timeout=10.0):
        pids = set()
        if self.daemon is not None and self.daemon.poll() is None:
            pids.add(self.daemon.pid)
        if not pids and os.path.exists(self.sock):
            p = self.daemon_pid()      # one the client auto-started
            if p:
                pids.add(p)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + timeout     # a healthy minod stops at once
        for pid in pids:
            while time.time() < deadline and pid_alive(pid):
                if self.daemon is not None and pid == self.daemon.pid:
                    self.daemon.poll()
                time.sleep(0.05)
            if pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.daemon is not None:
            try:
                self.daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        rc = self.daemon.returncode if self.daemon is not None else None
        self.daemon = None
        return rc

    def kill9_daemon(self):
        pid = self.daemon.pid if self.daemon is not None else self.daemon_pid()
        os.kill(pid, signal.SIGKILL)
        if self.daemon is not None:
            self.daemon.wait(timeout=10)
            self.daemon = None
        else:
            wait_for(lambda: not pid_alive(pid), 10)

    # -- mino
    def mino(self, *args, input=None, timeout=90, cwd=None, env=None, stdin=None):
        e = dict(self.env)
        if env:
            e.update(env)
        if input is None and stdin is None:
            stdin = subprocess.DEVNULL
        if isinstance(input, str):
            input = input.encode()
        return subprocess.run([MINO] + [str(a) for a in args], input=input, stdin=stdin,
                              capture_output=True, timeout=timeout * SLOW, env=e,
                              cwd=cwd or self.project)

    def mino_popen(self, *args, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("cwd", self.project)
        kw.setdefault("env", self.env)
        return subprocess.Popen([MINO] + [str(a) for a in args], **kw)

    def podman(self, *args, timeout=60):
        return subprocess.run(["podman"] + list(args), env=self.env, capture_output=True,
                              timeout=timeout * SLOW)

    # -- inspection
    def containers(self, running_only=False):
        """mino containers whose project lies inside this test's root:
        list of dicts {name, id, state, labels}."""
        args = ["ps", "--format", "json", "--filter", "label=mino.session"]
        if not running_only:
            args.insert(1, "-a")
        p = self.podman(*args)
        if p.returncode != 0:
            return []
        try:
            items = json.loads(p.stdout or b"[]") or []
        except ValueError:
            return []
        out = []
        for it in items:
            labels = it.get("Labels") or {}
            proj = labels.get("mino.project", "")
            names = it.get("Names") or []
            if proj.startswith(self.root + "/") or proj == self.root or \
                    any(n.startswith("mino-t%s-" % self.token) for n in names):
                out.append({"name": names[0] if names else "", "id": it.get("Id"),
                            "state": it.get("State"), "labels": labels})
        return out

    def container_of(self, session):
        for c in self.containers():
            if c["labels"].get("mino.session") == session or c["name"] == "mino-" + session:
                return c
        return None

    def list_json(self, all_=True):
        args = ["list", "-f", "json"] + (["-a"] if all_ else [])
        p = self.mino(*args)
        assert p.returncode == 0, p.stderr
        data = json.loads(p.stdout)
        if isinstance(data, dict):
            data = data.get("sessions", [])
        return data

    def session(self, name, all_=True):
        for s in self.list_json(all_):
            if s.get("name") == name:
                return s
        return None

    def wait_status(self, name, statuses, timeout=30.0):
        if isinstance(statuses, str):
            statuses = (statuses,)
        last = []
        def ok():
            last[:] = [self.session(name)]
            return last[0] is not None and last[0].get("status") in statuses
        if not wait_for(ok, timeout):
            raise AssertionError("session %s not in %s: %r" % (name, statuses, last[0] if last else None))
        return last[0]

    def audit_lines(self):
        path = os.path.join(self.state, "mino", "audit.log")
        with open(path, "rb") as f:
            return [json.loads(l) for l in f.read().splitlines() if l.strip()]

    def release_rootless_netns(self):
        """Podman leaves the rootless network namespace of this runtime dir
        (and its slirp4netns) behind; unmount it and end that slirp4netns."""
        netns = os.path.join(self.runtime, "netns")
        if not os.path.isdir(netns):
            return
        for f in os.listdir(netns):
            if f.startswith("rootless-netns"):
                try:
                    subprocess.run(["podman", "unshare", "umount", os.path.join(netns, f)],
                                   env=self.env, capture_output=True, timeout=30)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        for pid in pids_with_cmdline(netns + "/rootless-netns"):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as fh:
                    if not fh.read().startswith(b"/usr/bin/slirp4netns\0"):
                        continue
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass

    # -- teardown
    def remove_volumes(self):
        """Cache and home volumes of this test's projects (mino makes a
        per-project XDG cache volume for every session)."""
        p = self.podman("volume", "ls", "--format", "json")
        if p.returncode != 0:
            return
        try:
            vols = json.loads(p.stdout or b"[]") or []
        except ValueError:
            return
        for v in vols:
            labels = v.get("Labels") or {}
            owner = labels.get("mino.cache.project_dir") or labels.get("mino.home.project") or ""
            if owner == self.root or owner.startswith(self.root + "/"):
                self.podman("volume", "rm", "-f", v["Name"], timeout=60)

    def cleanup(self):
        """Stops minod and removes any leftover containers; returns the
        names of the containers that were left over."""
        proc = self.daemon
        try:
            self.stop_daemon()
        except Exception:
            pass
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        left = self.containers()
        for c in left:
            self.podman("rm", "-f", "-t", "0", c["id"], timeout=60)
        self.remove_volumes()
        self.release_rootless_netns()
        if self._log is not None:
            self._log.close()
            self._log = None
        if os.environ.get("MINO_TEST_KEEP"):
            print("kept", self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        return [c["name"] for c in left]


# ---------------------------------------------------------------- misc

def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as dead
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(pred, timeout=10.0, interval=0.1):
    deadline = time.time() + timeout * SLOW
    while True:
        if pred():
            return True
        if time.time() >= deadline:
            return False
        time.sleep(interval)


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def is_one_line_error(stderr):
    """mino's errors are one line that says what was wrong."""
    text = stderr.decode(errors="replace").strip()
    return text != "" and len(text.splitlines()) == 1


def pids_with_cmdline(needle):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if needle.encode() in cmd:
            out.append(int(d))
    return out


# ---- the two exec paths (issue 14): the session's spawner, podman exec ----
EXEC_PATHS = ["spawner", "podman"]


def exec_path_env(path):
    """minod's environment for an exec path; MINO_EXEC_SPAWNER=0 is for tests only."""
    return {"MINO_EXEC_SPAWNER": "0"} if path == "podman" else None


def exec_via(menv, session, command=("true",)):
    """Runs one exec over RPC; returns (its "via", its exit code)."""
    with menv.client() as cl:
        res = cl.call("session/exec", {"session": session, "command": list(command)})
        ex = cl.wait_note("session/exit", lambda m: m["params"].get("exec") == res["exec"],
                          timeout=30 * SLOW)
    return res["via"], ex["params"]["code"]
