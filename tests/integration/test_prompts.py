"""The first-run prompts of `mino run` through a real pty (pexpect): the
layer selection, then the network mode, each with where to save it; the
saved files keep their other content, a project file is trusted as
written, a second run does not ask, non-interactive runs never ask, and
^C or end of input at a prompt aborts leaving nothing written."""

import hashlib
import json
import os

import pexpect
import pytest

import minotest
from minotest import IMAGE, MINO, SLOW
from test_layers import make_base, write_layer

TIMEOUT = 60 * SLOW
NETDEV = 'echo "netdev=$(wc -l < /proc/net/dev)"'
# no image, no layers, no network mode: the first run asks for both
BARE_CONFIG = '# mine\n[session]\nshell = "/bin/sh"\n'


@pytest.fixture
def penv(request):
    reason = minotest.podman_reason()
    if reason:
        pytest.skip(reason)
    e = minotest.MinoEnv(request.node.name)
    with open(e.config, "w") as f:
        f.write(BARE_CONFIG)
    e.base = "localhost/mino-test-base-" + e.token
    make_base(e, e.base, e.token)
    e.builtin = os.path.join(e.root, "builtin-layers")
    write_layer(e.builtin, "builtone", "true\n",
                toml='[layer]\nname = "builtone"\ndescription = "a built-in one"\nversion = "1"\n')
    e.user_layers = os.path.join(e.config_home, "mino", "layers")
    write_layer(e.user_layers, "usr1", "echo usr1-was-installed > /usr1-marker\n",
                toml='[layer]\nname = "usr1"\ndescription = "the user\'s own"\nversion = "1"\n')
    e.start_daemon(env={"MINO_BASE_IMAGE": e.base, "MINO_LAYERS_BUILTIN_DIR": e.builtin})
    yield e
    print(e.daemon_log_tail(6000))  # shown when the test failed
    e.cleanup()
    for img in e.podman("images", "--format", "{{.Repository}}").stdout.decode().split():
        if img.startswith("localhost/mino-composed-"):
            out = e.podman("image", "inspect", "--format", '{{index .Labels "mino.base"}}', img).stdout.decode()
            if out.strip() == e.base:
                e.podman("rmi", "-f", img)
    e.podman("rmi", "-f", e.base)


def spawn(env, *args, extra_env=None):
    e = dict(env.env)
    e.update(extra_env or {})
    return pexpect.spawn(MINO, ["run", *args], env=e, cwd=env.project, dimensions=(24, 80),
                         timeout=TIMEOUT)


def finish(child):
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)


def answer_layers(child, layers, where):
    child.expect(r"Layers \(numbers or names, comma-separated\) \[0\]: ")
    child.sendline(layers)
    child.expect(r"Save this choice to \[g\]lobal config")
    child.sendline(where)


def answer_network(child, network, where):
    child.expect(r"Network \[1\]: ")
    child.sendline(network)
    child.expect(r"Save this choice to \[g\]lobal config")
    child.sendline(where)


def read(path):
    with open(path) as f:
        return f.read()


def resolve(env):
    p = env.mino("rpc", "config/resolve", json.dumps({"project": env.project}))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def audit_events(env):
    path = os.path.join(env.state, "mino", "audit.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def assert_runs_without_asking(env, *args):
    """A run at a terminal that prints the probe's output with no question."""
    child = spawn(env, *args, "--", "sh", "-c", NETDEV)
    child.expect(r"netdev=(\d+)")
    before = child.before.decode(errors="replace")
    netdev = int(child.match.group(1))
    assert finish(child) == 0
    assert "Layers (" not in before and "Network [" not in before, before
    return netdev


def test_first_run_lists_layers_saves_globally_and_runs_without_network(penv):
    child = spawn(penv, "--", "sh", "-c", NETDEV)
    child.expect("no image or layers are configured")
    child.expect(r"0\) Base only")
    child.expect(r"1\) builtone +a built-in one \(builtin\)")
    child.expect(r"2\) usr1 +the user's own \(user\)")
    answer_layers(child, "0", "")          # Enter: the global file
    child.expect("no network mode is configured")
    for name in ("bridge", "host", "dev", "registries", "none"):
        child.expect(r"\d\) %s " % name)
    answer_network(child, "5", "g")
    child.expect("saved container.image = base in ")
    child.expect("saved container.network = none in ")
    child.expect(r"netdev=(\d+)")
    assert int(child.match.group(1)) == 3      # only the header lines and lo: no network
    assert finish(child) == 0
    text = read(penv.config)
    assert text.startswith(BARE_CONFIG), text          # kept, byte for byte
    assert 'image = "base"' in text and 'network = "none"' in text, text
    assert "[container]" in text, text
    assert minotest.mode_of(penv.config) == 0o600
    assert not os.path.exists(os.path.join(penv.project, ".mino.toml"))
    r = resolve(penv)
    assert {e["key"]: e["source"] for e in r["entries"]}["container.network"] == "global"
    # the second run asks nothing and keeps the saved mode
    assert assert_runs_without_asking(penv) == 3


def test_project_file_is_written_in_place_and_trusted_as_written(penv):
    local = os.path.join(penv.project, ".mino.toml")
    with open(local, "w") as f:
        f.write("# keep me\n[general]\nverbose = false\n")
    child = spawn(penv, "--", "sh", "-c", NETDEV)
    answer_layers(child, "0", "p")
    answer_network(child, "none", "project")
    child.expect("trusted .*as written")
    child.expect(r"netdev=3")
    assert finish(child) == 0
    text = read(local)
    assert text.startswith("# keep me\n[general]\nverbose = false\n"), text
    assert 'image = "base"' in text and 'network = "none"' in text, text
    assert read(penv.config) == BARE_CONFIG           # the global file untouched
    r = resolve(penv)
    assert r["local"]["trusted"] is True and r["local"]["skipped"] == []
    assert r["local"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    entries = {e["key"]: e for e in r["entries"]}
    assert entries["container.image"]["source"] == "local"
    assert entries["container.network"]["source"] == "local"
    trusted = [e for e in audit_events(penv) if e["event"] == "config.trusted"]
    assert [e["data"]["path"] for e in trusted] == [os.path.realpath(local)], trusted
    assert assert_runs_without_asking(penv) == 3


def test_project_file_with_untrusted_keys_is_not_trusted_by_saving(penv):
    local = os.path.join(penv.project, ".mino.toml")
    with open(local, "w") as f:
        f.write('[container]\nvolumes = ["/etc:/x"]\n')
    child = spawn(penv, "--", "sh", "-c", "test -e /x/passwd || echo NOT-MOUNTED-$((1+1))")
    answer_layers(child, "0", "n")
    answer_network(child, "5", "p")
    child.expect("holds keys you have not trusted; it is not trusted now")
    child.expect(r"Trust this file\? \[y/N\]")    # session/create's own prompt
    child.sendline("n")
    child.expect("NOT-MOUNTED-2")
    assert finish(child) == 0
    assert 'network = "none"' in read(local)
    assert resolve(penv)["local"]["trusted"] is False
    assert not any(e["event"] == "config.trusted" for e in audit_events(penv))


def test_chosen_layer_is_used_for_this_run_and_nothing_saved(penv):
    child = spawn(penv, "--", "cat", "/usr1-marker")
    answer_layers(child, "usr1", "n")
    answer_network(child, "5", "n")
    child.expect("usr1-was-installed")
    assert finish(child) == 0
    assert read(penv.config) == BARE_CONFIG
    assert not os.path.exists(os.path.join(penv.project, ".mino.toml"))
    assert "saved" not in child.before.decode(errors="replace")


def test_bad_answers_are_asked_again(penv):
    child = spawn(penv, "--image", IMAGE, "--", "sh", "-c", NETDEV)
    child.expect(r"Network \[1\]: ")
    child.sendline("9")
    child.expect("`9` is not one of the choices")
    child.expect(r"Network \[1\]: ")
    child.sendline("none")
    child.expect(r"Save this choice")
    child.sendline("x")
    child.expect("`x` is not one of the choices")
    child.sendline("n")
    child.expect("netdev=3")
    assert finish(child) == 0
    assert read(penv.config) == BARE_CONFIG


def test_image_flag_skips_the_layer_prompt_only(penv):
    child = spawn(penv, "--image", IMAGE, "--", "sh", "-c", NETDEV)
    child.expect("no network mode is configured")
    assert "Layers (" not in child.before.decode(errors="replace")
    answer_network(child, "5", "g")
    child.expect("netdev=3")
    assert finish(child) == 0
    text = read(penv.config)
    assert 'network = "none"' in text and "image" not in text, text


def test_non_interactive_runs_never_ask(penv):
    # stdin not a terminal
    p = penv.mino("run", "--image", IMAGE, "--", "true")
    assert p.returncode == 0, p.stderr
    assert b"Network [" not in p.stderr and b"Layers (" not in p.stderr, p.stderr
    # a terminal, but MINO_NO_PROMPT=1
    child = spawn(penv, "--image", IMAGE, "--", "sh", "-c", "echo quiet-$((1+1))",
                  extra_env={"MINO_NO_PROMPT": "1"})
    child.expect("quiet-2")
    assert "Network [" not in child.before.decode(errors="replace")
    assert finish(child) == 0
    # a terminal, detached
    name = penv.name("d")
    child = spawn(penv, "-d", "-n", name, "--image", IMAGE, "--", "sleep", "30")
    child.expect(pexpect.EOF)
    out = child.before.decode(errors="replace")
    child.close()
    assert child.exitstatus == 0, out
    assert name in out and "Network [" not in out, out
    assert penv.mino("stop", "-f", name).returncode == 0
    assert read(penv.config) == BARE_CONFIG
    assert not os.path.exists(os.path.join(penv.project, ".mino.toml"))


@pytest.mark.parametrize("at", ["layers", "where", "network"])
def test_ctrl_c_at_a_prompt_aborts_and_writes_nothing(penv, at):
    child = spawn(penv, "--", "echo", "never")
    if at == "layers":
        child.expect(r"Layers \(numbers")
    elif at == "where":
        child.expect(r"Layers \(numbers")
        child.sendline("0")
        child.expect(r"Save this choice")
    else:
        answer_layers(child, "0", "p")      # answered, not written yet
        child.expect(r"Network \[1\]: ")
    child.sendintr()
    child.expect("interrupted at the prompt; nothing was saved")
    assert finish(child) == 130
    assert read(penv.config) == BARE_CONFIG
    assert not os.path.exists(os.path.join(penv.project, ".mino.toml"))
    assert penv.containers() == []


def test_end_of_input_at_a_prompt_aborts_and_writes_nothing(penv):
    child = spawn(penv, "--", "echo", "never")
    answer_layers(child, "0", "p")
    child.expect(r"Network \[1\]: ")
    child.sendline("5")
    child.expect(r"Save this choice")
    child.sendeof()
    child.expect(r"no answer \(end of input\); nothing was saved")
    assert finish(child) == 1
    assert read(penv.config) == BARE_CONFIG
    assert not os.path.exists(os.path.join(penv.project, ".mino.toml"))
    assert penv.containers() == []


def test_image_layers_lists_each_name_once_with_origin_and_trust(penv):
    proj_layers = os.path.join(penv.project, ".mino", "layers")
    shadow = write_layer(proj_layers, "usr1", "true\n")      # shadows the user's usr1
    write_layer(proj_layers, "broken", "true\n", toml="[layer\n")

    def layers():
        p = penv.mino("rpc", "image/layers", json.dumps({"project": penv.project}))
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    r = layers()
    assert [(l["name"], l["origin"], l["trusted"]) for l in r["layers"]] == [
        ("builtone", "builtin", True), ("usr1", "project", False)], r
    assert len(r["warnings"]) == 1 and "`broken`" in r["warnings"][0], r
    # the same answer a session gets: trusted once the directory is
    p = penv.mino("config", "trust", shadow)
    assert p.returncode == 0, p.stderr
    assert [l["trusted"] for l in layers()["layers"] if l["name"] == "usr1"] == [True]


@pytest.mark.parametrize("why", ["symlink", "group-writable"])
def test_project_file_not_offered_where_it_would_not_be_read(penv, why):
    if why == "symlink":
        target = os.path.join(penv.root, "elsewhere.toml")
        with open(target, "w") as f:
            f.write("# not the project's\n")
        os.symlink(target, os.path.join(penv.project, ".mino.toml"))
    else:
        os.chmod(penv.project, 0o775)
    child = spawn(penv, "--image", IMAGE, "--", "sh", "-c", NETDEV)
    child.expect(r"Network \[1\]: ")
    child.sendline("5")
    child.expect(r"Save this choice to \[g\]lobal config \([^)]*\) or \[n\]ot at all\? \[g\] ")
    child.sendline("p")
    child.expect("`p` is not one of the choices")
    child.sendline("n")
    child.expect("netdev=3")
    assert finish(child) == 0
    if why == "symlink":
        assert read(target) == "# not the project's\n"
    else:
        assert not os.path.exists(os.path.join(penv.project, ".mino.toml"))
