#!/usr/bin/python3
"""A fake AWS STS on 127.0.0.1 that speaks the real Query API.

Every request's SigV4 signature is recomputed with botocore's own signer
(botocore.auth.SigV4Auth) over the received request, with the caller's
credentials and the request's own X-Amz-Date, and compared with the
Authorization header; then Action, Version, RoleArn, ExternalId,
RoleSessionName and DurationSeconds are checked as STS does.  Answers are
real STS XML (GetSessionTokenResponse / AssumeRoleResponse) or an STS
ErrorResponse.  Each request is appended to --log as one JSON line.

Known long-term keys come from --keys (a JSON object {key_id: secret});
temporary credentials are the ones this fake issued, plus one pre-expired
set (ASIAEXPIREDFAKE00001).  Roles (the last path element of the ARN)
with special behaviour: `denied` (AccessDenied), `ext` (needs ExternalId
`ext-123`), `short` (expires in --short-secs), `slow` (answers after 1 s).
"""
import argparse
import datetime
import http.server
import json
import re
import secrets
import socketserver
import ssl
import string
import sys
import threading
import time
import urllib.parse

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ROLE_RE = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")
NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([a-z0-9-]+)/sts/aws4_request, "
    r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")

LOCK = threading.Lock()
TEMP = {}   # key id -> (secret, token, expiration epoch)
ARGS = None


def rand(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StsError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_xml(code, message):
    kind = "Receiver" if code == "InternalFailure" else "Sender"
    msg = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f'<ErrorResponse xmlns="{NS}">\n  <Error>\n    <Type>{kind}</Type>\n'
            f"    <Code>{code}</Code>\n    <Message>{msg}</Message>\n  </Error>\n"
            f"  <RequestId>{rand('0123456789abcdef', 32)}</RequestId>\n</ErrorResponse>\n")


def issue(lifetime):
    key = "ASIA" + rand(string.ascii_uppercase + string.digits, 16)
    secret = rand(string.ascii_letters + string.digits + "+/", 40)
    token = "IQoJb3JpZ2luX2Vj" + rand(string.ascii_letters + string.digits + "+/", 700) + "=="
    exp = int(time.time()) + lifetime
    with LOCK:
        TEMP[key] = (secret, token, exp)
    return key, secret, token, exp


def creds_xml(key, secret, token, exp):
    return (f"    <Credentials>\n      <AccessKeyId>{key}</AccessKeyId>\n"
            f"      <SecretAccessKey>{secret}</SecretAccessKey>\n"
            f"      <SessionToken>{token}</SessionToken>\n"
            f"      <Expiration>{iso(exp)}</Expiration>\n    </Credentials>\n")


def botocore_sign(signer, req, amz_date):
    """SigV4Auth.add_auth with the given X-Amz-Date instead of the clock
    (the same steps, through botocore's own methods)."""
    req.context["timestamp"] = amz_date
    signer._modify_request_before_signing(req)
    canonical = signer.canonical_request(req)
    string_to_sign = signer.string_to_sign(req, canonical)
    signer._inject_signature_to_request(req, signer.signature(string_to_sign, req))


def verify_signature(method, host, headers, body, scheme):
    """Returns (key_id, temporary?) or raises StsError."""
    auth = headers.get("Authorization")
    if auth is None:
        raise StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    m = AUTH_RE.match(auth)
    if m is None:
        raise StsError(400, "IncompleteSignature", "Authorization header is malformed")
    key_id, day, region, signed, _sig = m.groups()
    names = signed.split(";")
    for need in ("host", "x-amz-date", "content-type"):
        if need not in names:
            raise StsError(403, "SignatureDoesNotMatch", f"{need} is not signed")
    token = headers.get("X-Amz-Security-Token")
    if token is not None and "x-amz-security-token" not in names:
        raise StsError(403, "SignatureDoesNotMatch", "x-amz-security-token is not signed")
    amz_date = headers.get("X-Amz-Date", "")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise StsError(400, "IncompleteSignature", "X-Amz-Date is malformed")
    if day != amz_date[:8]:
        raise StsError(403, "SignatureDoesNotMatch", "credential scope date differs from X-Amz-Date")
    if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 300:
        raise StsError(403, "SignatureDoesNotMatch", "Signature expired: X-Amz-Date is more than 5 min away")
    temporary = False
    with LOCK:
        temp = TEMP.get(key_id)
    if key_id in ARGS.keys:
        secret = ARGS.keys[key_id]
        if token is not None:
            raise StsError(403, "InvalidClientTokenId", "a security token came with a long-term key")
    elif temp is not None:
        secret, want_token, exp = temp
        temporary = True
        if token != want_token:
            raise StsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        if exp <= time.time():
            raise StsError(400, "ExpiredToken", "The security token included in the request is expired")
    else:
        raise StsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")

    # Recompute with botocore over exactly the headers the caller signed.
    req = AWSRequest(method=method, url=f"{scheme}://{host}/", data=body,
                     headers={n: headers[n] for n in names if headers.get(n) is not None})
    signer = botocore.auth.SigV4Auth(Credentials(key_id, secret, token), "sts", region)
    botocore_sign(signer, req, amz_date)
    raw = "".join(f"{k}: {v}\n" for k, v in headers.items()) + body.decode(errors="replace")
    if secret in raw:
        raise StsError(400, "SecretInRequest", "the secret access key itself was sent")
    if req.headers["Authorization"] != auth:
        raise StsError(403, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you provided. "
                       "Check your AWS Secret Access Key and signing method.")
    return key_id, temporary


def duration(params, lo, hi):
    d = params.get("DurationSeconds", "3600")
    if not d.isdigit() or not lo <= int(d) <= hi:
        raise StsError(400, "ValidationError",
                       f"1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy "
                       f"constraint: Member must have value between {lo} and {hi}")
    return int(d)


def handle_sts(params, key_id, temporary, record):
    if params.get("Version") != "2011-06-15":
        raise StsError(400, "InvalidAction", "Could not find operation for this version")
    action = params.get("Action")
    record["action"] = action
    if action == "GetSessionToken":
        allowed = {"Action", "Version", "DurationSeconds"}
        if set(params) - allowed:
            raise StsError(400, "InvalidParameterValue", f"unexpected {sorted(set(params) - allowed)}")
        d = duration(params, 900, 129600)
        record["duration"] = d
        if temporary:
            raise StsError(403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
        creds = issue(d)
        return "GetSessionToken", "GetSessionTokenResult", creds_xml(*creds), creds
    if action == "AssumeRole":
        allowed = {"Action", "Version", "DurationSeconds", "RoleArn", "RoleSessionName", "ExternalId"}
        if set(params) - allowed:
            raise StsError(400, "InvalidParameterValue", f"unexpected {sorted(set(params) - allowed)}")
        arn = params.get("RoleArn", "")
        name = params.get("RoleSessionName", "")
        ext = params.get("ExternalId")
        record.update(role=arn, session_name=name, external_id=ext)
        if not ROLE_RE.match(arn):
            raise StsError(400, "ValidationError", f"{arn} is invalid")
        if not NAME_RE.match(name):
            raise StsError(400, "ValidationError", "RoleSessionName is invalid")
        d = duration(params, 900, 43200)
        record["duration"] = d
        role = arn.rsplit("/", 1)[1]
        if role == "denied" or (role == "ext" and ext != "ext-123"):
            raise StsError(403, "AccessDenied",
                           f"User: arn:aws:iam::123456789012:user/{key_id} is not authorized to perform: "
                           f"sts:AssumeRole on resource: {arn}")
        if role == "slow":
            time.sleep(1.0)
        creds = issue(ARGS.short_secs if role == "short" else d)
        user = (f"    <AssumedRoleUser>\n      <AssumedRoleId>AROA3XFRBF23:{name}</AssumedRoleId>\n"
                f"      <Arn>arn:aws:sts::123456789012:assumed-role/{role}/{name}</Arn>\n"
                f"    </AssumedRoleUser>\n")
        return "AssumeRole", "AssumeRoleResult", creds_xml(*creds) + user, creds
    raise StsError(400, "InvalidAction", f"Could not find operation {action}")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype="text/xml"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Fake", "sts")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/hello":
            self.send(200, "hello from the fake\n", "text/plain")
        else:
            self.send(404, "not found\n", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        record = {"path": self.path}
        scheme = "https" if ARGS.cert else "http"
        try:
            if self.path != "/":
                raise StsError(404, "NotFound", "no such path")
            if self.headers.get("Content-Type") != "application/x-www-form-urlencoded; charset=utf-8":
                raise StsError(400, "InvalidParameterValue", "bad Content-Type")
            key_id, temporary = verify_signature("POST", self.headers["Host"], self.headers, body, scheme)
            record.update(key=key_id, temporary=temporary, verified=True,
                          token_sent=self.headers.get("X-Amz-Security-Token") is not None)
            params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
            action, result, inner, creds = handle_sts(params, key_id, temporary, record)
            record["issued"] = creds[0]
            record["expiration"] = creds[3]
            xml = (f'<{action}Response xmlns="{NS}">\n  <{result}>\n{inner}  </{result}>\n'
                   f"  <ResponseMetadata>\n    <RequestId>{rand('0123456789abcdef', 32)}</RequestId>\n"
                   f"  </ResponseMetadata>\n</{action}Response>\n")
            status, answer = 200, xml
        except StsError as e:
            record["error"] = e.code
            status, answer = e.status, error_xml(e.code, e.message)
        # Logged before answering: the client reads the log once answered.
        with LOCK, open(ARGS.log, "a") as f:
            f.write(json.dumps(record) + "\n")
        self.send(status, answer)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that timed out or cancelled hangs up: expected here.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--keys", required=True, help="JSON file {key_id: secret}")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--short-secs", type=int, default=6)
    ARGS = ap.parse_args()
    with open(ARGS.keys) as f:
        ARGS.keys = json.load(f)
    # A pre-expired temporary credential.
    TEMP["ASIAEXPIREDFAKE00001"] = ("expiredsecretexpiredsecretexpiredsecret0", "ExpiredTokenFake0000" * 10,
                                   int(time.time()) - 60)
    srv = Server(("127.0.0.1", 0), Handler)
    if ARGS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert, ARGS.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
