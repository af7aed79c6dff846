#!/usr/bin/env bash
# The image builder through the real mvbuild: a busybox rootfs plus
# overlays, checked with e2fsck -fn and debugfs; the same recipe in two
# directories and two caches gives the same sha256; the image is sparse;
# hostile layers and escaping overlays fail without leaving a cache entry.
. "$(dirname "$0")/../lib.sh"

rootfs=$REPO_DIR/recipes/rootfs/busybox-rootfs.tar.gz
[ -f "$rootfs" ] || "$REPO_DIR/tests/make-busybox-rootfs.sh" "$rootfs" >/dev/null
mkdir -p "$T/a/overlay/etc/init.d" "$T/fx"
python3 "$TESTS_DIR/image/make-fixtures.py" "$T/fx" >/dev/null
cp "$rootfs" "$T/a/rootfs.tar.gz"
printf 'welcome\n' >"$T/a/overlay/etc/motd"
printf '#!/bin/sh\necho up\n' >"$T/a/overlay/etc/init.d/rcS"
chmod 0755 "$T/a/overlay/etc/init.d/rcS"
cat >"$T/a/mvbuild.yaml" <<'Y'
mvbuild: 1
name: image-e2e
sources:
  rootfs: { path: rootfs.tar.gz }
images:
  rootfs:
    size: 256M
    label: root
    epoch: 1700000000
    layers: [rootfs]
    overlays:
      - { dir: overlay, to: / }
      - { content: "vm\n", to: /etc/hostname, mode: "0644" }
Y

cd "$T/a"
mvb --cache "$T/c1" build image:rootfs
check_eq "image builds" "$rc" 0
mvb --cache "$T/c1" path image:rootfs
img=$(awk '$1 == "rootfs.ext4" {print $2}' <<<"$out")
man=$(awk '$1 == "manifest" {print $2}' <<<"$out")
check "image output exists" test -f "$img"
check "manifest output exists" test -f "$man"
check "image passes e2fsck -fn" e2fsck -fn "$img"
dbg() { debugfs -R "$1" "$img" 2>/dev/null; }
check_contains "busybox applets are symlinks" "$(dbg 'stat /bin/sh')" 'Fast link dest: "busybox"'
check_contains "busybox is executable" "$(dbg 'stat /bin/busybox')" "Mode:  0755"
check_contains "/tmp is sticky" "$(dbg 'stat /tmp')" "Mode:  01777"
check_contains "/etc/shadow keeps 0640" "$(dbg 'stat /etc/shadow')" "Mode:  0640"
check_eq "overlay file content" "$(dbg 'cat /etc/motd')" "welcome"
check_contains "overlay keeps the executable bit" "$(dbg 'stat /etc/init.d/rcS')" "Mode:  0755"
check_eq "content overlay" "$(dbg 'cat /etc/hostname')" "vm"
check_contains "label from the recipe" "$(dbg stats)" "Filesystem volume name:   root"
check_contains "manifest lists overlay files" "$(cat "$man")" $'/etc/motd\tfile\t0644\t0\t0\t8\t-'
applets=$(tar -tzf "$rootfs" | grep -c '^\./s\?bin/.')
check_eq "every /bin and /sbin entry is in the manifest" \
	"$(grep -c $'^/s\\?bin/[^\t]*\t' "$man")" "$applets"

# the same recipe elsewhere, later, in another cache: the same bytes
sleep 1
cp -a "$T/a" "$T/b"
touch "$T/b/overlay/etc/motd"
cd "$T/b"
mvb --cache "$T/c2" build image:rootfs
mvb --cache "$T/c2" path image:rootfs
img2=$(awk '$1 == "rootfs.ext4" {print $2}' <<<"$out")
check_eq "same recipe, other directory and cache: same sha256" \
	"$(sha256sum <"$img2")" "$(sha256sum <"$img")"
alloc=$(du -k "$img" | cut -f1)
apparent=$(( $(stat -c %s "$img") / 1024 ))
check "image is sparse ($alloc KiB allocated of $apparent KiB)" test "$alloc" -lt $((apparent / 10))

# a hostile layer fails and leaves no cache entry
mkdir -p "$T/h"
cp "$T/fx/hostile/through-symlink.tar" "$T/h/evil.tar"
cat >"$T/h/mvbuild.yaml" <<'Y'
mvbuild: 1
sources:
  evil: { path: evil.tar }
images:
  bad: { size: 64M, layers: [evil] }
Y
cd "$T/h"
mvb --cache "$T/c3" build image:bad
check_eq "hostile layer fails the build (exit 1)" "$rc" 1
check_contains "the error names the symlink" "$errout" "leads through the symlink '/etc'"
mvb --cache "$T/c3" path image:bad
check "no cache entry for the failed image" test "$rc" -ne 0

# an overlay leaving the recipe directory is an error
mkdir -p "$T/o/in" "$T/secret"
ln -s "$T/secret" "$T/o/in/out"
cat >"$T/o/mvbuild.yaml" <<'Y'
mvbuild: 1
images:
  esc: { size: 64M, overlays: [ { dir: in/out, to: /x } ] }
Y
cd "$T/o"
mvb --cache "$T/c4" build image:esc
check "overlay through a symlink out of the recipe directory fails" test "$rc" -ne 0
check_contains "the error says it leads outside" "$errout" "leads outside"
done_testing
