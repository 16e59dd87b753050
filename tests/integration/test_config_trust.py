"""Configuration through minod: the project .mino.toml trust gate (an
untrusted file cannot widen the sandbox non-interactively; the trust prompt
both ways), tightening without trust, --trust-local / MINO_TRUST_LOCAL=1,
the trust store's hash check, --no-aws over config, a broken global file,
and the audit log's trust events."""

import json
import os

import pexpect

from minotest import MINO, SLOW, is_one_line_error

TIMEOUT = 30 * SLOW
PROBE = 'test -e /x/passwd && echo x-mounted; echo "netdev=$(wc -l < /proc/net/dev)"'


def write_local(menv, text):
    path = os.path.join(menv.project, ".mino.toml")
    with open(path, "w") as f:
        f.write(text)
    return os.path.realpath(path)


def audit_events(menv):
    path = os.path.join(menv.state, "mino", "audit.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def host_netdev_lines():
    with open("/proc/net/dev") as f:
        return len(f.read().splitlines())


def run_probe(menv, *extra, env=None):
    name = menv.name("c")
    p = menv.mino("run", "-n", name, *extra, "--", "sh", "-c", PROBE, env=env)
    return name, p


WIDENING = ('[container]\nvolumes = ["/etc:/x"]\nnetwork = "host"\n\n'
            '[general]\naudit_log = false\n')


def assert_skipped(menv, name, p):
    out = p.stdout.decode()
    err = p.stderr.decode()
    assert p.returncode == 0, err
    # /x is not mounted, the network is not the host's
    assert "x-mounted" not in out, out
    assert "netdev=3" in out, out
    assert menv.session(name)["network"] == "none"
    warn = [line for line in err.splitlines() if "untrusted" in line]
    assert len(warn) == 1, err
    for word in ("container.volumes", "container.network", "general.audit_log",
                 "--trust-local", "MINO_TRUST_LOCAL=1", "mino config trust"):
        assert word in warn[0], warn[0]


def test_untrusted_widening_skipped(menv):
    path = write_local(menv, WIDENING)
    name, p = run_probe(menv)
    assert_skipped(menv, name, p)
    # general.audit_log = false did not take effect: the session is audited
    events = audit_events(menv)
    started = [e for e in events if e["event"] == "session.created" and e["data"]["name"] == name]
    assert started, events
    skipped = [e for e in events if e["event"] == "config.untrusted_skipped"]
    assert skipped and skipped[-1]["data"]["path"] == path
    assert len(skipped[-1]["data"]["sha256"]) == 64
    assert set(skipped[-1]["data"]["keys"]) == {
        "container.volumes", "container.network", "general.audit_log"}


def test_each_widening_key_alone(menv):
    for text, word in (('[container]\nvolumes = ["/etc:/x"]\n', "container.volumes"),
                       ('[container]\nnetwork = "host"\n', "container.network"),
                       ('[general]\naudit_log = false\n', "general.audit_log")):
        write_local(menv, text)
        before = len(audit_events(menv))
        name, p = run_probe(menv)
        assert p.returncode == 0, p.stderr
        assert "x-mounted" not in p.stdout.decode() and "netdev=3" in p.stdout.decode(), p.stdout
        assert word in p.stderr.decode()
        assert any(e["event"] == "session.stopped" and e["data"]["name"] == name
                   for e in audit_events(menv)[before:])


def test_tightening_applies_untrusted(menv):
    # the global file leaves the network at its default (bridge)
    with open(menv.config, "w") as f:
        f.write('[container]\nimage = "localhost/mino-busybox:latest"\n\n'
                '[session]\nshell = "/bin/sh"\n')
    write_local(menv, '[container]\nnetwork = "none"\n')
    name, p = run_probe(menv)
    assert p.returncode == 0, p.stderr
    assert "netdev=3" in p.stdout.decode()
    assert "untrusted" not in p.stderr.decode()
    assert menv.session(name)["network"] == "none"
    r = resolve(menv)
    net = entry(r, "container.network")
    assert net["value"] == "none" and net["source"] == "local"
    assert r["local"]["trusted"] is False and r["local"]["skipped"] == []


def assert_applied(menv, name, p):
    out = p.stdout.decode()
    assert p.returncode == 0, p.stderr
    assert "x-mounted" in out, out
    assert "netdev=%d" % host_netdev_lines() in out, out
    assert "untrusted" not in p.stderr.decode()
    assert menv.session(name)["network"] == "host"


def test_trust_local_flag_and_env(menv):
    write_local(menv, WIDENING)
    before = len(audit_events(menv))
    name, p = run_probe(menv, "--trust-local")
    assert_applied(menv, name, p)
    new = audit_events(menv)[before:]
    # the trust decision is recorded; the trusted file turned the session's audit off
    assert any(e["event"] == "config.trusted" for e in new), new
    assert not any(e["event"] == "session.created" and e["data"]["name"] == name for e in new)
    name, p = run_probe(menv, env={"MINO_TRUST_LOCAL": "1"})
    assert_applied(menv, name, p)


def test_trust_store_then_byte_change(menv):
    path = write_local(menv, '[container]\nvolumes = ["/etc:/x"]\n')
    p = menv.mino("rpc", "config/trust", json.dumps({"path": path}))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["path"] == path
    assert any(e["event"] == "config.trusted" and e["data"]["path"] == path
               for e in audit_events(menv))
    name, p = run_probe(menv)
    assert p.returncode == 0, p.stderr
    assert "x-mounted" in p.stdout.decode()
    assert "untrusted" not in p.stderr.decode()
    # one byte more: asks again (non-interactive: skipped again)
    with open(path, "a") as f:
        f.write("\n")
    name, p = run_probe(menv)
    assert p.returncode == 0, p.stderr
    assert "x-mounted" not in p.stdout.decode()
    assert "container.volumes" in p.stderr.decode()
    # a stale hash is refused
    p = menv.mino("rpc", "config/trust", json.dumps({"path": path, "sha256": "0" * 64}))
    assert p.returncode != 0


def spawn_run(menv, *args):
    return pexpect.spawn(MINO, ["run", *args], env=menv.env, cwd=menv.project,
                         dimensions=(24, 80), timeout=TIMEOUT)


def finish(child):
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_trust_prompt_yes(menv):
    write_local(menv, '[container]\nvolumes = ["/etc:/x"]\n')
    child = spawn_run(menv, "--", "sh", "-c", "test -e /x/passwd && echo MOUNTED-$((1+1))")
    child.expect("container.volumes")
    child.expect(r"/etc:/x")
    child.expect(r"Trust this file\? \[y/N\]")
    child.sendline("y")
    child.expect("MOUNTED-2")
    assert finish(child) == 0
    # trusted now: no prompt, applied
    name, p = run_probe(menv)
    assert "x-mounted" in p.stdout.decode() and "untrusted" not in p.stderr.decode()


def test_trust_prompt_no_and_enter(menv):
    write_local(menv, '[container]\nvolumes = ["/etc:/x"]\n')
    for answer in ("n", ""):
        child = spawn_run(menv, "--", "sh", "-c", "test -e /x/passwd || echo NOT-MOUNTED-$((1+1))")
        child.expect(r"Trust this file\? \[y/N\]")
        child.sendline(answer)
        child.expect("untrusted .*skipped container.volumes")
        child.expect("NOT-MOUNTED-2")
        assert finish(child) == 0
    events = audit_events(menv)
    assert not any(e["event"] == "config.trusted" for e in events)
    assert sum(e["event"] == "config.untrusted_skipped" for e in events) >= 2


def resolve(menv, **params):
    params.setdefault("project", menv.project)
    p = menv.mino("rpc", "config/resolve", json.dumps(params))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def entry(r, key):
    return next(e for e in r["entries"] if e["key"] == key)


def test_no_aws_overrides_config(menv):
    with open(menv.config, "a") as f:
        f.write('\n[credentials.aws]\nenabled = true\n')
    r = resolve(menv)
    e = entry(r, "credentials.aws.enabled")
    assert e["value"] is True and e["source"] == "global"
    assert e["origin"].endswith("config.toml:%d" % 9)
    r = resolve(menv, flags={"credentials.aws.enabled": False})
    e = entry(r, "credentials.aws.enabled")
    assert e["value"] is False and e["source"] == "flag"
    # no AWS source at all: one warning, the session runs without them;
    # --strict-credentials makes it one error instead
    e = {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/c", "AWS_CONFIG_FILE": "/nonexistent/f"}
    p = menv.mino("run", "--", "echo", "ran", env=e)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == b"ran"
    assert p.stderr.decode().count("mino: warning: AWS credentials:") == 1, p.stderr
    p = menv.mino("run", "--strict-credentials", "--", "true", env=e)
    assert p.returncode == 1
    assert is_one_line_error(p.stderr) and b"AWS" in p.stderr, p.stderr
    p = menv.mino("run", "--no-aws", "--", "echo", "ran")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == b"ran"


def test_broken_global_config(menv):
    with open(menv.config, "a") as f:
        f.write('\n[container]\nimage = 12\n')
    p = menv.mino("run", "--", "true")
    assert p.returncode == 1
    assert is_one_line_error(p.stderr), p.stderr
    assert (menv.config + ":").encode() in p.stderr, p.stderr
    p = menv.mino("list")
    assert p.returncode == 0, p.stderr
    # a broken file at start: minod still starts and serves
    menv.stop_daemon()
    menv.start_daemon()
    p = menv.mino("list")
    assert p.returncode == 0, p.stderr
    p = menv.mino("run", "--", "true")
    assert p.returncode == 1 and b"config.toml:" in p.stderr
