#!/usr/bin/env bash
# Networking end to end, inside a network namespace this test creates (no
# traffic leaves it): `mvbuild net up` a tap with 10.0.2.1/24 there, boot a
# the demo kernel (it has networking: net.config) on that tap under TCG,
# and the guest's init configures eth0 and pings the host side.  Also: the
# guest sees the MAC the launch config derived, `net down` removes the tap,
# and `net up` without CAP_NET_ADMIN says what is missing.
. "$(dirname "$0")/../lib.sh"

cache=$(demo_cache)
rootfs=$(busybox_rootfs)
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
	skip "networking" "needs root and iproute2 to create a network namespace"
	done_testing; exit
fi
ns=mvbuild-net-$$
tap=mvbtap$$
tap=${tap:0:15}
ip netns add "$ns" || { nok "create network namespace"; done_testing; exit; }
on_exit "ip netns del '$ns' 2>/dev/null"
inns() { ip netns exec "$ns" "$@"; }

# without CAP_NET_ADMIN: a clear error
inns setpriv --inh-caps=-all --bounding-set=-net_admin "$MVBUILD" net up "$tap" \
	>/dev/null 2>"$T/noperm"
check_eq "net up without CAP_NET_ADMIN fails" "$?" 1
check_contains "and says which privilege is missing" "$(cat "$T/noperm")" "needs CAP_NET_ADMIN"

# bad input touches nothing: names, addresses, and a bridge that fails
mvb net up "tap/x"
check_eq "net up with a '/' in the name is a usage error" "$rc" 2
check_contains "which names the rule" "$errout" "must be a network interface name of 1 to 15"
inns "$MVBUILD" net up "$tap" --addr 10.0.2.1 >/dev/null 2>"$T/noprefix"
check_eq "net up --addr without a prefix length is a usage error" "$?" 2
check_contains "which suggests one" "$(cat "$T/noprefix")" "has no prefix length: say which network, e.g. 10.0.2.1/24"
check "and no tap was made" bash -c "! ip netns exec '$ns' ip link show '$tap' >/dev/null 2>&1"
inns "$MVBUILD" net up "$tap" --bridge nosuchbr0 >/dev/null 2>"$T/nobr"
check_eq "net up with a missing bridge fails" "$?" 1
check "and leaves no tap behind" bash -c "! ip netns exec '$ns' ip link show '$tap' >/dev/null 2>&1"

inns "$MVBUILD" net up "$tap" --addr 10.0.2.1/24
check_eq "net up with an address" "$?" 0
check_contains "the tap has the address" "$(inns ip -4 addr show "$tap")" "10.0.2.1/24"
check_contains "the tap is up" "$(inns ip link show "$tap")" ",UP"
check_contains "the tap is a tun/tap device" "$(inns ip -d link show "$tap")" "tun type tap"

mkdir -p "$T/r"
cat >"$T/r/net-init" <<'I'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
echo "net-e2e: mac $(cat /sys/class/net/eth0/address)"
if ping -c 3 -W 3 10.0.2.1; then echo "net-e2e: ping ok"; else echo "net-e2e: ping failed"; fi
reboot -f
I
chmod 0755 "$T/r/net-init"
# the recipe tree is a boundary: the demo recipe and its fragments are copied in
cp -r "$REPO_DIR/recipes/." "$T/r/"
cat >"$T/r/net.yaml" <<Y
mvbuild: 1
name: net-e2e
include: [demo.yaml]
images:
  netroot:
    size: 64M
    epoch: 1700000000
    layers: [rootfs]
    overlays:
      - { file: net-init, to: /sbin/net-init, mode: "0755" }
profiles:
  net: { hypervisor: qemu, kernel: microvm, image: netroot, init: /sbin/net-init, net: [{ tap: $tap }] }
Y
mvb -f "$T/r/net.yaml" --cache "$cache" build profile:net
check_eq "the networking kernel and image build" "$rc" 0
[ "$rc" = 0 ] || diag "$errout"
timeout 300 ip netns exec "$ns" "$MVBUILD" -f "$T/r/net.yaml" --cache "$cache" run net --accel tcg \
	</dev/null >"$T/console" 2>"$T/err"
check_eq "the guest boots and powers off" "$?" 0
console=$(cat "$T/console")
check_contains "the guest pings the host side of the tap" "$console" "net-e2e: ping ok"
qjson=$("$MVBUILD" -f "$T/r/net.yaml" --cache "$cache" path profile:net | awk '$1 == "qemu.json" {print $2}')
mac=$(python3 -c "
import json,sys
for a in json.load(open('$qjson'))['argv']['tcg']:
    if a.startswith('virtio-net-device'): print(a.split('mac=')[1])")
check_contains "the guest has the derived MAC" "$console" "net-e2e: mac $mac"

inns "$MVBUILD" net down "$tap"
check_eq "net down" "$?" 0
check "the tap is gone" bash -c "! ip netns exec '$ns' ip link show '$tap' 2>/dev/null"
done_testing
