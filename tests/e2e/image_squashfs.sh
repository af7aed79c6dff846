#!/usr/bin/env bash
# Images of format squashfs through the real mvbuild, checked with
# squashfs-tools (unsquashfs) and squashfs-tools-ng (rdsquashfs):
# `unsquashfs -lln` lists exactly the layers' entries plus the overlays',
# with the tar's modes, owners, sizes and symlink targets (numeric: nothing
# of this host); file contents come back (-cat); mtimes are clamped to the
# epoch, which is also the superblock's time; a hardlink is one inode with
# two links; extended attributes are kept; xz (the default), zstd and gzip
# each build, and two caches in two directories give the same bytes; bad
# values (compression: lz4, size:) are recipe errors at `check`; `explain`
# shows format and compression in the key.
. "$(dirname "$0")/../lib.sh"

rootfs=$(busybox_rootfs)
command -v unsquashfs >/dev/null && command -v rdsquashfs >/dev/null ||
	{ skip "squashfs images" "no unsquashfs or rdsquashfs (make deps)"; done_testing; exit; }
export TZ=UTC

mkdir -p "$T/a/files"
cp "$rootfs" "$T/a/rootfs.tar.gz"
printf '#!/bin/sh\necho hello\n' >"$T/a/files/hello"
# a second layer: owners that are not root, a hardlink, a setuid file, a fifo,
# an extended attribute, a file from the future (its mtime is clamped) and a
# file the overlays remove
python3 - "$T/a/extra.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, mtime=1600000000, link="", pax=None):
        i = tarfile.TarInfo(name); i.type = kind; i.mode = mode; i.uid = uid; i.gid = gid
        i.mtime = mtime; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
        i.pax_headers = pax or {}
        t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    add("home/", tarfile.DIRTYPE, mode=0o755)
    add("home/user/", tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1000)
    add("home/user/notes", data=b"notes\n", mode=0o600, uid=1000, gid=1000)
    add("home/user/same", tarfile.LNKTYPE, link="home/user/notes", uid=1000, gid=1000)
    add("usr/bin/su-ish", data=b"#!/bin/sh\n", mode=0o4755, pax={"SCHILY.xattr.user.origin": "e2e"})
    add("run/pipe", tarfile.FIFOTYPE, mode=0o600, uid=7, gid=8)
    add("etc/future", data=b"later\n", mtime=4000000000)
    add("etc/gone", data=b"removed by an overlay\n")
    # names where a path's bytewise order is not a directory's: '-' and '.' sort below '/'
    add("opt/", tarfile.DIRTYPE, mode=0o755)
    add("opt/a.x", data=b"a.x\n")
    add("opt/a-b", data=b"a-b\n")
    add("opt/a/", tarfile.DIRTYPE, mode=0o755)
    add("opt/a/c", data=b"a/c\n")
PY
overlays='
      - { file: files/hello, to: /usr/bin/hello, mode: "0755" }
      - { content: "vm\n", to: /etc/hostname, mode: "0600", uid: 5, gid: 6 }
      - { symlink: /usr/bin/hello, to: /bin/hi }
      - { mkdir: /srv/data }
      - { remove: /etc/gone }'
cat >"$T/a/mvbuild.yaml" <<Y
mvbuild: 1
name: squashfs-e2e
sources:
  rootfs: { path: rootfs.tar.gz }
  extra: { path: extra.tar }
images:
  xz:
    format: squashfs
    epoch: 1700000000
    layers: [rootfs, extra]
    overlays: $overlays
  zst:
    format: squashfs
    compression: zstd
    epoch: 1700000000
    layers: [rootfs, extra]
    overlays: $overlays
  gz:
    format: squashfs
    compression: gzip
    epoch: 1700000000
    layers: [rootfs, extra]
    overlays: $overlays
Y
cd "$T/a"
mvb --cache "$T/c1" check
check_eq "a recipe with squashfs images passes check" "$rc" 0
mvb --cache "$T/c1" build image:xz image:zst image:gz
check_eq "the squashfs images build" "$rc" 0
out_of() { "$MVBUILD" --cache "$1" path "image:$2" rootfs.squashfs; }
xz=$(out_of "$T/c1" xz); zst=$(out_of "$T/c1" zst); gz=$(out_of "$T/c1" gz)
check "the output is rootfs.squashfs" test -f "$xz" -a -f "$zst" -a -f "$gz"
check "the manifest is an output too" test -f "$("$MVBUILD" --cache "$T/c1" path image:xz manifest)"

# the superblock: compressor, block size, time, a whole number of 4 KiB
for i in xz:xz zst:zstd gz:gzip; do
	f=$(out_of "$T/c1" "${i%%:*}")
	check_contains "compression: ${i#*:} is the superblock's compressor" \
		"$(unsquashfs -s "$f")" "Compression ${i#*:}"
done
sb=$(unsquashfs -s "$xz")
check_contains "xz is the default" "$sb" "Compression xz"
check_contains "the block size is 128 KiB" "$sb" "Block size 131072"
check_contains "the superblock's time is the epoch" "$sb" "Tue Nov 14 22:13:20 2023"
check_eq "the file is padded to 4 KiB" "$(($(stat -c %s "$xz") % 4096))" 0

# unsquashfs -lln: exactly the tar's entries (and the overlays'), with modes,
# owners, sizes of files and symlink targets
unsquashfs -lln "$xz" | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"^(\S{10}) (\d+)/(\d+) +(\d+|\d+, +\d+) \S+ \S+ squashfs-root(/.*?)?(?: -> (.*))?$", line.rstrip("\n"))
    if not m: continue
    mode, uid, gid, size, path, target = m.groups()
    path = (path or "/")[1:] or "."
    size = size if mode[0] == "-" else "-"
    print(path, mode, uid + ":" + gid, size, target or "-")
' | LC_ALL=C sort >"$T/listed"
python3 - rootfs.tar.gz extra.tar files/hello >"$T/want" <<'PY'
import stat, sys, tarfile
entries = {}
for layer in sys.argv[1:3]:
    with tarfile.open(layer) as t:
        for i in t.getmembers():
            name = i.name.lstrip("./").rstrip("/") or "."
            if i.islnk():
                entries[name] = entries[i.linkname.lstrip("./")]
                continue
            kind = {tarfile.DIRTYPE: stat.S_IFDIR, tarfile.SYMTYPE: stat.S_IFLNK,
                    tarfile.FIFOTYPE: stat.S_IFIFO}.get(i.type, stat.S_IFREG)
            entries[name] = (stat.filemode(kind | i.mode), "%d:%d" % (i.uid, i.gid),
                             str(i.size) if kind == stat.S_IFREG else "-", i.linkname if i.issym() else "-")
del entries["etc/gone"]
hello = len(open(sys.argv[3], "rb").read())
entries["usr/bin/hello"] = ("-rwxr-xr-x", "0:0", str(hello), "-")
entries["etc/hostname"] = ("-rw-------", "5:6", "3", "-")
entries["bin/hi"] = ("lrwxrwxrwx", "0:0", "-", "/usr/bin/hello")
entries["srv"] = entries["srv/data"] = ("drwxr-xr-x", "0:0", "-", "-")
for name in sorted(entries):
    print(name, *entries[name])
PY
LC_ALL=C sort -o "$T/want" "$T/want"
check_eq "unsquashfs -lln lists exactly the tar's entries with their modes, owners, sizes and targets" \
	"$(diff "$T/want" "$T/listed")" ""
check_eq "as many entries as the tar and the overlays make" "$(wc -l <"$T/listed")" "$(wc -l <"$T/want")"
check "no lost+found (an ext4 thing)" bash -c "! grep -q '^lost+found ' '$T/listed'"
check_contains "a setuid file keeps its bit" "$(cat "$T/listed")" "usr/bin/su-ish -rwsr-xr-x 0:0 10 -"
check_contains "a fifo with its owner" "$(cat "$T/listed")" "run/pipe prw------- 7:8 - -"

# times: none after the epoch (the file from the future is clamped)
check_eq "no mtime is after the epoch" \
	"$(unsquashfs -lln "$xz" | grep -Eo ' [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} ' |
		awk '$0 > " 2023-11-14 22:13 "' | head -3)" ""
check_contains "a file from the future is clamped to the epoch" \
	"$(unsquashfs -lln "$xz" etc/future)" "2023-11-14 22:13 squashfs-root/etc/future"

# each directory's entries sorted by name (squashfs lookups need it), its contents after it
check_eq "a directory's entries by name, each subdirectory's contents after it" \
	"$(unsquashfs -lln "$xz" | awk '$NF ~ /^squashfs-root\/opt/ { print $NF }' | tr '\n' ' ')" \
	"squashfs-root/opt squashfs-root/opt/a squashfs-root/opt/a/c squashfs-root/opt/a-b squashfs-root/opt/a.x "
check_eq "and each is found by name" \
	"$(for f in opt/a/c opt/a-b opt/a.x; do unsquashfs -cat "$xz" "$f"; done | tr '\n' ' ')" "a/c a-b a.x "

# contents, the hardlink, the extended attribute
check_eq "busybox is the tar's busybox" "$(unsquashfs -cat "$xz" bin/busybox | sha256sum)" \
	"$(tar -xzOf rootfs.tar.gz ./bin/busybox | sha256sum)"
check_eq "an overlay file's content" "$(unsquashfs -cat "$xz" usr/bin/hello)" "$(cat files/hello)"
check_eq "a content overlay" "$(unsquashfs -cat "$xz" etc/hostname)" "vm"
check_eq "the hardlink's data" "$(unsquashfs -cat "$xz" home/user/same)" "notes"
notes=$(rdsquashfs -s /home/user/notes "$xz"); same=$(rdsquashfs -s /home/user/same "$xz")
check_eq "a hardlink is one inode on both links" "$(grep 'Inode number' <<<"$notes")" \
	"$(grep 'Inode number' <<<"$same")"
check_contains "with two links" "$notes" "Hard link count: 2"
check_eq "the extended attribute is kept" "$(rdsquashfs -x /usr/bin/su-ish "$xz")" "user.origin=e2e"
for i in zst gz; do
	check_eq "$i holds the same files as xz" "$(unsquashfs -lln "$(out_of "$T/c1" "$i")")" \
		"$(unsquashfs -lln "$xz")"
done

# the same recipe in another directory and another cache: the same bytes
cp -r "$T/a" "$T/b"
(cd "$T/b" && "$MVBUILD" --cache "$T/c2" build image:xz image:zst image:gz >/dev/null 2>&1)
for i in xz zst gz; do
	check_eq "two caches give the same $i filesystem" \
		"$(cd "$T/b" && sha256sum <"$(out_of "$T/c2" "$i")")" "$(sha256sum <"$(out_of "$T/c1" "$i")")"
done

# the key holds format and compression: explain names the change
mvb --cache "$T/c1" explain image:zst
check_contains "explain: up to date" "$out" "up to date"
sed -i -e 's/compression: zstd/compression: gzip/' \
	-e '/^  zst:/,/^  gz:/s/epoch: 1700000000/epoch: 1700000001/' mvbuild.yaml
mvb --cache "$T/c1" explain image:zst
check_contains "explain names the compression that changed" "$out" "param compression changed from zstd to gzip"

# bad values are recipe errors, found by check
cat >bad.yaml <<'Y'
mvbuild: 1
sources:
  extra: { path: extra.tar }
images:
  i: { format: squashfs, compression: lz4, layers: [extra] }
Y
mvb -f bad.yaml --cache "$T/c1" check
check_eq "compression: lz4 fails check (a usage error)" "$rc" 2
check_contains "and names the values squashfs takes" "$errout" \
	"bad.yaml:5:39: 'compression' in image 'i' must be one of xz, zstd, gzip, not the string 'lz4'"
sed -i 's/compression: lz4/size: 64M/' bad.yaml
mvb -f bad.yaml --cache "$T/c1" check
check_eq "size: fails check" "$rc" 2
check_contains "and says a squashfs image takes none" "$errout" \
	"image 'i' is a read-only squashfs filesystem (format: squashfs; its size is what it holds), which takes no 'size'"
done_testing
