#!/usr/bin/env bash
# Booting from an initramfs with no disk: recipes/demo.yaml's profile
# initramfs (initrd: initramfs, an image of format cpio with the same layers
# and overlays as rootfs) under qemu with TCG.  The launch config has
# -initrd and no -drive, the command line no root= and rdinit= for init:;
# the kernel runs the demo init from the initramfs, which prints the marker.
# qemu.sh boots it by hand too.  Firecracker's config names the initrd in
# initrd_path, and Firecracker reads it (without KVM it stops at "Error
# creating KVM object" only when the initrd exists).  The kernel is the demo
# kernel, shared with run_demo.sh through $MVBUILD_TEST_CACHE.
. "$(dirname "$0")/../lib.sh"

cache=$(demo_cache)
recipe=$REPO_DIR/recipes/demo.yaml
marker="mvbuild-demo: hello from the guest"
rootfs=$(busybox_rootfs)
need_qemu "initramfs boot"

mvb -f "$recipe" --cache "$cache" build profile:initramfs
check_eq "the initramfs profile builds" "$rc" 0
mvb -f "$recipe" --cache "$cache" path profile:initramfs
qjson=$(awk '$1 == "qemu.json" {print $2}' <<<"$out")
qsh=$(awk '$1 == "qemu.sh" {print $2}' <<<"$out")
fcjson=$(awk '$1 == "firecracker.json" {print $2}' <<<"$out")
check "qemu.json: -initrd, no -drive, no root=, rdinit=" python3 -c "
import json; d = json.load(open('$qjson')); a = d['argv']['tcg']
assert a[a.index('-initrd') + 1] == '\${initrd}' and '-drive' not in a, a
line = a[a.index('-append') + 1]
assert 'root=' not in line and 'rdinit=/sbin/demo-init' in line.split(), line
assert 'image' not in d and d['initrd']['output'] == 'initramfs.cpio.gz', d"
initrd=$("$MVBUILD" -f "$recipe" --cache "$cache" path image:initramfs initramfs.cpio.gz)
# (the cache names a blob cas/sha256/XX/REST by its content digest XXREST)
check_eq "qemu.json names the initrd by its digest" \
	"$(python3 -c "import json; print(json.load(open('$qjson'))['initrd']['sha256'])")" \
	"$(basename "$(dirname "$initrd")")$(basename "$initrd")"
check_contains "the initramfs holds the demo init" "$(gzip -dc "$initrd" | cpio -t --quiet)" "sbin/demo-init"

# the boot: the kernel unpacks the archive and runs rdinit= from it
before=$(sha256sum <"$initrd")
timeout 300 "$MVBUILD" -f "$recipe" --cache "$cache" run initramfs --accel tcg \
	</dev/null >"$T/console" 2>"$T/err"
rc=$?
check_eq "run exits with the hypervisor's status 0" "$rc" 0
check_contains "the guest printed its marker" "$(cat "$T/console")" "$marker"
check_contains "init ran from the initramfs" "$(cat "$T/console")" "Run /sbin/demo-init as init process"
check "no root filesystem was mounted" bash -c "! grep -q 'VFS: Mounted root' '$T/console'"
check "and no disk was there to mount" bash -c "! grep -q 'vda' '$T/console'"
check_eq "the cached initrd is untouched" "$(sha256sum <"$initrd")" "$before"
check_eq "the run directory is gone" "$(ls "$cache/run" | grep -c '^initramfs\.')" 0

# an override is a new launch config: built here against the real kernel config
# (which has what the initrd needs), and it boots
timeout 300 "$MVBUILD" -f "$recipe" --cache "$cache" run initramfs --accel tcg --mem 160 \
	--append "mvbuild.test=1" </dev/null >"$T/console3" 2>"$T/err3"
check_eq "run with --mem and --append exits 0" "$?" 0
check_contains "the variant boots to the marker" "$(cat "$T/console3")" "$marker"
check_contains "with the appended argument" "$(cat "$T/console3")" "mvbuild.test=1"

# by hand: qemu.sh takes only the accelerator
timeout 300 sh "$qsh" tcg </dev/null >"$T/console2" 2>&1
check_eq "qemu.sh tcg exits 0" "$?" 0
check_contains "qemu.sh boots the initramfs to the marker" "$(cat "$T/console2")" "$marker"

# Firecracker: initrd_path in its config, and no drive
check "firecracker.json: initrd_path, no drive, no root=" python3 -c "
import json; d = json.load(open('$fcjson')); b = d['boot-source']
assert b['initrd_path'] == '\${initrd}' and d['drives'] == [] and 'root=' not in b['boot_args'], d"
fc=${MVBUILD_FIRECRACKER:-$(command -v firecracker || true)}
if [ -z "$fc" ] || [ ! -x "$fc" ]; then
	skip "Firecracker reads the config" "no firecracker binary"
elif { [ -c /dev/kvm ] && exec 9<>/dev/kvm; } 2>/dev/null; then
	exec 9>&-
	skip "Firecracker without KVM reads the config" "this host has KVM (firecracker_demo.sh boots)"
else
	vmlinux=$("$MVBUILD" -f "$recipe" --cache "$cache" path kernel:microvm vmlinux)
	sed -e "s|\${kernel}|$vmlinux|" -e "s|\${initrd}|$initrd|" "$fcjson" >"$T/fc.json"
	timeout 60 "$fc" --no-api --config-file "$T/fc.json" </dev/null >"$T/fc.out" 2>&1
	check_contains "Firecracker accepts the config and stops only at KVM" "$(cat "$T/fc.out")" \
		"Error creating KVM object"
	sed -e "s|\${kernel}|$vmlinux|" -e "s|\${initrd}|$T/absent.cpio.gz|" "$fcjson" >"$T/fc2.json"
	timeout 60 "$fc" --no-api --config-file "$T/fc2.json" </dev/null >"$T/fc2.out" 2>&1
	check "and it reads initrd_path (a missing initrd stops it first)" \
		bash -c "! grep -q 'Error creating KVM object' '$T/fc2.out'"
	diag "firecracker with a missing initrd: $(grep -io 'initrd[^"]*' "$T/fc2.out" | head -1)"
fi
done_testing
