"""Images and layers (issue 11) against real rootless podman: layers made
by the test with local content only (no network inside any build),
composed on a base made from the busybox test image."""

import json
import os
import re
import subprocess
import time

import pexpect
import pytest

import minotest
from minotest import IMAGE, SLOW, is_one_line_error, wait_for

E_REQUEST_CANCELLED = -32800


def write_layer(root, name, install, toml=None):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "layer.toml"), "w") as f:
        f.write(toml if toml is not None else '[layer]\nname = "%s"\ndescription = "test"\nversion = "1"\n' % name)
    p = os.path.join(d, "install.sh")
    with open(p, "w") as f:
        f.write("#!/bin/sh\nset -e\n" + install)
    os.chmod(p, 0o755)
    return d


def podman_out(env, *args):
    p = env.podman(*args)
    assert p.returncode == 0, p.stderr
    return p.stdout.decode().strip()


def make_base(env, tag, label):
    """A base image of our own: the busybox test image plus a label that
    makes its id ours (a new label, a new id)."""
    ctx = os.path.join(env.root, "basectx-" + label)
    os.makedirs(ctx, exist_ok=True)
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write("FROM %s\nLABEL mino.test.base=\"%s\"\n" % (IMAGE, label))
    p = env.podman("build", "--pull=never", "-t", tag, ctx, timeout=120)
    assert p.returncode == 0, p.stderr
    return podman_out(env, "image", "inspect", "--format", "{{.Id}}", tag)


@pytest.fixture
def lenv(request):
    reason = minotest.podman_reason()
    if reason:
        pytest.skip(reason)
    e = minotest.MinoEnv(request.node.name)
    e.base = "localhost/mino-test-base-" + e.token
    e.base_id = make_base(e, e.base, e.token)
    e.user_layers = os.path.join(e.config_home, "mino", "layers")
    os.makedirs(e.user_layers)
    e.start_daemon(env={"MINO_BASE_IMAGE": e.base})
    yield e
    print(e.daemon_log_tail(6000))  # shown when the test failed
    e.cleanup()
    for img in e.podman("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.decode().split():
        if img.startswith("localhost/mino-composed-"):
            out = e.podman("image", "inspect", "--format", '{{index .Labels "mino.base"}}', img).stdout.decode()
            if out.strip() == e.base:
                e.podman("rmi", "-f", img)
    e.podman("rmi", "-f", e.base)


def send_request(c, method, params):
    """A request whose reply the test waits for later (c.wait_reply)."""
    rid = c.next_id
    c.next_id += 1
    c.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
    return rid


def progress_lines(c):
    """The image part's session/progress lines collected so far (all
    progress notes are taken out of c.notes; other parts, such as the
    default-on GitHub credentials, report progress of their own)."""
    lines = [m["params"]["line"] for m in c.notes
             if m.get("method") == "session/progress" and m["params"]["part"] == "image"]
    c.notes[:] = [m for m in c.notes if m.get("method") != "session/progress"]
    return lines


def create_params(env, layers, command, extra=None):
    params = {"project": env.project, "command": command, "attach": True,
              "flags": {"container.layers": layers}}
    params.update(extra or {})
    return params


def create(c, env, layers, command, extra=None, timeout=120):
    """session/create with layers; returns (reply, progress lines)."""
    rid = send_request(c, "session/create", create_params(env, layers, command, extra))
    reply = c.wait_reply(rid, timeout=timeout)
    return reply, progress_lines(c)


def output_until_exit(c, timeout=60):
    out = b""
    while True:
        if c.notes:
            m = c.notes.pop(0)
        else:
            m = c.read_message(timeout=timeout * SLOW)
        assert m is not None
        if m.get("method") == "session/output":
            out += minotest.unb64(m["params"]["data"])
        elif m.get("method") == "session/exit":
            return out, m["params"]["code"]


def composed_tags(env):
    tags = []
    for img in env.podman("images", "--format", "{{.Repository}}").stdout.decode().split():
        if img.startswith("localhost/mino-composed-"):
            lbl = env.podman("image", "inspect", "--format", '{{index .Labels "mino.base"}}', img)
            if lbl.stdout.decode().strip() == env.base:
                tags.append(img)
    return sorted(set(tags))


def test_two_layers_compose_in_order_with_env_and_path(lenv):
    write_layer(lenv.user_layers, "first", "echo first >> /opt/order\n",
                '[layer]\nname = "first"\n\n[env]\nFIRST_VAR = "a b$c ${HOME} \\\\x \\"q\\""\n'
                '\n[cache]\npaths = ["/cache/first"]\n')
    write_layer(lenv.user_layers, "second",
                "echo second >> /opt/order\nmkdir -p /opt/second/bin\n"
                "printf '#!/bin/sh\\necho hello-from-second\\n' > /opt/second/bin/hello2\n"
                "chmod 755 /opt/second/bin/hello2\n",
                '[layer]\nname = "second"\n\n[env.path_prepend]\ndirs = ["/opt/second/bin"]\n')
    with lenv.client() as c:
        reply, lines = create(c, lenv, ["first", "second"],
                              ["sh", "-c", 'cat /opt/order; printf "%s\\n" "$FIRST_VAR"; hello2; echo "$PATH"'])
        assert "result" in reply, reply
        assert any(line.startswith("STEP 1/") for line in lines), lines
        out, code = output_until_exit(c)
    assert code == 0, out
    text = out.decode().splitlines()
    assert text[0:2] == ["first", "second"], text
    assert text[2] == 'a b$c ${HOME} \\x "q"', text
    assert text[3] == "hello-from-second"
    assert text[4].startswith("/opt/second/bin:"), text
    tags = composed_tags(lenv)
    assert len(tags) == 1, tags
    labels = json.loads(podman_out(lenv, "image", "inspect", "--format", "{{json .Labels}}", tags[0]))
    assert labels["mino.layers"] == "first,second"
    assert labels["mino.base.id"] == lenv.base_id
    assert labels["mino.composed"] == "1"
    rec = lenv.session(reply["result"]["name"])
    assert rec["layers"] == ["first", "second"]
    assert rec["composed_image"] == tags[0]
    assert rec["cache_paths"] == ["/cache/first"]


def test_rebuild_only_when_a_byte_or_the_base_changes(lenv):
    write_layer(lenv.user_layers, "one", "echo built-one\n")
    with lenv.client() as c:
        reply, lines = create(c, lenv, ["one"], ["true"])
        assert "result" in reply, reply
        output_until_exit(c)
        assert any("built-one" in line for line in lines), lines
        first = composed_tags(lenv)
        assert len(first) == 1

        reply, lines = create(c, lenv, ["one"], ["true"])
        assert "result" in reply, reply
        output_until_exit(c)
        assert not any(line.startswith("STEP") for line in lines), lines
        assert composed_tags(lenv) == first

        with open(os.path.join(lenv.user_layers, "one", "install.sh"), "a") as f:
            f.write("#\n")
        reply, lines = create(c, lenv, ["one"], ["true"])
        assert "result" in reply, reply
        output_until_exit(c)
        assert any("built-one" in line for line in lines), lines
        second = composed_tags(lenv)
        assert len(second) == 2, second

        new_id = make_base(lenv, lenv.base, lenv.token + "-v2")
        assert new_id != lenv.base_id
        reply, lines = create(c, lenv, ["one"], ["true"])
        assert "result" in reply, reply
        output_until_exit(c)
        assert any("built-one" in line for line in lines), lines
        tags = composed_tags(lenv)
        assert len(tags) == 3, tags
        newest = [t for t in tags if t not in second]
        label = podman_out(lenv, "image", "inspect", "--format", '{{index .Labels "mino.base.id"}}', newest[0])
        assert label == new_id


def test_untrusted_project_layer_never_runs(lenv):
    write_layer(lenv.user_layers, "tool", "echo user-layer-install\n")
    proj_layers = os.path.join(lenv.project, ".mino", "layers")
    evil = write_layer(proj_layers, "tool", "echo EVIL-PROJECT-INSTALL\n")
    with lenv.client() as c:
        reply, lines = create(c, lenv, ["tool"], ["true"])
        assert "result" in reply, reply
        output_until_exit(c)
    assert any("user-layer-install" in line for line in lines), lines
    assert not any("EVIL-PROJECT-INSTALL" in line for line in lines), lines
    warnings = reply["result"]["warnings"]
    assert any("project layer `tool`" in w and "not trusted" in w and os.path.realpath(evil) in w
               for w in warnings), warnings
    # Trusted (the same store, keyed on the tree's hash): it is used.
    p = lenv.mino("config", "trust", evil)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().startswith("trusted layer %s (sha256 " % os.path.realpath(evil)), p.stdout
    with lenv.client() as c:
        reply, lines = create(c, lenv, ["tool"], ["true"])
        assert "result" in reply, reply
        output_until_exit(c)
    assert any("EVIL-PROJECT-INSTALL" in line for line in lines), lines
    # One byte later it is untrusted again.
    with open(os.path.join(evil, "install.sh"), "a") as f:
        f.write("echo CHANGED-AFTER-TRUST\n")
    with lenv.client() as c:
        reply, lines = create(c, lenv, ["tool"], ["true"])
        assert "result" in reply, reply
        output_until_exit(c)
    assert not any("CHANGED-AFTER-TRUST" in line for line in lines), lines
    assert any("not trusted" in w for w in reply["result"]["warnings"])


def test_symlink_in_project_layer_is_refused(lenv):
    write_layer(lenv.user_layers, "tool", "echo user-layer-install\n")
    evil = write_layer(os.path.join(lenv.project, ".mino", "layers"), "tool", "echo EVIL\n")
    os.symlink("/etc/passwd", os.path.join(evil, "passwd"))
    with lenv.client() as c:
        reply, lines = create(c, lenv, ["tool"], ["true"], extra={"trust_local": True})
        assert "result" in reply, reply
        output_until_exit(c)
    assert not any("EVIL" in line for line in lines), lines
    assert any("symlink" in w and "tool" in w for w in reply["result"]["warnings"])


def test_bad_layer_toml_names_file_and_line(lenv):
    write_layer(lenv.user_layers, "bad", "true\n", '[layer]\nname = "bad"\n\n[env]\nPATH = "/x"\n')
    p = lenv.mino("run", "--layers", "bad", "--", "true")
    assert p.returncode != 0
    err = p.stderr.decode()
    assert is_one_line_error(p.stderr), err
    assert "bad/layer.toml:5:" in err and "path_prepend" in err, err
    write_layer(lenv.user_layers, "bad2", "true\n", '[layer]\nname = "bad2"\nflavour = "x"\n')
    p = lenv.mino("run", "--layers", "bad2", "--", "true")
    assert "bad2/layer.toml:3: unknown key `layer.flavour`" in p.stderr.decode(), p.stderr
    p = lenv.mino("run", "--layers", "Nope", "--", "true")
    assert p.returncode != 0 and "layer" in p.stderr.decode(), p.stderr
    p = lenv.mino("run", "--layers", "missing", "--", "true")
    assert p.returncode != 0
    assert "layer `missing` not found" in p.stderr.decode(), p.stderr


def test_cancel_leaves_no_image_and_shared_build_survives_one_cancel(lenv):
    write_layer(lenv.user_layers, "slow", "echo slow-start\nsleep 8\necho slow-done\n")
    # Alone: cancelled, nothing tagged.
    with lenv.client() as c:
        rid = send_request(c, "session/create", create_params(lenv, ["slow"], ["true"]))
        c.wait_note("session/progress", lambda m: "slow-start" in m["params"]["line"], timeout=120)
        c.notify("$/cancelRequest", {"id": rid})
        m = c.wait_reply(rid)
        assert m["error"]["code"] == E_REQUEST_CANCELLED, m
    wait_for(lambda: lenv.podman("ps", "-a", "--external", "-q").stdout.strip() == b"", timeout=30)
    assert composed_tags(lenv) == []
    assert [s for s in lenv.list_json() if s["status"] == "running"] == []
    # Two at once: one build (the same run id in both), one cancel does
    # not stop the other's.
    write_layer(lenv.user_layers, "slow", "echo run-id $$-$(date +%s%N)\nsleep 4\n")
    with lenv.client() as a, lenv.client() as b:
        ra = send_request(a, "session/create", create_params(lenv, ["slow"], ["true"]))
        rb = send_request(b, "session/create", create_params(lenv, ["slow"], ["true"]))
        na = a.wait_note("session/progress", lambda m: "run-id" in m["params"]["line"], timeout=120)
        nb = b.wait_note("session/progress", lambda m: "run-id" in m["params"]["line"], timeout=120)
        assert na["params"]["line"] == nb["params"]["line"]
        a.notify("$/cancelRequest", {"id": ra})
        assert a.wait_reply(ra)["error"]["code"] == E_REQUEST_CANCELLED
        mb = b.wait_reply(rb, timeout=120)
        assert "result" in mb, mb
        output_until_exit(b)
    assert len(composed_tags(lenv)) == 1


def test_pull_error_is_one_line(lenv):
    p = lenv.mino("run", "--image", "127.0.0.1:1/mino-nothing:latest", "--", "true")
    assert p.returncode != 0
    lines = p.stderr.decode().splitlines()
    # The pull's own output as progress lines, then one error line.
    assert all(l.startswith("mino: image: ") for l in lines[:-1]), lines
    assert "mino: image: pulling 127.0.0.1:1/mino-nothing:latest" in lines, lines
    assert lines[-1].startswith("mino: image `127.0.0.1:1/mino-nothing:latest` is not local and could not "
                                "be pulled: "), lines


def test_layers_with_image_is_usage_error(lenv):
    write_layer(lenv.user_layers, "one", "true\n")
    p = lenv.mino("run", "--layers", "one", "--image", IMAGE, "--", "true")
    assert p.returncode == 2, p.stderr
    assert "--layers" in p.stderr.decode() and "--image" in p.stderr.decode()


def test_mino_image_keeps_project_owned_by_its_user(lenv):
    # A mino image (label mino.home): its user, uid 1000, owns the project.
    ctx = os.path.join(lenv.root, "minoimg")
    os.makedirs(ctx)
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write('FROM %s\nLABEL mino.home="/home/developer"\nUSER 1000\n' % IMAGE)
    tag = "localhost/mino-test-own-" + lenv.token
    assert lenv.podman("build", "--pull=never", "-t", tag, ctx).returncode == 0
    try:
        p = lenv.mino("run", "--image", tag, "--", "sh", "-c", "id -u; echo hi > owned.txt && echo wrote")
        assert p.returncode == 0, p.stderr
        assert p.stdout.decode().split() == ["1000", "wrote"], p.stdout
        st = os.stat(os.path.join(lenv.project, "owned.txt"))
        assert st.st_uid == os.getuid()
    finally:
        wait_for(lambda: lenv.podman("ps", "-a", "-q", "--filter", "ancestor=" + tag).stdout.strip() == b"",
                 timeout=30)
        lenv.podman("rmi", "-f", tag)


def test_client_prints_progress_lines_and_ctrl_c_cancels(lenv):
    write_layer(lenv.user_layers, "quick", "echo quick-install-line\n")
    p = lenv.mino("run", "--layers", "quick", "--", "true")
    assert p.returncode == 0, p.stderr
    err = p.stderr.decode().splitlines()
    steps = [l for l in err if l.startswith("mino: image: STEP ")]
    assert steps and steps[0].startswith("mino: image: STEP 1/"), err
    assert "mino: image: quick-install-line" in err, err
    # ^C during the build: exit 130, nothing tagged, nothing running.
    write_layer(lenv.user_layers, "slow", "echo slow-start\nsleep 30\n")
    proc = lenv.mino_popen("run", "--layers", "slow", "--", "true")
    buf = b""
    deadline = time.time() + 120 * SLOW
    while b"slow-start" not in buf and time.time() < deadline:
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
    assert b"slow-start" in buf, buf
    proc.send_signal(2)
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, (proc.returncode, buf + rest)
    wait_for(lambda: lenv.podman("ps", "-a", "--external", "-q").stdout.strip() == b"", timeout=30)
    assert len(composed_tags(lenv)) == 1  # only "quick"'s


def test_progress_at_a_terminal_shows_step_n_of_m(lenv):
    write_layer(lenv.user_layers, "tty1", "echo tty-install\n")
    child = pexpect.spawn(minotest.MINO, ["run", "--layers", "tty1", "--", "true"], env=lenv.env,
                          cwd=lenv.project, timeout=120 * SLOW)
    child.expect(r"\[step 1 of \d+\] STEP 1/")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before


def test_image_commands_build_list_rm(lenv):
    write_layer(lenv.user_layers, "cmdl", "echo cmd-layer-install\n")
    p = lenv.mino("image", "build", "cmdl")
    assert p.returncode == 0, p.stderr
    tag = p.stdout.decode().strip()
    assert tag.startswith("localhost/mino-composed-"), p.stdout
    assert "mino: image: cmd-layer-install" in p.stderr.decode().splitlines(), p.stderr
    assert composed_tags(lenv) == [tag]
    p = lenv.mino("image", "list")
    assert p.returncode == 0, p.stderr
    rows = [l.split() for l in p.stdout.decode().splitlines()[1:]]
    mine = [r for r in rows if r[0] == tag + ":latest"]
    assert mine and mine[0][1] == "cmdl" and lenv.base_id.startswith(mine[0][2]), p.stdout
    # Built already: a second build does not run install.sh again.
    p = lenv.mino("image", "build", "cmdl")
    assert p.returncode == 0 and "cmd-layer-install" not in p.stderr.decode(), p.stderr
    p = lenv.mino("image", "rm", IMAGE.split(":")[0].replace("mino-busybox", "not-mino"))
    assert p.returncode != 0 and "not one of mino's images" in p.stderr.decode(), p.stderr
    p = lenv.mino("image", "rm", tag)
    assert p.returncode == 0, p.stderr
    assert composed_tags(lenv) == []
    p = lenv.mino("image", "rm", tag)
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr


def test_status_says_whether_the_base_image_exists(lenv):
    p = lenv.mino("status")
    assert p.returncode == 0, p.stderr
    assert re.search(r"^OK +base image +%s \(built\)$" % re.escape(lenv.base), p.stdout.decode(), re.M), p.stdout
    lenv.stop_daemon()
    lenv.start_daemon(env={"MINO_BASE_IMAGE": "localhost/mino-test-nobase-" + lenv.token})
    p = lenv.mino("status")
    assert re.search(r"^WARN +base image +localhost/mino-test-nobase-%s is not built; fix: mino image build base$"
                     % lenv.token, p.stdout.decode(), re.M), p.stdout
    write_layer(lenv.user_layers, "one", "true\n")
    p = lenv.mino("run", "--layers", "one", "--", "true")
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr
    assert "mino image build base" in p.stderr.decode(), p.stderr


BUILTIN = os.path.join(minotest.SRCDIR, "images", "layers")


def test_builtin_layers_and_base_recipe_are_shellcheck_clean():
    scripts = [os.path.join(BUILTIN, n, "install.sh") for n in ("typescript", "rust", "python")]
    scripts.append(os.path.join(minotest.SRCDIR, "images", "base", "build.sh"))
    p = subprocess.run(["shellcheck"] + scripts, capture_output=True)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def test_builtin_layers_resolve_and_parse(lenv):
    lenv.stop_daemon()
    lenv.start_daemon(env={"MINO_BASE_IMAGE": "localhost/mino-test-nobase-" + lenv.token,
                           "MINO_LAYERS_BUILTIN_DIR": BUILTIN})
    # Resolution and layer.toml pass; the build stops at the missing base.
    for alias in ("typescript", "ts", "node", "rust", "cargo", "python", "py"):
        p = lenv.mino("run", "--image", alias, "--", "true")
        assert p.returncode != 0
        assert "mino image build base" in p.stderr.decode(), (alias, p.stderr)
    p = lenv.mino("image", "build", "typescript,rust,python")
    assert "base image `localhost/mino-test-nobase-%s` not found" % lenv.token in p.stderr.decode(), p.stderr


@pytest.mark.skipif(os.environ.get("MINO_TEST_NETWORK") != "1",
                    reason="building the built-in layers needs the network inside the build: "
                           "set MINO_TEST_NETWORK=1")
def test_builtin_layers_build_on_the_base(podman_env):
    p = podman_env.podman("image", "exists", "localhost/mino-base")
    assert p.returncode == 0, "MINO_TEST_NETWORK=1 needs localhost/mino-base (mino image build base)"
    podman_env.start_daemon(env={"MINO_LAYERS_BUILTIN_DIR": BUILTIN})
    p = podman_env.mino("run", "--layers", "typescript,python", "--",
                        "sh", "-c", "node --version && tsc --version && uv --version && ruff --version",
                        timeout=1800)
    assert p.returncode == 0, p.stderr


def base_image_reason():
    """None when localhost/mino-base is there to test (MINO_TEST_BASE_IMAGE=1
    builds it first: about 8 minutes here), else why the test is skipped."""
    if minotest.podman_reason():
        return minotest.podman_reason()
    have = subprocess.run(["podman", "image", "exists", "localhost/mino-base"]).returncode == 0
    if have:
        return None
    if os.environ.get("MINO_TEST_BASE_IMAGE") != "1":
        return ("localhost/mino-base is not built: `mino image build base` (or MINO_TEST_BASE_IMAGE=1 "
                "to build it here; it needs the Debian archive and the npm registry)")
    p = subprocess.run(["bash", os.path.join(minotest.SRCDIR, "images", "base", "build.sh")])
    assert p.returncode == 0, "images/base/build.sh failed"
    return None


def test_base_image_runs_as_developer_with_its_tools(podman_env):
    reason = base_image_reason()
    if reason:
        pytest.skip(reason)
    podman_env.start_daemon()
    script = ("id -un; echo x > mine.txt && echo wrote; git --version; rg --version | head -1; "
              "fd --version; zsh --version; node --version; claude --version")
    p = podman_env.mino("run", "--image", "base", "--", "sh", "-c", script, timeout=300)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode().splitlines()
    assert out[0] == "developer" and out[1] == "wrote", out
    assert out[2].startswith("git version") and out[3].startswith("ripgrep"), out
    assert out[4].startswith("fd") and out[5].startswith("zsh") and out[6].startswith("v18."), out
    assert out[7].endswith("(Claude Code)") and out[7][0].isdigit(), out
    assert os.stat(os.path.join(podman_env.project, "mine.txt")).st_uid == os.getuid()


def test_project_layer_cache_path_is_a_volume_that_persists(lenv):
    """A (trusted) project layer's `[cache] paths` entry: a volume of its
    own mounted at that path, the same one in the next session."""
    import hashlib
    path = "/var/cache/tool-" + lenv.token
    layer = write_layer(os.path.join(lenv.project, ".mino", "layers"), "cached", "true\n",
                        '[layer]\nname = "cached"\n\n[cache]\npaths = ["%s"]\n' % path)
    p = lenv.mino("config", "trust", layer)
    assert p.returncode == 0, p.stderr
    canon = os.path.realpath(lenv.project)
    vol = "mino-cache-layer-%s-%s" % (hashlib.sha256(path.encode()).hexdigest()[:12],
                                      hashlib.sha256(canon.encode()).hexdigest()[:8])
    try:
        p = lenv.mino("run", "--layers", "cached", "--", "sh", "-c",
                      "echo first-run > %s/f; grep ' %s ' /proc/self/mountinfo | wc -l" % (path, path), timeout=300)
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert p.stdout.decode().split()[-1] == "1", p.stdout   # one mount at that path
        labels = json.loads(podman_out(lenv, "volume", "inspect", "--format", "{{json .Labels}}", vol))
        assert labels["mino.cache.ecosystem"] == "layer", labels
        assert labels["mino.cache.project_dir"] == canon, labels
        p = lenv.mino("run", "--layers", "cached", "--", "cat", path + "/f", timeout=300)
        assert p.returncode == 0, p.stderr
        assert p.stdout.decode().strip() == "first-run"
        rec = [s for s in lenv.list_json() if s.get("layers") == ["cached"]][-1]
        assert [c["volume"] for c in rec["caches"] if c["path"] == path] == [vol], rec["caches"]
    finally:
        lenv.podman("volume", "rm", "-f", vol)
