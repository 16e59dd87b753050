#!/usr/bin/python3
"""Generates SigV4 cases with botocore as the oracle: one tab-separated
line per case (key id, secret, token or "-", region, unix time, host,
body, botocore's Authorization header)."""
import datetime
import random
import string
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def botocore_sign(signer, req, amz_date):
    """SigV4Auth.add_auth with the given X-Amz-Date instead of the clock
    (the same steps, through botocore's own methods)."""
    req.context["timestamp"] = amz_date
    signer._modify_request_before_signing(req)
    canonical = signer.canonical_request(req)
    string_to_sign = signer.string_to_sign(req, canonical)
    signer._inject_signature_to_request(req, signer.signature(string_to_sign, req))


def main():
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 8)
    alnum = string.ascii_letters + string.digits
    with open(sys.argv[1], "w") as out:
        for i in range(40):
            key = "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
            secret = "".join(rng.choice(alnum + "+/") for _ in range(40))
            token = None if i % 3 else "".join(rng.choice(alnum + "+/=") for _ in range(rng.randint(20, 900)))
            region = rng.choice(["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1", "cn-north-1"])
            when = datetime.datetime(2020, 1, 1) + datetime.timedelta(seconds=rng.randint(0, 10**9))
            host = rng.choice(["sts.amazonaws.com", f"sts.{region}.amazonaws.com", "127.0.0.1:8443", "localhost:1"])
            body = "&".join(f"{k}={v}" for k, v in [
                ("Action", rng.choice(["GetSessionToken", "AssumeRole"])), ("Version", "2011-06-15"),
                ("DurationSeconds", str(rng.randint(900, 43200))),
                ("RoleSessionName", "".join(rng.choice(alnum + "-_.@") for _ in range(rng.randint(2, 64))))])
            if i == 0:
                body = ""
            req = AWSRequest(method="POST", url=f"https://{host}/", data=body.encode(), headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Host": host})
            botocore_sign(botocore.auth.SigV4Auth(Credentials(key, secret, token), "sts", region), req,
                          when.strftime("%Y%m%dT%H%M%SZ"))
            stamp = int(when.replace(tzinfo=datetime.timezone.utc).timestamp())
            out.write("\t".join([key, secret, token or "-", region, str(stamp), host, body or "-",
                                 req.headers["Authorization"]]) + "\n")


if __name__ == "__main__":
    main()
