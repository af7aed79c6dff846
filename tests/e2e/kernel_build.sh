#!/usr/bin/env bash
# The kernel builder through the real command, on Debian's linux-source-6.1:
# a cold build of the demo kernel (allnoconfig + the demo's fragments),
# a second request that is a cache hit running no make at all, a second
# cache giving the identical bzImage, a one-option toggle that rebuilds in
# seconds (times printed), the second cache built through ccache (local and
# remote storage on nginx) and distcc (distccd on 127.0.0.1, a host with
# another compiler refused) with the same bzImage, a reader's third cache
# with an empty local ccache whose compiles are all remote hits, the same
# toggle in a `cp -a` copy of the second cache recompiling as few (its
# object directory relocated), `strict:
# false` turning a mismatch into a warning, and a boot of the result under
# qemu microvm.
# Costs two cold kernel builds (a few minutes on two cores; one with
# MVBUILD_TEST_CACHE holding the kernel) and one build from ccache hits.
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

# The second cache builds through ccache (a local dir, and the remote storage
# on nginx's WebDAV, as a team's CI would) and distcc (distccd on
# 127.0.0.1), and must give C1's bzImage, built without either.  A second
# distccd runs a gcc that adds -fno-ident (a differently built compiler:
# its objects differ): the probe refuses it by name.
TOKEN=ccache-e2e-token
ccache_on=0
if ! command -v ccache >/dev/null || ! command -v distccd >/dev/null; then
	skip "builds through ccache and distcc" "ccache or distcc is not installed"
elif ! port=$("$TESTS_DIR/remote/nginx.sh" start "$T/srv" "$TOKEN"); then
	skip "builds through ccache and distcc" "cannot start nginx"
else
	ccache_on=1
	on_exit "'$TESTS_DIR/remote/nginx.sh' stop '$T/srv'"
	# distccd drops root for its own user, which must reach its log and the wrapper
	chmod o+x "$T"
	mkdir -m 1777 "$T/distcc" && mkdir -m 0755 "$T/distcc/bad"
	printf '#!/bin/sh\nexec /usr/bin/x86_64-linux-gnu-gcc -fno-ident "$@"\n' >"$T/distcc/bad/x86_64-linux-gnu-gcc"
	chmod 0755 "$T/distcc/bad/x86_64-linux-gnu-gcc"
	freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
	dport=$(freeport) bport=$(freeport)
	distccd --daemon --no-detach --allow 127.0.0.1 --listen 127.0.0.1 --port "$dport" \
		--log-file "$T/distcc/good.log" --log-level info &
	on_exit "kill $!"
	PATH=$T/distcc/bad:$PATH distccd --daemon --no-detach --allow 127.0.0.1 --listen 127.0.0.1 \
		--port "$bport" --log-file "$T/distcc/bad.log" --log-level info &
	on_exit "kill $!"
	sleep 1
	remote="http://127.0.0.1:$port/ccache|bearer-token=$TOKEN"
	cat >"$T/ccache-distcc.yaml" <<C
kernel:
  ccache: { dir: $T/ccache-writer, remote: "$remote" }
  distcc: { hosts: ["127.0.0.1:$dport/2", "127.0.0.1:$bport/2"] }
C
	# a reader: only the remote, and an empty local dir (from the environment)
	cat >"$T/ccache-reader.yaml" <<C
kernel:
  ccache: { dir: $T/unused, remote: "$remote" }
C
	mkdir "$T/ccache-reader"
fi
cfg2=()
[ "$ccache_on" = 1 ] && cfg2=(--config "$T/ccache-distcc.yaml")
timed --cache "$C2" "${cfg2[@]}" --json build kernel:microvm
check_eq "build in a second cache succeeds" "$rc" 0
[ "$rc" = 0 ] || { diag "$errout"; ccache_on=0; } # no reader build without a writer's
check_eq "two caches give the identical bzImage" "$(sha256sum <"$(output bzImage)" | cut -d' ' -f1)" "$sum1"
diag "second cold build: $secs s; bzImage sha256 $sum1"
ccstat() { CCACHE_DIR=$1 ccache --print-stats | awk -v k="$2" '$1 == k {print $2}'; }
if [ "$ccache_on" = 1 ]; then
	check_contains "the build says it compiles through ccache and distcc" "$errout" \
		"compiling through ccache (local $T/ccache-writer, remote http://127.0.0.1:$port/ccache) and distcc (1 host, 2 slots)"
	check_contains "the host whose compiler differs is refused by name" "$errout" \
		"distcc host '127.0.0.1:$bport/2' is not used: its compiler differs from the local gcc"
	check "the token is never printed" bash -c '! grep -qF "$1" <<<"$2"' _ "$TOKEN" "$errout"
	remote_ok=$(grep -c 'COMPILE_OK' "$T/distcc/good.log")
	check "distccd's log shows the kernel compiles it ran ($remote_ok)" [ "$remote_ok" -gt 100 ]
	check_eq "the refused host ran the probe only" "$(grep -c 'COMPILE_OK' "$T/distcc/bad.log")" 1
	misses=$(ccstat "$T/ccache-writer" cache_miss) writes=$(ccstat "$T/ccache-writer" remote_storage_write)
	check "ccache missed and stored every compile ($misses misses, $writes remote writes)" \
		[ "$misses" -gt 500 -a "$writes" -ge "$misses" ]
	stored=$(find "$T/srv/root/ccache/ac" -type f | wc -l)
	check "the remote storage on nginx holds ccache's entries ($stored)" [ "$stored" -ge "$misses" ]
	diag "through ccache and distcc: $misses ccache misses, $remote_ok compiles on distccd"

	# a reader's new cache, empty local ccache: every compile a remote hit
	export MVBUILD_CCACHE_DIR=$T/ccache-reader
	timed --cache "$T/reader" --config "$T/ccache-reader.yaml" --json build kernel:microvm
	unset MVBUILD_CCACHE_DIR
	check_eq "a reader's build from the remote ccache succeeds" "$rc" 0
	[ "$rc" = 0 ] || diag "$errout"
	check_eq "the reader's bzImage is C1's" "$(sha256sum <"$(output bzImage)" | cut -d' ' -f1)" "$sum1"
	rhits=$(ccstat "$T/ccache-reader" remote_storage_hit) rmiss=$(ccstat "$T/ccache-reader" cache_miss)
	check "the reader's compiles are remote hits ($rhits hits, $rmiss misses)" \
		[ "$rhits" -gt 500 -a $((rmiss * 50)) -le "$rhits" ]
	check "MVBUILD_CCACHE_DIR overrides the config's dir" test ! -e "$T/unused"
	diag "reader from the remote ccache: $secs s ($rhits remote hits, $rmiss misses)"
fi
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
# with C2's ccache and distcc: kbuild's command lines name CC, so without them all would rebuild
timed --cache "$T/cache3" "${cfg2[@]}" --json build kernel:microvm
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
