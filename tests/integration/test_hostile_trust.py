"""Trust through symlinks (issue 13 item 1) and the global file's owner
and mode (item 2).  A symlinked .mino.toml -- planted next to a project,
by a sandboxed agent inside its own project, or in a shared sticky
directory above it -- is ignored with one warning naming it, and the run
goes on without it; trust is keyed on the path where the file is."""

import json
import os
import stat

import pytest

from minotest import is_one_line_error

PROBE = ('cat /secrets/key 2>/dev/null; echo; echo "netdev=$(wc -l < /proc/net/dev)"')
SECRET = "top-secret-4711"


@pytest.fixture
def world(menv):
    """~/trusted/.mino.toml (volume ~/secrets:/secrets, host network),
    trusted through the store."""
    secrets = os.path.join(menv.root, "secrets")
    os.mkdir(secrets, 0o700)
    with open(os.path.join(secrets, "key"), "w") as f:
        f.write(SECRET)
    trusted = os.path.join(menv.root, "proj", "trusted")
    os.mkdir(trusted)
    tfile = os.path.join(trusted, ".mino.toml")
    with open(tfile, "w") as f:
        f.write('[container]\nvolumes = ["%s:/secrets"]\nnetwork = "host"\n' % secrets)
    p = menv.mino("config", "trust", trusted)
    assert p.returncode == 0, p.stderr
    return {"trusted": trusted, "tfile": tfile}


def probe(menv, project, *extra):
    name = menv.name("t")
    p = menv.mino("run", "-n", name, "-p", project, *extra, "--", "sh", "-c", PROBE)
    return name, p


def warnings(p):
    return [line for line in p.stderr.decode().splitlines() if "warning" in line]


def assert_ignored(menv, name, p, path, why):
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 0, err
    assert SECRET not in out, out                 # no /secrets volume
    assert "netdev=3" in out, out                 # the configured network "none", not the host's
    assert menv.session(name)["network"] == "none"
    w = warnings(p)
    assert len(w) == 1, err
    assert path in w[0] and why in w[0], w[0]


def trust_store(menv):
    with open(os.path.join(menv.state, "mino", "trust.json")) as f:
        return json.load(f)["files"]


def test_trusted_file_itself_applies(menv, world):
    """The control: where it is, the trusted file does expose the secret."""
    name, p = probe(menv, world["trusted"])
    assert p.returncode == 0, p.stderr
    assert SECRET in p.stdout.decode()
    assert menv.session(name)["network"] == "host"
    assert list(trust_store(menv)) == [world["tfile"]]


def test_symlink_next_to_project_is_ignored(menv, world):
    evil = os.path.join(menv.root, "proj", "evil")
    os.mkdir(evil)
    link = os.path.join(evil, ".mino.toml")
    os.symlink("../trusted/.mino.toml", link)
    name, p = probe(menv, evil)
    assert_ignored(menv, name, p, link, "symlink")
    # and it cannot be trusted as a symlink either
    p = menv.mino("config", "trust", evil)
    assert p.returncode != 0
    assert is_one_line_error(p.stderr) and b"symlink" in p.stderr, p.stderr
    assert list(trust_store(menv)) == [world["tfile"]]


def test_symlink_planted_by_the_agent_is_ignored(menv, world):
    """A sandboxed agent plants the symlink in its own project."""
    proj = menv.project
    name = menv.name("a")
    p = menv.mino("run", "-n", name, "-p", proj, "--", "ln", "-s", world["tfile"], ".mino.toml")
    assert p.returncode == 0, p.stderr
    link = os.path.join(proj, ".mino.toml")
    assert os.path.islink(link)
    name, p = probe(menv, proj)
    assert_ignored(menv, name, p, link, "symlink")


def test_symlink_to_a_non_toml_file_is_no_parse_error(menv):
    rc = os.path.join(menv.root, "bashrc")
    with open(rc, "w") as f:
        f.write('export PS1="\\u@\\h "\nalias ll="ls -l"\n')
    link = os.path.join(menv.project, ".mino.toml")
    os.symlink(rc, link)
    name = menv.name("b")
    p = menv.mino("run", "-n", name, "--", "echo", "ran")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"ran\n"
    w = warnings(p)
    assert len(w) == 1 and link in w[0], p.stderr


def test_sticky_shared_dir_above_project(menv, world):
    """A world-writable sticky directory above the project (like /tmp):
    neither a symlink another user planted there nor a regular file in it
    is used."""
    shared = os.path.join(menv.root, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    proj = os.path.join(shared, "proj")
    os.mkdir(proj, 0o700)
    cand = os.path.join(shared, ".mino.toml")
    os.symlink(world["tfile"], cand)
    name, p = probe(menv, proj)
    assert_ignored(menv, name, p, cand, "symlink")
    os.unlink(cand)
    with open(cand, "w") as f:
        f.write('[container]\nnetwork = "host"\n')
    name, p = probe(menv, proj, "--trust-local")
    assert_ignored(menv, name, p, cand, "written by other users")


def test_global_config_writable_by_others_is_refused(menv):
    os.chmod(menv.config, 0o664)
    p = menv.mino("run", "--", "true")
    assert p.returncode != 0
    assert is_one_line_error(p.stderr), p.stderr
    err = p.stderr.decode()
    assert menv.config in err and "not writable by group or others" in err, err
    assert menv.containers() == []
    p = menv.mino("config", "show")
    assert p.returncode != 0 and b"not writable by group or others" in p.stderr, p.stderr


def test_global_config_symlink_is_fine(menv):
    """Dotfile managers make config.toml a symlink: allowed when the file
    it points to is the user's own and private."""
    real = os.path.join(menv.root, "dotfiles-config.toml")
    os.rename(menv.config, real)
    os.symlink(real, menv.config)
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o600
    p = menv.mino("run", "--", "echo", "ok")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"ok\n"


def test_project_dir_holding_mino_config_is_refused(menv):
    """Issue 13 item 2: a project directory that holds mino's own config
    (here the test's root: config, state and runtime dirs are below it),
    or $HOME, is refused before anything starts, naming the way out."""
    for project, why in ((menv.root, "it contains mino's configuration directory"),
                         (os.path.join(menv.config_home, "mino"), "it is mino's configuration directory"),
                         (os.path.expanduser("~"), "it is your home directory")):
        p = menv.mino("run", "-p", project, "--", "true")
        assert p.returncode != 0, project
        assert is_one_line_error(p.stderr), p.stderr
        err = p.stderr.decode()
        assert project in err and why in err and "--unsafe-project-dir" in err, err
    assert menv.containers() == []
    # --unsafe-project-dir lets it through (masking those directories is
    # minod's part of the policy)
    p = menv.mino("run", "--unsafe-project-dir", "-p", menv.root, "--", "true")
    assert p.returncode == 0, p.stderr
