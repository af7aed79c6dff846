#!/usr/bin/env python3
"""A remote cache on 127.0.0.1 that is slow on purpose, for the tests of
the remote's time bounds.  It never listens anywhere but 127.0.0.1.

    slow_server.py --root DIR [--rate BYTES] [--delay SECONDS] [--delay-all]
                   [--log FILE] [--spans FILE]

Prints its (dynamic) port, then serves until killed:
    GET PATH    DIR/PATH (404 when absent), the body sent at --rate bytes
                per second (0: at once) after --delay seconds
    HEAD PATH   200 or 404 at once
    PUT PATH    stores the body at DIR/PATH (201), at full speed
With --delay-all, HEAD and PUT too answer only after --delay seconds (a
remote far away: every request pays the round trip, as uploads do).
Each request is logged to --log as "METHOD PATH" when it arrives, and to
--spans as "START END METHOD PATH" (seconds since the epoch) once answered,
so a test can count the requests that were in flight at once.
"""
import argparse
import http.server
import os
import socketserver
import threading
import time

LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self):
        self.started = time.time()
        if self.server.log_path:
            with LOCK, open(self.server.log_path, "a") as f:
                f.write("%s %s\n" % (self.command, self.path))

    def handle_one_request(self):
        self.started = None
        super().handle_one_request()
        if self.started is not None and self.server.spans_path:
            with LOCK, open(self.server.spans_path, "a") as f:
                f.write("%.6f %.6f %s %s\n" % (self.started, time.time(), self.command,
                                                self.path))

    def local_path(self):
        rel = os.path.normpath(self.path.split("?")[0]).lstrip("/")
        if rel.startswith(".."):
            return None
        return os.path.join(self.server.root, rel)

    def empty(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self):
        self.note()
        if self.server.delay_all:
            time.sleep(self.server.delay)
        path = self.local_path()
        self.empty(200 if path and os.path.isfile(path) else 404)

    def do_GET(self):
        self.note()
        time.sleep(self.server.delay)
        path = self.local_path()
        if not path or not os.path.isfile(path):
            self.empty(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        rate = self.server.rate
        try:
            if rate <= 0:
                self.wfile.write(body)
                return
            step = max(1, rate // 10)  # a tenth of a second's worth at a time
            for i in range(0, len(body), step):
                self.wfile.write(body[i:i + step])
                self.wfile.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_PUT(self):
        self.note()
        path = self.local_path()
        length = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(length)
        if self.server.delay_all:
            time.sleep(self.server.delay)
        if not path:
            self.empty(400)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)
        self.empty(201)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    # the default backlog of 5 drops the SYNs of a burst of parallel
    # connections, and each dropped one costs the client a 1 s retransmit
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--delay-all", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--spans")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.root, srv.rate, srv.delay, srv.log_path = a.root, a.rate, a.delay, a.log
    srv.spans_path, srv.delay_all = a.spans, a.delay_all
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
