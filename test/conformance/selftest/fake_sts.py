#!/usr/bin/env python3
"""A tiny stand-in for `castellan serve` (standard library only) that answers STS
GetCallerIdentity with AWS's behaviour, so the harness itself can be checked without
the real server: selftest.sh runs run.sh against it. It is not Castellan and proves
nothing about Castellan.

  fake_sts.py PORT CREDENTIALS_FILE   (writes the file, prints the listening line)
"""
import datetime
import hashlib
import hmac
import os
import secrets
import sys
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT = "123456789012"
AKID = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
SECRET = secrets.token_urlsafe(30)[:40]
WINDOW = datetime.timedelta(minutes=15)
# FAKE_STS_BREAK=1: answer like a subtly wrong server (the harness must catch each one).
BROKEN = os.environ.get("FAKE_STS_BREAK") == "1"
NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def q(s):
    return urllib.parse.quote(s, safe="-_.~")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("x-amzn-RequestId", self.rid)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, code, message, status=403):
        if BROKEN:
            if code == "MissingAuthenticationToken":
                status = 400  # wrong HTTP status
            elif code == "InvalidClientTokenId":
                message = message.rstrip(".")  # the period matters
            elif message.startswith("Signature expired"):
                message = message.replace("15 min", "5 min")
        esc = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.reply(status, '<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code>'
                   '<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>'
                   % (NS, code, esc, self.rid))

    def do_GET(self):
        self.rid = str(uuid.uuid4())
        if self.path == "/readyz":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.handle_query(b"")

    def do_POST(self):
        self.rid = str(uuid.uuid4())
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.handle_query(body)

    def handle_query(self, body):
        auth = self.headers.get("Authorization")
        if not auth:
            return self.error("MissingAuthenticationToken", "Request is missing Authentication Token")
        algo, _, rest = auth.partition(" ")
        parts = dict(p.strip().split("=", 1) for p in rest.split(","))
        cred = parts["Credential"].split("/")
        if cred[0] != AKID:
            return self.error("InvalidClientTokenId", "The security token included in the request is invalid.")
        amzdate = self.headers.get("X-Amz-Date")
        when = datetime.datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        f = "%Y%m%dT%H%M%SZ"
        if when < now - WINDOW:
            return self.error("SignatureDoesNotMatch", "Signature expired: %s is now earlier than %s (%s - 15 min.)"
                              % (when.strftime(f), (now - WINDOW).strftime(f), now.strftime(f)))
        signed = parts["SignedHeaders"].split(";")
        path, _, query = self.path.partition("?")
        pairs = sorted((q(k), q(v)) for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True))
        canon_headers = "".join("%s:%s\n" % (h, ",".join(" ".join(v.split()) for v in self.headers.get_all(h, [])))
                                for h in signed)
        creq = "\n".join([self.command, path, "&".join("%s=%s" % p for p in pairs), canon_headers,
                          parts["SignedHeaders"], hashlib.sha256(body).hexdigest()])
        sts = "\n".join([algo, amzdate, "/".join(cred[1:]), hashlib.sha256(creq.encode()).hexdigest()])
        key = ("AWS4" + SECRET).encode()
        for p in cred[1:]:
            key = hmac.new(key, p.encode(), hashlib.sha256).digest()
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sig, parts["Signature"]):
            return self.error("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                              "signature you provided. Check your AWS Secret Access Key and signing method. "
                              "Consult the service documentation for details.")
        account = "210987654321" if BROKEN else ACCOUNT
        self.reply(200, '<GetCallerIdentityResponse xmlns="%s"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:root'
                   '</Arn><UserId>%s</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata>'
                   '<RequestId>%s</RequestId></ResponseMetadata></GetCallerIdentityResponse>'
                   % (NS, ACCOUNT, account, ACCOUNT, self.rid))


def main():
    port, credfile = int(sys.argv[1]), sys.argv[2]
    with open(credfile, "w") as f:
        f.write("[castellan]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (AKID, SECRET))
    os.chmod(credfile, 0o600)
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("castellan listening on http://127.0.0.1:%d" % port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
