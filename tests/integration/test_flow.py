"""Flow control: a client that stops reading neither grows minod's memory
without bound nor stalls the session for the other viewers."""

import socket
import time

from minotest import MEMORY_BOUND_ENV, SLOW, Client, memory_bound_kib, unb64


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_stalled_viewer_does_not_stall_others(podman_env):
    menv = podman_env
    menv.start_daemon("-v", env=MEMORY_BOUND_ENV)
    name = menv.name("flow")
    p = menv.mino("run", "-d", "-n", name, "--", "yes",
                  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")
    rss0 = rss_kib(menv.daemon.pid)

    stalled = menv.client()
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    r = stalled.call("session/attach", {"session": name, "replay": False})
    assert r["name"] == name
    # from here on `stalled` reads nothing

    reader = menv.client()
    reader.call("session/attach", {"session": name, "replay": False})
    want = 32 << 20
    got = 0
    peak = rss0
    gap = 0.0
    last = time.time()
    deadline = time.time() + 150 * SLOW
    while got < want and time.time() < deadline:
        try:
            # minod keeps serving the reader while the stalled viewer's
            # backlog grows to its cap (then that viewer is detached)
            m = reader.read_message(timeout=15)
        except (socket.timeout, TimeoutError):
            break
        assert m is not None, "minod closed the reading viewer"
        if m.get("method") == "session/output":
            now = time.time()
            gap = max(gap, now - last)
            last = now
            got += len(unb64(m["params"]["data"]))
            if got % (4 << 20) < 65536:
                peak = max(peak, rss_kib(menv.daemon.pid))
    peak = max(peak, rss_kib(menv.daemon.pid))
    assert got >= want, ("the reading viewer got only %d bytes (longest pause %.1f s): "
                         "stalled by the other" % (got, gap))
    assert gap < 5 * SLOW, "the reading viewer was stalled for %.1f s" % gap
    # the backlog of the stalled viewer is capped (8 MiB) plus working memory
    # (scaled under ASan: redzones, shadow, a capped quarantine)
    bound = memory_bound_kib(48 * 1024)
    assert peak - rss0 < bound, "minod grew by %d KiB (bound %d KiB)" % (peak - rss0, bound)
    # the stalled viewer was detached with a notification, and still is
    # connected or closed, never served an unbounded backlog
    stalled.sock.settimeout(10 * SLOW)
    m = stalled.wait_note("session/detached", lambda m: m["params"]["session"] == name, timeout=60)
    assert m["params"]["reason"]
    reader.close()
    stalled.close()
    assert menv.mino("stop", "-f", name).returncode == 0


def test_input_to_session_that_does_not_read(podman_env):
    """Input for a command that never reads is capped, not queued forever."""
    menv = podman_env
    menv.start_daemon("-v", env=MEMORY_BOUND_ENV)
    name = menv.name("inp")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")
    rss0 = rss_kib(menv.daemon.pid)
    c = menv.client()
    c.call("session/attach", {"session": name, "replay": False})
    chunk = "A" * 49152   # base64 of 36 KiB
    c.sock.settimeout(5)
    deadline = time.time() + 20
    for _ in range(2000):   # up to ~70 MiB offered, for at most ~25 s
        if time.time() > deadline:
            break
        try:
            c.notify("session/input", {"session": name, "data": chunk})
        except OSError:     # minod stopped reading us: backpressure
            break
    time.sleep(1)
    grown = rss_kib(menv.daemon.pid) - rss0
    bound = memory_bound_kib(48 * 1024)
    assert grown < bound, "minod grew by %d KiB queueing input (bound %d KiB)" % (grown, bound)
    c.close()
    # the loop must still serve others (a blocking write to the PTY would
    # wedge it)
    with Client(menv.sock, timeout=5) as other:
        r = other.request("mino/hello", {"protocol": 1, "client": "other"}, timeout=5)
        assert "result" in r, r
    assert menv.mino("stop", "-f", name).returncode == 0
