"""What the documentation must say about the red-team findings that are
limits rather than bugs (issue 13 items 2, 3 and 10): the README's "what
mino does not protect against" names host.containers.internal in bridge
mode, the README recommends -e NAME and --env-file for secrets, and
`mino run --help` says what --unsafe-project-dir exposes."""

import os
import re
import subprocess

from minotest import MINO, SRCDIR, base_env


def readme_section(title):
    with open(os.path.join(SRCDIR, "README.md")) as f:
        text = f.read()
    m = re.search(r"^## %s\n(.*?)(?=^## |\Z)" % re.escape(title), text, re.S | re.M)
    assert m, "README has no section %r" % title
    return " ".join(m.group(1).split())


def test_bridge_reaches_host_services_documented():
    s = readme_section("What mino does not protect against")
    assert "host.containers.internal" in s
    assert "0.0.0.0" in s and "`bridge`" in s
    assert "allowlist" in s


def test_secrets_recommendation_documented():
    s = readme_section("Usage")
    assert "`-e KEY`" in s and "`--env-file FILE`" in s
    assert "/proc/PID/cmdline" in s


def test_unsafe_project_dir_help():
    p = subprocess.run([MINO, "run", "--help"], env=base_env(), capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    help_text = " ".join(p.stdout.decode().split())
    assert "--unsafe-project-dir" in help_text
    for word in ("$HOME", "~/.config/containers", "read and write all of your other files",
                 "read-only"):
        assert word in help_text, (word, help_text)
    assert "--env-file FILE" in help_text
