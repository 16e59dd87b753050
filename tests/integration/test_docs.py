"""Issue 12 items 4, 6, 7 and 8: manual pages, generated help, the version,
`mino config show` as TOML and JSON, and keys that do what their help says.

The lists of commands, options and keys that the pages must show are read
from the C sources here with regular expressions, independently of the
generator, so a page that drops one fails."""

import glob
import json
import os
import re
import subprocess
import tomllib

import pytest

import minotest
from minotest import SRCDIR, is_one_line_error

BUILDDIR = os.environ.get("MINO_BUILDDIR", "")
PAGES = {"mino.1": "man1", "minod.8": "man8", "mino.toml.5": "man5"}


# ---------------------------------------------------------------- the tables, from source

def source_commands():
    """{command: [long options]} from client/cmd*.c: each cmd_entry's .name
    and the "long" column of the cmd_opt rows in the same file."""
    out = {}
    for path in sorted(glob.glob(os.path.join(SRCDIR, "client", "cmd*.c"))):
        text = open(path).read()
        rows = re.findall(r"^\t\{ (?:'.'|0), \"([a-z][a-z-]*)\", (?:\"[^\"]*\"|NULL|[A-Z_]+), ",
                          text, re.M)
        for m in re.finditer(r"const struct cmd_entry cmd_\w+_entry = \{\n\t\.name = \"([a-z]+)\"",
                             text):
            out[m.group(1)] = rows if os.path.basename(path) != "cmd.c" else []
    assert {"run", "exec", "config", "help", "version"} <= set(out), out
    return out


def source_global_options():
    text = open(os.path.join(SRCDIR, "client", "cmd.c")).read()
    block = text[text.index("cmd_global_opts[] = {"):]
    block = block[:block.index("\n};")]
    return re.findall(r"\{ (?:'.'|0), \"([a-z-]+)\"", block)


def source_minod_options():
    text = open(os.path.join(SRCDIR, "daemon", "core", "main.c")).read()
    block = text[text.index("static const struct option opts[] = {"):]
    block = block[:block.index("};")]
    return [o for o in re.findall(r"\{ \"([a-z-]+)\"", block) if o != "help"]


def source_keys():
    text = open(os.path.join(SRCDIR, "common", "cfgkeys.c")).read()
    keys = re.findall(r"\{ \.name = \"([a-z0-9_.]+)\"", text)
    assert len(keys) > 30, keys
    return keys


def protocol_version():
    text = open(os.path.join(SRCDIR, "proto", "mino-protocol.h")).read()
    return int(re.search(r"#define MINO_PROTOCOL_VERSION (\d+)", text).group(1))


# ---------------------------------------------------------------- man pages

def page(name):
    path = os.path.join(BUILDDIR, "client", name)
    assert os.path.isfile(path), "%s was not generated at build time" % path
    return path


def rendered(name):
    """The page as text, without hyphenation (the pages say .nh), wide enough
    that no option or key is split."""
    p = subprocess.run(["groff", "-ww", "-mandoc", "-Tutf8", "-P-cbou", "-rLL=300n", page(name)],
                       capture_output=True, timeout=60)
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    return p.stdout.decode().replace("\u2212", "-").replace("\u2010", "-")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_renders_without_warnings(name):
    p = subprocess.run(["groff", "-ww", "-z", "-mandoc", "-Tutf8", page(name)],
                       capture_output=True, timeout=60)
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0", LC_ALL="C.UTF-8")
    p = subprocess.run(["man", "--warnings", "-l", page(name)], capture_output=True, env=env,
                       timeout=60)
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    assert len(p.stdout) > 1000


def test_mino_page_has_every_command_and_option():
    text = rendered("mino.1")
    sections = re.split(r"\n   (?=[a-z]+\n)", text)
    by_cmd = {s.split("\n", 1)[0]: s for s in sections[1:]}
    for cmd, opts in source_commands().items():
        assert cmd in by_cmd, "mino(1) has no section for `%s`" % cmd
        for o in opts:
            assert re.search(r"--%s\b" % re.escape(o), by_cmd[cmd]), \
                "mino(1): `%s` lacks --%s" % (cmd, o)
    for o in source_global_options():
        assert "--" + o in text, o
    assert "ENVIRONMENT" in text and "NO_COLOR" in text and "EXIT STATUS" in text


def test_minod_page_has_every_option():
    text = rendered("minod.8")
    opts = source_minod_options()
    assert "ready-fd" in opts and "allow-root" in opts, opts
    for o in opts:
        assert "--" + o in text, o
    assert "SIGHUP" in text and "log_format" in text


def test_config_page_has_every_key_under_its_table():
    text = rendered("mino.toml.5")
    for key in source_keys():
        section, leaf = key.rsplit(".", 1)
        at = text.find("[%s]" % section)
        assert at >= 0, "mino.toml(5) has no [%s]" % section
        assert "Full name %s." % key in text[at:], key
        assert re.search(r"^\s+%s \(" % re.escape(leaf), text[at:], re.M), key
    # a key without effect here says so and why
    assert re.search(r"Full name vm\.name\..*No effect on this platform: podman runs natively",
                     text, re.S)


def test_pages_are_installed():
    if not BUILDDIR:
        pytest.fail("MINO_BUILDDIR is not set (meson test sets it)")
    p = subprocess.run(["meson", "introspect", "--installed", BUILDDIR], capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    installed = json.loads(p.stdout).values()
    for name, sub in PAGES.items():
        assert any(dst.endswith("/%s/%s" % (sub, name)) for dst in installed), (name, installed)


# ---------------------------------------------------------------- help, version, errors

def test_every_command_help_is_the_generated_help(bare_env):
    for cmd, opts in source_commands().items():
        p = bare_env.mino(cmd, "--help")
        assert p.returncode == 0, (cmd, p.stderr)
        h = bare_env.mino("help", cmd)
        assert h.returncode == 0 and h.stdout == p.stdout, cmd
        text = p.stdout.decode()
        assert text.startswith("usage: mino %s" % cmd), text
        for o in opts:
            assert "--" + o in text, (cmd, o)
        assert "-h, --help" in text, cmd
    # nothing was started to answer --help
    assert not os.path.exists(bare_env.sock)


def test_version_shows_the_protocol(bare_env):
    want = "(protocol %d)" % protocol_version()
    for args in (["--version"], ["version"]):
        p = bare_env.mino(*args)
        assert p.returncode == 0, p.stderr
        assert re.fullmatch(r"mino \S+ %s\n" % re.escape(want), p.stdout.decode()), p.stdout


def test_usage_errors_are_one_line_naming_the_fix(bare_env):
    for args, needle in ((["run", "--nosuch"], "unknown option `--nosuch` for `run` (see mino help run)"),
                         (["logs", "--lines"], "needs a value"),
                         (["config", "show", "-f", "yaml"], "unknown format `yaml` (toml or json)"),
                         (["nosuch"], "unknown command `nosuch`")):
        p = bare_env.mino(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert is_one_line_error(p.stderr), p.stderr
        assert needle in p.stderr.decode(), (args, p.stderr)


# ---------------------------------------------------------------- config show

def show_json(env, *args):
    p = env.mino(*args, "config", "show", "-f", "json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def flatten(tables, prefix=""):
    out = {}
    for k, v in tables.items():
        if isinstance(v, dict) and not (prefix + k) in ("container.env",):
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def test_show_is_toml_that_parses_back_to_the_json_values(menv):
    with open(menv.config, "a") as f:
        f.write('\n[credentials.aws]\nprofile = "dev # not a comment"\n\n'
                '[cache]\ngc_days = 7\n')
    local = os.path.join(menv.project, ".mino.toml")
    with open(local, "w") as f:
        f.write('[general]\nverbose = true\n')
    p = menv.mino("config", "show")
    assert p.returncode == 0, p.stderr
    text = p.stdout.decode()
    parsed = tomllib.loads(text)
    for section in ("general", "vm", "container", "session", "cache"):
        assert re.search(r"^\[%s\]$" % section, text, re.M), section
    assert "[credentials.aws]" in text and "[credentials.github]" in text
    data = show_json(menv)
    want = {e["key"]: e["value"] for e in data["entries"]}
    assert flatten(parsed) == want
    assert want["credentials.aws.profile"] == "dev # not a comment"
    assert want["cache.gc_days"] == 7 and want["general.verbose"] is True
    # each value's origin as a trailing comment
    assert re.search(r'^gc_days = 7  # global \(%s:\d+\)$' % re.escape(menv.config), text, re.M), text
    assert re.search(r"^verbose = true  # local \(%s:2\)$" % re.escape(os.path.realpath(local)),
                     text, re.M), text
    assert re.search(r'^workdir = "/workspace"  # default$', text, re.M), text
    # and the same in JSON
    by_key = {e["key"]: e for e in data["entries"]}
    assert by_key["cache.gc_days"]["source"] == "global"
    assert by_key["general.verbose"]["source"] == "local"


def test_show_pasted_into_config_toml_is_accepted(menv):
    """The output of show, as config.toml, gives the same configuration."""
    before = show_json(menv)
    p = menv.mino("config", "show")
    assert p.returncode == 0, p.stderr
    pasted = os.path.join(menv.root, "pasted.toml")
    with open(pasted, "wb") as f:
        f.write(p.stdout)
    os.chmod(pasted, 0o600)
    after = show_json(menv, "-c", pasted)
    assert [(e["key"], e["value"]) for e in after["entries"]] == \
        [(e["key"], e["value"]) for e in before["entries"]]
    assert {e["source"] for e in after["entries"]} == {"global"}


def test_show_marks_keys_without_effect(menv):
    p = menv.mino("config", "show")
    assert p.returncode == 0, p.stderr
    text = p.stdout.decode()
    for leaf in ("name", "distro", "update_check"):
        line = [l for l in text.splitlines() if l.startswith(leaf + " = ")]
        assert len(line) == 1 and "; no effect here: " in line[0], line
    assert "no effect" not in [l for l in text.splitlines() if l.startswith("image = ")][0]
    by_key = {e["key"]: e for e in show_json(menv)["entries"]}
    assert by_key["vm.name"]["no_effect"].startswith("podman runs natively on Linux")
    assert by_key["general.update_check"]["no_effect"]
    assert by_key["container.image"]["no_effect"] is None


# ---------------------------------------------------------------- keys that now do something

def test_log_format_json_makes_minod_log_json_lines(menv):
    menv.stop_daemon()
    with open(menv.config, "a") as f:
        f.write('\n[general]\nlog_format = "json"\n')
    size = os.path.getsize(menv.daemon_log)
    menv.start_daemon()
    menv.stop_daemon()
    with open(menv.daemon_log, "rb") as f:
        f.seek(size)
        lines = [l for l in f.read().decode().splitlines() if l]
    assert len(lines) >= 2, lines
    objs = [json.loads(l) for l in lines]   # every line is one JSON object
    for o in objs:
        assert set(o) == {"time", "level", "prog", "msg"}, o
        assert o["prog"] == "minod" and o["level"] in ("debug", "info", "warn", "error"), o
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]), o
    msgs = [o["msg"] for o in objs]
    assert any(re.fullmatch(r"minod \S+ ready \(pid \d+\)", m) for m in msgs), msgs
    assert msgs[-1] == "stopped", msgs


def test_log_format_text_is_the_default(menv):
    menv.stop_daemon()
    with open(menv.daemon_log, "rb") as f:
        lines = [l for l in f.read().decode().splitlines() if l]
    assert lines and all(re.match(r"<[3-7]>", l) for l in lines), lines


def test_default_project_dir_is_the_project_without_p(menv):
    other = os.path.join(menv.root, "proj", "default-one")
    os.makedirs(other)
    p = menv.mino("config", "set", "session.default_project_dir", other)
    assert p.returncode == 0, p.stderr
    name = menv.name("dpd")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    assert menv.session(name)["project_dir"] == os.path.realpath(other)
    # -p still wins
    name2 = menv.name("dpd")
    p = menv.mino("run", "-d", "-n", name2, "-p", menv.project, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    assert menv.session(name2)["project_dir"] == os.path.realpath(menv.project)
    for n in (name, name2):
        assert menv.mino("stop", "-f", n).returncode == 0


def test_default_project_dir_missing_is_one_line(menv):
    gone = os.path.join(menv.root, "no-such-dir")
    p = menv.mino("config", "set", "session.default_project_dir", gone)
    assert p.returncode == 0, p.stderr
    p = menv.mino("run", "-d", "--", "true")
    assert p.returncode == 1
    assert is_one_line_error(p.stderr), p.stderr
    assert gone in p.stderr.decode() and "does not exist" in p.stderr.decode()
    assert menv.containers() == []


# ---------------------------------------------------------------- colours

def error_at_terminal(env, extra):
    import pexpect
    e = dict(env.env, TERM="xterm")
    e.pop("NO_COLOR", None)
    e.update(extra)
    c = pexpect.spawn(minotest.MINO, ["nosuch"], env=e, cwd=env.project, timeout=30)
    c.expect(pexpect.EOF)
    c.close()
    return c.exitstatus, c.before


def test_errors_are_coloured_only_at_a_terminal_without_no_color(bare_env):
    status, out = error_at_terminal(bare_env, {})
    assert status == 2
    assert out.startswith(b"\x1b[1;31mmino:\x1b[0m unknown command `nosuch`"), out
    status, out = error_at_terminal(bare_env, {"NO_COLOR": "1"})
    assert status == 2 and b"\x1b" not in out and out.startswith(b"mino: unknown command"), out
    status, out = error_at_terminal(bare_env, {"TERM": "dumb"})
    assert status == 2 and b"\x1b" not in out, out
    p = bare_env.mino("nosuch", env={"TERM": "xterm"})   # not a terminal
    assert p.returncode == 2 and b"\x1b" not in p.stderr, p.stderr


# ---------------------------------------------------------------- -q

def test_quiet_drops_progress_but_not_the_error(menv):
    """A pull that fails (nothing listens on 127.0.0.1:1) prints podman's
    progress, then one error line; with -q only the error line is left."""
    image = "127.0.0.1:1/mino-nothing:latest"
    p = menv.mino("run", "--image", image, "--", "true")
    assert p.returncode == 1
    lines = p.stderr.decode().splitlines()
    assert "mino: image: pulling %s" % image in lines, lines
    q = menv.mino("-q", "run", "--image", image, "--", "true")
    assert q.returncode == 1
    assert is_one_line_error(q.stderr), q.stderr
    assert q.stderr.decode().splitlines() == lines[-1:], (q.stderr, lines)
    assert q.stderr.decode().startswith("mino: image `%s` is not local" % image), q.stderr
