"""Hostile names: mino removes only containers it created (by the id
podman gave it), never one of the user's that happens to have the name."""

from minotest import IMAGE, is_one_line_error


def test_unrelated_container_with_the_name_is_untouched(menv):
    name = menv.name("victim")
    victim = menv.podman("create", "--name", "mino-" + name, "--network=none", IMAGE, "sleep", "300")
    assert victim.returncode == 0, victim.stderr
    vid = victim.stdout.decode().strip()
    try:
        p = menv.mino("run", "-n", name, "--", "true")
        assert p.returncode != 0
        assert is_one_line_error(p.stderr), p.stderr
        assert b"already in use" in p.stderr, p.stderr
        p = menv.mino("run", "-d", "-n", name, "--", "sleep", "100")
        assert p.returncode != 0 and is_one_line_error(p.stderr), p.stderr
        st = menv.podman("inspect", "--format", "{{.Id}} {{.State.Status}}", "mino-" + name)
        assert st.returncode == 0, st.stderr
        assert st.stdout.decode().split() == [vid, "created"]
    finally:
        menv.podman("rm", "-f", vid)
