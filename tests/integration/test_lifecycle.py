"""Lifetimes: a client killed mid-session, minod killed and restarted,
a second minod on the same socket."""

import json
import os
import signal
import subprocess
import time

import pexpect

from minotest import MINO, MINOD, SLOW, wait_for


def test_nontty_client_sigkill_stops_container(menv):
    name = menv.name("ck")
    proc = menv.mino_popen("run", "-n", name, "--", "sh", "-c", "echo up; sleep 300")
    assert proc.stdout.readline() == b"up\n"
    assert menv.container_of(name) is not None
    proc.kill()
    proc.wait()
    assert wait_for(lambda: menv.container_of(name) is None, 20), menv.containers()
    s = menv.wait_status(name, ("stopped", "exited"))
    assert s["status"] in ("stopped", "exited")
    assert menv.session(name, all_=False) is None


def test_no_leak_after_many_runs(menv):
    for i in range(5):
        p = menv.mino("run", "--", "sh", "-c", "exit %d" % i)
        assert p.returncode == i
    assert wait_for(lambda: menv.containers() == [], 10), menv.containers()


def test_kill9_minod_readopts(menv):
    live = menv.name("live")
    ender = menv.name("ender")
    tty = menv.name("tty")
    p = menv.mino("run", "-d", "-n", live, "--", "sh", "-c",
                  "i=0; while :; do echo tick-$i; i=$((i+1)); sleep 1; done")
    assert p.returncode == 0, p.stderr
    p = menv.mino("run", "-d", "-n", ender, "--", "sh", "-c", "sleep 3; exit 4")
    assert p.returncode == 0, p.stderr
    child = pexpect.spawn(MINO, ["run", "-n", tty, "--", "sh", "-c",
                                 'while read -r l; do eval "$l"; done'],
                          env=menv.env, cwd=menv.project, timeout=30 * SLOW)
    child.sendline("echo before-$((2+3))")
    child.expect("before-5")
    menv.wait_status(live, "running")

    menv.kill9_daemon()
    child.expect(pexpect.EOF)       # the client notices the daemon is gone
    child.close()
    time.sleep(5 * SLOW)            # `ender` exits while no daemon runs
    assert menv.container_of(live)["state"] == "running"
    assert menv.container_of(tty)["state"] == "running"

    menv.start_daemon()
    s = menv.session(live, all_=False)
    assert s is not None and s["status"] == "running", s
    s = menv.wait_status(ender, ("exited",), timeout=20)
    assert s["exit_code"] == 4, s
    assert wait_for(lambda: menv.container_of(ender) is None, 15)

    # the re-adopted non-tty session streams again
    proc = menv.mino_popen("attach", live)
    line = proc.stdout.readline()
    assert line.startswith(b"tick-"), line
    proc.kill()
    proc.wait()
    assert menv.session(live, all_=False)["status"] == "running"

    # the re-adopted tty session is attachable and keeps its terminal
    child = pexpect.spawn(MINO, ["attach", tty], env=menv.env, timeout=30 * SLOW)
    child.sendline("echo after-$((6*7))")
    child.expect("after-42")
    child.sendline("exit 0")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    # and stoppable
    p = menv.mino("stop", live)
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: menv.container_of(live) is None, 10)
    assert menv.session(live)["status"] in ("stopped", "exited")
    assert wait_for(lambda: menv.containers() == [], 15), menv.containers()


def test_restart_marks_vanished_container(menv):
    name = menv.name("gone")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")
    menv.kill9_daemon()
    # the container disappears behind minod's back
    assert menv.podman("rm", "-f", "-t", "0", "mino-" + name).returncode == 0
    menv.start_daemon()
    s = menv.wait_status(name, ("stopped", "exited", "failed"), timeout=10)
    assert menv.session(name, all_=False) is None


def test_second_minod_exits_clearly(menv):
    p = subprocess.run([MINOD], env=menv.env, capture_output=True, timeout=20 * SLOW,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    err = p.stderr.decode(errors="replace")
    assert "already" in err.lower() or "in use" in err.lower() or "running" in err.lower(), err
    # the first one still serves
    assert menv.daemon.poll() is None
    with menv.client() as c:
        assert c.call("daemon/status")["pid"] == menv.daemon.pid


def test_stale_socket_is_replaced(bare_env):
    bare_env.start_daemon()
    bare_env.kill9_daemon()
    assert os.path.exists(bare_env.sock)
    bare_env.start_daemon()
    with bare_env.client() as c:
        assert c.call("daemon/status")["pid"] == bare_env.daemon.pid


def test_minod_refuses_bad_runtime_dir(bare_env):
    os.chmod(bare_env.runtime, 0o755)
    p = subprocess.run([MINOD], env=bare_env.env, capture_output=True, timeout=20 * SLOW,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert bare_env.runtime.encode() in p.stderr, p.stderr
    assert not os.path.exists(bare_env.sock)


def test_daemon_shutdown_rpc(bare_env):
    bare_env.start_daemon()
    with bare_env.client() as c:
        c.call("daemon/shutdown")
    assert bare_env.daemon.wait(timeout=15 * SLOW) == 0


def test_daemon_stopping_notification(bare_env):
    bare_env.start_daemon()
    with bare_env.client() as c:
        bare_env.daemon.send_signal(signal.SIGTERM)
        m = c.wait_note("daemon/stopping", timeout=10)
        assert m["method"] == "daemon/stopping"
        assert c.wait_closed(10)
    assert bare_env.daemon.wait(timeout=15) == 0


def test_minod_refuses_root(bare_env):
    """uid 0 inside `podman unshare` is uid 0 to minod: it must refuse."""
    import shutil
    if shutil.which("podman") is None:
        import pytest
        pytest.skip("podman (for podman unshare) not installed")
    p = subprocess.run(["podman", "unshare", MINOD], env=bare_env.env, capture_output=True,
                       timeout=30 * SLOW, stdin=subprocess.DEVNULL)
    err = p.stderr.decode(errors="replace")
    assert p.returncode != 0, err
    assert "root" in err.lower(), err
    assert not os.path.exists(bare_env.sock)


def test_kill9_minod_stops_attached_nontty_session(menv):
    """An attached non-tty run has its stdio passed through to minod
    (label mino.stdio=passthrough): when minod dies its output has nowhere
    to go and its client is gone, so the restarted minod stops it and
    records why; a detached session keeps conmon and is re-adopted."""
    name = menv.name("pt")
    det = menv.name("det")
    p = menv.mino("run", "-d", "-n", det, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    proc = menv.mino_popen("run", "-n", name, "--", "sh", "-c", "echo up; sleep 300")
    assert proc.stdout.readline() == b"up\n"
    labels = json.loads(menv.podman("inspect", "--format", "{{json .Config.Labels}}",
                                    "mino-" + name).stdout)
    assert labels.get("mino.stdio") == "passthrough", labels
    labels = json.loads(menv.podman("inspect", "--format", "{{json .Config.Labels}}",
                                    "mino-" + det).stdout)
    assert "mino.stdio" not in labels, labels

    menv.kill9_daemon()
    assert proc.wait(timeout=30 * SLOW) != 0      # the client saw minod go
    menv.start_daemon()
    s = menv.wait_status(name, ("failed",), timeout=30)
    assert s["error"] == ("minod ended while it ran attached (its output went straight to minod); "
                          "stopped"), s
    assert wait_for(lambda: menv.container_of(name) is None, 20)
    assert menv.session(det, all_=False)["status"] == "running"
    menv.mino("stop", "-f", det)
