"""-e values in argv (issue 13 item 3, the client side).  `mino run -e
NAME` takes NAME's value from the client's environment and `--env-file`
reads podman's env-file format, so a secret never has to be on a command
line, where every local user can read it in /proc/PID/cmdline.  Errors
about a variable never echo its value.

The scan covers every process on the machine that we can see: the mino
client, minod and the podman, conmon and runtime processes it starts (the
environment reaches the container through the run directory, never a
command line)."""

import os

from minotest import is_one_line_error

SECRET = "s3cr3t-val-9f2c"


def cmdlines():
    """{pid: (comm, cmdline bytes)} of every process we can see."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
            with open("/proc/%s/comm" % d, "rb") as f:
                comm = f.read().strip()
        except OSError:
            continue
        out[int(d)] = (comm, cmd)
    return out


def processes_showing(value):
    return [(pid, comm) for pid, (comm, cmd) in cmdlines().items() if value.encode() in cmd]


def run_and_scan(menv, *args, env=None):
    """Starts `mino run ARGS` attached (the client stays in the process
    table while the session sleeps), scans /proc while it runs, then waits."""
    name = menv.name("e")
    e = dict(menv.env)
    e.update(env or {})
    proc = menv.mino_popen("run", "-n", name, *args, "--", "sh", "-c",
                           'printf "%s|%s\\n" "$TOKEN" "$OTHER"; sleep 3', env=e)
    try:
        # while the client runs and minod holds the session
        menv.wait_status(name, "running")
        assert any(comm == b"mino" and name.encode() in cmd for comm, cmd in cmdlines().values())
        seen = processes_showing(SECRET)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return seen, out, err, proc.returncode


def test_env_name_takes_the_client_value(menv):
    seen, out, err, rc = run_and_scan(menv, "-e", "TOKEN", "-e", "OTHER=plain",
                                      env={"TOKEN": SECRET})
    assert rc == 0, err
    assert out == ("%s|plain\n" % SECRET).encode(), out
    assert seen == [], seen


def test_env_file(menv):
    path = os.path.join(menv.root, "secrets.env")
    with open(path, "w") as f:
        f.write("# the agent's key\n\n  TOKEN=%s\nOTHER\n" % SECRET)
    os.chmod(path, 0o600)
    seen, out, err, rc = run_and_scan(menv, "--env-file", path, env={"OTHER": "from-env"})
    assert rc == 0, err
    assert out == ("%s|from-env\n" % SECRET).encode(), out
    assert seen == [], seen


def test_env_name_unset_is_not_passed(menv):
    e = dict(menv.env)
    e.pop("TOKEN", None)
    p = menv.mino("run", "-e", "TOKEN", "--", "sh", "-c", 'echo "${TOKEN-unset}"', env=e)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"unset\n"


def test_errors_never_echo_values(menv):
    # a bad name before `=`
    p = menv.mino("run", "-e", "BAD-NAME=%s" % SECRET, "--", "true")
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr
    assert SECRET.encode() not in p.stderr, p.stderr
    # a bad line in an env file
    path = os.path.join(menv.root, "bad.env")
    with open(path, "w") as f:
        f.write("GOOD=1\nBAD NAME=%s\n" % SECRET)
    p = menv.mino("run", "--env-file", path, "--", "true")
    assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr
    assert SECRET.encode() not in p.stderr and (path + ":2").encode() in p.stderr, p.stderr
    # a value with a newline, refused by minod: the error names the variable only
    p = menv.mino("run", "-e", "TOKEN", "--", "true", env={"TOKEN": SECRET + "\nx"})
    assert p.returncode != 0, p.stderr
    assert SECRET.encode() not in p.stderr and b"TOKEN" in p.stderr, p.stderr
    with open(menv.daemon_log, "rb") as f:
        assert SECRET.encode() not in f.read()
    assert menv.containers() == []
