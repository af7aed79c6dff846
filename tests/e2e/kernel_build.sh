#!/usr/bin/env bash
# The kernel builder through the real command, on Debian's linux-source-6.1:
# a cold build of the demo kernel (allnoconfig + the demo's fragments),
# a second request that is a cache hit running no make at all, a second
# cache giving the identical bzImage, a one-option toggle that rebuilds in
# seconds (times printed), the same toggle in a `cp -a` copy of the second
# cache recompiling as few (its object directory relocated), `strict:
# false` turning a mismatch into a warning, and a boot of the result under
# qemu microvm.
# Costs two cold kernel builds (a few minutes on two cores).
. "$(dirname "$0")/../lib.sh"

src=/usr/src/linux-source-6.1.tar.xz
if [ ! -f "$src" ]; then
	skip "kernel build" "no $src (apt-get install linux-source-6.1)"
	done_testing; exit
fi
mkdir -p "$T/r/kernel"
cp "$REPO_DIR"/recipes/kernel/*.config "$T/r/kernel/"
cat >"$T/r/mvbuild.yaml" <<'Y'
mvbuild: 1
name: kernel-e2e
sources:
  linux: { path: /usr/src/linux-source-6.1.tar.xz }
kernels:
  microvm:
    source: linux
    base: allnoconfig
    fragments: [kernel/base.config, kernel/net.config, kernel/initramfs.config, kernel/shares.config, kernel/squashfs.config]
Y
cd "$T/r"
mvb graph
must_succeed "the kernel build recipe is accepted"
# the first cache is the suite's shared one, so run_demo.sh and firecracker_demo.sh
# find this kernel (same key: the name of a kernel is not part of it) instead
# of building it a third time; the second is new, for the reproducibility check
C1=${MVBUILD_TEST_CACHE:-$REPO_DIR/build/test-cache} C2=$T/cache2
events() { grep -oE '"event":"(started|built|cached|failed)","node":"kernel:[^"]*"' <<<"$errout" | sed 's/"event":"\([a-z]*\)","node":"\([^"]*\)"/\1 \2/' | sort | tr '\n' ' '; }
# the path of output $1 in build's results: JSON lines with --json, else "TARGET OUTPUT PATH"
output() {
	if [[ $out == "{"* ]]; then
		sed -n "s/.*\"output\":\"$1\",\"path\":\"\([^\"]*\)\".*/\1/p" <<<"$out"
	else
		awk -v o="$1" '$2 == o {print $3}' <<<"$out"
	fi
}
timed() { local t0=$(date +%s.%N); mvb "$@"; secs=$(echo "$(date +%s.%N) - $t0" | bc); secs=$(printf '%.1f' "$secs"); }

timed --cache "$C1" --json build kernel:microvm
check_eq "cold build succeeds" "$rc" 0
[ "$rc" = 0 ] || diag "$errout"
diag "first build in the shared cache (cold unless another test built it): $secs s"
bz1=$(output bzImage)
for o in bzImage vmlinux config System.map build.log; do
	check "output $o is in the cache" test -s "$(output "$o")"
done
check "the final config has virtio-blk" grep -qx 'CONFIG_VIRTIO_BLK=y' "$(output config)"
check "vmlinux is an ELF image" bash -c "file -L '$(output vmlinux)' | grep -q ELF"
sum1=$(sha256sum <"$bz1" | cut -d' ' -f1)
# the shared cache may hold other object directories (another source digest):
# every build.log is watched here, and the toggle's is the newest one below
objlogs=("$C1"/kbuild/microvm-*/build.log)
stamp=$(stat -c %Y.%y "${objlogs[@]}")

sleep 2.1 # outside the digest memo's racy window
timed --cache "$C1" --json build kernel:microvm
check_eq "second request succeeds" "$rc" 0
check_eq "second request is a cache hit" "$(events)" "cached kernel:microvm "
check_eq "no make ran: the object directory's log is untouched" "$(stat -c %Y.%y "${objlogs[@]}")" "$stamp"
diag "cache hit: $secs s"

timed --cache "$C2" --json build kernel:microvm
check_eq "build in a second cache succeeds" "$rc" 0
check_eq "two caches give the identical bzImage" "$(sha256sum <"$(output bzImage)" | cut -d' ' -f1)" "$sum1"
diag "second cold build: $secs s; bzImage sha256 $sum1"
# a cold build records its object count, the total of the next cold build's progress
check_eq "a cold build records its object count" \
	"$(awk '{print ($1 > 600) " " $2}' "$C2"/kbuild/microvm-*/mvbuild-objects)" "1 allnoconfig"

echo "CONFIG_PRINTK_TIME=y" >>kernel/base.config
line=$(wc -l <kernel/base.config)
mvb --cache "$C1" explain kernel:microvm
check_contains "explain names the fragment line that changed" "$out" \
	"fragment kernel/base.config:$line added CONFIG_PRINTK_TIME=y"
timed --cache "$C1" --json build kernel:microvm
check_eq "one option toggled rebuilds" "$(events)" "built kernel:microvm started kernel:microvm "
check "the toggled option took" grep -qx 'CONFIG_PRINTK_TIME=y' "$(output config)"
# incremental, not cold: a cold allnoconfig build compiles over 600 objects
objlog=$(ls -t "$C1"/kbuild/microvm-*/build.log | head -1)
compiled=$(grep -cE '^  CC ' "$objlog")
check "one option toggled recompiles a few objects, not the kernel ($compiled)" [ "$compiled" -lt 100 ]
diag "one option toggled: $secs s, $compiled objects compiled"
progress=$(grep '"event":"progress","node":"kernel:microvm"' <<<"$errout" | grep objects)
check "an incremental build's progress shows no total" bash -c '! grep -q "/~" <<<"$1"' _ "$progress"
[ -z "$progress" ] || check_contains "an incremental build counts recompiled objects" "$progress" "objects recompiled"
sumT=$(sha256sum <"$(output bzImage)" | cut -d' ' -f1)

# a copied cache keeps its object directory's incremental state: kbuild's
# absolute path records are rewritten to the copy (the original is moved
# away, so nothing can still be read from it), and the toggle recompiles a
# few objects, not the kernel; the bzImage is the one built in place
old=$(realpath "$C2")
cp -a "$C2" "$T/cache3" && mv "$C2" "$T/cache2.away"
timed --cache "$T/cache3" --json build kernel:microvm
check_eq "the toggle builds in a copied cache" "$(events)" "built kernel:microvm started kernel:microvm "
check_contains "the build says the object directory moved" "$errout" "relocated"
objlog3=$(ls "$T"/cache3/kbuild/microvm-*/build.log)
compiled=$(grep -cE '^  CC ' "$objlog3")
check "in a copied cache the toggle recompiles a few objects, not the kernel ($compiled)" [ "$compiled" -lt 100 ]
check_eq "the copied cache gives the bzImage built in place" \
	"$(sha256sum <"$(output bzImage)" | cut -d' ' -f1)" "$sumT"
stale=$(find "$T/cache3/kbuild" \( -name '.*.cmd' -o -name '*.d' -o -name Makefile -o -name auto.conf.cmd \) \
	-exec grep -lF "$old" {} + 2>/dev/null)
check_eq "no path record names the old cache" "$stale" ""
check_eq "the source link points into the copy" \
	"$(readlink "$T"/cache3/kbuild/microvm-*/source)" "$(realpath "$T"/cache3/src/*)"
diag "one option toggled in a copied cache: $secs s, $compiled objects compiled"
mv "$T/cache2.away" "$C2"

# strict: false turns a value that did not take into a warning (an incremental build)
echo "CONFIG_VIRTIO_BLKK=y" >>kernel/base.config
echo "    strict: false" >>mvbuild.yaml
mvb --cache "$C1" build kernel:microvm
check_eq "with strict: false a mismatch does not fail the build" "$rc" 0
check_contains "it is reported as a warning naming the fragment line" "$errout" \
	"warning: fragment kernel/base.config:$((line + 1)): CONFIG_VIRTIO_BLKK: requested y, got n: the symbol does not exist in this kernel"

# boot the rebuilt vmlinux (PVH entry) under TCG to init and back
if command -v qemu-system-x86_64 >/dev/null && command -v mke2fs >/dev/null; then
	"$REPO_DIR/tests/make-busybox-rootfs.sh" "$T/rootfs.tar.gz" >/dev/null
	mkdir "$T/root" && tar -xzf "$T/rootfs.tar.gz" -C "$T/root"
	printf '#!/bin/sh\necho KERNEL-E2E-INIT $(uname -r)\nreboot -f\n' >"$T/root/init"
	chmod +x "$T/root/init"
	mke2fs -q -t ext4 -d "$T/root" "$T/root.img" 64M >/dev/null
	boot=$(timeout 120 qemu-system-x86_64 -M microvm,acpi=off,pit=on,pic=on,rtc=on -nodefaults \
		-no-user-config -nographic -no-reboot -serial stdio -m 128 -kernel "$(output vmlinux)" \
		-append "console=ttyS0 root=/dev/vda rw reboot=t init=/init" \
		-drive id=root,file="$T/root.img",format=raw,if=none -device virtio-blk-device,drive=root 2>&1)
	check_contains "the kernel boots on qemu microvm and runs init" "$boot" "KERNEL-E2E-INIT 6.1"
else
	skip "boot under qemu" "qemu-system-x86_64 or mke2fs missing"
fi
done_testing
