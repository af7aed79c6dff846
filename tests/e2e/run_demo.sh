#!/usr/bin/env bash
# `mvbuild run` end to end: build recipes/demo.yaml and boot its default
# profile under qemu (TCG here); the guest's init prints a marker and powers
# off.  Also: the cached image is never written, the run directory goes
# away, the cached launch configs hold no absolute cache path and qemu.sh
# boots by hand, overrides make a new config, and SIGTERM to mvbuild stops
# the VM and cleans up.  The kernel takes minutes to build cold, so the
# cache is shared between runs ($MVBUILD_TEST_CACHE, default build/test-cache).
. "$(dirname "$0")/../lib.sh"

cache=$(demo_cache)
recipe=$REPO_DIR/recipes/demo.yaml
marker="mvbuild-demo: hello from the guest"
rootfs=$(busybox_rootfs)
need_qemu "run demo"

mvb -f "$recipe" --cache "$cache" build profile:default
check_eq "demo builds" "$rc" 0
mvb -f "$recipe" --cache "$cache" path image:rootfs
img=$(awk '$1 == "rootfs.ext4" {print $2}' <<<"$out")
before=$(sha256sum <"$img")

# the boot itself
timeout 300 "$MVBUILD" -f "$recipe" --cache "$cache" run default --accel tcg \
	</dev/null >"$T/console" 2>"$T/err"
rc=$?
check_eq "run exits with the hypervisor's status 0" "$rc" 0
check_contains "the guest printed its marker" "$(cat "$T/console")" "$marker"
check_contains "run says which accelerator" "$(cat "$T/err")" "qemu with tcg"
check_eq "the cached image is untouched" "$(sha256sum <"$img")" "$before"
check_eq "the run directory is gone" "$(ls "$cache/run" | grep -c '^default\.')" 0

# auto accelerator on this host: a nested or missing KVM means TCG, said so
timeout 300 "$MVBUILD" -f "$recipe" --cache "$cache" run default </dev/null >"$T/console2" 2>"$T/err2"
rc=$?
if [[ "$(cat "$T/err2")" == *"qemu with kvm"* ]]; then
	check_eq "auto accelerator (KVM usable here) boots" "$rc" 0
else
	check_contains "auto accelerator picks TCG and says why" "$(cat "$T/err2")" "using TCG"
	check_contains "and boots" "$(cat "$T/console2")" "$marker"
fi

# the launch configs: no absolute path of this cache, and qemu.sh runs by hand
mvb -f "$recipe" --cache "$cache" path profile:default
qjson=$(awk '$1 == "qemu.json" {print $2}' <<<"$out")
qsh=$(awk '$1 == "qemu.sh" {print $2}' <<<"$out")
fcjson=$(awk '$1 == "firecracker.json" {print $2}' <<<"$out")
check "qemu.json, qemu.sh and firecracker.json are outputs" test -f "$qjson" -a -f "$qsh" -a -f "$fcjson"
abs=$(cd "$cache" && pwd)
check "no absolute cache path in the configs" bash -c "! grep -q '$abs' '$qjson' '$qsh' '$fcjson'"
check "qemu.json is JSON with both argvs" python3 -c "
import json,sys; d=json.load(open('$qjson')); assert d['argv']['tcg'][0].startswith('qemu') and d['argv']['kvm']"
cp --sparse=always "$img" "$T/root.ext4"
timeout 300 sh "$qsh" "$T/root.ext4" tcg </dev/null >"$T/console3" 2>&1
check_eq "qemu.sh by hand exits 0" "$?" 0
check_contains "qemu.sh by hand boots to the marker" "$(cat "$T/console3")" "$marker"

# an override is a different launch config, and reaches the guest
timeout 300 "$MVBUILD" -f "$recipe" --cache "$cache" run default --accel tcg --mem 96 \
	--append "mvbuild.test=1" </dev/null >"$T/console4" 2>"$T/err4"
check_eq "run with --mem and --append exits 0" "$?" 0
check_contains "the override boots" "$(cat "$T/console4")" "$marker"

# SIGTERM to mvbuild stops the VM and cleans up (init is a shell waiting on its console)
mkfifo "$T/in"
exec 7<>"$T/in"
"$MVBUILD" -f "$recipe" --cache "$cache" run default --accel tcg --init /bin/sh \
	<"$T/in" >"$T/console5" 2>"$T/err5" &
mv_pid=$!
for _ in $(seq 1 100); do
	qemu_pid=$(pgrep -P "$mv_pid" qemu 2>/dev/null | head -1)
	[ -n "$qemu_pid" ] && break
	sleep 0.1
done
sleep 2
kill -TERM "$mv_pid"
wait "$mv_pid"
rc=$?
check_eq "SIGTERM: mvbuild exits 128 + SIGTERM" "$rc" 143
check "SIGTERM: qemu is gone" bash -c "! kill -0 '${qemu_pid:-0}' 2>/dev/null"
check_eq "SIGTERM: the run directory is gone" "$(ls "$cache/run" | grep -c '^default\.')" 0
exec 7>&-

# Say what is done, do what is said: KVM asked for where /dev/kvm cannot start
# a VM is an error and nothing boots.  A private mount namespace puts
# /dev/null over /dev/kvm (it opens, but is no KVM device).
nokvm() {
	if [ -e /dev/kvm ]; then
		unshare -m bash -c 'mount --bind /dev/null /dev/kvm && exec "$@"' nokvm "$@"
	else
		"$@"
	fi
}
if [ -e /dev/kvm ] && ! unshare -m true 2>/dev/null; then
	skip "KVM asked for without KVM" "unshare -m needs root"
else
	nokvm timeout 60 "$MVBUILD" -f "$recipe" --cache "$cache" run default --accel kvm \
		</dev/null >"$T/console6" 2>"$T/err6"
	check_eq "--accel kvm without a usable /dev/kvm fails" "$?" 1
	check_contains "and says why and what to do" "$(cat "$T/err6")" "KVM was asked for by --accel, but"
	check_contains "naming the fix" "$(cat "$T/err6")" ": use --accel tcg"
	check "and no guest ran" bash -c "! grep -q '$marker' '$T/console6'"
	# Firecracker has no TCG: refused before it starts (a stand-in binary that
	# only answers --version records whether it was ever started)
	mkdir -p "$T/fcbin"
	cat >"$T/fcbin/firecracker" <<FC
#!/bin/sh
[ "\$1" = --version ] && { echo "Firecracker v1.14.2"; exit 0; }
touch "$T/fc-started"
FC
	chmod +x "$T/fcbin/firecracker"
	nokvm env PATH="$T/fcbin:$PATH" timeout 60 "$MVBUILD" -f "$recipe" --cache "$cache" run fc \
		</dev/null >/dev/null 2>"$T/err7"
	check_eq "Firecracker without a usable /dev/kvm fails" "$?" 1
	check_contains "and points at qemu" "$(cat "$T/err7")" "Firecracker needs KVM, but"
	check "and Firecracker was never started" test ! -e "$T/fc-started"
fi

# usage errors
mvb -f "$recipe" --cache "$cache" run nosuch
check_eq "an unknown profile is a usage error" "$rc" 2
mvb -f "$recipe" --cache "$cache" run default --accel hvf
check_eq "a bad --accel is a usage error" "$rc" 2
done_testing
