#!/usr/bin/env python3
"""A server on 127.0.0.1 that accepts connections and never answers: the
"stalled remote" of the remote-cache tests.  Prints its port, then serves
until killed."""
import socket
import sys
import time

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    conn, _ = s.accept()
    held.append(conn)  # keep it open, say nothing
