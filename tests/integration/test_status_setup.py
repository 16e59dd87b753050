"""`mino status` (one screen, -f json, never starts minod, unknown without
it, credential sources but never a secret, the SSH agent) and `mino setup`
(--check changes nothing; the user's steps: base image, user units with
socket activation; answers; refusals).  Issue 12 items 1 and 2."""

import json
import os
import re
import shutil
import subprocess
import time

import pytest

from minotest import IMAGE, MINOD, is_one_line_error

STATUSES = {"ok", "warn", "fail", "unknown"}
# what only minod knows
MINOD_ONLY = ("sessions", "base image", "composed images", "caches")
HOST = ("podman", "rootless", "OCI runtime", "init binary", "newuidmap", "newgidmap", "subuids", "subgids",
        "rootless network", "/dev/net/tun", "cgroups", "network backend", "storage driver")
USER = ("aws credentials", "gcp credentials", "azure credentials", "github credentials", "cached tokens",
        "SSH agent", "audit log")
LINE = re.compile(r"^(OK  |WARN|FAIL|----)  (.{18})  (.*)$")


def status_json(env, extra=None):
    p = env.mino("status", "-f", "json", env=extra)
    doc = json.loads(p.stdout)
    return p, doc, {c["name"]: c for c in doc["checks"]}


def tree(*roots):
    """{path: (mode, size, mtime_ns)} of everything under roots, links not followed."""
    out = {}
    for root in roots:
        for d, dirs, files in os.walk(root):
            for n in dirs + files:
                p = os.path.join(d, n)
                st = os.lstat(p)
                out[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def test_status_without_minod(podman_env):
    p = podman_env.mino("status")
    text = p.stdout.decode()
    assert p.returncode == 0, text + p.stderr.decode()
    lines = text.splitlines()
    assert len(lines) <= 30, "more than one screen: %d lines" % len(lines)
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed) if not m]
    names = [m.group(2).strip() for m in parsed]
    assert names == list(HOST) + ["minod"] + list(MINOD_ONLY) + list(USER), names
    for m in parsed:
        if m.group(1).strip() in ("WARN", "FAIL"):
            assert "; fix: " in m.group(3), m.group(0)
    time.sleep(0.3)
    assert podman_env.daemon_pid() is None
    assert not os.path.exists(podman_env.sock)

    p, doc, checks = status_json(podman_env)
    assert p.returncode == 0 and doc["ok"] is True and doc["minod_running"] is False, doc
    assert [c["name"] for c in doc["checks"]] == names
    assert all(c["status"] in STATUSES for c in doc["checks"]), doc
    for n in MINOD_ONLY:
        assert checks[n]["status"] == "unknown" and checks[n]["needed"] is False, checks[n]
    assert checks["minod"]["status"] == "ok" and checks["minod"]["detail"] == \
        "not running (socket %s)" % podman_env.sock, checks["minod"]
    for n in HOST:
        assert checks[n]["needed"] is True, checks[n]
    assert podman_env.daemon_pid() is None


def test_status_with_minod(menv):
    p, doc, checks = status_json(menv)
    assert p.returncode == 0 and doc["minod_running"] is True, doc
    d = checks["minod"]["detail"]
    assert checks["minod"]["status"] == "ok", checks["minod"]
    assert re.match(r"pid %d, version \S+ \(protocol \d+\), up \d+ s, started by hand, socket %s$"
                    % (menv.daemon.pid, re.escape(menv.sock)), d), d
    assert all(checks[n]["status"] != "unknown" for n in MINOD_ONLY), doc
    assert checks["composed images"]["status"] == "ok"
    audit = os.path.join(menv.state, "mino", "audit.log")
    assert checks["audit log"]["detail"].startswith(audit), checks["audit log"]
    with menv.client() as c:
        st = c.call("daemon/status")
    assert st["started_by"] == "manual" and st["audit_log"] == audit, st


def test_status_says_minod_was_auto_started(podman_env):
    p = podman_env.mino("list")          # may start minod: auto-start
    assert p.returncode == 0, p.stderr
    p, doc, checks = status_json(podman_env)
    assert ", auto-started by mino, " in checks["minod"]["detail"], checks["minod"]
    with podman_env.client() as c:
        assert c.call("daemon/status")["started_by"] == "mino"


def test_status_credential_sources_never_secrets(podman_env):
    secret_key, gh, token = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETKEY", "ghp_s3cr3tT0kenValue", "CACHED-TOKEN-SECRET"
    adc = os.path.join(podman_env.root, "adc.json")
    cache = os.path.join(podman_env.state, "mino", "credentials")
    os.makedirs(cache, 0o700)
    with open(os.path.join(cache, "aws-%s.json" % ("ab" * 32)), "w") as f:
        json.dump({"expiry": int(time.time()) + 3600 + 30, "value": token}, f)
    with open(os.path.join(cache, "github-%s.json" % ("cd" * 32)), "w") as f:
        json.dump({"expiry": int(time.time()) - 10, "value": token}, f)
    extra = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID0001", "AWS_SECRET_ACCESS_KEY": secret_key,
             "GH_TOKEN": gh, "GOOGLE_APPLICATION_CREDENTIALS": adc,
             "AZURE_CLIENT_ID": "11111111-2222-3333-4444-555555555555"}
    p = podman_env.mino("status", env=extra)
    out = p.stdout + p.stderr
    for s in (secret_key, gh, token):
        assert s.encode() not in out, s
    p, doc, checks = status_json(podman_env, extra)
    assert checks["aws credentials"]["detail"] == "environment (AWS_ACCESS_KEY_ID)"
    assert checks["github credentials"]["detail"] == "environment (GH_TOKEN)"
    assert checks["gcp credentials"]["detail"] == "GOOGLE_APPLICATION_CREDENTIALS (%s)" % adc
    # half of a service principal: said, with what to do; not needed by `mino run`
    az = checks["azure credentials"]
    assert az["status"] == "warn" and "AZURE_TENANT_ID" in az["detail"] and az["needed"] is False, az
    assert p.returncode == 0
    tok = checks["cached tokens"]["detail"]
    assert re.match(r"2: (aws in 60 min \(\S+Z\); github expired \(\S+Z\)|"
                    r"github expired \(\S+Z\); aws in 60 min \(\S+Z\))$", tok), tok


def test_status_ssh_agent(podman_env):
    if shutil.which("ssh-agent") is None:
        pytest.fail("ssh-agent is not installed (openssh-client is in debian-packages.txt)")
    sock = os.path.join(podman_env.root, "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        env = {"SSH_AUTH_SOCK": sock}
        _, _, checks = status_json(podman_env, env)
        assert checks["SSH agent"]["status"] == "warn" and checks["SSH agent"]["detail"] == \
            "%s holds no keys" % sock, checks["SSH agent"]
        key = os.path.join(podman_env.root, "id")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        subprocess.run(["ssh-add", "-q", key], env=dict(os.environ, SSH_AUTH_SOCK=sock), check=True,
                       capture_output=True)
        p, _, checks = status_json(podman_env, env)
        assert checks["SSH agent"] == {"name": "SSH agent", "status": "ok", "detail": "%s, 1 key" % sock,
                                       "needed": False}, checks["SSH agent"]
        assert p.returncode == 0
    finally:
        agent.kill()
        agent.wait()
    _, _, checks = status_json(podman_env, {"SSH_AUTH_SOCK": os.path.join(podman_env.root, "gone.sock")})
    assert checks["SSH agent"]["status"] == "warn" and "does not answer" in checks["SSH agent"]["detail"]
    assert "ssh-agent" in checks["SSH agent"]["fix"]


def test_setup_check_changes_nothing(podman_env):
    # mino's and the user's configuration and state (podman's own storage
    # locks and runtime files change with every podman command: not ours)
    home = podman_env.env["HOME"]
    roots = [podman_env.config_home, podman_env.state, os.path.join(home, ".config"),
             os.path.join(home, ".local", "state")]
    roots = [r for r in roots if os.path.isdir(r)]

    def snapshot():
        with open("/etc/subuid") as u, open("/etc/subgid") as g:
            return tree(*roots), u.read(), g.read()
    before = snapshot()
    p = podman_env.mino("setup", "--check")
    s = podman_env.mino("status")
    assert p.returncode == s.returncode == 0, p.stdout + p.stderr
    names = [LINE.match(line).group(2).strip() for line in p.stdout.decode().splitlines() if LINE.match(line)]
    assert names == [LINE.match(line).group(2).strip() for line in s.stdout.decode().splitlines()]
    assert snapshot() == before
    assert podman_env.daemon_pid() is None
    # a FAIL makes it fail, as status does
    bindir = os.path.dirname(os.path.abspath(podman_env.env["MINO_MINOD"]))
    p = podman_env.mino("setup", "--check", env={"PATH": bindir})
    assert p.returncode == 1 and b"mino setup fixes what it can" in p.stdout, p.stdout


def test_setup_user_steps(podman_env):
    """As the user, on a machine that has the packages: the base image is
    there (MINO_BASE_IMAGE), the user units are written with this build's
    minod and the socket enabled for the next login (no user manager here);
    a second run finds it all done."""
    units = os.path.join(podman_env.config_home, "systemd", "user")
    env = {"MINO_BASE_IMAGE": IMAGE}
    p = podman_env.mino("setup", "-y", env=env, timeout=300)
    out = p.stdout.decode()
    assert p.returncode == 0, out + p.stderr.decode()
    m = re.search(r"^==> Packages: all (\d+) that mino needs are installed \(apt\)$", out, re.M)
    assert m and int(m.group(1)) >= 9, out
    assert "==> Base image: %s is built" % IMAGE in out, out
    assert "Install and enable them? [Y/n] y (-y)" in out, out
    with open(os.path.join(units, "minod.service")) as f:
        svc = f.read()
    assert re.search(r"^ExecStart=%s$" % re.escape(os.path.abspath(MINOD)), svc, re.M), svc
    with open(os.path.join(units, "minod.socket")) as f:
        assert "ListenStream=%t/mino.sock" in f.read()
    link = os.path.join(units, "sockets.target.wants", "minod.socket")
    assert os.readlink(link) == os.path.join(units, "minod.socket")
    assert out.rstrip().endswith("mino setup: ready; try `mino run`"), out
    if shutil.which("systemd-analyze"):
        rt = os.path.join(podman_env.root, "rt")
        os.mkdir(rt, 0o700)
        v = subprocess.run(["systemd-analyze", "verify", "--user", os.path.join(units, "minod.socket"),
                            os.path.join(units, "minod.service")], capture_output=True,
                           env=dict(os.environ, XDG_RUNTIME_DIR=rt), timeout=60)
        assert v.returncode == 0, v.stderr
    p = podman_env.mino("setup", "-y", env=env, timeout=300)
    assert p.returncode == 0 and "==> Service units: minod.socket is enabled" in p.stdout.decode(), p.stdout
    assert podman_env.daemon_pid() is None


def test_setup_asks_and_skips(podman_env):
    units = os.path.join(podman_env.config_home, "systemd")
    nobase = "localhost/mino-test-nobase-" + podman_env.token
    p = podman_env.mino("setup", input="n\nno\n", env={"MINO_BASE_IMAGE": nobase})
    out = p.stdout.decode()
    assert "==> Build the base image %s" % nobase in out, out
    assert "Build it? [Y/n] n\n    skipped" in out, out
    assert "Install and enable them? [Y/n] no\n    skipped" in out, out
    assert not os.path.exists(units)
    assert podman_env.podman("image", "exists", nobase).returncode == 1
    # stdin closed: no answer is no
    p = podman_env.mino("setup", env={"MINO_BASE_IMAGE": nobase})
    assert p.stdout.decode().count("(no answer: stdin is closed; skipped, -y answers yes)") == 2, p.stdout
    assert not os.path.exists(units)


def test_setup_refusals(bare_env):
    p = bare_env.mino("setup", "--user", "root")
    assert p.returncode == 2 and is_one_line_error(p.stderr), p.stderr
    assert b"only root prepares another user" in p.stderr
    p = bare_env.mino("setup", "--check", "-y")
    assert p.returncode == 2 and is_one_line_error(p.stderr), p.stderr
    p = bare_env.mino("setup", "--user", "no-such-user-mino")
    assert p.returncode == 2 and p.stderr == b"mino: --user no-such-user-mino: no such user\n", p.stderr
    p = bare_env.mino("status", "-f", "yaml")
    assert p.returncode == 2 and is_one_line_error(p.stderr), p.stderr


def test_status_says_minod_came_from_socket_activation(bare_env):
    assert shutil.which("systemd-socket-activate"), "systemd-socket-activate not installed (systemd is in [test])"
    args = ["systemd-socket-activate", "-l", bare_env.sock]
    for k in ("PATH", "HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "LANG",
              "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in bare_env.env:
            args += ["-E", "%s=%s" % (k, bare_env.env[k])]
    log = open(bare_env.daemon_log, "ab")
    proc = subprocess.Popen(args + [MINOD], env=bare_env.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            start_new_session=True)
    try:
        for _ in range(200):
            if os.path.exists(bare_env.sock):
                break
            time.sleep(0.05)
        p, doc, checks = status_json(bare_env)
        assert doc["minod_running"] is True, (doc, bare_env.daemon_log_tail())
        assert re.match(r"pid %d, .*, by systemd \(socket activation\), socket %s$"
                        % (proc.pid, re.escape(bare_env.sock)), checks["minod"]["detail"]), checks["minod"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
