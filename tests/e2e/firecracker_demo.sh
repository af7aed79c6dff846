#!/usr/bin/env bash
# Firecracker end to end, when a firecracker release binary is present (on
# PATH, or $MVBUILD_FIRECRACKER; never committed): `mvbuild run fc` starts it
# with the generated config and Firecracker accepts it ("Successfully started
# microvm").  Where the nested KVM here cannot run the guest, the guest's
# marker is reported as a skip that says so, never as a pass.
. "$(dirname "$0")/../lib.sh"

cache=$(demo_cache)
recipe=$REPO_DIR/recipes/demo.yaml
marker="mvbuild-demo: hello from the guest"
fc=${MVBUILD_FIRECRACKER:-$(command -v firecracker || true)}
if [ -z "$fc" ] || [ ! -x "$fc" ]; then
	skip "firecracker run" "no firecracker binary (put one on PATH or set MVBUILD_FIRECRACKER)"
	done_testing; exit
fi
rootfs=$(busybox_rootfs)
mkdir -p "$T/bin"
ln -s "$fc" "$T/bin/firecracker"

mvb -f "$recipe" --cache "$cache" check
must_succeed "recipes/demo.yaml passes check"

# absent: a clear error
PATH=/usr/bin:/bin "$MVBUILD" -f "$recipe" --cache "$cache" run fc </dev/null >/dev/null 2>"$T/absent"
check_eq "without firecracker: run fails" "$?" 1
check_contains "and says what is missing" "$(cat "$T/absent")" "firecracker not found on PATH"

mvb -f "$recipe" --cache "$cache" build profile:fc
check_eq "the fc profile builds" "$rc" 0
cfg=$("$MVBUILD" -f "$recipe" --cache "$cache" path profile:fc | awk '$1 == "firecracker.json" {print $2}')
check "firecracker.json is JSON with boot_args set" python3 -c "
import json; d=json.load(open('$cfg')); assert 'console=ttyS0' in d['boot-source']['boot_args']"

# a KVM device that opens (never `<>` on a missing path: that would create it)
if ! { [ -c /dev/kvm ] && exec 9<>/dev/kvm; } 2>/dev/null; then
	# No KVM at all: run refuses before starting Firecracker (it has no TCG), and
	# Firecracker itself, given the config by hand, parses it and stops at KVM.
	PATH=$T/bin:$PATH timeout 120 "$MVBUILD" -f "$recipe" --cache "$cache" run fc \
		</dev/null >/dev/null 2>"$T/err"
	check_eq "without /dev/kvm run fails" "$?" 1
	check_contains "and says Firecracker needs KVM" "$(cat "$T/err")" "Firecracker needs KVM, but"
	cp --sparse=always "$("$MVBUILD" -f "$recipe" --cache "$cache" path image:rootfs rootfs.ext4)" "$T/root.ext4"
	sed -e "s|\${kernel}|$("$MVBUILD" -f "$recipe" --cache "$cache" path kernel:microvm vmlinux)|" \
		-e "s|\${image}|$T/root.ext4|" "$cfg" >"$T/fc.json"
	timeout 60 "$fc" --no-api --config-file "$T/fc.json" </dev/null >"$T/fc.out" 2>&1
	check_contains "Firecracker parses the generated config and stops only at KVM" \
		"$(cat "$T/fc.out")" "Error creating KVM object"
	skip "the guest boots under Firecracker" "no /dev/kvm on this host"
	done_testing
	exit
fi
exec 9>&-
PATH=$T/bin:$PATH timeout 120 "$MVBUILD" -f "$recipe" --cache "$cache" run fc \
	</dev/null >"$T/console" 2>"$T/err"
rc=$?
all=$(cat "$T/console" "$T/err")
check_contains "run names the Firecracker version" "$all" "firecracker v"
check_contains "Firecracker accepts the generated config" "$all" "Successfully started microvm"
if [[ "$all" == *"$marker"* ]]; then
	ok "the guest boots under Firecracker"
	check_eq "and run exits 0 after its reboot" "$rc" 0
elif grep -q kvm_pvm <<<"$("$MVBUILD" env)"; then
	skip "the guest boots under Firecracker" "nested KVM (kvm_pvm) here cannot run the guest; run said: $(tail -1 "$T/err")"
else
	nok "the guest boots under Firecracker"
	diag "$all"
fi
# the bracket keeps pgrep from matching this check's own command line
check "no firecracker left running" bash -c "! pgrep -f '$T/bin/[f]irecracker' >/dev/null"
check_eq "the run directory is gone" "$(ls "$cache/run" 2>/dev/null | grep -c '^fc\.')" 0
done_testing
