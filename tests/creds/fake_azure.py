#!/usr/bin/python3
"""A fake Microsoft identity platform token endpoint on 127.0.0.1:
POST /<tenant>/oauth2/v2.0/token with the client-credentials grant
(RFC 6749 4.4, as Entra ID speaks it).  The client id, secret and tenant
must match --client; a wrong secret gets Entra's AADSTS7000215 error
document (with its CRLF-separated trace lines).  Each request is appended
to --log as one JSON line, before the answer."""
import argparse
import http.server
import json
import re
import secrets
import socketserver
import sys
import threading
import urllib.parse

LOCK = threading.Lock()
ARGS = None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj, record):
        record["status"] = status
        with LOCK, open(ARGS.log, "a") as f:
            f.write(json.dumps(record) + "\n")
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {"path": self.path}
        m = re.match(r"^/([A-Za-z0-9.-]+)/oauth2/v2\.0/token$", self.path)
        if not m:
            return self.answer(404, {"error": "invalid_request", "error_description": "AADSTS900561: bad path"}, record)
        tenant = m.group(1)
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
        record.update(tenant=tenant, grant=form.get("grant_type"), client_id=form.get("client_id"),
                      scope=form.get("scope"))
        want = ARGS.client
        if form.get("grant_type") != "client_credentials":
            return self.answer(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"}, record)
        if tenant != want["tenant"]:
            return self.answer(400, {"error": "invalid_request",
                                     "error_description": f"AADSTS90002: Tenant '{tenant}' not found.\r\nTrace ID: 0"}, record)
        if form.get("client_id") != want["client_id"] or form.get("client_secret") != want["client_secret"]:
            return self.answer(401, {"error": "invalid_client", "error_description":
                                     "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1b2c\r\n"
                                     "Correlation ID: 3d4e\r\nTimestamp: 2026-12-01 20:00:00Z"}, record)
        tok = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-" + secrets.token_urlsafe(64)
        record["issued"] = tok
        self.answer(200, {"token_type": "Bearer", "expires_in": ARGS.lifetime, "ext_expires_in": ARGS.lifetime, "access_token": tok},
                    record)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--client", required=True, help="JSON file: tenant, client_id, client_secret")
    ap.add_argument("--lifetime", type=int, default=3599, help="expires_in of the tokens issued")
    ARGS = ap.parse_args()
    with open(ARGS.client) as f:
        ARGS.client = json.load(f)
    srv = Server(("127.0.0.1", 0), Handler)
    import os
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
