#!/usr/bin/env bash
# Images of format cpio (an initramfs) through the real mvbuild, checked
# with Debian's cpio, gzip and zstd: `cpio -t` lists exactly the layers'
# entries plus the overlays', in sorted order; `cpio -tv` shows the tar's
# owners and modes; the newc headers (read by a few lines of python) hold
# mtimes clamped to the epoch, inode numbers 1..N, no device numbers of
# the host, hardlinks as one inode whose data rides on its last link; two
# caches in two directories give the same bytes; gzip, zstd and none all
# decode; an extended attribute is refused; and `explain` shows format and
# compression in the key.
. "$(dirname "$0")/../lib.sh"

rootfs=$(busybox_rootfs)
command -v cpio >/dev/null || { skip "cpio images" "no cpio (make deps)"; done_testing; exit; }

mkdir -p "$T/a/files"
cp "$rootfs" "$T/a/rootfs.tar.gz"
printf '#!/bin/sh\necho hello\n' >"$T/a/files/hello"
# a second layer: owners that are not root, a hardlink, a setuid file, a fifo,
# a file from the future (its mtime is clamped) and a file the overlays remove
python3 - "$T/a/extra.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, mtime=1600000000, link=""):
        i = tarfile.TarInfo(name); i.type = kind; i.mode = mode; i.uid = uid; i.gid = gid
        i.mtime = mtime; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
        t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    add("home/", tarfile.DIRTYPE, mode=0o755)
    add("home/user/", tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1000)
    add("home/user/notes", data=b"notes\n", mode=0o600, uid=1000, gid=1000)
    add("home/user/same", tarfile.LNKTYPE, link="home/user/notes", uid=1000, gid=1000)
    add("usr/bin/su-ish", data=b"#!/bin/sh\n", mode=0o4755)
    add("run/pipe", tarfile.FIFOTYPE, mode=0o600, uid=7, gid=8)
    add("etc/future", data=b"later\n", mtime=4000000000)
    add("etc/gone", data=b"removed by an overlay\n")
PY
overlays='
      - { file: files/hello, to: /usr/bin/hello, mode: "0755" }
      - { content: "vm\n", to: /etc/hostname, mode: "0600", uid: 5, gid: 6 }
      - { symlink: /usr/bin/hello, to: /bin/hi }
      - { mkdir: /srv/data }
      - { remove: /etc/gone }'
cat >"$T/a/mvbuild.yaml" <<Y
mvbuild: 1
name: cpio-e2e
sources:
  rootfs: { path: rootfs.tar.gz }
  extra: { path: extra.tar }
images:
  gz:
    format: cpio
    epoch: 1700000000
    layers: [rootfs, extra]
    overlays: $overlays
  zst:
    format: cpio
    compression: zstd
    epoch: 1700000000
    layers: [rootfs, extra]
    overlays: $overlays
  raw:
    format: cpio
    compression: none
    epoch: 1700000000
    layers: [rootfs, extra]
    overlays: $overlays
  disk:
    size: 64M
    epoch: 1700000000
    layers: [rootfs, extra]
    overlays: $overlays
Y
cd "$T/a"
mvb --cache "$T/c1" check
check_eq "a recipe with cpio images passes check" "$rc" 0
mvb --cache "$T/c1" build image:gz image:zst image:raw image:disk
check_eq "the cpio images build" "$rc" 0
out_of() { "$MVBUILD" --cache "$1" path "image:$2" "$3"; }
gz=$(out_of "$T/c1" gz initramfs.cpio.gz)
zst=$(out_of "$T/c1" zst initramfs.cpio.zst)
raw=$(out_of "$T/c1" raw initramfs.cpio)
check "the outputs are named by compression" test -f "$gz" -a -f "$zst" -a -f "$raw"
check "the manifest is an output too" test -f "$(out_of "$T/c1" gz manifest)"

# every compression decodes, to the same archive
check "gzip -t accepts the .gz" gzip -t "$gz"
check "zstd -t accepts the .zst" zstd -qt "$zst"
check "the gzip header stores no time and no name" \
	test "$(od -An -tx1 -j3 -N5 "$gz" | tr -d ' ')" = "0000000000"
check_eq "gzip decodes to the uncompressed archive" "$(gzip -dc "$gz" | sha256sum)" "$(sha256sum <"$raw")"
check_eq "zstd decodes to the uncompressed archive" "$(zstd -qdc "$zst" | sha256sum)" "$(sha256sum <"$raw")"
check "the archive is newc" test "$(head -c 6 "$raw")" = "070701"

# cpio -t: exactly the layers' entries plus the overlays', sorted
cpio -t --quiet <"$raw" >"$T/listed"
check_eq "cpio -t reads the archive" "$?" 0
{
	tar -tzf rootfs.tar.gz; tar -tf extra.tar
	printf '%s\n' usr/bin/hello etc/hostname bin/hi srv srv/data
} | sed -e 's|^\./||' -e 's|/$||' -e 's|^$|.|' | grep -vx 'etc/gone' | LC_ALL=C sort -u >"$T/want"
check_eq "cpio -t lists exactly the layers' and overlays' entries" "$(LC_ALL=C sort "$T/listed")" "$(cat "$T/want")"
check_eq "the root comes first" "$(head -1 "$T/listed")" "."
check "the entries are in sorted order" bash -c "tail -n +2 '$T/listed' | LC_ALL=C sort -c"
check "no lost+found (an ext4 thing)" bash -c "! grep -qx lost+found '$T/listed'"

# cpio -tv: owners and modes as the tar has them (numeric: nothing of this host)
cpio -tv --quiet -n <"$raw" | awk '{ print $9, $1, $3 ":" $4 }' | LC_ALL=C sort >"$T/cpio-v"
{ tar --numeric-owner -tvzf rootfs.tar.gz; tar --numeric-owner -tvf extra.tar; } |
	awk '/^h/ { next } { split($2, o, "/"); n = $6; sub(/^\.\//, "", n); sub(/\/$/, "", n);
	       if (n == "" || n == ".") n = "."; print n, $1, o[1] ":" o[2] }' |
	grep -v -e '^etc/gone ' -e '^etc/hostname ' | LC_ALL=C sort -u >"$T/tar-v"
check_eq "cpio -tv shows the tar's modes and owners" \
	"$(join -j1 "$T/cpio-v" "$T/tar-v" | awk '$2 != $4 || $3 != $5' | head -5)" ""
check_eq "every tar entry was compared" "$(join -j1 "$T/cpio-v" "$T/tar-v" | wc -l)" "$(wc -l <"$T/tar-v")"
check_contains "an overlay's mode and owner" "$(cat "$T/cpio-v")" "etc/hostname -rw------- 5:6"
check_contains "a setuid file keeps its bit" "$(cat "$T/cpio-v")" "usr/bin/su-ish -rwsr-xr-x 0:0"
check_contains "a fifo with its owner" "$(cat "$T/cpio-v")" "run/pipe prw------- 7:8"

# the newc headers themselves
python3 - "$raw" >"$T/headers" <<'PY'
import sys
data = open(sys.argv[1], "rb").read(); off = 0
while True:
    h = data[off:off + 110]; f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    ino, mode, uid, gid, nlink, mtime, size, dmaj, dmin, rmaj, rmin, namesize = f[:12]
    name = data[off + 110:off + 110 + namesize - 1].decode()
    off = (off + 110 + namesize + 3) & ~3
    if name == "TRAILER!!!": break
    print(name, ino, "%o" % mode, nlink, mtime, size, dmaj, dmin)
    off = (off + size + 3) & ~3
print("end", off, len(data))
PY
check_eq "the archive ends at its trailer (no block padding)" "$(awk '$1 == "end" { print ($2 == $3) }' "$T/headers")" 1
check_eq "no mtime is after the epoch" "$(awk '$1 != "end" && $5 > 1700000000' "$T/headers")" ""
check_contains "a file from the future is clamped to the epoch" "$(grep '^etc/future ' "$T/headers")" " 1700000000 "
check_eq "no device numbers of the host" "$(awk '$1 != "end" && ($7 != 0 || $8 != 0)' "$T/headers")" ""
check_eq "inode numbers are 1..N in archive order" \
	"$(awk '$1 != "end" && $1 != "home/user/same" { print $2 }' "$T/headers" | tr '\n' ' ')" \
	"$(seq 1 "$(($(grep -vc '^end' "$T/headers") - 1))" | tr '\n' ' ')"
notes=$(awk '$1 == "home/user/notes"' "$T/headers"); same=$(awk '$1 == "home/user/same"' "$T/headers")
check_eq "a hardlink is one inode on both links" "$(cut -d' ' -f2 <<<"$notes")" "$(cut -d' ' -f2 <<<"$same")"
check_eq "both links count 2" "$(cut -d' ' -f4 <<<"$notes") $(cut -d' ' -f4 <<<"$same")" "2 2"
check_eq "only the last link carries the data" "$(cut -d' ' -f6 <<<"$notes") $(cut -d' ' -f6 <<<"$same")" "0 6"

# cpio -i puts it all back: contents, the hardlink, the symlink
mkdir "$T/x" && (cd "$T/x" && cpio -idm --quiet --no-absolute-filenames <"$raw" 2>/dev/null)
check_eq "an overlay file's content" "$(cat "$T/x/usr/bin/hello")" "$(cat files/hello)"
check_eq "the hardlink comes back as one inode" "$(stat -c %i "$T/x/home/user/notes")" "$(stat -c %i "$T/x/home/user/same")"
check_eq "its data" "$(cat "$T/x/home/user/same")" "notes"
check_eq "a symlink overlay" "$(readlink "$T/x/bin/hi")" "/usr/bin/hello"
check_eq "busybox is the tar's busybox" "$(sha256sum <"$T/x/bin/busybox")" \
	"$(tar -xzOf rootfs.tar.gz ./bin/busybox | sha256sum)"

# the same recipe in another directory and another cache: the same bytes
cp -r "$T/a" "$T/b"
(cd "$T/b" && "$MVBUILD" --cache "$T/c2" build image:gz image:zst image:raw >/dev/null 2>&1)
for i in gz:initramfs.cpio.gz zst:initramfs.cpio.zst raw:initramfs.cpio; do
	check_eq "two caches give the same ${i#*:}" \
		"$(cd "$T/b" && sha256sum <"$(out_of "$T/c2" "${i%%:*}" "${i#*:}")")" \
		"$(sha256sum <"$(out_of "$T/c1" "${i%%:*}" "${i#*:}")")"
done

# the key holds format and compression: explain names each change
mvb --cache "$T/c1" path image:disk rootfs.ext4
check "the ext4 image of the same recipe builds and passes e2fsck" bash -c "e2fsck -fn '$out' >/dev/null"
mvb --cache "$T/c1" explain image:zst
check_contains "explain: up to date" "$out" "up to date"
# (each change also moves the epoch: else it would be another image's key, built already)
sed -i 's/compression: zstd/compression: gzip/' mvbuild.yaml
sed -i -e '/^  zst:/,/^  raw:/s/epoch: 1700000000/epoch: 1700000001/' mvbuild.yaml
mvb --cache "$T/c1" explain image:zst
check_contains "explain names the compression that changed" "$out" "param compression changed from zstd to gzip"
sed -i -e 's/    size: 64M/    format: cpio/' -e '/^  disk:/,$s/epoch: 1700000000/epoch: 1700000001/' mvbuild.yaml
mvb --cache "$T/c1" explain image:disk
check_contains "explain names the format that changed" "$out" "param format"

# a device node (devices: true) keeps its numbers: the kernel's console
python3 - "$T/a/dev.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("dev/console"); i.type = tarfile.CHRTYPE; i.mode = 0o600
    i.devmajor, i.devminor = 5, 1
    t.addfile(i)
PY
cat >"$T/a/dev.yaml" <<'Y'
mvbuild: 1
sources:
  l: { path: dev.tar }
images:
  i: { format: cpio, compression: none, devices: true, layers: [l] }
Y
mvb -f dev.yaml --cache "$T/c1" build image:i
check_eq "an image with a device node builds" "$rc" 0
check_contains "cpio -tv shows it as char 5, 1" \
	"$(cpio -tv --quiet -n <"$("$MVBUILD" -f dev.yaml --cache "$T/c1" path image:i initramfs.cpio)")" \
	"crw-------   1 0        0          5,   1"

# an extended attribute has no place in newc: refused, naming the path
python3 - "$T/a/xattr.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("bin/ping"); i.size = 2; i.mode = 0o755
    i.pax_headers = {"SCHILY.xattr.security.capability": "x"}
    t.addfile(i, io.BytesIO(b"#!"))
PY
cat >"$T/a/xattr.yaml" <<'Y'
mvbuild: 1
sources:
  l: { path: xattr.tar }
images:
  i: { format: cpio, layers: [l] }
Y
mvb -f xattr.yaml --cache "$T/c1" build image:i
check_eq "a layer with an extended attribute fails" "$rc" 1
check_contains "and says why" "$errout" "'/bin/ping' has the extended attribute 'security.capability', which a cpio archive cannot hold"
done_testing
