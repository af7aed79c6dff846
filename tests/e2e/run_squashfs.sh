#!/usr/bin/env bash
# Booting from a squashfs root under qemu with TCG: the demo rootfs as an
# image of format squashfs (zstd), a profile with it as `image:`, on the
# demo kernel (squashfs.config), shared through $MVBUILD_TEST_CACHE.  The
# launch config mounts it read-only (root=/dev/vda ro rootfstype=squashfs,
# a drive with readonly=on, Firecracker's is_read_only); the guest's init
# prints what it sees, prefixed "sqfs-e2e:": the root is squashfs and ro,
# and a write to it fails.  The cached image is the drive itself and stays
# untouched.  (A kernel without squashfs or the image's compressor is
# refused when the launch config is built: tests/unit/test_launch.c.)
. "$(dirname "$0")/../lib.sh"

cache=$(demo_cache)
rootfs=$(busybox_rootfs)
need_qemu "squashfs boot"

mkdir -p "$T/r"
# the recipe tree is a boundary: the demo recipe and its fragments are copied in
cp -r "$REPO_DIR/recipes/." "$T/r/"
cat >"$T/r/sqfs-init" <<'I'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "sqfs-e2e: root $(awk '$2 == "/" { print $3, substr($4, 1, 2) }' /proc/mounts | tail -1)"
echo "sqfs-e2e: vda ro $(cat /sys/block/vda/ro 2>/dev/null || echo '?')"
if echo x >/etc/written 2>/dev/null; then echo "sqfs-e2e: write succeeded"; else echo "sqfs-e2e: write refused"; fi
echo "sqfs-e2e: hostname $(cat /etc/hostname)"
echo "mvbuild-demo: hello from the guest"
reboot -f
I
chmod 0755 "$T/r/sqfs-init"
cat >"$T/r/sqfs.yaml" <<'Y'
mvbuild: 1
name: sqfs-e2e
include: [demo.yaml]
images:
  roroot:
    format: squashfs
    compression: zstd
    epoch: 1700000000
    layers: [rootfs]
    overlays:
      - { file: sqfs-init, to: /sbin/sqfs-init, mode: "0755" }
      - { content: "readonly\n", to: /etc/hostname }
profiles:
  ro: { kernel: microvm, image: roroot, mem: 128, init: /sbin/sqfs-init }
  rofc: { hypervisor: firecracker, kernel: microvm, image: roroot, mem: 128, init: /sbin/sqfs-init }
Y
mvb -f "$T/r/sqfs.yaml" --cache "$cache" build profile:ro profile:rofc
must_succeed "the squashfs profiles build (the demo kernel has squashfs.config)"
mvb -f "$T/r/sqfs.yaml" --cache "$cache" path profile:ro
qjson=$(awk '$1 == "qemu.json" {print $2}' <<<"$out")
check "qemu.json: a read-only drive, root=/dev/vda ro rootfstype=squashfs" python3 -c "
import json; d = json.load(open('$qjson')); a = d['argv']['tcg']
assert d['image']['output'] == 'rootfs.squashfs', d
assert a[a.index('-drive') + 1].endswith(',readonly=on'), a
line = a[a.index('-append') + 1].split()
assert 'root=/dev/vda' in line and 'ro' in line and 'rw' not in line and 'rootfstype=squashfs' in line, line"
mvb -f "$T/r/sqfs.yaml" --cache "$cache" path profile:rofc
fcjson=$(awk '$1 == "firecracker.json" {print $2}' <<<"$out")
check "firecracker.json: a read-only root drive, rootfstype=squashfs" python3 -c "
import json; d = json.load(open('$fcjson')); r = d['drives'][0]
assert r['is_root_device'] and r['is_read_only'], d
assert 'rootfstype=squashfs' in d['boot-source']['boot_args'].split(), d"

image=$("$MVBUILD" -f "$T/r/sqfs.yaml" --cache "$cache" path image:roroot rootfs.squashfs)
before=$(sha256sum <"$image")
timeout 300 "$MVBUILD" -f "$T/r/sqfs.yaml" --cache "$cache" run ro --accel tcg \
	</dev/null >"$T/console" 2>"$T/err"
check_eq "run exits with the hypervisor's status 0" "$?" 0
console=$(cat "$T/console")
check_contains "the guest printed the marker" "$console" "mvbuild-demo: hello from the guest"
check_contains "the kernel mounted the squashfs root read-only" "$console" "VFS: Mounted root (squashfs filesystem) readonly"
check_contains "the guest sees / as squashfs, ro" "$console" "sqfs-e2e: root squashfs ro"
check_contains "the disk itself is read-only" "$console" "sqfs-e2e: vda ro 1"
check_contains "a write to the root fails" "$console" "sqfs-e2e: write refused"
check_contains "as the kernel refuses it" "$console" "/etc/written: Read-only file system"
check_contains "the overlay is there" "$console" "sqfs-e2e: hostname readonly"
check_eq "the cached image is untouched" "$(sha256sum <"$image")" "$before"
[ "$(grep -c 'sqfs-e2e:' "$T/console")" -ge 4 ] || diag "$(tail -30 "$T/console"; cat "$T/err")"

done_testing
