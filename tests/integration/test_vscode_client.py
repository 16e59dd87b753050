"""A real third-party JSON-RPC client: a Node script using the
vscode-jsonrpc package connects to minod, says hello, lists sessions,
creates one and receives its output and exit notifications."""

import json
import os
import shutil
import subprocess

import pytest

from minotest import SLOW

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vscode-client")


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed")
    if os.path.isdir(os.path.join(HERE, "node_modules", "vscode-jsonrpc")):
        return HERE
    d = str(tmp_path_factory.mktemp("vscode-client"))
    for f in ("package.json", "client.js"):
        shutil.copy(os.path.join(HERE, f), d)
    try:
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--update-notifier=false", "--loglevel=error"],
                           cwd=d, capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("npm install timed out")
    if p.returncode != 0:
        pytest.skip("npm install vscode-jsonrpc failed: %s" % p.stderr.decode(errors="replace")[-300:])
    return d


def test_vscode_jsonrpc_client(menv, client_dir):
    name = menv.name("node")
    p = subprocess.run(["node", os.path.join(client_dir, "client.js"), menv.sock, menv.project, name],
                       env=menv.env, capture_output=True, timeout=120 * SLOW)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, out + p.stderr.decode(errors="replace")
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["hello"]["protocol"] == 1
    assert summary["output"] == "hello-from-node\n"
    assert summary["seqs"] == list(range(len(summary["seqs"])))
    assert summary["exit"]["code"] == 0
    assert [name, "exited"] in summary["after"]
    assert summary["mismatch"]["code"] == 1001
    assert "protocol version mismatch (client 999, daemon 1)" in summary["mismatch"]["message"]
