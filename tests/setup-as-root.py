#!/usr/bin/python3
"""`mino setup --user NAME` run as root for a fresh user (issue 12 item 2),
which needs root and a user of its own, so tests/run-all runs it as root
outside the meson suite.  As root:

    /usr/bin/python3 tests/setup-as-root.py BUILDDIR

1. creates a fresh user mino-setup-t<pid> without subordinate ids;
2. `mino setup --check --user NAME` fails (no subordinate ids) and changes
   nothing;
3. `mino setup --user NAME` at a terminal, answering every question yes but
   the base image's: gives the user subordinate ids after every range in
   use (overlapping nobody's), runc where crun refuses cgroup v1 hybrid
   mode, and the systemd user units with socket activation, owned by the user;
4. `mino setup --check --user NAME` then passes;
5. removes the user.
Prints TAP; exits non-zero if a case fails.  The packages are installed
already here: their command lines are unit-tested (unit-pkgmgr).
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pexpect

n = 0
failed = 0


def ok(cond, what, diag=""):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond:
        failed += 1
        for line in str(diag).splitlines()[-30:]:
            print("# " + line)
    sys.stdout.flush()
    return cond


def ranges(path):
    out = []
    with open(path) as f:
        for line in f:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                out.append((parts[0], int(parts[1]), int(parts[2])))
    return out


def mini_tree(build, dst):
    """The files mino setup uses, beside a copy of mino that the fresh user
    can read (BUILDDIR may be in another user's private home)."""
    for rel_from, rel_to in ((os.path.join(build, "client", "mino"), "build/client/mino"),
                             (os.path.join(build, "daemon", "minod"), "build/daemon/minod"),
                             (os.path.join(build, "systemd", "minod.service"), "build/systemd/minod.service"),
                             (os.path.join(build, "systemd", "minod.socket"), "build/systemd/minod.socket"),
                             (os.path.join(build, "debian-packages.txt"), "build/debian-packages.txt")):
        to = os.path.join(dst, rel_to)
        os.makedirs(os.path.dirname(to), exist_ok=True)
        shutil.copy2(rel_from, to)
    for d, dirs, files in os.walk(dst):
        os.chmod(d, 0o755)
    return os.path.join(dst, "build", "client", "mino")


def main():
    if len(sys.argv) != 2 or os.geteuid() != 0:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    name = "mino-setup-t%d" % os.getpid()
    world = tempfile.mkdtemp(prefix="mino-setup-")
    os.chmod(world, 0o755)
    mino = mini_tree(build, world)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "TERM": "dumb", "HOME": "/root"}
    subprocess.run(["useradd", "-m", "-s", "/bin/bash", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name],
                   check=True)
    try:
        run_cases(name, mino, env)
    finally:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        subprocess.run(["userdel", "-r", "-f", name], capture_output=True)
        shutil.rmtree(world, ignore_errors=True)
    print("1..%d" % n)
    return 1 if failed else 0


def run_cases(name, mino, env):
    pw = pwd.getpwnam(name)
    others = [r for r in ranges("/etc/subuid") + ranges("/etc/subgid") if r[0] != name]
    ok(not any(r[0] == name for r in ranges("/etc/subuid")), "the fresh user has no subordinate uids")

    before = (open("/etc/subuid").read(), open("/etc/subgid").read())
    p = subprocess.run([mino, "setup", "--check", "--user", name], capture_output=True, env=env, timeout=300)
    out = p.stdout.decode()
    ok(p.returncode == 1 and "FAIL  subuids" in out and "`mino setup`, or: sudo usermod --add-subuids" in out,
       "setup --check: no subordinate ids is a FAIL with the fix, exit 1", out + p.stderr.decode())
    ok((open("/etc/subuid").read(), open("/etc/subgid").read()) == before, "setup --check changed nothing")

    child = pexpect.spawn(mino, ["setup", "--user", name], env=env, timeout=300, encoding="utf-8")
    log = []
    child.logfile_read = type("L", (), {"write": lambda self, s: log.append(s), "flush": lambda self: None})()
    asked = []
    while True:
        i = child.expect([r"(\S[^\n]*\?) \[Y/n\] ", pexpect.EOF])
        if i == 1:
            break
        q = child.match.group(1)
        asked.append(q)
        child.sendline("n" if q == "Build it?" else "y")
    child.close()
    text = "".join(log)
    ok(child.exitstatus == 0, "mino setup --user %s exits 0" % name, text)
    ok(asked[:1] == ["Add them?"] and "Build it?" in asked and "Install and enable them?" in asked,
       "it asked for the ids, the base image and the units", asked)

    mine = [r for r in ranges("/etc/subuid") if r[0] == name]
    ming = [r for r in ranges("/etc/subgid") if r[0] == name]
    ok(len(mine) == 1 and len(ming) == 1 and mine[0][2] == 65536 and mine[0][1:] == ming[0][1:],
       "65536 subordinate uids and gids, one range each", (mine, ming))
    if mine:
        start, count = mine[0][1], mine[0][2]
        overlap = [r for r in others if r[1] < start + count and start < r[1] + r[2]]
        ok(not overlap and start >= max([r[1] + r[2] for r in others] + [100000]),
           "the range is after every range in use: it overlaps nobody's", (mine, overlap))

    conf = os.path.join(pw.pw_dir, ".config", "containers", "containers.conf")
    crun_refused = "Use runc: the kernel runs cgroup v1 hybrid mode" in text
    if crun_refused:
        with open(conf) as f:
            ok('[engine]\nruntime = "runc"' in f.read(), "runc set in the user's containers.conf")
        ok(os.stat(conf).st_uid == pw.pw_uid, "containers.conf belongs to the user")
    units = os.path.join(pw.pw_dir, ".config", "systemd", "user")
    link = os.path.join(units, "sockets.target.wants", "minod.socket")
    ok(os.path.isfile(os.path.join(units, "minod.service")) and os.path.islink(link) and
       os.stat(os.path.join(units, "minod.service")).st_uid == pw.pw_uid,
       "the user units are installed for the user and minod.socket enabled", text)

    p = subprocess.run([mino, "setup", "--check", "--user", name], capture_output=True, env=env, timeout=300)
    ok(p.returncode == 0, "setup --check passes afterwards", p.stdout.decode() + p.stderr.decode())


if __name__ == "__main__":
    sys.exit(main())
