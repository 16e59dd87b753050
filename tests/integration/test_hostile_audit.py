"""A short write to the audit log (issue 13 item 4, the audit half).  The
disk filling up is simulated for real with RLIMIT_FSIZE on minod (its
writes then stop at the limit and fail with EFBIG, as on a full file
system): the append that cannot complete is undone, so no line is torn
and none glued; the lost events are counted and reported by an audit.gap
event before the next one; an audit error never blocks the operation
that is audited; `mino status` shows the errors."""

import json
import os
import resource
import time

from minotest import wait_for


def audit_path(e):
    return os.path.join(e.state, "mino", "audit.log")


def trust_event(e):
    """One audited operation (config/trust -> config.trusted); it must
    succeed whatever happens to the audit log."""
    d = os.path.join(e.root, "proj", "t%d" % time.monotonic_ns())
    os.makedirs(d)
    with open(os.path.join(d, ".mino.toml"), "w") as f:
        f.write('[general]\nverbose = true\n')
    p = e.mino("config", "trust", d)
    assert p.returncode == 0, p.stderr
    return os.path.join(d, ".mino.toml")


def lines(e):
    with open(audit_path(e), "rb") as f:
        data = f.read()
    assert data.endswith(b"\n"), data[-200:]
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def test_audit_short_write_is_undone_and_reported(bare_env):
    e = bare_env
    sd = os.path.join(e.state, "mino")
    os.mkdir(sd, 0o700)
    # an existing log of 16 KiB, so the limit below is far above the
    # trust store's size (whose writes must go on working)
    with open(audit_path(e), "w") as f:
        for i in range(64):
            f.write(json.dumps({"timestamp": "2026-01-01T00:00:00Z", "event": "test.filler",
                                "data": {"i": i, "pad": "x" * 200}}) + "\n")
    os.chmod(audit_path(e), 0o600)
    e.start_daemon()
    trust_event(e)
    before = os.path.getsize(audit_path(e))
    pid = e.daemon.pid
    # 40 more bytes: part of the next line fits, the rest does not
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (before + 40, resource.RLIM_INFINITY))
    lost = [trust_event(e), trust_event(e)]
    assert os.path.getsize(audit_path(e)) == before, "a torn line was left"
    with e.client() as c:
        st = c.call("daemon/status")["audit"]
    assert st["errors"] == 2 and st["lost"] == 2, st
    assert "audit.log" in st["last_error"], st
    p = e.mino("status")
    out = p.stdout.decode()
    assert "2 audit events not written, last: " in out and "audit.log" in out, out

    resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    after = trust_event(e)
    events = lines(e)                           # every line parses: none torn or glued
    assert events[-2]["event"] == "audit.gap" and events[-2]["data"] == {"lost": 2}, events[-2:]
    assert events[-1]["event"] == "config.trusted" and events[-1]["data"]["path"] == after
    assert not any(ev["event"] == "config.trusted" and ev["data"]["path"] in lost for ev in events)
    # the trust itself was recorded all along: the audit never blocked it
    with open(os.path.join(sd, "trust.json")) as f:
        files = json.load(f)["files"]
    assert all(path in files for path in lost + [after])
    assert wait_for(lambda: e.daemon.poll() is None, 1)
    with e.client() as c:
        assert c.call("daemon/status")["audit"]["lost"] == 0
