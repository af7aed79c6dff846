#!/usr/bin/env python3
"""The tree of a container image, two ways, as lines sorted by path:
    PATH TYPE MODE UID GID SIZE GROUP
TYPE is dir, file, symlink, char, block or fifo; MODE the permission bits in
octal; SIZE a regular file's size (else -); GROUP, for a regular file with
more than one name, the first of its names (its hardlink group), else -.

  tree.py oracle LAYOUT REF
      What the image REF (a tag in index.json or sha256:HEX of a manifest) of
      the OCI layout LAYOUT must unpack to: its layer blobs (tar, gzip or
      zstd) applied bottom first with the OCI whiteout rules, as containerd's
      applier does (.wh.NAME removes NAME; .wh..wh..opq empties its directory
      of what lower layers put there; a hardlink names the same inode).
      Owners and modes are the tar headers', which `umoci raw unpack
      --rootless` and a non-root debugfs rdump lose.
  tree.py ext4 IMAGE
      The tree of the ext4 IMAGE as debugfs reads it (lost+found left out).

Python 3 stdlib (and the zstd command for zstd layers) only.
"""
import gzip
import io
import json
import os
import stat
import subprocess
import sys
import tarfile


class Node:
    def __init__(self, kind, mode, uid, gid, size):
        self.kind, self.mode, self.uid, self.gid, self.size = kind, mode, uid, gid, size


def norm(name):
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


def layer_tar(blob):
    data = open(blob, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        data = subprocess.run(["zstd", "-q", "-d", "-c"], input=data, stdout=subprocess.PIPE,
                              check=True).stdout
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:")


def remove(tree, path):
    """Remove path and everything below it."""
    for p in [p for p in tree if p == path or p.startswith(path + "/")]:
        del tree[p]


KINDS = {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.CHRTYPE: "char",
         tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo"}


def apply_layer(tree, blob):
    added = set()  # paths this layer wrote: an opaque marker keeps them
    with layer_tar(blob) as t:
        for m in t:
            path = norm(m.name)
            if not path:
                continue
            parent, _, base = path.rpartition("/")
            if base == ".wh..wh..opq":
                for p in [p for p in tree if p.startswith(parent + "/") or not parent]:
                    if p not in added:
                        del tree[p]
                continue
            if base.startswith(".wh."):
                remove(tree, (parent + "/" if parent else "") + base[4:])
                continue
            old = tree.get(path)
            if m.type == tarfile.LNKTYPE:
                node = tree[norm(m.linkname)]
            elif m.type == tarfile.DIRTYPE and old is not None and old.kind == "dir":
                node = old  # an existing directory keeps its children, takes the new metadata
                node.mode, node.uid, node.gid = m.mode & 0o7777, m.uid, m.gid
            else:
                kind = KINDS.get(m.type, "file")
                node = Node(kind, m.mode & 0o7777, m.uid, m.gid, m.size if kind == "file" else None)
            if old is not None and node is not old:
                remove(tree, path)
            tree[path] = node
            added.add(path)


def resolve(layout, ref):
    blobs = os.path.join(layout, "blobs", "sha256")
    if not ref.startswith("sha256:"):
        idx = json.load(open(os.path.join(layout, "index.json")))
        ref = [m["digest"] for m in idx["manifests"]
               if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref][0]
    man = json.load(open(os.path.join(blobs, ref[7:])))
    return [os.path.join(blobs, layer["digest"][7:]) for layer in man["layers"]]


def ext4_tree(image):
    tree, dirs = {}, [""]
    while dirs:
        d = dirs.pop()
        out = subprocess.run(["debugfs", "-R", "ls -p /" + d, image], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=True, text=True).stdout
        for line in out.splitlines():
            f = line.split("/")
            if len(f) < 7 or f[5] in (".", "..") or f[1] == "0":
                continue
            ino, mode, uid, gid, name, size = f[1:7]
            path = (d + "/" if d else "") + name
            if path == "lost+found":
                continue
            mode = int(mode, 8)
            kind = {stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink", stat.S_IFCHR: "char",
                    stat.S_IFBLK: "block", stat.S_IFIFO: "fifo"}.get(stat.S_IFMT(mode), "file")
            node = tree.setdefault(("ino", ino), Node(kind, mode & 0o7777, int(uid), int(gid),
                                                      int(size) if kind == "file" else None))
            tree[path] = node
            if kind == "dir":
                dirs.append(path)
    return {p: n for p, n in tree.items() if isinstance(p, str)}


def dump(tree):
    names = {}
    for p in sorted(tree):
        names.setdefault(id(tree[p]), []).append(p)
    for p in sorted(tree):
        n = tree[p]
        group = names[id(n)]
        print(p, n.kind, "%04o" % n.mode, n.uid, n.gid, "-" if n.size is None else n.size,
              group[0] if n.kind == "file" and len(group) > 1 else "-")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "oracle":
        tree = {}
        for blob in resolve(*args):
            apply_layer(tree, blob)
        dump(tree)
    elif cmd == "ext4":
        dump(ext4_tree(*args))
    else:
        sys.exit(f"unknown command {cmd}")
