"""The systemd user units and the launchd plist template."""

import os
import plistlib
import shutil
import subprocess

import pytest

from minotest import MINOD, SRCDIR

BUILDDIR = os.environ.get("MINO_BUILDDIR", "")
FORBIDDEN = ("NoNewPrivileges", "PrivateUsers", "ProtectSystem", "RestrictNamespaces",
             "SystemCallFilter", "MemoryDenyWriteExecute", "ProtectHome", "PrivateTmp")


def unit(path):
    out = {}
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            k, _, v = line.partition("=")
            out.setdefault(section, {})[k] = v
    return out


def test_socket_unit():
    u = unit(os.path.join(SRCDIR, "systemd", "minod.socket"))
    assert u["Socket"]["ListenStream"] == "%t/mino.sock"
    assert u["Socket"]["SocketMode"] == "0600"
    assert u["Socket"].get("Accept", "no") == "no"
    assert u["Install"]["WantedBy"] == "sockets.target"


def test_service_unit():
    u = unit(os.path.join(SRCDIR, "systemd", "minod.service.in"))
    s = u["Service"]
    assert s["Type"] == "notify"
    assert s["ExecStart"] == "@bindir@/minod"
    assert u["Unit"]["Requires"] == "minod.socket"
    for k in FORBIDDEN:
        assert k not in s, "%s breaks rootless podman" % k
    assert u["Install"]["Also"] == "minod.socket"


def test_rendered_service():
    if not BUILDDIR:
        pytest.skip("MINO_BUILDDIR not set")
    u = unit(os.path.join(BUILDDIR, "systemd", "minod.service"))
    exe = u["Service"]["ExecStart"]
    assert exe.startswith("/") and exe.endswith("/bin/minod"), exe


def test_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    shutil.copy(os.path.join(SRCDIR, "systemd", "minod.socket"), tmp_path)
    with open(os.path.join(SRCDIR, "systemd", "minod.service.in")) as f:
        text = f.read().replace("@bindir@", os.path.dirname(os.path.abspath(MINOD)))
    with open(tmp_path / "minod.service", "w") as f:
        f.write(text)
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(rt))
    p = subprocess.run(["systemd-analyze", "verify", "--user",
                        str(tmp_path / "minod.socket"), str(tmp_path / "minod.service")],
                       capture_output=True, env=env, timeout=60)
    err = p.stderr.decode(errors="replace")
    if "Failed to initialize manager" in err:
        pytest.skip("systemd-analyze cannot run here: " + err.strip()[:200])
    assert p.returncode == 0, err


def test_launchd_plist():
    path = os.path.join(SRCDIR, "launchd", "dev.mino.minod.plist.in")
    with open(path, "rb") as f:
        text = f.read().replace(b"@bindir@", b"/usr/local/bin")
    pl = plistlib.loads(text)
    assert pl["Label"] == "dev.mino.minod"
    assert pl["ProgramArguments"] == ["/usr/local/bin/minod"]
    lst = pl["Sockets"]["Listeners"]
    assert lst["SockPathMode"] == 0o600 and lst["SockType"] == "stream"
    assert lst["SockPathName"] == "@SOCKET_PATH@"
    assert pl["RunAtLoad"] is False and "KeepAlive" not in pl
    assert "/opt/homebrew/bin" in pl["EnvironmentVariables"]["PATH"]
