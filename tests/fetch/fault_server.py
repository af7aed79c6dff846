#!/usr/bin/env python3
"""A small HTTP server on 127.0.0.1 that serves files and misbehaves on demand.

Used by the fetch tests; it never listens anywhere but 127.0.0.1.

    fault_server.py --root DIR --port-file FILE [--log FILE] [--tls CERT KEY]

It binds a free port, writes the number to --port-file, and serves (over
TLS with --tls):

    /files/NAME              NAME from --root, with Range support (206)
    /404/ANY                 404
    /500/ANY                 500, always
    /500once/NAME            500 on the first request, then /files/NAME
    /redirect/NAME           302 to /files/NAME
    /loop/N                  302 to /loop/N+1, forever
    /to-file                 302 to file:///etc/passwd
    /stall                   headers and 10 bytes of 1000, then silence
    /stall-headers           accepts the connection, sends nothing
    /endless                 200 without a length, bytes forever
    /endless-length          200 claiming a 1 TiB Content-Length
    /drop-range/NAME         first request: half of NAME, then the connection
                             is cut; later requests honour Range
    /drop-norange/NAME       the same, but Range is ignored (always 200)

Each request is logged to --log as "GET PATH RANGE" (RANGE is "-" when the
request had none).
"""
import argparse
import http.server
import os
import socketserver
import ssl
import sys
import threading
import time

COUNTS = {}
LOCK = threading.Lock()


def first_time(key):
    with LOCK:
        n = COUNTS.get(key, 0)
        COUNTS[key] = n + 1
        return n == 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log_request_line(self):
        if self.server.log_path:
            with LOCK, open(self.server.log_path, "a") as f:
                f.write("GET %s %s\n" % (self.path, self.headers.get("Range", "-")))

    def send_plain(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, where):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def file_bytes(self, name):
        path = os.path.join(self.server.root, os.path.basename(name))
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def parse_range(self, size):
        r = self.headers.get("Range")
        if not r or not r.startswith("bytes="):
            return None
        first, _, last = r[6:].partition("-")
        start = int(first)
        end = int(last) if last else size - 1
        return start, min(end, size - 1)

    def serve_file(self, name, honour_range=True, cut_after=None):
        data = self.file_bytes(name)
        if data is None:
            return self.send_plain(404, b"no such file\n")
        rng = self.parse_range(len(data)) if honour_range else None
        if rng and rng[0] >= len(data):
            self.send_response(416)
            self.send_header("Content-Range", "bytes */%d" % len(data))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if rng:
            start, end = rng
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, len(data)))
            body = data[start:end + 1]
        else:
            self.send_response(200)
            body = data
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes" if honour_range else "none")
        self.end_headers()
        if cut_after is not None:
            self.wfile.write(body[:cut_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def stream_forever(self, length=None):
        self.send_response(200)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"x" * 65536
        try:
            while True:
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def stall(self, send_headers):
        if send_headers:
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
        # wait for the client to give up, but never forever
        self.connection.settimeout(60)
        try:
            self.connection.recv(1)
        except OSError:
            pass
        self.close_connection = True

    def do_GET(self):
        self.log_request_line()
        parts = self.path.split("/", 2)  # "", head, rest
        head = parts[1] if len(parts) > 1 else ""
        rest = parts[2] if len(parts) > 2 else ""
        if head == "files":
            self.serve_file(rest)
        elif head == "404":
            self.send_plain(404, b"not found\n")
        elif head == "500":
            self.send_plain(500, b"broken\n")
        elif head == "500once":
            if first_time(self.path):
                self.send_plain(500, b"broken once\n")
            else:
                self.serve_file(rest)
        elif head == "redirect":
            self.redirect("/files/" + rest)
        elif head == "loop":
            n = int(rest or 0)
            self.redirect("/loop/%d" % (n + 1))
        elif head == "to-file":
            self.redirect("file:///etc/passwd")
        elif head == "stall":
            self.stall(True)
        elif head == "stall-headers":
            self.stall(False)
        elif head == "endless":
            self.stream_forever()
        elif head == "endless-length":
            self.stream_forever(1 << 40)
        elif head in ("drop-range", "drop-norange"):
            honour = head == "drop-range"
            data = self.file_bytes(rest)
            cut = len(data) // 2 if data and first_time(self.path) else None
            self.serve_file(rest, honour_range=honour, cut_after=cut)
        else:
            self.send_plain(404, b"unknown path\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # clients that give up (timeouts, size caps) are what we test


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.root = args.root
    srv.log_path = args.log
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
