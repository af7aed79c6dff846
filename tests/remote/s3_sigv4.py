#!/usr/bin/env python3
"""A minimal S3 on 127.0.0.1 that verifies AWS Signature V4 (header
authentication) the way S3 does, written from the AWS specification:
the canonical request (method, path, sorted query, the signed headers,
x-amz-content-sha256 as the payload hash), the string to sign and the
HMAC chain of the secret.  s3rver checks access key ids only, so the
S3 remote test uses this to show that mvbuild's requests are signed
right (a session token included) and that a wrong secret is refused.
Objects live in memory: PUT stores, GET/HEAD read, 404 NoSuchKey.
Every request is logged on stderr as "METHOD PATH RESULT".

Usage: s3_sigv4.py ACCESS_KEY_ID SECRET [SESSION_TOKEN]   prints the port
"""
import hashlib
import hmac
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_ID, SECRET = sys.argv[1], sys.argv[2]
TOKEN = sys.argv[3] if len(sys.argv) > 3 else None
store = {}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def mac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def verdict(self, body):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "AccessDenied"
        parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        scope = parts["Credential"].split("/")
        if scope[0] != KEY_ID:
            return "InvalidAccessKeyId"
        signed = parts["SignedHeaders"].split(";")
        payload = self.headers.get("x-amz-content-sha256")
        if payload is None:
            return "MissingContentSha256"
        if payload != "UNSIGNED-PAYLOAD" and payload != sha(body):
            return "XAmzContentSHA256Mismatch"
        if any(self.headers.get(n) is None for n in signed):
            return "SignatureDoesNotMatch"  # a signed header that was not sent
        if TOKEN and (self.headers.get("x-amz-security-token") != TOKEN
                      or "x-amz-security-token" not in signed):
            return "InvalidToken"
        url = urllib.parse.urlsplit(self.path)
        query = "&".join(sorted(url.query.split("&"))) if url.query else ""
        canonical = "\n".join([self.command, url.path, query]
                              + [n + ":" + self.headers.get(n).strip() for n in signed]
                              + ["", ";".join(signed), payload])
        to_sign = "\n".join(["AWS4-HMAC-SHA256", self.headers.get("x-amz-date", ""),
                             "/".join(scope[1:]), sha(canonical.encode())])
        key = mac(("AWS4" + SECRET).encode(), scope[1])
        for part in scope[2:]:
            key = mac(key, part)
        if hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() != parts["Signature"]:
            return "SignatureDoesNotMatch"
        return None

    def reply(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def serve(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n) if n else b""
        err = self.verdict(body)
        sys.stderr.write("%s %s %s\n" % (self.command, self.path, err or "ok"))
        sys.stderr.flush()
        if err:
            return self.reply(403, ("<Error><Code>%s</Code></Error>" % err).encode())
        if self.command == "PUT":
            store[self.path] = body
            return self.reply(200)
        if self.path in store:
            return self.reply(200, store[self.path])
        return self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>")

    do_GET = do_HEAD = do_PUT = serve

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
