"""The session pipeline (issue 7): no environment value in any argv, any
environ outside the container, `podman inspect`, the record, the audit
log, minod's log or the transcript; stop answers once the container is
gone; a session whose record cannot be written does not start; after a
restart, sessions that never started are recorded failed."""

import json
import os
import secrets
import threading
import time

from minotest import MINO, SLOW, is_one_line_error, wait_for


class ProcScanner:
    """Reads every /proc/*/cmdline and /proc/*/environ outside the
    container (another pid namespace is inside one), except `exclude`,
    in a loop, and remembers who held `needle`."""

    def __init__(self, needle, exclude=()):
        self.needle = needle.encode()
        self.exclude = set(exclude)
        self.hits = []
        self.scans = 0
        self.stop = threading.Event()
        self.own_ns = os.readlink("/proc/self/ns/pid")
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.scan()

    def scan(self):
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) in self.exclude or int(d) == os.getpid():
                continue
            try:
                if os.readlink("/proc/%s/ns/pid" % d) != self.own_ns:
                    continue  # inside a container: the command may hold it
                for what in ("cmdline", "environ"):
                    with open("/proc/%s/%s" % (d, what), "rb") as f:
                        if self.needle in f.read():
                            with open("/proc/%s/cmdline" % d, "rb") as f2:
                                self.hits.append((d, what, f2.read()[:200]))
            except OSError:
                continue
        self.scans += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.stop.set()
        self.thread.join()


def files_under(root):
    for dirpath, _, names in os.walk(root):
        for n in names:
            yield os.path.join(dirpath, n)


def test_secrets_reach_the_command_and_nothing_else(menv):
    name = menv.name("sec")
    token = "s3cr3t-" + secrets.token_hex(12)
    token2 = "s3cr3t-" + secrets.token_hex(12)
    # The daemon runs with -v (verbose) already (minotest.start_daemon).
    with ProcScanner(token) as scan:
        proc = menv.mino_popen("run", "-n", name, "-e", "TOKEN=" + token, "--", "sh", "-c",
                               'printf %s "$TOKEN" > token.out; echo started; sleep 30')
        scan.exclude.add(proc.pid)
        assert proc.stdout.readline() == b"started\n", proc.stderr.read()
        c = menv.container_of(name)
        assert c is not None
        inspect = menv.podman("inspect", c["id"])
        assert inspect.returncode == 0, inspect.stderr
        # exec goes through the same entry, with its own env file (the
        # client here is this test process, which the scan leaves out)
        with menv.client() as cl:
            res = cl.call("session/exec", {"session": name, "env": ["TOKEN2=" + token2],
                                           "command": ["sh", "-c", 'printf %s "$TOKEN2" > token2.out']})
            ex = cl.wait_note("session/exit", lambda m: m["params"].get("exec") == res["exec"],
                              timeout=30 * SLOW)
            assert ex["params"]["code"] == 0, ex
        stop = menv.mino("stop", name)
        assert stop.returncode == 0, stop.stderr
        proc.wait(timeout=30 * SLOW)
    assert scan.scans > 10, scan.scans
    # the client (the user gave it the value) may be seen before its pid
    # was known to the scanner, or as a fork of itself
    client = os.path.abspath(MINO).encode() + b"\0"
    leaks = [h for h in scan.hits if int(h[0]) not in scan.exclude and not h[2].startswith(client)]
    assert leaks == [], leaks
    for t in (token, token2):
        assert t.encode() not in inspect.stdout, "the value is in podman inspect"
    with open(os.path.join(menv.project, "token.out")) as f:
        assert f.read() == token
    with open(os.path.join(menv.project, "token2.out")) as f:
        assert f.read() == token2
    # record, audit log, transcript, minod's log: nothing of either value
    looked = 0
    for path in list(files_under(menv.state)) + [menv.daemon_log]:
        with open(path, "rb") as f:
            data = f.read()
        looked += 1
        for t in (token, token2):
            assert t.encode() not in data, "%s holds the value" % path
    assert looked >= 3, looked
    assert os.path.exists(os.path.join(menv.state, "mino", "sessions", name + ".json"))
    assert os.path.exists(os.path.join(menv.state, "mino", "audit.log"))
    # the run directory went with the container
    rundir = os.path.join(menv.runtime, "mino", "run")
    assert os.listdir(rundir) == [], os.listdir(rundir)


def test_run_directory_modes(menv):
    name = menv.name("rd")
    p = menv.mino("run", "-d", "-n", name, "-e", "K=v", "--", "sleep", "60")
    assert p.returncode == 0, p.stderr
    rec = menv.session(name)
    top = os.path.join(menv.runtime, "mino")
    d = os.path.join(top, "run", rec["id"])
    assert os.stat(top).st_mode & 0o777 == 0o700
    assert os.stat(os.path.join(top, "run")).st_mode & 0o777 == 0o700
    assert os.stat(d).st_mode & 0o777 == 0o755
    env = os.path.join(d, "env")
    assert os.stat(env).st_mode & 0o777 == 0o644
    with open(env, "rb") as f:
        assert f.read().split(b"\0") [:1] == [b"K=v"]
    assert menv.mino("stop", name).returncode == 0


def test_stop_returns_once_the_container_is_removed(menv):
    name = menv.name("stp")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    cid = menv.container_of(name)["id"]
    p = menv.mino("stop", name)
    assert p.returncode == 0, p.stderr
    ps = menv.podman("ps", "-a", "--format", "{{.ID}}", "--no-trunc")
    assert cid not in ps.stdout.decode(), ps.stdout
    assert menv.session(name)["status"] == "stopped"
    with open(os.path.join(menv.state, "mino", "sessions", name + ".json")) as f:
        assert json.load(f)["status"] == "stopped"


def test_unwritable_record_does_not_start(menv):
    name = menv.name("ro")
    sessions = os.path.join(menv.state, "mino", "sessions")
    os.chmod(sessions, 0o500)
    try:
        p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    finally:
        os.chmod(sessions, 0o700)
    assert p.returncode != 0
    assert is_one_line_error(p.stderr), p.stderr
    assert b"record" in p.stderr, p.stderr
    assert menv.container_of(name) is None, menv.containers()
    assert menv.session(name) is None


def test_restart_records_never_started_sessions_failed(menv):
    """minod killed during create: the record says starting; its container
    was created but never started.  After a restart the session is
    failed, its container and stale run directory removed."""
    name = menv.name("half")
    gone = menv.name("gone")
    sid = secrets.token_hex(8)
    gid = secrets.token_hex(8)
    statedir = os.path.join(menv.state, "mino")
    created = menv.podman("create", "--name", "mino-" + name, "--label", "mino.session=" + name,
                          "--label", "mino.id=" + sid, "--label", "mino.state=" + statedir,
                          "--label", "mino.project=" + menv.project, "--network=none",
                          "localhost/mino-busybox:latest", "sleep", "300")
    assert created.returncode == 0, created.stderr
    cid = created.stdout.decode().strip()
    menv.kill9_daemon()
    for n, i, c in ((name, sid, cid), (gone, gid, None)):
        rec = {"name": n, "id": i, "project_dir": menv.project, "image": "localhost/mino-busybox:latest",
               "command": ["sleep", "300"], "container_id": c, "status": "starting",
               "workdir": "/myproject", "network": "none", "tty": False, "detached": True,
               "created_at": "2026-01-01T00:00:00Z", "started_at": None, "ended_at": None,
               "exit_code": None}
        with open(os.path.join(statedir, "sessions", n + ".json"), "w") as f:
            json.dump(rec, f)
    # The run root is private (0700) when minod makes it; the first minod
    # may have been killed before it did, so make it as minod would: a
    # run root open to others is refused, and nothing in it is swept.
    run_root = menv.runtime
    for part in ("mino", "run"):
        run_root = os.path.join(run_root, part)
        if not os.path.isdir(run_root):
            os.mkdir(run_root, 0o700)
    stale = os.path.join(run_root, secrets.token_hex(8))
    os.mkdir(stale)
    with open(os.path.join(stale, "env"), "wb") as f:
        f.write(b"OLD=1\0")
    menv.start_daemon()
    for n in (name, gone):
        s = menv.wait_status(n, "failed")
        assert s["error"] == "minod restarted before the container started", s
    assert wait_for(lambda: menv.podman("container", "exists", cid).returncode == 1, 20 * SLOW)
    assert wait_for(lambda: not os.path.exists(stale), 10 * SLOW), menv.daemon_log_tail()


def test_conmon_killed_is_recorded_lost(menv):
    name = menv.name("cm")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    cid = menv.container_of(name)["id"]
    ins = menv.podman("inspect", "--format", "{{.State.ConmonPid}}", cid)
    conmon = int(ins.stdout.decode().strip())
    assert conmon > 0
    os.kill(conmon, 9)
    s = menv.wait_status(name, "failed", timeout=30 * SLOW)
    assert s["error"] == "lost: conmon died", s
    assert s["exit_code"] is None, s
    assert wait_for(lambda: menv.podman("container", "exists", cid).returncode == 1, 20 * SLOW)


def podman_logging_path(menv):
    """A PATH whose `podman` logs each command line (one per line, the
    verb first) to a file, then runs the real podman."""
    import shutil
    real = shutil.which("podman")
    d = os.path.join(menv.root, "podman-log")
    os.mkdir(d)
    log = os.path.join(d, "calls")
    with open(os.path.join(d, "podman"), "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %s\nexec %s \"$@\"\n" % (log, real))
    os.chmod(os.path.join(d, "podman"), 0o755)
    return d + ":" + menv.env["PATH"], log


def test_attached_pipe_run_is_one_podman_process(menv):
    """An attached non-tty run with nothing between create and start is one
    `podman run` (no create, start or wait); podman's own error before the
    container runs is the session's one-line error, not output; the
    containers of runs that end together are removed, each once."""
    path, log = podman_logging_path(menv)
    menv.stop_daemon()
    menv.start_daemon(env={"PATH": path})
    name = menv.name("one")
    p = menv.mino("run", "-n", name, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (p.returncode, p.stdout, p.stderr) == (3, b"out\n", b"err\n")
    calls = [l.split() for l in open(log).read().splitlines() if "mino-" + name in l]
    assert [c[0] for c in calls] == ["run"], calls
    assert "--log-driver=passthrough" in calls[0] and "--sig-proxy=false" in calls[0], calls
    s = menv.session(name)
    assert s["status"] == "exited" and s["exit_code"] == 3, s
    cid = s["container_id"]
    assert len(cid) == 64 and all(ch in "0123456789abcdef" for ch in cid), s
    assert wait_for(lambda: any(l.startswith("rm ") and cid in l for l in open(log).read().splitlines()),
                    20 * SLOW), open(log).read()
    # podman's own failure (a name in use by a container not ours): one line
    victim = menv.name("taken")
    r = menv.podman("create", "--name", "mino-" + victim, "--network=none",
                    "localhost/mino-busybox:latest", "true")
    assert r.returncode == 0, r.stderr
    vid = r.stdout.decode().strip()
    try:
        p = menv.mino("run", "-n", victim, "--", "echo", "never")
        assert p.returncode != 0 and p.stdout == b"", (p.returncode, p.stdout)
        assert is_one_line_error(p.stderr) and b"already in use" in p.stderr, p.stderr
        assert menv.podman("container", "exists", vid).returncode == 0
    finally:
        menv.podman("rm", "-f", vid)
    # eight at once: every container removed, each by exactly one rm
    names = [menv.name("many%d" % i) for i in range(8)]
    procs = [menv.mino_popen("run", "-n", n, "--", "true") for n in names]
    for pr in procs:
        pr.communicate(timeout=120 * SLOW)
        assert pr.returncode == 0
    ids = [menv.session(n)["container_id"] for n in names]

    def removed():
        rms = [l for l in open(log).read().splitlines() if l.startswith("rm ")]
        return all(sum(i in l for l in rms) == 1 for i in ids)
    assert wait_for(removed, 30 * SLOW), open(log).read()
    assert wait_for(lambda: not any(menv.podman("container", "exists", i).returncode == 0 for i in ids),
                    20 * SLOW)
