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


def analyze_verify(tmp_path, service_text):
    """systemd-analyze verify --user on minod.socket and this minod.service."""
    d = tmp_path / "units"
    d.mkdir(parents=True)
    shutil.copy(os.path.join(SRCDIR, "systemd", "minod.socket"), d)
    with open(d / "minod.service", "w") as f:
        f.write(service_text)
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(rt))
    return subprocess.run(["systemd-analyze", "verify", "--user", str(d / "minod.socket"), str(d / "minod.service")],
                          capture_output=True, env=env, timeout=60)


def test_systemd_analyze_verify(tmp_path):
    # systemd is in debian-packages.txt's [test] group: its absence is a failure
    assert shutil.which("systemd-analyze"), "systemd-analyze not installed"
    with open(os.path.join(SRCDIR, "systemd", "minod.service.in")) as f:
        text = f.read()
    good = text.replace("@bindir@", os.path.dirname(os.path.abspath(MINOD)))
    p = analyze_verify(tmp_path / "good", good)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    # the check can fail: a missing ExecStart binary is an error
    bad = text.replace("@bindir@", "/nonexistent-mino-bindir")
    p = analyze_verify(tmp_path / "bad", bad)
    assert p.returncode != 0 and b"/nonexistent-mino-bindir/minod" in p.stderr, p.stderr
    if BUILDDIR:
        with open(os.path.join(BUILDDIR, "systemd", "minod.service")) as f:
            rendered = f.read()
        exe = unit(os.path.join(BUILDDIR, "systemd", "minod.service"))["Service"]["ExecStart"]
        # the rendered unit points at the install prefix: verify it with this build's minod there
        rendered = rendered.replace(exe, os.path.abspath(MINOD))
        p = analyze_verify(tmp_path / "rendered", rendered)
        assert p.returncode == 0, p.stderr.decode(errors="replace")


PLIST_DTD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plist-1.0.dtd")
CATALOG = """<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <public publicId="-//Apple//DTD PLIST 1.0//EN" uri="file://%s"/>
  <system systemId="http://www.apple.com/DTDs/PropertyList-1.0.dtd" uri="file://%s"/>
</catalog>
""" % (PLIST_DTD, PLIST_DTD)


def xmllint_plist(tmp_path, path):
    """xmllint --valid against the DTD the plist declares, resolved to
    tests/integration/plist-1.0.dtd by a catalog (never the network)."""
    cat = tmp_path / "catalog.xml"
    cat.write_text(CATALOG)
    return subprocess.run(["xmllint", "--noout", "--nonet", "--valid", path], capture_output=True, timeout=60,
                          env=dict(os.environ, XML_CATALOG_FILES=str(cat)))


def test_launchd_plist_schema(tmp_path):
    """plutil -lint is macOS-only: xmllint validates the template (and the
    build's rendered copy) against the property list DTD."""
    assert shutil.which("xmllint"), "xmllint not installed"
    paths = [os.path.join(SRCDIR, "launchd", "dev.mino.minod.plist.in")]
    if BUILDDIR:
        paths.append(os.path.join(BUILDDIR, "launchd", "dev.mino.minod.plist.in"))
    for path in paths:
        p = xmllint_plist(tmp_path, path)
        assert p.returncode == 0 and p.stderr == b"", (path, p.stderr)
    # the check can fail: a dict with a key and no value, and a stray element
    with open(paths[0]) as f:
        text = f.read()
    for broken in (text.replace("<key>RunAtLoad</key>\n\t<false/>", "<key>RunAtLoad</key>"),
                   text.replace("<false/>", "<no/>"),
                   text.replace("</dict>\n</plist>", "</plist>")):
        assert broken != text
        bad = tmp_path / "bad.plist"
        bad.write_text(broken)
        p = xmllint_plist(tmp_path, str(bad))
        assert p.returncode != 0, broken


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
