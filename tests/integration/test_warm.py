"""Warm starts (daemon/sandbox/spare.h): minod keeps a created container
ready for the next session with the same sandbox settings.  Which path a
session took is read from daemon/status ("spares") and the audit log's
session.started "warm", never from timing."""

import json
import os

import pytest

import minotest
from minotest import wait_for


def start_warm(e, **extra):
    env = {"MINO_WARM_SPARES": "2"}
    env.update(extra)
    e.start_daemon(env=env)


@pytest.fixture
def wenv(request):
    reason = minotest.podman_reason()
    if reason:
        pytest.skip(reason)
    e = minotest.MinoEnv(request.node.name)
    start_warm(e)
    yield e
    e.cleanup()
    # a spare the test left behind (a failed test) goes too
    for c in spares(e):
        e.podman("rm", "-f", "-t", "0", c["Id"])


def status(e):
    with e.client() as c:
        return c.call("daemon/status")


def spare_counts(e):
    return status(e)["spares"]


def spares(e):
    """Spare containers whose project lies in this test's root."""
    p = e.podman("ps", "-a", "--format", "json", "--filter", "label=mino.spare")
    assert p.returncode == 0, p.stderr
    out = []
    for it in json.loads(p.stdout or b"[]") or []:
        proj = (it.get("Labels") or {}).get("mino.project", "")
        if proj.startswith(e.root + "/"):
            out.append(it)
    return out


def wait_ready_spares(e, n=1):
    assert wait_for(lambda: spare_counts(e)["ready"] >= n, 60), spare_counts(e)


def started_events(e):
    return [a for a in e.audit_lines() if a.get("event") == "session.started"]


def warm_of(e, name):
    found = []

    def seen():
        try:
            events = started_events(e)
        except (OSError, ValueError):      # not yet written, or a line being written
            return False
        found[:] = [a["data"].get("warm") for a in events if a["data"].get("name") == name]
        return len(found) == 1
    assert wait_for(seen, 10), (name, found)
    return found[0]


def run(e, name, *cmd, **kw):
    return e.mino("run", "-n", name, *kw.pop("flags", ()), "--", *cmd, **kw)


def test_second_run_starts_warm_with_same_result(wenv):
    e = wenv
    cmd = ("sh", "-c", "echo out; echo err >&2; pwd; exit 3")
    a, b = e.name("cold"), e.name("warm")
    p1 = run(e, a, *cmd)
    wait_ready_spares(e)
    assert spare_counts(e)["claimed"] == 0
    p2 = run(e, b, *cmd)
    assert (p2.returncode, p2.stdout, p2.stderr) == (p1.returncode, p1.stdout, p1.stderr)
    assert p1.returncode == 3 and p1.stdout == b"out\n/myproject\n" and p1.stderr == b"err\n"
    assert spare_counts(e)["claimed"] == 1
    assert warm_of(e, a) is False
    assert warm_of(e, b) is True
    # the session's own record, list entry and exit code
    s = e.session(b)
    assert s is not None and s["status"] == "exited" and s["exit_code"] == 3, s


def test_warm_stdin_and_signal_exit(wenv):
    e = wenv
    run(e, e.name("c"), "true")
    wait_ready_spares(e)
    p = run(e, e.name("w"), "cat", input=b"through-stdin")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"through-stdin"
    wait_ready_spares(e)
    p = run(e, e.name("w"), "sh", "-c", "kill -TERM $$")
    assert p.returncode == 128 + 15, (p.returncode, p.stderr)
    assert spare_counts(e)["claimed"] == 2


def test_changed_setting_starts_cold_and_drops_old_spare(wenv):
    e = wenv
    extra = os.path.join(e.root, "extra")
    os.mkdir(extra)
    run(e, e.name("c"), "true")
    wait_ready_spares(e)
    old = [c["Id"] for c in spares(e)]
    assert len(old) == 1, old
    name = e.name("v")
    p = run(e, name, "ls", "/extra", flags=("--volume", extra + ":/extra:ro"))
    assert p.returncode == 0, p.stderr
    assert warm_of(e, name) is False
    assert spare_counts(e)["claimed"] == 0
    # the next spare is for the new settings; the old one is gone
    assert wait_for(lambda: old[0] not in [c["Id"] for c in spares(e)], 60), spares(e)
    wait_ready_spares(e)
    assert spare_counts(e)["dropped"] >= 1


def test_spares_are_not_sessions(wenv):
    e = wenv
    name = e.name("only")
    run(e, name, "true")
    wait_ready_spares(e)
    sp = spares(e)
    assert len(sp) == 1, sp
    assert sp[0]["State"] == "created", sp[0]
    assert "mino.session" not in (sp[0].get("Labels") or {})
    assert [s["name"] for s in e.list_json(all_=True)] == [name]
    assert e.list_json(all_=False) == []
    assert [c["id"] for c in e.containers()] == []   # label=mino.session
    assert status(e)["sessions"]["total"] == 1


def test_spares_removed_at_minod_stop(wenv):
    e = wenv
    run(e, e.name("c"), "true")
    wait_ready_spares(e)
    assert len(spares(e)) == 1
    e.stop_daemon()
    assert spares(e) == []
    # nor is its run directory left
    rundirs = os.listdir(os.path.join(e.runtime, "mino", "run"))
    assert rundirs == [], rundirs


def test_spares_removed_by_gc_after_their_age(podman_env):
    e = podman_env
    start_warm(e, MINO_WARM_SPARE_SECONDS="1")
    run(e, e.name("c"), "true")
    assert wait_for(lambda: spare_counts(e)["created"] >= 1, 60), spare_counts(e)
    assert wait_for(lambda: spares(e) == [], 60), spares(e)
    c = spare_counts(e)
    assert c["ready"] == 0 and c["dropped"] >= 1, c
    for s in spares(e):
        e.podman("rm", "-f", "-t", "0", s["Id"])


def test_spare_holds_nothing_of_the_previous_session(wenv):
    e = wenv
    secret = "s3cr3t-warm-" + os.urandom(6).hex()
    p = run(e, e.name("c"), "sh", "-c", 'test -n "$TOKEN"', flags=("-e", "TOKEN=" + secret))
    assert p.returncode == 0, p.stderr
    wait_ready_spares(e)
    sp = spares(e)
    assert len(sp) == 1
    insp = e.podman("inspect", sp[0]["Id"])
    assert insp.returncode == 0
    assert secret.encode() not in insp.stdout
    # its run directory is empty until a session claims it
    rundir = [m for m in json.loads(insp.stdout)[0]["Mounts"] if m["Destination"] == "/run/mino"]
    assert len(rundir) == 1, rundir
    assert os.listdir(rundir[0]["Source"]) == []
    # the next session does not see the previous one's value
    name = e.name("w")
    p = run(e, name, "sh", "-c", 'echo "${TOKEN-unset}"')
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"unset\n"
    assert warm_of(e, name) is True
    # and its own value reaches it
    wait_ready_spares(e)
    name = e.name("w")
    p = run(e, name, "sh", "-c", 'test "$TOKEN" = mine && echo ok', flags=("-e", "TOKEN=mine"))
    assert (p.returncode, p.stdout) == (0, b"ok\n"), p.stderr
    assert warm_of(e, name) is True


def test_warm_session_survives_minod_restart(wenv):
    e = wenv
    first = e.name("c")
    p = e.mino("run", "-d", "-n", first, "--", "true")    # -d: a tty session, like the next
    assert p.returncode == 0, p.stderr
    e.wait_status(first, "exited")
    wait_ready_spares(e)
    name = e.name("live")
    p = e.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    e.wait_status(name, "running")
    assert warm_of(e, name) is True
    # it takes the session's container name once it has run a moment
    assert wait_for(lambda: ["mino-" + name] in [c.get("Names") for c in spares(e)], 30), spares(e)
    p = e.mino("exec", name, "--", "sh", "-c", "echo in-$((6*7)); exit 5")
    assert (p.returncode, p.stdout) == (5, b"in-42\n"), p.stderr
    e.kill9_daemon()
    start_warm(e)
    s = e.wait_status(name, "running")
    assert s["status"] == "running", s
    # the claimed spare runs on as the session
    left = spares(e)
    assert [c["State"] for c in left] == ["running"], left
    p = e.mino("stop", name)
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: spares(e) == [], 30), spares(e)


def test_spare_of_a_dead_minod_removed_at_start(wenv):
    e = wenv
    run(e, e.name("c"), "true")
    wait_ready_spares(e)
    assert len(spares(e)) == 1
    e.kill9_daemon()
    assert len(spares(e)) == 1          # nobody removed it
    start_warm(e)
    assert wait_for(lambda: spares(e) == [], 30), spares(e)
    assert spare_counts(e)["ready"] == 0


def test_off_by_default(menv):
    e = menv
    run(e, e.name("c"), "true")
    run(e, e.name("c"), "true")
    c = spare_counts(e)
    assert (c["created"], c["creating"], c["claimed"]) == (0, 0, 0), c
    assert spares(e) == []
