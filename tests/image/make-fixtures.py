#!/usr/bin/env python3
"""Makes the tar layers the image tests feed to mvbuild's image writer.

Usage: make-fixtures.py OUTDIR

rich.tar (plus .tar.gz .tar.xz .tar.bz2 .tar.zst): every kind of entry a
root filesystem needs: modes with setuid/setgid/sticky, numeric owners that
exist on no host, symlinks (absolute and dangling, stored verbatim),
hardlinks, a FIFO, device nodes, an xattr (security.capability), old and
future mtimes, a file of zeros and a GNU sparse file.
override.tar: a second layer replacing entries of rich.tar.
hostile/*.tar: one archive per attack the writer must reject.
"""
import bz2, gzip, io, lzma, os, shutil, subprocess, sys, tarfile

out = sys.argv[1]
os.makedirs(os.path.join(out, "hostile"), exist_ok=True)
MTIME = 1600000000


def info(name, type=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, size=0, **kw):
    t = tarfile.TarInfo(name)
    t.type, t.mode, t.uid, t.gid, t.size, t.mtime = type, mode, uid, gid, size, MTIME
    t.uname = t.gname = ""
    for k, v in kw.items():
        setattr(t, k, v)
    return t


def add(tf, t, data=None):
    if data is not None:
        t.size = len(data)
        tf.addfile(t, io.BytesIO(data))
    else:
        tf.addfile(t)


def write_tar(path, entries, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(path, "w", format=fmt) as tf:
        for e in entries:
            add(tf, *e) if isinstance(e, tuple) else add(tf, e)


cap = bytes.fromhex("0100000200200000000000000000000000000000")  # cap_net_bind_service+ep
rich = [
    info("./", tarfile.DIRTYPE, 0o755),
    info("./bin", tarfile.DIRTYPE, 0o755),
    (info("./bin/tool", mode=0o4755, uid=1234, gid=5678), b"#!/bin/sh\necho tool\n"),
    (info("./bin/sg", mode=0o2711, uid=0, gid=42), b"setgid\n"),
    info("./bin/link", tarfile.LNKTYPE, linkname="./bin/tool"),
    info("./bin/sh", tarfile.SYMTYPE, 0o777, linkname="tool"),
    info("./bin/abs", tarfile.SYMTYPE, 0o777, linkname="/etc/../nowhere/x"),
    info("./bin/long", tarfile.SYMTYPE, 0o777, linkname="a/" * 60 + "end"),
    info("./tmp", tarfile.DIRTYPE, 0o1777),
    info("./dev", tarfile.DIRTYPE, 0o755),
    info("./dev/null", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3),
    info("./dev/sda", tarfile.BLKTYPE, 0o660, gid=6, devmajor=8, devminor=0),
    info("./dev/big", tarfile.CHRTYPE, 0o600, devmajor=300, devminor=70000),
    info("./run/fifo", tarfile.FIFOTYPE, 0o600, uid=100000, gid=100000),
    (info("./usr/bin/ping", mode=0o755,
          pax_headers={"SCHILY.xattr.security.capability": cap.decode("latin-1")}), b"ping\n"),
    (info("./etc/future", mode=0o600, mtime=4000000000), b"from the future\n"),
    (info("./etc/old", mode=0o644, mtime=100), b"old\n"),
    (info("./var/zeros", mode=0o644), bytes(1 << 20)),
    (info("./var/mixed", mode=0o644), b"head" + bytes(300000) + b"tail"),
    info("./empty", tarfile.DIRTYPE, 0o700, uid=7, gid=8),
]
rich_tar = os.path.join(out, "rich.tar")
write_tar(rich_tar, rich)
with open(rich_tar, "rb") as f:
    data = f.read()
with gzip.GzipFile(rich_tar + ".gz", "wb", mtime=0) as f:
    f.write(data)
with lzma.open(rich_tar + ".xz", "wb") as f:
    f.write(data)
with bz2.open(rich_tar + ".bz2", "wb") as f:
    f.write(data)
if shutil.which("zstd"):
    subprocess.run(["zstd", "-q", "-f", rich_tar, "-o", rich_tar + ".zst"], check=True)

# A GNU sparse file: 64 MiB apparent, two small data regions.
sp = os.path.join(out, "sparse-src")
os.makedirs(sp, exist_ok=True)
with open(os.path.join(sp, "disk"), "wb") as f:
    f.write(b"start")
    f.seek(40 << 20)
    f.write(b"middle")
    f.truncate(64 << 20)
subprocess.run(["tar", "--sparse", "--format=gnu", "--owner=0", "--group=0", "--numeric-owner",
                "-C", sp, "-cf", os.path.join(out, "sparse.tar"), "disk"], check=True)

write_tar(os.path.join(out, "override.tar"), [
    (info("./bin/tool", mode=0o755), b"replaced\n"),            # file over file (hardlinked)
    info("./etc/old", tarfile.DIRTYPE, 0o755),                  # dir over file
    (info("./empty", mode=0o644), b"file over dir\n"),         # file over dir
    info("./bin", tarfile.DIRTYPE, 0o750, uid=3, gid=3),        # dir over dir: new attributes
    (info("/abs/name", mode=0o644), b"absolute\n"),             # leading '/' stripped
])

H = os.path.join(out, "hostile")
write_tar(os.path.join(H, "dotdot.tar"), [(info("./a/../../escape"), b"x")])
write_tar(os.path.join(H, "through-symlink.tar"), [
    info("./etc", tarfile.SYMTYPE, 0o777, linkname="/tmp"),
    (info("./etc/passwd"), b"owned\n")])
write_tar(os.path.join(H, "hardlink-missing.tar"), [
    info("./x", tarfile.LNKTYPE, linkname="./nothing")])
write_tar(os.path.join(H, "hardlink-dir.tar"), [
    info("./d", tarfile.DIRTYPE, 0o755), info("./x", tarfile.LNKTYPE, linkname="./d")])
write_tar(os.path.join(H, "hardlink-symlink.tar"), [
    info("./s", tarfile.SYMTYPE, 0o777, linkname="t"), info("./x", tarfile.LNKTYPE, linkname="./s")])
with tarfile.open(os.path.join(H, "hardlink-data.tar"), "w", format=tarfile.PAX_FORMAT) as tf:
    add(tf, info("./f"), b"target\n")
    t = info("./x", tarfile.LNKTYPE, linkname="./f", size=5)
    tf.addfile(t, io.BytesIO(b"data!"))
write_tar(os.path.join(H, "huge.tar"), [(info("./big"), b"small")])
with open(os.path.join(H, "huge.tar"), "r+b") as f:   # declare 8 GiB in the header
    hdr = bytearray(f.read(512))
    hdr[124:136] = b"%011o\0" % (8 * 1024**3 - 1)
    hdr[148:156] = b"        "
    hdr[148:156] = b"%06o\0 " % sum(hdr)
    f.seek(0)
    f.write(hdr)
# three 3 MiB files of incompressible data: more than a 12 MiB image holds
rnd = bytes((i * 2654435761 >> 13) & 0xff for i in range(3 << 20))
write_tar(os.path.join(H, "full.tar"), [(info("./r%d" % i), bytes([i]) + rnd[1:]) for i in range(3)])
write_tar(os.path.join(H, "devices.tar"), [info("./dev/mem", tarfile.CHRTYPE, 0o600, devmajor=1, devminor=1)])
write_tar(os.path.join(H, "many.tar"), [(info("./f%05d" % i), b"") for i in range(5000)])
with open(rich_tar, "rb") as f:
    whole = f.read()
with open(os.path.join(H, "truncated.tar"), "wb") as f:
    f.write(whole[:len(whole) // 2 + 100])
gz = open(rich_tar + ".gz", "rb").read()
with open(os.path.join(H, "corrupt.tar.gz"), "wb") as f:
    f.write(gz[:200] + bytes(b ^ 0x55 for b in gz[200:400]) + gz[400:])
with open(os.path.join(H, "notar.tar"), "wb") as f:
    f.write(b"this is not an archive\n" * 100)
