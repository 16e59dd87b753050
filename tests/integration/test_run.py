"""mino run: exit codes, stdio, project mount, -e, --volume, --network,
names, errors, audit log and session records."""

import hashlib
import json
import os

from minotest import is_one_line_error, mode_of, wait_for


def sha(b):
    return hashlib.sha256(b).hexdigest()


def test_exit_zero(menv):
    p = menv.mino("run", "--", "true")
    assert p.returncode == 0, p.stderr


def test_exit_seven(menv):
    p = menv.mino("run", "--", "sh", "-c", "exit 7")
    assert p.returncode == 7, p.stderr


def test_exit_signal(menv):
    p = menv.mino("run", "--", "sh", "-c", "kill -TERM $$")
    assert p.returncode == 128 + 15, (p.returncode, p.stderr)


def test_stdin_eof(menv):
    p = menv.mino("run", "--", "cat", input=b"x")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"x"


def test_stdout_stderr_separate(menv):
    p = menv.mino("run", "--", "sh", "-c", "echo out; echo err >&2; echo out2")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"out\nout2\n"
    assert p.stderr == b"err\n"


def test_binary_byte_exact(menv):
    blob = os.urandom(1 << 20)
    with open(os.path.join(menv.project, "blob"), "wb") as f:
        f.write(blob)
    # container -> stdout
    p = menv.mino("run", "--", "cat", "/myproject/blob")
    assert p.returncode == 0, p.stderr[-500:]
    assert sha(p.stdout) == sha(blob), (len(p.stdout), len(blob))
    # container -> stderr, nothing on stdout
    p = menv.mino("run", "--", "sh", "-c", "cat /myproject/blob >&2")
    assert p.returncode == 0
    assert p.stdout == b""
    assert sha(p.stderr) == sha(blob), (len(p.stderr), len(blob))
    # stdin -> container -> stdout
    p = menv.mino("run", "--", "sh", "-c", "head -c 1048576 | cat", input=blob)
    assert p.returncode == 0, p.stderr[-500:]
    assert sha(p.stdout) == sha(blob), (len(p.stdout), len(blob))


def test_large_binary_both_streams_at_once_byte_exact(menv):
    """8 MiB of random bytes on stdout and another 8 MiB on stderr, written
    at the same time: each stream arrives whole, unmixed and byte-exact
    (an attached non-tty run: passthrough stdio and binary output frames)."""
    out_blob, err_blob = os.urandom(8 << 20), os.urandom(8 << 20)
    for fname, blob in (("out.bin", out_blob), ("err.bin", err_blob)):
        with open(os.path.join(menv.project, fname), "wb") as f:
            f.write(blob)
    p = menv.mino("run", "--", "sh", "-c",
                  "cat /myproject/err.bin >&2 & cat /myproject/out.bin; wait", timeout=180)
    assert p.returncode == 0, p.stderr[-500:]
    assert sha(p.stdout) == sha(out_blob), (len(p.stdout), len(out_blob))
    assert sha(p.stderr) == sha(err_blob), (len(p.stderr), len(err_blob))


def test_random_bytes_through_head(menv):
    # random bytes produced in the container, piped through, compared
    # against the container's own digest
    p = menv.mino("run", "--", "sh", "-c",
                  "head -c 300000 /dev/urandom > /tmp/r; sha256sum /tmp/r >&2; cat /tmp/r")
    assert p.returncode == 0
    assert p.stderr.split()[0].decode() == sha(p.stdout)


def test_project_workdir(menv):
    p = menv.mino("run", "-p", menv.project, "--", "pwd")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"/myproject\n"
    # mounted read-write
    p = menv.mino("run", "-p", menv.project, "--", "sh", "-c", "echo hi > made-inside")
    assert p.returncode == 0, p.stderr
    with open(os.path.join(menv.project, "made-inside")) as f:
        assert f.read() == "hi\n"


def test_project_default_is_cwd(menv):
    p = menv.mino("run", "--", "pwd", cwd=menv.project)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"/myproject\n"


def test_reserved_basename_workspace(menv):
    etc = os.path.join(menv.root, "x", "etc")
    os.makedirs(etc)
    open(os.path.join(etc, "marker"), "w").close()
    p = menv.mino("run", "-p", etc, "--", "sh", "-c", "pwd; ls")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"/workspace\nmarker\n"


def test_env(menv):
    p = menv.mino("run", "-e", "FOO=bar baz", "-e", "EMPTY=", "--", "sh", "-c",
                  'echo "$FOO|${EMPTY-unset}"')
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"bar baz|\n"


def test_volume(menv):
    data = os.path.join(menv.root, "data")
    os.mkdir(data)
    with open(os.path.join(data, "f"), "w") as f:
        f.write("vol\n")
    p = menv.mino("run", "--volume", data + ":/data:ro", "--", "sh", "-c",
                  "cat /data/f; echo x > /data/g 2>/dev/null && echo writable || echo readonly")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"vol\nreadonly\n"


def _assert_clean_error(menv, p):
    assert p.returncode != 0
    assert is_one_line_error(p.stderr), p.stderr
    assert menv.containers() == []


def test_malformed_env(menv):
    # ("NAME" alone is valid: it takes NAME from the client's environment)
    for bad in ("=x", "1A=b", "NO-EQUALS", "A B=c"):
        p = menv.mino("run", "-e", bad, "--", "true")
        _assert_clean_error(menv, p)


def test_malformed_volume(menv):
    for bad in ("relative:/x", "/tmp", "/nonexistent-mino-dir:/x", "/tmp:relative",
                "/tmp:/x:bogus"):
        p = menv.mino("run", "--volume", bad, "--", "true")
        _assert_clean_error(menv, p)


def test_bad_network(menv):
    p = menv.mino("run", "--network", "bogus", "--", "true")
    _assert_clean_error(menv, p)


def test_network_none(menv):
    p = menv.mino("run", "--network", "none", "--", "cat", "/proc/net/dev")
    assert p.returncode == 0, p.stderr
    ifaces = [l.split(b":")[0].strip() for l in p.stdout.splitlines()[2:]]
    assert ifaces == [b"lo"], p.stdout


def test_network_from_config(menv):
    # the test config says container.network = "none"
    p = menv.mino("run", "--", "cat", "/proc/net/dev")
    assert p.returncode == 0, p.stderr
    ifaces = [l.split(b":")[0].strip() for l in p.stdout.splitlines()[2:]]
    assert ifaces == [b"lo"], p.stdout


def test_network_bridge(menv):
    p = menv.mino("run", "--network", "bridge", "--", "cat", "/proc/net/dev")
    assert p.returncode == 0, p.stderr
    ifaces = [l.split(b":")[0].strip() for l in p.stdout.splitlines()[2:]]
    assert b"lo" in ifaces and len(ifaces) >= 2, p.stdout


def test_missing_project(menv):
    p = menv.mino("run", "-p", os.path.join(menv.root, "nope"), "--", "true")
    _assert_clean_error(menv, p)
    assert b"nope" in p.stderr


def test_missing_image(menv):
    name = menv.name("img")
    p = menv.mino("run", "-n", name, "--image", "localhost/mino-no-such-image:latest", "--", "true")
    _assert_clean_error(menv, p)
    assert b"image" in p.stderr.lower()
    # documented (PROTOCOL.md, session/create): a failed create leaves no record
    assert menv.session(name) is None


def test_invalid_name(menv):
    for bad in ("-x", "a b", "a/b", "x" * 64, ""):
        p = menv.mino("run", "-n", bad, "--", "true")
        _assert_clean_error(menv, p)


def test_name_taken_then_reusable(menv):
    name = menv.name("nm")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    p = menv.mino("run", "-n", name, "--", "true")
    assert p.returncode != 0
    assert is_one_line_error(p.stderr), p.stderr
    assert name.encode() in p.stderr
    p = menv.mino("stop", "-f", name)
    assert p.returncode == 0, p.stderr
    p = menv.mino("run", "-n", name, "--", "echo", "again")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"again\n"


def test_ended_name_reusable(menv):
    name = menv.name("re")
    assert menv.mino("run", "-n", name, "--", "true").returncode == 0
    p = menv.mino("run", "-n", name, "--", "sh", "-c", "exit 3")
    assert p.returncode == 3, p.stderr


def test_container_removed_after_exit(menv):
    name = menv.name("rm")
    p = menv.mino("run", "-n", name, "--", "true")
    assert p.returncode == 0
    assert wait_for(lambda: menv.containers() == [], 10), menv.containers()
    assert menv.podman("container", "exists", "mino-" + name).returncode != 0


def test_hardening(menv):
    p = menv.mino("run", "--", "sh", "-c",
                  "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status")
    assert p.returncode == 0, p.stderr
    st = dict(l.split(b":\t") for l in p.stdout.splitlines())
    assert int(st[b"CapEff"], 16) == 0
    assert int(st[b"CapBnd"], 16) == 0
    assert st[b"NoNewPrivs"].strip() == b"1"


def test_audit_log(menv):
    name = menv.name("au")
    p = menv.mino("run", "-n", name, "--", "sh", "-c", "exit 4")
    assert p.returncode == 4
    path = os.path.join(menv.state, "mino", "audit.log")

    def have_stopped():
        try:
            return any(l.get("event") == "session.stopped" and l.get("data", {}).get("name") == name
                       for l in menv.audit_lines())
        except (OSError, ValueError):
            return False
    assert wait_for(have_stopped, 10)
    assert mode_of(path) == 0o600
    lines = menv.audit_lines()
    for l in lines:
        assert set(("timestamp", "event", "data")) <= set(l), l
        assert l["timestamp"].endswith("Z")
    ev = {l["event"]: l["data"] for l in lines if l["data"].get("name") == name}
    c = ev["session.created"]
    assert c["name"] == name and c["project_dir"] == menv.project
    assert c["image"] and isinstance(c["command"], list)
    assert ev["session.started"]["container_id"]
    assert ev["session.stopped"]["exit_code"] == 4


def test_session_records(menv):
    name = menv.name("rec")
    assert menv.mino("run", "-n", name, "--", "true").returncode == 0
    d = os.path.join(menv.state, "mino", "sessions")
    assert mode_of(d) == 0o700
    files = os.listdir(d)
    assert files
    found = False
    for fn in files:
        path = os.path.join(d, fn)
        assert mode_of(path) == 0o600, (fn, oct(mode_of(path)))
        with open(path) as f:
            rec = json.load(f)
        if rec.get("name") == name:
            found = True
            for k in ("name", "id", "project_dir", "image", "command", "status",
                      "exit_code", "created_at", "started_at", "ended_at", "detached"):
                assert k in rec, (k, rec)
            assert rec["status"] == "exited" and rec["exit_code"] == 0
    assert found
