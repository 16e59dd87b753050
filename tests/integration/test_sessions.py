"""Detached sessions: list, exec, attach, stop, logs, status."""

import json
import os
import re
import signal
import subprocess
import time

import pytest

from minotest import EXEC_PATHS, MINO, exec_via, is_one_line_error, wait_for


def start_detached(menv, *cmd, name=None, extra=()):
    name = name or menv.name("d")
    p = menv.mino("run", "-d", "-n", name, *extra, "--", *cmd)
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")
    return name


def test_detach_returns_and_lists(menv):
    t0 = time.time()
    name = start_detached(menv, "sleep", "300")
    assert time.time() - t0 < 30
    s = menv.session(name, all_=False)
    assert s["status"] == "running"
    assert s["detached"] is True
    assert s["project_dir"] == menv.project
    assert s["workdir"] == "/myproject"
    assert s["command"] == ["sleep", "300"]
    c = menv.container_of(name)
    assert c is not None and c["state"] == "running"
    assert c["labels"].get("mino.session") == name


def test_run_d_prints_name(menv):
    name = menv.name("pn")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    assert name.encode() in p.stdout + p.stderr


def test_auto_name(menv):
    p = menv.mino("run", "-d", "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    sessions = menv.list_json(all_=False)
    assert len(sessions) == 1
    name = sessions[0]["name"]
    assert name and name.encode() in p.stdout + p.stderr


def test_list_formats(menv):
    a = start_detached(menv, "sleep", "300")
    b = start_detached(menv, "sleep", "301")
    ended = menv.name("end")
    assert menv.mino("run", "-n", ended, "--", "true").returncode == 0

    # json: valid, running only unless -a
    running = [s["name"] for s in menv.list_json(all_=False)]
    assert sorted(running) == sorted([a, b])
    every = {s["name"]: s for s in menv.list_json(all_=True)}
    assert every[ended]["status"] == "exited" and every[ended]["exit_code"] == 0

    # plain: one session per line, name first
    p = menv.mino("list", "-f", "plain")
    assert p.returncode == 0, p.stderr
    firsts = sorted(l.split()[0] for l in p.stdout.decode().splitlines() if l.strip())
    assert firsts == sorted([a, b]), p.stdout

    # table: a header, rows aligned under the header's columns
    p = menv.mino("list", "-a")
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.decode().splitlines() if l.strip()]
    assert len(lines) == 4, lines
    header = lines[0]
    assert "NAME" in header.upper()
    offsets = [i for i, ch in enumerate(header) if ch != " " and (i == 0 or header[i - 1] == " ")]
    assert len(offsets) >= 3, header
    for row in lines[1:]:
        for off in offsets[1:]:
            assert len(row) > off and row[off - 1] == " " and row[off] != " ", \
                "misaligned row %r under header %r" % (row, header)
    assert any(l.split()[0] == ended for l in lines[1:])


def test_list_empty_and_closed_pipe(menv):
    p = menv.mino("list", "-f", "json")
    assert p.returncode == 0, p.stderr
    # documented (README): `-f json` prints a JSON array of session records
    assert json.loads(p.stdout) == []
    for i in range(3):
        start_detached(menv, "sleep", "300")
    for fmt in ("table", "json", "plain"):
        p = subprocess.run(["sh", "-c", '"$MINO" list -a -f %s | head -0; echo "${PIPESTATUS:-}"' % fmt],
                           env=dict(menv.env, MINO=MINO), capture_output=True, timeout=60,
                           cwd=menv.project)
        assert p.returncode == 0
        assert b"Sanitizer" not in p.stderr and b"Segmentation" not in p.stderr, p.stderr
    # and under a shell that reports the writer's status
    p = subprocess.run(["bash", "-c", 'set -o pipefail; "$MINO" list -a | head -0; echo "rc=$?"'],
                       env=dict(menv.env, MINO=MINO), capture_output=True, timeout=60)
    rc = int(p.stdout.decode().strip().split("rc=")[1])
    assert rc not in (128 + 6, 128 + 11, 134, 139), (rc, p.stderr)
    assert b"Sanitizer" not in p.stderr


@pytest.mark.parametrize("menv", EXEC_PATHS, indirect=True)
def test_exec(menv):
    name = start_detached(menv, "sleep", "300", extra=("-e", "WHO=first"))
    assert exec_via(menv, name) == (menv.exec_path, 0)
    p = menv.mino("exec", name, "--", "sh", "-c", "echo $WHO; pwd; exit 5")
    assert p.returncode == 5, p.stderr
    assert p.stdout == b"first\n/myproject\n"
    p = menv.mino("exec", name, "--", "sh", "-c", "echo oops >&2")
    assert p.returncode == 0
    assert p.stdout == b"" and p.stderr == b"oops\n"
    p = menv.mino("exec", name, "--", "cat", input=b"piped")
    assert p.stdout == b"piped"


@pytest.mark.parametrize("menv", EXEC_PATHS, indirect=True)
def test_exec_default_session(menv):
    start_detached(menv, "sleep", "300", extra=("-e", "WHO=first"))
    time.sleep(1.1)
    start_detached(menv, "sleep", "300", extra=("-e", "WHO=second"))
    p = menv.mino("exec", "--", "sh", "-c", "echo $WHO")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"second\n"


@pytest.mark.parametrize("menv", EXEC_PATHS, indirect=True)
def test_exec_errors(menv):
    p = menv.mino("exec", menv.name("none"), "--", "true")
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr
    ended = menv.name("ended")
    assert menv.mino("run", "-n", ended, "--", "true").returncode == 0
    p = menv.mino("exec", ended, "--", "true")
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr


def test_stop(menv):
    name = start_detached(menv, "sleep", "300")
    t0 = time.time()
    p = menv.mino("stop", name)
    assert p.returncode == 0, p.stderr
    assert time.time() - t0 < 8, "graceful stop should not wait out a 10 s grace period"
    s = menv.session(name)
    assert s["status"] in ("stopped", "exited"), s
    assert wait_for(lambda: menv.container_of(name) is None, 10)
    assert menv.session(name, all_=False) is None


def test_stop_force(menv):
    name = start_detached(menv, "sh", "-c", "trap '' TERM; while :; do sleep 1; done")
    t0 = time.time()
    p = menv.mino("stop", "-f", name)
    assert p.returncode == 0, p.stderr
    assert time.time() - t0 < 8
    assert menv.session(name)["status"] in ("stopped", "exited")
    assert wait_for(lambda: menv.container_of(name) is None, 10)


def test_stop_unknown(menv):
    p = menv.mino("stop", menv.name("ghost"))
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr


def test_logs_after_exit(menv):
    name = menv.name("lg")
    p = menv.mino("run", "-n", name, "--", "sh", "-c",
                  "for i in 1 2 3 4 5; do echo out$i; done; echo err1 >&2")
    assert p.returncode == 0
    assert wait_for(lambda: menv.container_of(name) is None, 10)
    p = menv.mino("logs", name)
    assert p.returncode == 0, p.stderr
    assert b"out1\n" in p.stdout and b"out5\n" in p.stdout
    assert b"err1" in p.stdout + p.stderr
    p = menv.mino("logs", "-l", "2", name)
    assert p.returncode == 0
    out = p.stdout.splitlines()
    assert len(out) == 2, p.stdout
    p = menv.mino("logs", "-l", "0", name)
    assert len(p.stdout.splitlines()) == 6, p.stdout
    p = menv.mino("logs", "--lines", "1", name)
    assert len(p.stdout.splitlines()) == 1, p.stdout


def test_logs_many_lines_default_100(menv):
    name = menv.name("lh")
    p = menv.mino("run", "-n", name, "--", "sh", "-c", "i=0; while [ $i -lt 250 ]; do echo l$i; i=$((i+1)); done")
    assert p.returncode == 0
    p = menv.mino("logs", name)
    lines = p.stdout.splitlines()
    assert len(lines) == 100 and lines[-1] == b"l249", (len(lines), lines[-1:])


def test_logs_follow(menv):
    name = start_detached(menv, "sh", "-c", "echo first; sleep 2; echo second; sleep 1; exit 0")
    p = menv.mino("logs", "-f", name, timeout=60)
    assert p.returncode == 0, p.stderr
    out = p.stdout.replace(b"\r\n", b"\n")
    assert b"first\n" in out and b"second\n" in out, out


def test_logs_unknown(menv):
    p = menv.mino("logs", menv.name("ghost"))
    assert p.returncode != 0 and is_one_line_error(p.stderr)


def test_attach_piped(menv):
    # `run -d` sessions have a terminal (so that attach can be interactive);
    # attaching with pipes still streams it and returns its exit status
    name = start_detached(menv, "sh", "-c", "echo early; read x; echo got-$x; exit 6")
    proc = menv.mino_popen("attach", name, stdin=subprocess.PIPE)
    try:
        out, err = proc.communicate(b"hello\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 6, (proc.returncode, err)
    out = out.replace(b"\r\n", b"\n")
    assert b"early\n" in out and b"got-hello\n" in out, out


PREREQS = ("podman", "rootless", "OCI runtime", "init binary", "newuidmap", "newgidmap",
           "subuids", "subgids", "rootless network", "storage driver")


def prereq_lines(text):
    """{name: (STATUS, rest)} of `mino status`'s prerequisite lines."""
    out = {}
    for line in text.splitlines():
        for name in PREREQS:
            head = line[:6].strip()
            if head in ("OK", "WARN", "FAIL") and line[6:].startswith(name + "  "):
                out[name] = (head, line[6 + len(name):].strip())
    return out


def test_status(menv):
    p = menv.mino("status")
    assert p.returncode == 0, p.stdout + p.stderr
    text = p.stdout.decode()
    v = subprocess.run(["podman", "version", "--format", "{{.Client.Version}}"],
                       capture_output=True, env=menv.env).stdout.decode().strip()
    checks = prereq_lines(text)
    assert sorted(checks) == sorted(PREREQS), text
    # this machine's test setup gives every prerequisite, overlay storage included
    assert all(st == "OK" for st, _ in checks.values()), text
    assert v and checks["podman"][1].startswith(v + " at /"), text
    assert checks["rootless"][1] == "yes"
    assert checks["OCI runtime"][1].split()[0] in ("runc", "crun"), text
    assert re.search(r"^OK +minod +pid %d, version .*, socket %s$" % (menv.daemon.pid, re.escape(menv.sock)),
                     text, re.M), text
    assert re.search(r"^OK +minod's podman +%s at /" % re.escape(v), text, re.M), text
    assert re.search(r"^OK +caches +\d+\.\d\d GB of 50\.00 GB \(cache\.max_total_gb\)", text, re.M), text


def test_status_does_not_start_daemon(podman_env):
    p = podman_env.mino("status")
    text = p.stdout.decode()
    # minod is not needed for `mino run` to work (it autostarts): exit 0
    assert p.returncode == 0, text + p.stderr.decode()
    assert re.search(r"^OK +minod +not running \(socket %s\)$" % re.escape(podman_env.sock), text, re.M), text
    assert re.search(r"^---- +sessions +unknown \(only minod knows\)$", text, re.M), text
    assert sorted(prereq_lines(text)) == sorted(PREREQS), text
    time.sleep(0.5)
    assert podman_env.daemon_pid() is None
    assert not os.path.exists(podman_env.sock)


def test_status_names_missing_init_binary(podman_env):
    missing = os.path.join(podman_env.root, "no-such-catatonit")
    conf = os.path.join(podman_env.root, "containers.conf")
    user_conf = os.path.join(podman_env.env["HOME"], ".config", "containers", "containers.conf")
    with open(user_conf) as f:
        base = f.read()
    with open(conf, "w") as f:
        f.write(base.replace("[containers]", '[containers]\ninit_path = "%s"' % missing, 1))
    p = podman_env.mino("status", env={"CONTAINERS_CONF": conf})
    text = p.stdout.decode()
    assert p.returncode == 1, text + p.stderr.decode()
    checks = prereq_lines(text)
    st, rest = checks["init binary"]
    assert st == "FAIL", text
    assert rest.startswith(missing + " is missing"), rest
    # the hint is for this distribution (Debian here), through sudo for a user
    assert rest.endswith("fix: sudo apt-get install --no-install-recommends catatonit"), rest
    assert [n for n, (s, _) in checks.items() if s == "FAIL"] == ["init binary"], text
    assert podman_env.daemon_pid() is None


def test_status_without_podman(bare_env):
    bindir = os.path.dirname(os.path.abspath(MINO))
    p = bare_env.mino("status", env={"PATH": bindir})
    text = p.stdout.decode()
    assert p.returncode == 1, text + p.stderr.decode()
    checks = prereq_lines(text)
    assert checks["podman"] == ("FAIL", "not found in PATH; fix: sudo apt-get install --no-install-recommends podman"), text
    assert checks["rootless"][0] == "FAIL" and "fix podman first" in checks["rootless"][1]
    assert bare_env.daemon_pid() is None


def test_autostart(podman_env):
    p = podman_env.mino("run", "--", "echo", "auto")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"auto\n"
    assert podman_env.daemon_pid() is not None
    # a second client finds the same daemon
    pid = podman_env.daemon_pid()
    assert podman_env.mino("list").returncode == 0
    assert podman_env.daemon_pid() == pid


def listening_socket_inodes(path):
    """Inodes of the Unix sockets listening at path (from /proc/net/unix)."""
    out = []
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            # Num RefCount Protocol Flags Type St Inode Path; __SO_ACCEPTCON = 0x10000
            if len(fields) >= 8 and fields[7] == path and int(fields[3], 16) & 0x10000:
                out.append(int(fields[6]))
    return out


def socket_holders(inode):
    want = "socket:[%d]" % inode
    pids = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % d):
                if os.readlink("/proc/%s/fd/%s" % (d, fd)) == want:
                    pids.add(int(d))
                    break
        except OSError:      # gone, or not ours
            continue
    return pids


def parent_pid(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("PPid:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def test_concurrent_autostart(podman_env):
    procs = [podman_env.mino_popen("run", "--", "echo", "c%d" % i) for i in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    for i, (p, (out, err)) in enumerate(zip(procs, outs)):
        assert p.returncode == 0, err
        assert out == b"c%d\n" % i
    # one daemon listens: the one that answers on the socket.  (Counting
    # processes named minod would also count a fork of it that has not yet
    # exec'd podman.)
    pid = podman_env.daemon_pid()
    assert pid is not None
    inodes = listening_socket_inodes(podman_env.sock)
    assert len(inodes) == 1, "%d sockets listen at %s" % (len(inodes), podman_env.sock)
    holders = socket_holders(inodes[0])
    assert pid in holders, (pid, holders)
    # any other holder is a child of that daemon (forked, about to exec)
    others = {h: parent_pid(h) for h in holders if h != pid}
    assert all(pp == pid for pp in others.values()), (pid, others)


def test_help_and_version(bare_env):
    p = bare_env.mino("--help")
    assert p.returncode == 0
    text = p.stdout.decode()
    for cmd in ("run", "exec", "list", "stop", "logs", "status", "attach", "rpc"):
        assert cmd in text, cmd
    p = bare_env.mino("--version")
    assert p.returncode == 0 and p.stdout.strip()
    p = bare_env.mino("no-such-command")
    assert p.returncode == 2, p.stderr
    assert is_one_line_error(p.stderr), p.stderr
    assert p.stderr == b"mino: unknown command `no-such-command` (see mino help)\n", p.stderr


def test_rpc_command(menv):
    p = menv.mino("rpc", "daemon/status")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    r = r.get("result", r)
    assert r["protocol"] == 1 and r["pid"] > 0
    p = menv.mino("rpc", "session/list", '{"all": true}')
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    r = r.get("result", r)
    assert r["sessions"] == []
    p = menv.mino("rpc", "no/such")
    assert p.returncode != 0
    assert b"-32601" in p.stdout + p.stderr


def test_minod_sigterm_leaves_detached_running(menv):
    name = start_detached(menv, "sleep", "300")
    rc = menv.stop_daemon()
    assert rc == 0, (rc, menv.daemon_log_tail())
    c = menv.container_of(name)
    assert c is not None and c["state"] == "running"
    menv.start_daemon()
    assert menv.session(name, all_=False)["status"] == "running"
    assert menv.mino("stop", name).returncode == 0
    assert wait_for(lambda: menv.container_of(name) is None, 10)


def test_sigterm_clean_exit_log(menv):
    # minod must close every handle (uv_loop_close == 0) and say nothing alarming
    proc = menv.daemon
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    log = menv.daemon_log_tail(20000)
    assert "Sanitizer" not in log and "EBUSY" not in log, log


def test_list_fields(menv):
    """session/list {fields} gives each record those keys only; `mino list`
    (which asks for the six it shows) still shows them; a bad `fields` is
    invalid params."""
    name = start_detached(menv, "sleep", "300")
    with menv.client() as c:
        full = [s for s in c.call("session/list")["sessions"] if s["name"] == name]
        some = [s for s in c.call("session/list", {"fields": ["name", "status", "nosuchkey"]})["sessions"]
                if s["name"] == name]
        r = c.request("session/list", {"fields": "name"})
    assert len(full) == 1 and "command" in full[0] and "container_id" in full[0], full
    assert some == [{"name": name, "status": "running"}], some
    assert r["error"]["code"] == -32602, r
    p = menv.mino("list")
    assert p.returncode == 0, p.stderr
    row = [l for l in p.stdout.decode().splitlines() if l.startswith(name + " ")]
    assert len(row) == 1 and " running " in row[0] and menv.project in row[0], p.stdout
    menv.mino("stop", "-f", name)
