"""Dependency caches against real rootless podman: lockfile detection,
volumes per ecosystem at /cache/<eco>, states in minod's state file,
project and shared scope, --cache-fresh, --no-cache, detached sessions,
the GC (age with a settable clock, LRU under max_total_gb, in-use
volumes survive) and `cache clear --images`."""
import hashlib
import json
import os
import time
import uuid

import pytest

import minotest

LOCKS = {
    "package-lock.json": "npm",
    "Cargo.lock": "cargo",
    "requirements.txt": "pip",
}


def write_locks(project, files, salt):
    os.makedirs(project, exist_ok=True)
    for f in files:
        with open(os.path.join(project, f), "w") as fh:
            fh.write("%s %s\n" % (f, salt))


def sha12(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def p8(project):
    return hashlib.sha256(os.path.realpath(project).encode()).hexdigest()[:8]


def volumes(e):
    p = e.podman("volume", "ls", "--format", "json")
    assert p.returncode == 0, p.stderr
    return {v["Name"]: v.get("Labels") or {} for v in json.loads(p.stdout or b"[]")}


def state(e):
    with open(os.path.join(e.state, "mino", "caches.json")) as f:
        return json.load(f)["volumes"]


def vol_cat(e, vol, path):
    p = e.podman("run", "--rm", "--network=none", "-v", "%s:/v" % vol, minotest.IMAGE, "cat", "/v/" + path)
    return p.stdout.decode().strip() if p.returncode == 0 else None


@pytest.fixture
def cenv(request):
    """A mino world (no daemon yet) whose volumes go at the end."""
    reason = minotest.podman_reason()
    if reason:
        pytest.skip(reason)
    e = minotest.MinoEnv(request.node.name)
    e.salt = uuid.uuid4().hex
    yield e
    e.cleanup()
    for name, labels in volumes(e).items():
        if e.salt in name or labels.get("mino.cache.project_dir", "").startswith(e.root) or \
                labels.get("mino.home.project", "").startswith(e.root) or \
                name in getattr(e, "extra_volumes", ()):
            e.podman("volume", "rm", "-f", name)


def add_config(e, text):
    with open(e.config, "a") as f:
        f.write(text)


def run_ok(e, *args, rc=0, **kw):
    p = e.mino("run", *args, **kw)
    assert p.returncode == rc, (p.returncode, p.stdout, p.stderr, e.daemon_log_tail())
    return p


def test_three_ecosystems_volumes_env_and_states(cenv):
    e = cenv
    e.start_daemon()
    write_locks(e.project, LOCKS, e.salt)
    script = ('echo "$npm_config_cache $CARGO_HOME $PIP_CACHE_DIR $XDG_CACHE_HOME"; '
              'echo npm > $npm_config_cache/f; echo cargo > $CARGO_HOME/f; echo pip > $PIP_CACHE_DIR/f')
    p = run_ok(e, "--", "sh", "-c", script)
    assert p.stdout.decode().splitlines()[0] == "/cache/npm /cache/cargo /cache/pip /cache/xdg"
    vols = volumes(e)
    st = state(e)
    for lock, eco in LOCKS.items():
        name = "mino-cache-%s-%s-%s" % (eco, sha12(os.path.join(e.project, lock)), p8(e.project))
        assert name in vols, (name, sorted(vols))
        assert vols[name]["mino.cache.ecosystem"] == eco
        assert vols[name]["mino.cache.project"] == p8(e.project)
        assert vol_cat(e, name, "f") == eco
        assert st[name]["state"] == "complete"
    xdg = "mino-cache-xdg-%s" % hashlib.sha256(os.path.realpath(e.project).encode()).hexdigest()[:12]
    assert xdg in vols
    # no variable value on podman's command line or in its config
    # (the env file carries them); list -f json shows the caches
    sess = e.list_json()[-1]
    assert sorted(c["ecosystem"] for c in sess["caches"]) == ["cargo", "npm", "pip", "xdg"]
    assert all(c["state"] == "complete" for c in sess["caches"] if c["ecosystem"] != "xdg")
    # a variable the user sets keeps the user's value
    p = run_ok(e, "-e", "CARGO_HOME=/tmp/mine", "--", "sh", "-c", 'echo "$CARGO_HOME $npm_config_cache"')
    assert p.stdout.decode().strip() == "/tmp/mine /cache/npm"


def test_failed_session_leaves_building(cenv):
    e = cenv
    e.start_daemon()
    write_locks(e.project, ["Cargo.lock"], e.salt)
    run_ok(e, "--", "sh", "-c", "touch $CARGO_HOME/x; exit 1", rc=1)
    name = "mino-cache-cargo-%s-%s" % (sha12(os.path.join(e.project, "Cargo.lock")), p8(e.project))
    assert state(e)[name]["state"] == "building"
    # a retry that succeeds completes it
    run_ok(e, "--", "sh", "-c", "test -f $CARGO_HOME/x")
    assert state(e)[name]["state"] == "complete"


def test_same_lockfile_two_projects_project_scope(cenv):
    e = cenv
    e.start_daemon()
    other = os.path.join(e.root, "proj", "other")
    write_locks(e.project, ["Cargo.lock"], e.salt)
    write_locks(other, ["Cargo.lock"], e.salt)
    run_ok(e, "--", "sh", "-c", "echo one > $CARGO_HOME/f")
    run_ok(e, "-p", other, "--", "sh", "-c", "test ! -e $CARGO_HOME/f")
    h = sha12(os.path.join(e.project, "Cargo.lock"))
    names = [n for n in volumes(e) if n.startswith("mino-cache-cargo-%s" % h)]
    assert sorted(names) == sorted(["mino-cache-cargo-%s-%s" % (h, p8(e.project)),
                                    "mino-cache-cargo-%s-%s" % (h, p8(other))])


def test_same_lockfile_two_projects_shared_scope(cenv):
    e = cenv
    add_config(e, '\n[cache]\nscope = "shared"\n')
    e.start_daemon()
    other = os.path.join(e.root, "proj", "other")
    write_locks(e.project, ["Cargo.lock"], e.salt)
    write_locks(other, ["Cargo.lock"], e.salt)
    h = sha12(os.path.join(e.project, "Cargo.lock"))
    e.extra_volumes = ["mino-cache-cargo-%s" % h]
    run_ok(e, "--", "sh", "-c", "echo one > $CARGO_HOME/f")
    p = run_ok(e, "-p", other, "--", "sh", "-c", "cat $CARGO_HOME/f")
    assert p.stdout.decode().strip() == "one"
    names = [n for n in volumes(e) if n.startswith("mino-cache-cargo-%s" % h)]
    assert names == ["mino-cache-cargo-%s" % h]
    assert volumes(e)[names[0]]["mino.cache.project"] == "shared"


def test_cache_fresh_and_no_cache(cenv):
    e = cenv
    e.start_daemon()
    write_locks(e.project, ["package-lock.json"], e.salt)
    base = "mino-cache-npm-%s-%s" % (sha12(os.path.join(e.project, "package-lock.json")), p8(e.project))
    run_ok(e, "--", "sh", "-c", "echo old > $npm_config_cache/f")
    p = run_ok(e, "--cache-fresh", "--", "sh", "-c", "ls -A $npm_config_cache; echo end")
    assert p.stdout.decode().split() == ["end"]
    assert minotest.wait_for(lambda: base not in volumes(e), 20), sorted(volumes(e))
    assert base + "-g1" in volumes(e)
    assert any(a["event"] == "cache.removed" and a["data"]["name"] == base and
               a["data"]["reason"] == "superseded" for a in e.audit_lines())
    p = run_ok(e, "--no-cache", "--", "sh", "-c", 'echo "[$npm_config_cache]"; test ! -e /cache')
    assert p.stdout.decode().strip() == "[]"


def test_detached_session_finalizes(cenv):
    e = cenv
    e.start_daemon()
    write_locks(e.project, ["go.sum"], e.salt)
    name = "mino-cache-go-%s-%s" % (sha12(os.path.join(e.project, "go.sum")), p8(e.project))
    sname = e.name()
    run_ok(e, "-d", "-n", sname, "--", "sh", "-c", "sleep 1; echo x > $GOMODCACHE; exit 0")
    e.wait_status(sname, "exited", timeout=60)
    assert minotest.wait_for(lambda: state(e)[name]["state"] == "complete", 10), state(e)


def test_gc_age_by_clock_at_startup_and_in_use_survives(cenv):
    e = cenv
    e.start_daemon()
    write_locks(e.project, ["Cargo.lock"], e.salt)
    busy = os.path.join(e.root, "proj", "busy")
    write_locks(busy, ["yarn.lock"], e.salt)
    old = "mino-cache-cargo-%s-%s" % (sha12(os.path.join(e.project, "Cargo.lock")), p8(e.project))
    live = "mino-cache-yarn-%s-%s" % (sha12(os.path.join(busy, "yarn.lock")), p8(busy))
    run_ok(e, "--", "true")
    assert old in volumes(e)
    # 31 days later (cache.gc_days = 30): the start-up GC removes it
    e.stop_daemon()
    e.start_daemon(env={"MINOD_DEBUG_NOW": str(int(time.time()) + 31 * 86400)})
    # minod writes the audit line once `podman volume rm` has answered, a
    # moment after the volume has left `podman volume ls`: wait for the line.
    def removed():
        return [a for a in e.audit_lines() if a["event"] == "cache.removed" and a["data"]["name"] == old]
    assert minotest.wait_for(removed, 30), e.daemon_log_tail()
    assert old not in volumes(e)
    assert removed()[0]["data"]["reason"] == "age"
    # a volume a running session mounts survives gc --days 0
    sname = e.name()
    run_ok(e, "-d", "-n", sname, "-p", busy, "--", "sleep", "600")
    e.wait_status(sname, "running")
    p = e.mino("cache", "gc", "--days", "0")
    assert p.returncode == 0, p.stderr
    assert live in volumes(e)
    assert live not in p.stdout.decode()
    lst = json.loads(e.mino("cache", "list", "-f", "json").stdout)
    mine = [v for v in lst["volumes"] if v["name"] == live]
    assert mine and mine[0]["in_use"] is True
    e.mino("stop", sname)


def test_gc_lru_under_max_total(cenv):
    e = cenv
    add_config(e, "\n[cache]\nmax_total_gb = 10\n")
    e.start_daemon(env={"MINOD_DEBUG_CACHE_GB_BYTES": "1000"})   # 10 units = 10 kB
    names = []
    for i in range(3):
        proj = os.path.join(e.root, "proj", "p%d" % i)
        write_locks(proj, ["uv.lock"], e.salt + str(i))
        names.append("mino-cache-uv-%s-%s" % (sha12(os.path.join(proj, "uv.lock")), p8(proj)))
        run_ok(e, "-p", proj, "--", "sh", "-c", "dd if=/dev/zero of=$UV_CACHE_DIR/blob bs=1000 count=6 2>/dev/null")
        time.sleep(1.1)
    p = e.mino("cache", "gc", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert names[0] in p.stdout.decode() and names[1] in p.stdout.decode()
    assert all(n in volumes(e) for n in names)
    p = e.mino("cache", "gc")
    assert p.returncode == 0, p.stderr
    vols = volumes(e)
    assert names[0] not in vols and names[1] not in vols and names[2] in vols, p.stdout
    reasons = {a["data"]["name"]: a["data"]["reason"] for a in e.audit_lines() if a["event"] == "cache.removed"}
    assert reasons[names[0]] == "lru" and reasons[names[1]] == "lru"


def test_clear_images_leaves_user_things(cenv):
    e = cenv
    e.start_daemon()
    ctr = "user-ctr-%s" % e.salt[:8]
    user_img = "localhost/user-img-%s:latest" % e.salt[:8]
    composed = "localhost/mino-composed-%s:latest" % e.salt[:8]
    try:
        assert e.podman("create", "--name", ctr, minotest.IMAGE, "true").returncode == 0
        assert e.podman("tag", minotest.IMAGE, user_img).returncode == 0
        assert e.podman("tag", minotest.IMAGE, composed).returncode == 0
        p = e.mino("cache", "clear", "--images", "-y")
        assert p.returncode == 0, p.stderr
        assert e.podman("image", "exists", composed).returncode == 1
        assert e.podman("image", "exists", user_img).returncode == 0
        assert e.podman("image", "exists", minotest.IMAGE).returncode == 0
        assert e.podman("container", "exists", ctr).returncode == 0
        p = e.mino("cache", "clear", "--images")
        assert p.returncode == 2 and minotest.is_one_line_error(p.stderr), p.stderr
    finally:
        e.podman("rm", "-f", ctr)
        e.podman("rmi", user_img)
        e.podman("rmi", composed)


def test_cache_info_and_list(cenv):
    e = cenv
    e.start_daemon()
    write_locks(e.project, ["poetry.lock"], e.salt)
    run_ok(e, "--", "true")
    p = e.mino("cache", "info", "-f", "json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    name = "mino-cache-poetry-%s-%s" % (sha12(os.path.join(e.project, "poetry.lock")), p8(e.project))
    assert [l["volume"] for l in info["lockfiles"]] == [name]
    assert name in [v["name"] for v in info["volumes"]]
    p = e.mino("cache", "list", "-f", "plain")
    assert p.returncode == 0 and name in p.stdout.decode().split()
    p = e.mino("cache", "list", "-f", "yaml")
    assert p.returncode == 2 and minotest.is_one_line_error(p.stderr)


def test_home_volume_by_label_no_home_and_orphan_gc(cenv):
    e = cenv
    e.start_daemon()
    img = "localhost/mino-home-test-%s:latest" % e.salt[:8]
    ctx = os.path.join(e.root, "imgctx")
    os.makedirs(ctx)
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write("FROM %s\nLABEL mino.home=/home/developer\n" % minotest.IMAGE)
    try:
        p = e.podman("build", "-q", "-t", img, ctx, timeout=120)
        assert p.returncode == 0, p.stderr
        proj = os.path.join(e.root, "proj", "homeproj")
        os.makedirs(proj)
        home = "mino-home-%s" % hashlib.sha256(os.path.realpath(proj).encode()).hexdigest()[:12]
        run_ok(e, "--image", img, "-p", proj, "--", "sh", "-c", "echo kept > /home/developer/f")
        assert home in volumes(e)
        assert volumes(e)[home]["mino.home.project"] == os.path.realpath(proj)
        p = run_ok(e, "--image", img, "-p", proj, "--", "cat", "/home/developer/f")
        assert p.stdout.decode().strip() == "kept"
        p = run_ok(e, "--image", img, "-p", proj, "--no-home", "--", "sh", "-c",
                   "test ! -e /home/developer/f && echo none")
        assert p.stdout.decode().strip() == "none"
        # no label, no home volume (the busybox image)
        run_ok(e, "--", "true")
        assert not [n for n in volumes(e) if n.startswith("mino-home-") and
                    volumes(e)[n].get("mino.home.project") == os.path.realpath(e.project)]
        # the project goes: its home is an orphan for the GC
        for f in os.listdir(proj):
            os.unlink(os.path.join(proj, f))
        os.rmdir(proj)
        p = e.mino("cache", "gc")
        assert p.returncode == 0, p.stderr
        assert home not in volumes(e), p.stdout
        ev = [a for a in e.audit_lines() if a["event"] == "cache.removed" and a["data"]["name"] == home]
        assert ev and ev[0]["data"]["reason"] == "orphaned"
    finally:
        e.podman("rmi", "-f", img)


def test_two_sessions_same_key_at_once(cenv):
    e = cenv
    e.start_daemon()
    write_locks(e.project, ["pnpm-lock.yaml"], e.salt)
    name = "mino-cache-pnpm-%s-%s" % (sha12(os.path.join(e.project, "pnpm-lock.yaml")), p8(e.project))
    procs = [e.mino_popen("run", "--", "sh", "-c", "echo %d > $npm_config_store_dir/f%d" % (i, i))
             for i in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert [n for n in volumes(e) if n.startswith("mino-cache-pnpm-")] == [name]
    assert sorted(vol_cat(e, name, "f%d" % i) for i in range(3)) == ["0", "1", "2"]
    assert state(e)[name]["state"] == "complete"    # the file parses: never torn


def test_readopted_session_finalizes_its_caches(cenv):
    """Sessions that a restarted minod re-adopts finalize their caches at
    their end as if nothing had happened: exit 0 completes, exit 1 leaves
    building; meanwhile the volumes count as in use."""
    e = cenv
    e.start_daemon()
    good, bad = os.path.join(e.root, "proj", "good"), os.path.join(e.root, "proj", "bad")
    write_locks(good, ["Cargo.lock"], e.salt)
    write_locks(bad, ["uv.lock"], e.salt)
    vgood = "mino-cache-cargo-%s-%s" % (sha12(os.path.join(good, "Cargo.lock")), p8(good))
    vbad = "mino-cache-uv-%s-%s" % (sha12(os.path.join(bad, "uv.lock")), p8(bad))
    sgood, sbad = e.name("good"), e.name("bad")
    wait_go = "while [ ! -f go ]; do sleep 0.2; done"
    run_ok(e, "-d", "-n", sgood, "-p", good, "--", "sh", "-c", "echo x > $CARGO_HOME/f; %s; exit 0" % wait_go)
    run_ok(e, "-d", "-n", sbad, "-p", bad, "--", "sh", "-c", "echo x > $UV_CACHE_DIR/f; %s; exit 1" % wait_go)
    e.wait_status(sgood, "running")
    e.wait_status(sbad, "running")
    assert state(e)[vgood]["state"] == "building" and state(e)[vbad]["state"] == "building"

    e.kill9_daemon()
    e.start_daemon()
    assert e.session(sgood, all_=False)["status"] == "running"
    # re-adopted: its record still names its caches, and they are in use
    assert [c["volume"] for c in e.session(sgood, all_=False)["caches"]
            if c["ecosystem"] == "cargo"] == [vgood]
    p = e.mino("cache", "gc", "--days", "0")
    assert p.returncode == 0, p.stderr
    assert vgood in volumes(e) and vbad in volumes(e), p.stdout
    lst = {v["name"]: v for v in json.loads(e.mino("cache", "list", "-f", "json").stdout)["volumes"]}
    assert lst[vgood]["in_use"] is True and lst[vbad]["in_use"] is True

    for proj in (good, bad):
        open(os.path.join(proj, "go"), "w").close()
    assert e.wait_status(sgood, "exited", timeout=60)["exit_code"] == 0
    assert e.wait_status(sbad, "exited", timeout=60)["exit_code"] == 1
    assert minotest.wait_for(lambda: state(e)[vgood]["state"] == "complete", 10), (state(e), e.daemon_log_tail())
    assert state(e)[vbad]["state"] == "building"
    lst = {v["name"]: v for v in json.loads(e.mino("cache", "list", "-f", "json").stdout)["volumes"]}
    assert lst[vgood]["in_use"] is False and lst[vbad]["in_use"] is False
    assert vol_cat(e, vgood, "f") == "x"
