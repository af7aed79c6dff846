#!/usr/bin/env python3
"""Servers for tests/e2e/oci_registry.sh, all on 127.0.0.1, python3 stdlib only.

  registry_helper.py token PORTFILE KEY CERT SERVICE ISSUER USER PASSWORD
      A token service for the registry's `auth: token` mode: GET /token?service=&scope=
      with basic auth USER:PASSWORD answers {"token": JWT}, a JWT signed RS256 (with
      `openssl dgst -sha256 -sign KEY`) whose x5c names CERT, the registry's
      rootcertbundle.  Wrong or missing credentials: 401.
  registry_helper.py corrupt PORTFILE UPSTREAM
      A proxy in front of the registry at UPSTREAM (http://127.0.0.1:PORT) that
      passes everything through but flips the last byte of every blob body.
  registry_helper.py deny PORTFILE
      A "registry" that answers every request 401 with no WWW-Authenticate
      challenge (so a client cannot know how to authenticate).
  registry_helper.py bcrypt PASSWORD
      Print a bcrypt hash of PASSWORD (for the registry's htpasswd file).

Each server binds port 0 and writes the port it got to PORTFILE once listening.
"""
import base64
import http.client
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def serve(handler, portfile):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, portfile)
    server.serve_forever()


def token_server(portfile, key, cert, service, issuer, user, password):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def jwt(scope):
        access = []
        if scope:
            kind, name, actions = scope.split(":", 2)
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": issuer, "sub": user, "aud": service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": str(now), "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + \
            b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                             input=signing_input.encode(), check=True,
                             capture_output=True).stdout
        return signing_input + "." + b64url(sig)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            if url.path != "/token" or self.headers.get("Authorization") != want:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"token": jwt(query.get("scope", [""])[0])}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("token: " + (fmt % args) + "\n")

    serve(Handler, portfile)


def corrupt_proxy(portfile, upstream):
    up = urllib.parse.urlparse(upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def relay(self, method):
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            conn.request(method, self.path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            if method == "GET" and "/blobs/" in self.path and resp.status == 200 and body:
                body = body[:-1] + bytes([body[-1] ^ 0x01])
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)
            conn.close()

        def do_GET(self):
            self.relay("GET")

        def do_HEAD(self):
            self.relay("HEAD")

        def log_message(self, fmt, *args):
            sys.stderr.write("proxy: " + (fmt % args) + "\n")

    serve(Handler, portfile)


def deny_server(portfile):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def deny(self):
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = deny

        def log_message(self, fmt, *args):
            sys.stderr.write("deny: " + (fmt % args) + "\n")

    serve(Handler, portfile)


def bcrypt(password):
    import warnings
    warnings.simplefilter("ignore")
    import crypt
    print(crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH)))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "token":
        token_server(*args)
    elif cmd == "corrupt":
        corrupt_proxy(*args)
    elif cmd == "deny":
        deny_server(*args)
    elif cmd == "bcrypt":
        bcrypt(*args)
    else:
        sys.exit(f"unknown command {cmd}")
