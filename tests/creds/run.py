#!/usr/bin/python3
"""Runs the credential test driver (argv[1]) against local fake STS
servers: one plain HTTP, one HTTPS with a self-signed certificate made
here with `openssl req`.  Everything listens on 127.0.0.1 only.  The
driver's TAP output is passed through; its exit status is ours.
MINO_CREDS_WRAPPER (e.g. "valgrind --error-exitcode=1") wraps the driver."""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = {
    "AKIAFAKESTATIC000001": "fakeSecretKey0000000000000000000000000001",
    "AKIAFAKESTATIC000002": "fakeSecretKey0000000000000000000000000002",
    "AKIAFAKEPROCESS00001": "fakeSecretKey000000000000000000000process",
}


GCP_USER = {
    "client_id": "fake-client.apps.googleusercontent.com",
    "client_secret": "fake-client-secret-0001",
    "refresh_token": "1//fake-refresh-token-0001",
}
AZURE_CLIENT = {
    "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "client_id": "00000000-1111-2222-3333-444444444444",
    "client_secret": "fake~azure~client~secret~0001",
}
GCP_SA_EMAIL = "runner@fake-project.iam.gserviceaccount.com"
GCP_SA_KID = "0123456789abcdef0123456789abcdef01234567"


def start_fake(tmp, name, extra, script="fake_sts.py"):
    port_file = os.path.join(tmp, name + ".port")
    log = os.path.join(tmp, name + ".log")
    open(log, "w").close()
    common = ["--keys", os.path.join(tmp, "keys.json")] if script == "fake_sts.py" else []
    p = subprocess.Popen([sys.executable, os.path.join(HERE, script), "--port-file", port_file,
                          "--log", log] + common + extra)
    for _ in range(200):
        if os.path.exists(port_file):
            with open(port_file) as f:
                return p, int(f.read()), log
        if p.poll() is not None:
            raise SystemExit(f"fake {name} exited with {p.returncode}")
        time.sleep(0.05)
    p.kill()
    raise SystemExit(f"fake {name} did not start")


def main():
    driver = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="mino-creds-") as tmp:
        with open(os.path.join(tmp, "keys.json"), "w") as f:
            json.dump(KEYS, f)
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cases = os.path.join(tmp, "sigv4-cases.tsv")
        subprocess.run([sys.executable, os.path.join(HERE, "sigv4_cases.py"), cases], check=True)
        sa_key, sa_pub = os.path.join(tmp, "sa.pem"), os.path.join(tmp, "sa.pub")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", sa_key], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["openssl", "pkey", "-in", sa_key, "-pubout", "-out", sa_pub], check=True)
        with open(os.path.join(tmp, "gcp-user.json"), "w") as f:
            json.dump(GCP_USER, f)
        with open(os.path.join(tmp, "azure-client.json"), "w") as f:
            json.dump(AZURE_CLIENT, f)
        plain, plain_port, plain_log = start_fake(tmp, "sts", [])
        tls, tls_port, tls_log = start_fake(tmp, "sts-tls", ["--cert", cert, "--key", key])
        gcp, gcp_port, gcp_log = start_fake(tmp, "gcp", ["--user", os.path.join(tmp, "gcp-user.json"),
                                                         "--sa-pub", sa_pub, "--sa-email", GCP_SA_EMAIL,
                                                         "--sa-kid", GCP_SA_KID], script="fake_gcp.py")
        azure, azure_port, azure_log = start_fake(tmp, "azure", ["--client", os.path.join(tmp, "azure-client.json")],
                                                  script="fake_azure.py")
        try:
            env = dict(os.environ)
            env.update({
                "FAKE_STS_URL": f"http://127.0.0.1:{plain_port}",
                "FAKE_STS_LOG": plain_log,
                "FAKE_STS_TLS_URL": f"https://127.0.0.1:{tls_port}",
                "FAKE_STS_TLS_LOG": tls_log,
                "FAKE_CA": cert,
                "FAKE_KEYS": os.path.join(tmp, "keys.json"),
                "SIGV4_CASES": cases,
                "CREDS_TMP": tmp,
                "FAKE_GCP_URL": f"http://127.0.0.1:{gcp_port}",
                "FAKE_GCP_LOG": gcp_log,
                "FAKE_SA_KEY": sa_key,
                "FAKE_AZURE_URL": f"http://127.0.0.1:{azure_port}/",
                "FAKE_AZURE_LOG": azure_log,
            })
            wrapper = shlex.split(os.environ.get("MINO_CREDS_WRAPPER", ""))
            rc = subprocess.run(wrapper + [driver], env=env).returncode
            if rc != 0 and os.path.exists(os.path.join(tmp, "minod.log")):
                with open(os.path.join(tmp, "minod.log")) as f:
                    sys.stderr.write("--- the driver's log ---\n" + f.read())
        finally:
            for p in (plain, tls, gcp, azure):
                p.terminate()
                p.wait()
    return rc


if __name__ == "__main__":
    sys.exit(main())
