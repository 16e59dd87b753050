"""The client's configuration commands: mino config show|path|init|set|trust,
mino init and mino completions."""

import os
import re
import shutil
import subprocess

import pytest

from minotest import SRCDIR, is_one_line_error


def doc_keys():
    """Every key of docs/CONFIG.md's key table, in order."""
    keys = []
    with open(os.path.join(SRCDIR, "docs", "CONFIG.md")) as f:
        for line in f:
            m = re.match(r"\|\s*`([a-z0-9_.]+)`\s*\|", line)
            if m:
                keys.append(m.group(1))
    assert keys, "no key table in docs/CONFIG.md"
    return keys


SHOW_LINE = re.compile(r"^([a-z0-9_]+) = (.*)  # (default|global|local|env|flag)(?: \((.*?)\))?"
                       r"(?:; no effect here: .*)?$")
SECTION_LINE = re.compile(r"^\[([a-z0-9_.]+)\]$")


def show(env, *args, cwd=None, extra_env=None):
    """`mino [args] config show`: {key: (value, source, origin)} and the raw result.
    Keys are full names: the [section] the leaf is under, then the leaf."""
    p = env.mino(*args, "config", "show", cwd=cwd, env=extra_env)
    assert p.returncode == 0, p.stderr
    out = {}
    order = []
    section = None
    for line in p.stdout.decode().splitlines():
        if line.startswith("#") or line == "":
            continue
        m = SECTION_LINE.match(line)
        if m:
            section = m.group(1)
            continue
        m = SHOW_LINE.match(line)
        assert m and section, "unexpected config show line %r" % line
        key = section + "." + m.group(1)
        out[key] = (m.group(2), m.group(3), m.group(4))
        order.append(key)
    return out, order, p


# ---------------------------------------------------------------- show

def test_show_fresh_lists_every_key_with_default(menv):
    os.unlink(menv.config)  # a fresh machine: no config file at all
    got, order, _ = show(menv)
    keys = doc_keys()
    assert order == keys
    for k in keys:
        assert got[k][1] == "default", (k, got[k])
        assert got[k][2] is None


def test_show_global_value_has_file_and_line(menv):
    with open(menv.config, "w") as f:
        f.write("# mine\n[container]\n\nnetwork = \"none\"\n")
    got, _, _ = show(menv)
    assert got["container.network"] == ('"none"', "global", "%s:4" % menv.config)
    assert got["container.image"][1] == "default"


def test_show_honours_c_and_mino_config(menv):
    other = os.path.join(menv.root, "other.toml")
    with open(other, "w") as f:
        f.write("[session]\nshell = \"/bin/zsh\"\n")
    got, _, _ = show(menv, "-c", other)
    assert got["session.shell"] == ('"/bin/zsh"', "global", "%s:2" % other)
    got, _, _ = show(menv, extra_env={"MINO_CONFIG": other})
    assert got["session.shell"][1:] == ("global", "%s:2" % other)


def test_show_env_layer(menv):
    got, _, _ = show(menv, extra_env={"MINO_LAYERS": "rust,node"})
    assert got["container.layers"][0] == '["rust", "node"]'
    assert got["container.layers"][1] == "env"


# ---------------------------------------------------------------- path

def test_path_default_c_and_env(bare_env):
    e = bare_env
    p = e.mino("config", "path")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().strip() == os.path.join(e.config_home, "mino", "config.toml")
    p = e.mino("-c", "/tmp/x/y.toml", "config", "path")
    assert p.stdout.decode().strip() == "/tmp/x/y.toml"
    p = e.mino("config", "path", env={"MINO_CONFIG": "rel/c.toml"})
    assert p.stdout.decode().strip() == os.path.join(e.project, "rel/c.toml")
    p = e.mino("-c", "/tmp/x/z.toml", "config", "path", env={"MINO_CONFIG": "/tmp/x/y.toml"})
    assert p.stdout.decode().strip() == "/tmp/x/z.toml"


def test_path_local_walks_up(bare_env):
    e = bare_env
    sub = os.path.join(e.project, "a", "b")
    os.makedirs(sub)
    p = e.mino("config", "path", "--local", cwd=sub)
    assert p.returncode == 1 and b"no .mino.toml" in p.stderr
    with open(os.path.join(e.project, ".mino.toml"), "w") as f:
        f.write("[general]\nverbose = true\n")
    p = e.mino("config", "path", "--local", cwd=sub)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().strip() == os.path.realpath(os.path.join(e.project, ".mino.toml"))


# ---------------------------------------------------------------- set

def test_set_round_trip_keeps_comments_and_order(bare_env):
    e = bare_env
    text = ("# my mino settings\n"
            "[general]\n"
            "verbose = false  # keep quiet\n"
            "\n"
            "# the container\n"
            "[container]\n"
            "image = \"localhost/x:1\"  # pinned\n"
            "volumes = [\n"
            "  \"/a:/a\",   # first\n"
            "  \"/b:/b\",\n"
            "]\n"
            "\n"
            "[session]\n"
            "shell = \"/bin/sh\"\n")
    with open(e.config, "w") as f:
        f.write(text)
    p = e.mino("config", "set", "general.verbose", "true")
    assert p.returncode == 0, p.stderr
    with open(e.config) as f:
        after = f.read()
    assert after == text.replace("verbose = false  # keep quiet", "verbose = true  # keep quiet")
    first = after
    p = e.mino("config", "set", "container.volumes", "/c:/c,/d:/d")
    assert p.returncode == 0, p.stderr
    with open(e.config) as f:
        after = f.read()
    lines = after.splitlines()
    assert lines[:7] == first.splitlines()[:7]
    assert 'volumes = ["/c:/c", "/d:/d"]' in after
    assert lines[-3:] == ["", "[session]", 'shell = "/bin/sh"']
    # a new key goes into its section; nothing else moves
    p = e.mino("config", "set", "session.auto_cleanup_hours", "24")
    assert p.returncode == 0, p.stderr
    with open(e.config) as f:
        final = f.read()
    assert final.startswith(after.rstrip("\n"))
    assert final.endswith('shell = "/bin/sh"\nauto_cleanup_hours = 24\n')


def test_set_honours_c(bare_env):
    e = bare_env
    other = os.path.join(e.root, "sub", "other.toml")
    p = e.mino("-c", other, "config", "set", "container.network", "none")
    assert p.returncode == 0, p.stderr
    with open(other) as f:
        assert 'network = "none"' in f.read()
    p = e.mino("config", "set", "container.network", "host", env={"MINO_CONFIG": other})
    assert p.returncode == 0, p.stderr
    with open(other) as f:
        assert 'network = "host"' in f.read()


def test_set_unknown_key_exit_2_lists_keys(bare_env):
    e = bare_env
    with open(e.config) as f:
        before = f.read()
    p = e.mino("config", "set", "container.imag", "x")
    assert p.returncode == 2
    err = p.stderr.decode()
    assert len(err.strip().splitlines()) == 1
    assert "container.imag" in err and "did you mean `container.image`" in err
    for k in doc_keys():
        assert k in err
    p = e.mino("config", "set", "nothing.like.it", "x")
    assert p.returncode == 2 and b"valid keys" in p.stderr
    with open(e.config) as f:
        assert f.read() == before


def test_set_bad_value_exit_2_names_type(bare_env):
    e = bare_env
    p = e.mino("config", "set", "session.auto_cleanup_hours", "soon")
    assert p.returncode == 2
    assert b"integer" in p.stderr
    p = e.mino("config", "set", "container.network", "slirp4netns")
    assert p.returncode == 2
    assert b"bridge" in p.stderr and b"none" in p.stderr
    p = e.mino("config", "set", "general.verbose", "maybe")
    assert p.returncode == 2 and b"bool" in p.stderr


def test_set_local_creates_in_cwd(bare_env):
    e = bare_env
    p = e.mino("config", "set", "general.verbose", "true", "--local")
    assert p.returncode == 0, p.stderr
    with open(os.path.join(e.project, ".mino.toml")) as f:
        assert "verbose = true" in f.read()
    sub = os.path.join(e.project, "deep")
    os.mkdir(sub)
    p = e.mino("config", "set", "--local", "container.network", "none", cwd=sub)
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(os.path.join(sub, ".mino.toml"))
    with open(os.path.join(e.project, ".mino.toml")) as f:
        assert 'network = "none"' in f.read()


# ---------------------------------------------------------------- init

def test_config_init_template_parses_and_refuses_overwrite(menv):
    os.unlink(menv.config)
    p = menv.mino("config", "init")
    assert p.returncode == 0, p.stderr
    assert os.path.exists(menv.config)
    got, order, _ = show(menv)
    assert order == doc_keys()
    p = menv.mino("config", "init")
    assert p.returncode == 1
    assert len(p.stderr.decode().strip().splitlines()) == 1
    assert b"--force" in p.stderr
    with open(menv.config, "a") as f:
        f.write("# mine\n")
    p = menv.mino("config", "init", "--force")
    assert p.returncode == 0, p.stderr
    with open(menv.config) as f:
        assert "# mine" not in f.read()


def test_config_init_honours_c(bare_env):
    other = os.path.join(bare_env.root, "c", "init.toml")
    p = bare_env.mino("-c", other, "config", "init")
    assert p.returncode == 0, p.stderr
    assert os.path.exists(other)


def test_init_local_template_parses_and_refuses_overwrite(menv):
    p = menv.mino("init")
    assert p.returncode == 0, p.stderr
    local = os.path.join(menv.project, ".mino.toml")
    with open(local) as f:
        text = f.read()
    assert "needs trust" in text
    # everything is commented out: the file parses and changes nothing
    got, order, _ = show(menv)
    assert order == doc_keys()
    assert all(v[1] != "local" for v in got.values())
    p = menv.mino("init")
    assert p.returncode == 1 and b"already exists" in p.stderr
    other = os.path.join(menv.root, "other-proj")
    os.mkdir(other)
    p = menv.mino("init", "-p", other)
    assert p.returncode == 0, p.stderr
    assert os.path.exists(os.path.join(other, ".mino.toml"))
    p = menv.mino("init", "-f")
    assert p.returncode == 0, p.stderr


# ---------------------------------------------------------------- trust

def test_trust_then_trusted(menv):
    local = os.path.join(menv.project, ".mino.toml")
    with open(local, "w") as f:
        f.write('[general]\nverbose = true\n\n[container]\nvolumes = ["/etc:/x"]\n')
    got, _, p = show(menv)
    assert got["general.verbose"][1] == "local"
    assert got["container.volumes"] == ("[]", "default", None)
    assert b"container.volumes" in p.stderr  # the skipped-keys warning
    p = menv.mino("config", "trust")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert 'container.volumes = ["/etc:/x"]' in out
    assert out.index("container.volumes") < out.index("trusted ")
    real = os.path.realpath(local)
    m = re.search(r"^trusted %s \(sha256 ([0-9a-f]{64})\)$" % re.escape(real), out, re.M)
    assert m, out
    # recorded by minod, which audits the decision
    assert {"event": "config.trusted", "path": real, "sha256": m.group(1)} in \
        [{"event": l.get("event"), **(l.get("data") or {})} for l in menv.audit_lines()]
    got, _, p = show(menv)
    assert got["container.volumes"] == ('["/etc:/x"]', "local", "%s:5" % real)
    assert re.search(r"^# local %s: trusted" % re.escape(real), p.stdout.decode(), re.M)
    # any byte change asks again
    with open(local, "a") as f:
        f.write("\n")
    got, _, _ = show(menv)
    assert got["container.volumes"][1] == "default"


def test_trust_without_file_fails(menv):
    p = menv.mino("config", "trust")
    assert p.returncode == 1
    assert len(p.stderr.decode().strip().splitlines()) == 1
    assert b".mino.toml" in p.stderr


# ---------------------------------------------------------------- completions

def bash_complete(script, words, path=None):
    """COMPREPLY of _mino for `words` (the last one is being completed)."""
    prog = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); '
            'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _mino; printf "%s\\n" "${COMPREPLY[@]}"')
    env = dict(os.environ)
    if path:
        env["PATH"] = path + ":" + env.get("PATH", "")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog, "bash", script] + words,
                       capture_output=True, env=env, timeout=30)
    assert p.returncode == 0, p.stderr
    return [w for w in p.stdout.decode().splitlines() if w]


@pytest.fixture
def bash_script(bare_env):
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    p = bare_env.mino("completions", "bash")
    assert p.returncode == 0, p.stderr
    path = os.path.join(bare_env.root, "mino.bash")
    with open(path, "wb") as f:
        f.write(p.stdout)
    return path


def test_completions_bash_loads(bash_script):
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", 'source "$1" && complete -p mino',
                        "bash", bash_script], capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().strip() == "complete -F _mino mino"


def test_completions_bash_commands_and_options(bash_script):
    assert "run" in bash_complete(bash_script, ["mino", "r"])
    assert bash_complete(bash_script, ["mino", "ru"]) == ["run"]
    assert bash_complete(bash_script, ["mino", "-c", "/x.toml", "ru"]) == ["run"]
    assert "ls" in bash_complete(bash_script, ["mino", "l"])
    assert "--no-local" in bash_complete(bash_script, ["mino", "--no"])
    assert "--network" in bash_complete(bash_script, ["mino", "run", "--net"])
    assert bash_complete(bash_script, ["mino", "run", "--network", ""]) == ["bridge", "host", "none"]
    assert bash_complete(bash_script, ["mino", "completions", ""]) == ["bash", "zsh", "fish"]
    assert bash_complete(bash_script, ["mino", "config", ""]) == \
        ["show", "path", "init", "set", "trust"]
    keys = bash_complete(bash_script, ["mino", "config", "set", ""])
    assert keys == doc_keys()
    assert bash_complete(bash_script, ["mino", "config", "set", "container.ima"]) == \
        ["container.image"]


def test_completions_bash_sessions_from_mino_list(bash_script, bare_env):
    # the session names come from `mino list -f plain` at completion time
    stub = os.path.join(bare_env.root, "stub")
    os.mkdir(stub)
    with open(os.path.join(stub, "mino"), "w") as f:
        f.write('#!/bin/sh\n[ "$*" = "list -f plain" ] && printf "alpha\\nbeta\\n"\n')
    os.chmod(os.path.join(stub, "mino"), 0o755)
    assert bash_complete(bash_script, ["mino", "attach", ""], path=stub) == ["alpha", "beta"]
    assert bash_complete(bash_script, ["mino", "stop", "-f", "b"], path=stub) == ["beta"]
    assert bash_complete(bash_script, ["mino", "logs", "-l", "5", "al"], path=stub) == ["alpha"]
    assert bash_complete(bash_script, ["mino", "attach", "alpha", ""], path=stub) == []


def test_completions_other_shells(bare_env):
    for shell, marker in (("zsh", "#compdef mino"), ("fish", "complete -c mino")):
        p = bare_env.mino("completions", shell)
        assert p.returncode == 0, p.stderr
        out = p.stdout.decode()
        assert marker in out
        assert "container.network" in out and "list -f plain" in out
    for shell in ("elvish", "powershell"):
        p = bare_env.mino("completions", shell)
        assert p.returncode == 2 and b"not generated; use bash, zsh or fish" in p.stderr
        assert is_one_line_error(p.stderr), p.stderr
    p = bare_env.mino("completions", "tcsh")
    assert p.returncode == 2
