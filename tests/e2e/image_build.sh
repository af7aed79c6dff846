#!/usr/bin/env bash
# The image builder through the real mvbuild: a busybox rootfs plus
# overlays, checked with e2fsck -fn and debugfs; the same recipe in two
# directories and two caches gives the same sha256; the image is sparse;
# a 64 GiB image is valid, leaves untouched groups uninitialised and has
# the superblock mke2fs gives; hostile layers and escaping overlays fail
# without leaving a cache entry.
. "$(dirname "$0")/../lib.sh"

rootfs=$(busybox_rootfs)
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

# a roomy disk: 64 GiB of the same rootfs costs its metadata, not its size
mkdir -p "$T/r"
cp "$rootfs" "$T/r/rootfs.tar.gz"
cat >"$T/r/mvbuild.yaml" <<'Y'
mvbuild: 1
sources:
  rootfs: { path: rootfs.tar.gz }
images:
  roomy: { size: 64G, epoch: 1700000000, layers: [rootfs] }
Y
cd "$T/r"
mvb --cache "$T/c5" build image:roomy
check_eq "64 GiB image builds" "$rc" 0
mvb --cache "$T/c5" path image:roomy
big=$(awk '$1 == "rootfs.ext4" {print $2}' <<<"$out")
check "64 GiB image passes e2fsck -fn" e2fsck -fn "$big"
check_contains "64 GiB image holds busybox" "$(debugfs -R 'stat /bin/busybox' "$big" 2>/dev/null)" \
	"Mode:  0755"
alloc=$(du -k "$big" | cut -f1)
check "64 GiB image allocates under 16 MiB ($alloc KiB)" test "$alloc" -lt 16384
# a group nothing is allocated in stays BLOCK_UNINIT (no bitmap written for it), as with
# mke2fs; the last group never is (libext2fs' rule, the kernel's too)
read -r uninit full_not_uninit < <(dumpe2fs "$big" 2>/dev/null | awk '
	/^Group [0-9]+:/ { g = $2 + 0; u = /BLOCK_UNINIT/; n += u }
	/ free blocks, / { if ($1 == 32768 && !u) bad[g] = 1 }
	END { for (i in bad) if (i + 0 != g) b++; print n + 0, b + 0 }')
check_eq "every 64 GiB group without allocations but the last is BLOCK_UNINIT" \
	"$full_not_uninit" 0
check "most of the 512 groups are BLOCK_UNINIT ($uninit)" test "$uninit" -gt 400
# the superblock mke2fs -t ext4 writes for the same size, but for identity, times and usage
if command -v mke2fs >/dev/null; then
	mke2fs -q -F -t ext4 -E lazy_itable_init=1,lazy_journal_init=1 "$T/ref.img" 64G >/dev/null 2>&1
	vary='^(Filesystem UUID|Free blocks|Free inodes|Filesystem created|Last write time|Last checked|Lifetime writes|Directory Hash Seed|Checksum):'
	check_eq "dumpe2fs -h of the 64 GiB image is mke2fs -t ext4's" \
		"$(dumpe2fs -h "$big" 2>/dev/null | grep -Ev "$vary")" \
		"$(dumpe2fs -h "$T/ref.img" 2>/dev/null | grep -Ev "$vary")"
	rm -f "$T/ref.img"
else
	skip "dumpe2fs -h of the 64 GiB image is mke2fs -t ext4's" "mke2fs missing"
fi
mvb --cache "$T/c6" build image:roomy
mvb --cache "$T/c6" path image:roomy
big2=$(awk '$1 == "rootfs.ext4" {print $2}' <<<"$out")
check_eq "64 GiB image, same recipe in another cache: same content digest" \
	"$(basename "$big2")" "$(basename "$big")"

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
