"""Credentials in sessions, part 2 (issue 8): one refresh timer per
identity shared by its sessions, refresh resumed after a minod restart
(nothing secret in the record), daemon/status `credentials`,
credentials.aws.env_vars, the gcloud/az CLI fallbacks and STS over TLS
with a test CA.  Real rootless podman; fakes only for the cloud side, on
127.0.0.1 (the STS fake checks every SigV4 signature with botocore)."""

import json
import os
import re
import secrets
import subprocess
import time

import pytest

from minotest import SLOW, is_one_line_error, wait_for
from test_credentials import (FAKE_STS, KEY_ID, READ_CREDS, FakeSts, fake_program, mino_env, read,
                              secrets_nowhere_on_the_host, with_config)
from test_pipeline import files_under

SHORT_ROLE = '[credentials.aws]\nrole_arn = "arn:aws:iam::123456789012:role/short"\n'
# Each second: the current credential_process output, one line.
LOOP = READ_CREDS + 'while :; do $cp | tr -d "\\n" >> %s; echo >> %s; sleep 1; done'


@pytest.fixture
def sts(menv):
    s = FakeSts(menv.root)
    yield s
    s.close()


def status_credentials(menv):
    with menv.client() as c:
        return c.call("daemon/status")["credentials"]


def refreshed(menv, provider="aws"):
    """[(session, access key id)] of every credentials.refreshed event."""
    out = []
    for a in menv.audit_lines():
        if a["event"] == "credentials.refreshed" and a["data"]["providers"] == [provider]:
            m = re.search(r"key (\w+)", a["data"]["identity"])
            out.append((a["data"]["session_name"], m.group(1) if m else a["data"]["identity"]))
    return out


def seen(menv, out):
    """The credential_process outputs a session's loop wrote, parsed."""
    path = os.path.join(menv.project, out)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip().endswith("}")]


def start_detached(menv, cfg, name, env, out):
    p = menv.mino("-c", cfg, "run", "-d", "--aws", "-n", name, "--", "sh", "-c", LOOP % (out, out), env=env)
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")


def test_sessions_of_one_identity_share_one_refresh_timer(menv, sts):
    cfg = with_config(menv, "short.toml", SHORT_ROLE)
    a, b = menv.name("sa"), menv.name("sb")
    start_detached(menv, cfg, a, mino_env(menv, sts), "a.out")
    start_detached(menv, cfg, b, mino_env(menv, sts), "b.out")
    st = status_credentials(menv)
    assert len(st) == 1 and st[0]["provider"] == "aws" and sorted(st[0]["sessions"]) == sorted([a, b]), st
    assert st[0]["source"] == "environment" and st[0]["expires"].endswith("Z") and st[0]["next_refresh"], st
    assert sts.secret not in json.dumps(st)
    # mino status says the same, a line per identity, without a secret
    p = menv.mino("status")
    lines = [l for l in p.stdout.decode().splitlines() if "live aws credentials" in l]
    assert len(lines) == 1 and a in lines[0] and b in lines[0] and "next refresh" in lines[0], p.stdout
    assert sts.secret.encode() not in p.stdout + p.stderr

    def shared_keys():
        by_key = {}
        for sess, key in refreshed(menv):
            by_key.setdefault(key, set()).add(sess)
        return by_key
    assert wait_for(lambda: sum(1 for s in shared_keys().values() if s == {a, b}) >= 3, 90 * SLOW), refreshed(menv)
    # One re-mint per round, delivered to both sessions: every refreshed key
    # reached both (a timer per session would mint a key for each one).
    rounds = shared_keys()
    complete = [k for k, s in rounds.items() if s == {a, b}]
    assert all(k in sts.issued() for k in complete)
    # at most the newest round may still be reaching its second session
    assert len([k for k, s in rounds.items() if s != {a, b}]) <= 1, rounds
    inside_a = {c["AccessKeyId"] for c in seen(menv, "a.out")}
    inside_b = {c["AccessKeyId"] for c in seen(menv, "b.out")}
    assert len(inside_a & inside_b & set(complete)) >= 2, (inside_a, inside_b, complete)

    # The first session ends: the identity's timer goes on for the other.
    assert menv.mino("stop", a).returncode == 0
    st = status_credentials(menv)
    assert len(st) == 1 and st[0]["sessions"] == [b], st
    n_before = len(refreshed(menv))
    assert wait_for(lambda: any(s == b for s, _ in refreshed(menv)[n_before:]), 60 * SLOW), refreshed(menv)
    assert not any(s == a for s, _ in refreshed(menv)[n_before:])
    # The last one ends: nothing left.
    assert menv.mino("stop", b).returncode == 0
    assert status_credentials(menv) == []


def record_file(menv, name):
    for path in files_under(menv.state):
        if os.path.basename(path) == name + ".json" and "sessions" in path:
            with open(path) as f:
                return json.load(f)
    raise AssertionError("no record file for " + name)


def test_readopted_session_resumes_refresh_without_secrets_in_the_record(menv, sts, tmp_path):
    cfg = with_config(menv, "short.toml", SHORT_ROLE)
    shared = tmp_path / "credentials"
    with open(shared, "w") as f:
        f.write("[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (KEY_ID, sts.secret))
    from_file = dict(menv.env, AWS_PROFILE="dev", AWS_SHARED_CREDENTIALS_FILE=str(shared),
                     AWS_CONFIG_FILE="/nonexistent/config", AWS_REGION="eu-west-1",
                     AWS_ENDPOINT_URL_STS="http://127.0.0.1:%d" % sts.port)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        from_file.pop(k, None)
    f, e = menv.name("rf"), menv.name("re")
    start_detached(menv, cfg, f, from_file, "f.out")
    start_detached(menv, cfg, e, mino_env(menv, sts), "e.out")
    assert wait_for(lambda: any(s == f for s, _ in refreshed(menv)), 60 * SLOW), refreshed(menv)

    assert wait_for(lambda: record_file(menv, f)["credentials"]["aws"]["refreshes"] >= 1, 10 * SLOW)
    menv.kill9_daemon()
    saved = record_file(menv, f)["credentials"]["aws"]["refreshes"]
    issued_before = set(sts.issued())
    n_before = len(refreshed(menv))
    menv.start_daemon()
    menv.wait_status(f, "running")

    # The session whose source is a file refreshes again, and its command sees the new keys.
    assert wait_for(lambda: any(s == f for s, _ in refreshed(menv)[n_before:]), 60 * SLOW), refreshed(menv)
    new_keys = set(sts.issued()) - issued_before
    assert wait_for(lambda: {c["AccessKeyId"] for c in seen(menv, "f.out")} & new_keys, 30 * SLOW), new_keys
    rec = menv.session(f)
    # the count goes on from the record (saved at each refresh)
    assert rec["credentials"]["aws"]["last_error"] is None and rec["credentials"]["aws"]["refreshes"] >= saved + 1, rec
    st = [c for c in status_credentials(menv) if f in c["sessions"]]
    assert len(st) == 1 and st[0]["source"] == "profile `dev`", st
    # The one whose source was a secret of the client's environment cannot,
    # and says why; it never gets another identity's token.
    assert wait_for(lambda: (menv.session(e)["credentials"]["aws"]["last_error"] or "").find("restart") >= 0,
                    60 * SLOW), menv.session(e)
    assert not any(s == e for s, _ in refreshed(menv)[n_before:])

    # The record holds where to mint from, never a key, secret or token.
    for name in (f, e):
        spec = record_file(menv, name)["credentials_spec"]
        names = [v.split("=", 1)[0] for v in spec["env"]]
        assert "AWS_ENDPOINT_URL_STS" in names and "AWS_REGION" in names, names
        assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} & set(names), names
    assert "AWS_SHARED_CREDENTIALS_FILE=%s" % shared in record_file(menv, f)["credentials_spec"]["env"]
    minted = [c["SecretAccessKey"] for c in seen(menv, "f.out") + seen(menv, "e.out")]
    minted += [c["SessionToken"] for c in seen(menv, "f.out") + seen(menv, "e.out")]
    assert len(minted) > 4
    inspect = menv.podman("inspect", menv.container_of(f)["id"], menv.container_of(e)["id"])
    assert inspect.returncode == 0, inspect.stderr
    secrets_nowhere_on_the_host(menv, [sts.secret] + minted, inspect.stdout)
    for name in (f, e):
        assert menv.mino("stop", name).returncode == 0


def test_env_vars_key_puts_the_first_token_in_the_environment(menv, sts):
    cfg = with_config(menv, "envvars.toml", "[credentials.aws]\nenv_vars = true\n")
    name = menv.name("ev")
    script = READ_CREDS + '$cp > creds.out; env > env.out; sleep 30'
    p = menv.mino("-c", cfg, "run", "-d", "--aws", "-n", name, "--", "sh", "-c", script, env=mino_env(menv, sts))
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: os.path.exists(os.path.join(menv.project, "env.out")) and
                    os.path.getsize(os.path.join(menv.project, "env.out")) > 0, 30 * SLOW)
    creds = json.loads(read(menv, "creds.out"))
    env = read(menv, "env.out").decode().splitlines()
    assert "AWS_ACCESS_KEY_ID=" + creds["AccessKeyId"] in env
    assert "AWS_SECRET_ACCESS_KEY=" + creds["SecretAccessKey"] in env
    assert "AWS_SESSION_TOKEN=" + creds["SessionToken"] in env
    assert "AWS_CONFIG_FILE=/run/mino/aws-config" in env  # credential_process still delivered
    assert creds["AccessKeyId"] in sts.issued()
    inspect = menv.podman("inspect", menv.container_of(name)["id"])
    assert inspect.returncode == 0
    assert menv.mino("stop", name).returncode == 0
    secrets_nowhere_on_the_host(menv, [sts.secret, creds["SecretAccessKey"], creds["SessionToken"]], inspect.stdout)


def test_gcloud_and_az_cli_fallbacks_deliver_their_tokens(menv, tmp_path):
    bindir = str(tmp_path / "bin")
    os.mkdir(bindir)
    os.symlink("/bin/sh", os.path.join(bindir, "sh"))
    argv_log = str(tmp_path / "argv.log")
    gtoken = "ya29.fakecli" + secrets.token_hex(16)
    atoken = "eyJfakeaz." + secrets.token_hex(24)
    # az prints local time without a zone
    exp_epoch = int(time.time()) + 5400
    expires_on = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(exp_epoch))
    fake_program(bindir, "gcloud", argv_log, gtoken)
    fake_program(bindir, "az", argv_log, json.dumps({"accessToken": atoken, "expiresOn": expires_on,
                                                      "subscription": "sub-123", "tenant": "tenant-456",
                                                      "tokenType": "Bearer"}))
    e = dict(menv.env, PATH=bindir, HOME=str(tmp_path / "home"))
    for k in ("GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID",
              "GH_TOKEN", "GITHUB_TOKEN"):
        e.pop(k, None)
    cfg = with_config(menv, "cli.toml", '[credentials.gcp]\nproject = "fake-proj"\n'
                      '[credentials.azure]\nsubscription = "sub-123"\ntenant = "tenant-456"\n')
    name = menv.name("gz")
    script = ('printf "%s\\n" "$CLOUDSDK_AUTH_ACCESS_TOKEN" "$(cat $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE)" '
              '"$CLOUDSDK_CORE_PROJECT" "$AZURE_ACCESS_TOKEN" "$(cat $AZURE_ACCESS_TOKEN_FILE)" > tok.out')
    p = menv.mino("-c", cfg, "run", "--gcp", "--azure", "--no-github", "--strict-credentials", "-n", name,
                  "--", "sh", "-c", script, env=e)
    assert p.returncode == 0, p.stderr
    assert read(menv, "tok.out").decode().splitlines() == [gtoken, gtoken, "fake-proj", atoken, atoken]
    with open(argv_log) as f:
        calls = f.read().splitlines()
    assert "auth print-access-token" in calls, calls
    # az refuses --subscription with --tenant: the subscription names it
    assert "account get-access-token --output json --subscription sub-123" in calls, calls
    rec = menv.session(name)
    assert rec["credentials"]["gcp"]["identity"].endswith("(from gcloud)"), rec["credentials"]
    assert rec["credentials"]["azure"]["identity"].endswith("(from az)"), rec["credentials"]
    # expiresOn read as local time, not a default hour
    assert rec["credentials"]["azure"]["expires"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp_epoch))
    secrets_nowhere_on_the_host(menv, [gtoken, atoken])


def start_tls_sts(root):
    cert, key = os.path.join(root, "sts-cert.pem"), os.path.join(root, "sts-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    s = FakeSts.__new__(FakeSts)
    s.secret = "fakeLongTermSecret" + secrets.token_hex(11)
    keys = os.path.join(root, "sts-tls-keys.json")
    with open(keys, "w") as f:
        json.dump({KEY_ID: s.secret}, f)
    s.log = os.path.join(root, "sts-tls.log")
    port_file = os.path.join(root, "sts-tls.port")
    open(s.log, "w").close()
    s.proc = subprocess.Popen(["/usr/bin/python3", FAKE_STS, "--port-file", port_file, "--log", s.log,
                               "--keys", keys, "--cert", cert, "--key", key])
    assert wait_for(lambda: os.path.exists(port_file), 20 * SLOW), "the TLS fake STS did not start"
    with open(port_file) as f:
        s.port = int(f.read())
    return s, cert


def test_sts_over_tls_verified_against_the_test_ca(menv):
    s, cert = start_tls_sts(menv.root)
    try:
        url = "https://127.0.0.1:%d" % s.port
        e = dict(menv.env)
        e.update(s.client_env({"AWS_ENDPOINT_URL_STS": url, "AWS_CA_BUNDLE": cert}))
        p = menv.mino("run", "--aws", "--strict-credentials", "--", "sh", "-c", READ_CREDS + "key", env=e)
        assert p.returncode == 0, p.stderr
        key = p.stdout.decode().strip()
        assert key in s.issued() and [r["action"] for r in s.requests()] == ["GetSessionToken"], s.requests()
        # Without the test CA, libcurl refuses the certificate: one line, no
        # session.  (Another region: another identity, not the cached token.)
        e.pop("AWS_CA_BUNDLE")
        e["AWS_REGION"] = "eu-central-1"
        name = menv.name("notls")
        p = menv.mino("run", "--aws", "--strict-credentials", "-n", name, "--", "echo", "ran", env=e)
        assert p.returncode != 0 and p.stdout == b"" and is_one_line_error(p.stderr), p.stderr
        assert re.search(rb"certificate|SSL|TLS", p.stderr), p.stderr
        assert menv.session(name) is None
        assert len(s.requests()) == 1
        secrets_nowhere_on_the_host(menv, [s.secret])
    finally:
        s.close()
