"""The daemon's side of the project-directory policy (issue 13 item 2) and
of a missing init binary (issue 6 item 2).

The client refuses a project directory that holds mino's own directories
before it calls minod; minod applies the same policy itself (an IDE plugin
or `mino rpc` sends session/create directly), and with
--unsafe-project-dir masks those directories with empty read-only tmpfs
mounts, so a sandboxed agent can neither read nor rewrite mino's config."""

import os

from minotest import is_one_line_error, wait_for

E_PERMISSION = 1013


def test_minod_refuses_project_holding_its_config(menv):
    c = menv.client()
    r = c.request("session/create", {"project": menv.root, "command": ["true"], "attach": False,
                                     "detach": True})
    assert "error" in r, r
    assert r["error"]["code"] == E_PERMISSION, r
    msg = r["error"]["message"]
    assert menv.root in msg and "--unsafe-project-dir" in msg, msg
    assert menv.containers() == []
    assert menv.mino("list", "-a", "-f", "json").stdout.strip() == b"[]"


def test_unsafe_project_dir_masks_minos_own_dirs(menv):
    config_dir = os.path.join(menv.config_home, "mino")
    config_file = os.path.join(config_dir, "config.toml")
    assert os.path.exists(config_file)
    with open(config_file, "rb") as f:
        before = f.read()
    name = menv.name("u")
    rel = os.path.relpath(config_dir, menv.root)
    script = ('d="$PWD/%s"; ls -A "$d" | wc -l; '
              'echo evil >"$d/config.toml" && echo WROTE; '
              'grep -c " $d tmpfs ro," /proc/mounts' % rel)
    p = menv.mino("run", "-n", name, "--unsafe-project-dir", "-p", menv.root, "--", "sh", "-c", script)
    out = p.stdout.decode().split()
    assert out[0] == "0", p.stdout + p.stderr     # the config dir is empty inside
    assert "WROTE" not in out, p.stdout           # and read-only
    assert out[-1] == "1", p.stdout + p.stderr    # one read-only tmpfs at its path
    with open(config_file, "rb") as f:
        assert f.read() == before
    rec = menv.session(name)
    assert rec["unsafe_project_dir"] is True
    assert rec["workdir"] + "/" + rel in rec["masked"], rec


def test_missing_init_binary_is_named_with_its_package(podman_env):
    menv = podman_env
    missing = os.path.join(menv.root, "no-such-catatonit")
    conf = os.path.join(menv.root, "containers.conf")
    user_conf = os.path.join(menv.env["HOME"], ".config", "containers", "containers.conf")
    with open(user_conf) as f:
        base = f.read()
    with open(conf, "w") as f:
        f.write(base.replace("[containers]", '[containers]\ninit_path = "%s"' % missing, 1))
    menv.start_daemon(env={"CONTAINERS_CONF": conf})
    name = menv.name("i")
    p = menv.mino("run", "-n", name, "--", "true")
    assert p.returncode != 0
    assert is_one_line_error(p.stderr), p.stderr
    err = p.stderr.decode()
    assert ("init binary %s is missing: install the package that provides it (Debian: catatonit)"
            % missing) in err, err
    assert wait_for(lambda: menv.containers() == [], 10), menv.containers()
    assert menv.session(name) is None     # a failed create leaves no record (PROTOCOL.md)
