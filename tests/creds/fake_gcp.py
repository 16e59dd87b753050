#!/usr/bin/python3
"""A fake Google OAuth token endpoint and IAM Credentials API on 127.0.0.1.

POST /token speaks RFC 6749: grant_type=refresh_token (client id, secret
and refresh token must match --user) and the JWT bearer grant (RFC 7523):
the assertion is verified with PyJWT against the service account's public
key (--sa-pub), with audience = this token URI, issuer = --sa-email and
the header's kid = --sa-kid.  POST /v1/projects/-/serviceAccounts/
SA:generateAccessToken needs a Bearer token this fake issued and answers
like IAM Credentials; SA `denied@...` gets PERMISSION_DENIED.  Each
request is appended to --log as one JSON line, before the answer."""
import argparse
import datetime
import http.server
import json
import re
import secrets
import socketserver
import sys
import threading
import time
import urllib.parse

import jwt

LOCK = threading.Lock()
ISSUED = {}
ARGS = None
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def token(prefix, lifetime):
    t = prefix + secrets.token_urlsafe(48)
    with LOCK:
        ISSUED[t] = time.time() + lifetime
    return t


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
        if self.path == "/token":
            return self.token(body, record)
        m = re.match(r"^/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken$", self.path)
        if m:
            return self.impersonate(urllib.parse.unquote(m.group(1)), body, record)
        self.answer(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}, record)

    def token(self, body, record):
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return self.answer(400, {"error": "invalid_request", "error_description": "bad Content-Type"}, record)
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
        grant = form.get("grant_type")
        record["grant"] = grant
        if grant == "refresh_token":
            want = ARGS.user
            if form.get("client_id") != want["client_id"] or form.get("client_secret") != want["client_secret"]:
                return self.answer(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}, record)
            if form.get("refresh_token") != want["refresh_token"]:
                return self.answer(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, record)
            record["client_id"] = form["client_id"]
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            assertion = form.get("assertion", "")
            try:
                header = jwt.get_unverified_header(assertion)
                claims = jwt.decode(assertion, ARGS.sa_pub, algorithms=["RS256"],
                                    audience=f"http://127.0.0.1:{self.server.server_address[1]}/token",
                                    issuer=ARGS.sa_email, options={"require": ["exp", "iat", "iss", "aud"]})
            except jwt.PyJWTError as e:
                record["jwt_error"] = str(e)
                return self.answer(400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {e}"}, record)
            if header.get("kid") != ARGS.sa_kid or header.get("typ") != "JWT":
                return self.answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT header."}, record)
            if claims["exp"] - claims["iat"] > 3600 or abs(claims["iat"] - time.time()) > 300:
                return self.answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT: bad iat/exp."}, record)
            if claims.get("scope") != SCOPE:
                return self.answer(400, {"error": "invalid_scope", "error_description": "bad scope"}, record)
            record.update(verified=True, iss=claims["iss"])
        else:
            return self.answer(400, {"error": "unsupported_grant_type", "error_description": str(grant)}, record)
        t = token("ya29.fake-", ARGS.lifetime)
        record["issued"] = t
        self.answer(200, {"access_token": t, "expires_in": ARGS.lifetime, "token_type": "Bearer", "scope": SCOPE}, record)

    def impersonate(self, sa, body, record):
        record["sa"] = sa
        auth = self.headers.get("Authorization", "")
        bearer = auth[7:] if auth.startswith("Bearer ") else None
        with LOCK:
            exp = ISSUED.get(bearer)
        if exp is None or exp < time.time():
            return self.answer(401, {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                                               "status": "UNAUTHENTICATED"}}, record)
        record["bearer"] = bearer
        req = json.loads(body)
        lifetime = req.get("lifetime", "3600s")
        record.update(scope=req.get("scope"), lifetime=lifetime)
        if req.get("scope") != [SCOPE] or not re.match(r"^\d+s$", lifetime):
            return self.answer(400, {"error": {"code": 400, "message": "bad request", "status": "INVALID_ARGUMENT"}}, record)
        if sa.startswith("denied@"):
            return self.answer(403, {"error": {"code": 403, "message": "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
                                               "status": "PERMISSION_DENIED"}}, record)
        secs = int(lifetime[:-1])
        t = token("ya29.imp-", secs)
        record["issued"] = t
        exp_time = datetime.datetime.fromtimestamp(time.time() + secs, datetime.timezone.utc)
        self.answer(200, {"accessToken": t, "expireTime": exp_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}, record)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user", required=True, help="JSON file: client_id, client_secret, refresh_token")
    ap.add_argument("--sa-pub", required=True)
    ap.add_argument("--sa-email", required=True)
    ap.add_argument("--sa-kid", required=True)
    ap.add_argument("--lifetime", type=int, default=3599, help="expires_in of the tokens /token issues")
    ARGS = ap.parse_args()
    with open(ARGS.user) as f:
        ARGS.user = json.load(f)
    with open(ARGS.sa_pub) as f:
        ARGS.sa_pub = f.read()
    srv = Server(("127.0.0.1", 0), Handler)
    import os
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
