#!/usr/bin/env python3
"""Print the content digest of each FILE (docs/cache.md, "The content digest"),
the digest that names blobs in the cache, computed from its definition with
plain SHA-256: tests compare it with what mvbuild publishes.
Usage: tests/content_digest.py FILE..."""
import hashlib
import struct
import sys

CHUNK = 64 << 10
TAG = b"mvbuild content digest 1\n"


def content_digest(path):
    outer = hashlib.sha256(TAG)
    size = 0
    with open(path, "rb") as f:
        index = 0
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if chunk.count(0) != len(chunk):
                outer.update(struct.pack(">Q", index) + hashlib.sha256(chunk).digest())
            index += 1
    outer.update(struct.pack(">Q", size))
    return outer.hexdigest()


for p in sys.argv[1:]:
    print(content_digest(p))
