import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import minotest  # noqa: E402


@pytest.fixture
def menv(request):
    """A private mino world with its own minod; needs rootless podman."""
    reason = minotest.podman_reason()
    if reason:
        pytest.skip(reason)
    e = minotest.MinoEnv(request.node.name)
    # parametrize("menv", minotest.EXEC_PATHS, indirect=True): the exec
    # path under test ("podman": minod starts no exec spawner)
    e.exec_path = getattr(request, "param", "spawner")
    e.start_daemon(env=minotest.exec_path_env(e.exec_path))
    yield e
    e.cleanup()


@pytest.fixture
def bare_env(request):
    """A private mino world without a daemon and without podman needs."""
    reason = minotest.root_reason()
    if reason:
        pytest.skip(reason)
    e = minotest.MinoEnv(request.node.name)
    yield e
    e.cleanup()


@pytest.fixture
def podman_env(request):
    """A private mino world, no daemon started, needs rootless podman."""
    reason = minotest.podman_reason()
    if reason:
        pytest.skip(reason)
    e = minotest.MinoEnv(request.node.name)
    yield e
    e.cleanup()


def pytest_sessionfinish(session, exitstatus):
    # All skipped (no podman, running as root): tell meson with 77.
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr is None:
        return
    stats = tr.stats
    ran = sum(len(stats.get(k, [])) for k in ("passed", "failed", "error", "xfailed", "xpassed"))
    if ran == 0 and stats.get("skipped") and exitstatus == 0:
        session.exitstatus = 77
