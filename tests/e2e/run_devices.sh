#!/usr/bin/env bash
# A guest's devices end to end, in one boot under TCG (each boot costs a
# minute or two here), all without root: qemu's user-mode network gives the
# guest its address by DHCP, and a TCP connection from the host to a
# forwarded port on 127.0.0.1 reaches a busybox `nc -l` in the guest (one
# forward from the recipe, one from `run --forward`, both bound to
# 127.0.0.1); extra disks: a writable copy of another image (its marker
# file read, a file written and found afterwards in the persistent copy), a
# read-only image, and a sparse scratch file of the size asked for; host
# folders over virtio-9p: a file the guest writes into a share appears on
# the host, a read-only share refuses writes.  The
# guest's init prints what it sees, prefixed "dev-e2e:".
. "$(dirname "$0")/../lib.sh"

cache=$(demo_cache)
rootfs=$(busybox_rootfs)
need_qemu "devices"

# two free TCP ports on 127.0.0.1 (the kernel picks them)
read -r port1 port2 < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

mkdir -p "$T/r"
# the recipe tree is a boundary: the demo recipe and its fragments are copied in
cp -r "$REPO_DIR/recipes/." "$T/r/"
cat >"$T/r/dev-init" <<'I'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -q -n -t 10 -s /sbin/demo-dhcp
echo "dev-e2e: addr $(ip -4 -o addr show dev eth0 | awk '{print $4}')"
echo "dev-e2e: route $(ip route show default)"
mkdir -p /mnt/data /mnt/ro
mount -t ext4 /dev/vdb /mnt/data && echo "dev-e2e: data marker '$(cat /mnt/data/marker)'"
echo "written by the guest" >/mnt/data/from-guest && umount /mnt/data && echo "dev-e2e: data written"
echo "dev-e2e: vdc ro $(cat /sys/block/vdc/ro)"
mount -t ext4 -o ro /dev/vdc /mnt/ro && [ -x /mnt/ro/sbin/demo-init ] && echo "dev-e2e: vdc is the demo rootfs"
echo "dev-e2e: vdd sectors $(cat /sys/block/vdd/size) ro $(cat /sys/block/vdd/ro)"
mkdir -p /mnt/out /mnt/in
mount -t 9p -o trans=virtio,version=9p2000.L out /mnt/out && echo "from the guest" >/mnt/out/guest.txt &&
	echo "dev-e2e: share written"
mount -t 9p -o trans=virtio,version=9p2000.L in /mnt/in && echo "dev-e2e: share in '$(cat /mnt/in/hello)'"
if echo x >/mnt/in/nope 2>/dev/null; then echo "dev-e2e: read-only share written"; else echo "dev-e2e: read-only share refused"; fi
umount /mnt/out /mnt/in
echo "dev-e2e: listening"
echo "pong from the guest" | nc -l -p 80 >/tmp/got
echo "dev-e2e: got '$(cat /tmp/got)'"
sync
reboot -f
I
chmod 0755 "$T/r/dev-init"
mkdir -p "$T/r/out" "$T/r/in"
echo "hello from the host" >"$T/r/in/hello"
cat >"$T/r/dev.yaml" <<Y
mvbuild: 1
name: dev-e2e
include: [demo.yaml]
images:
  devroot:
    size: 64M
    epoch: 1700000000
    layers: [rootfs]
    overlays:
      - { file: dev-init, to: /sbin/dev-init, mode: "0755" }
      - { file: demo/dhcp, to: /sbin/demo-dhcp, mode: "0755" }
  data:
    size: 8M
    epoch: 1700000000
    overlays:
      - { content: "data-disk-marker", to: /marker }
profiles:
  dev:
    kernel: microvm
    image: devroot
    init: /sbin/dev-init
    net: [ { user: { forward: [ "tcp:$port1:80" ] } } ]
    disks: [ { image: data }, { image: rootfs, readonly: true }, { file: scratch.img, size: 3M } ]
    shares: [ { host: out, tag: out }, { host: in, tag: in, readonly: true } ]
    persist: true
Y
# the persistent run directory this test makes is its own to remove
rundir=$cache/run/$(python3 -c 'import hashlib,os,sys; print(hashlib.sha256(os.path.abspath(sys.argv[1]).encode()).hexdigest()[:16])' "$T/r/dev.yaml")-dev
on_exit "rm -rf '$rundir'"
mvb -f "$T/r/dev.yaml" --cache "$cache" build profile:dev
must_succeed "the devices profile builds"

# the boot, in the background: the host side talks to the guest while it runs
timeout 600 "$MVBUILD" -f "$T/r/dev.yaml" --cache "$cache" run dev --accel tcg \
	--forward "tcp:$port2:22" </dev/null >"$T/console" 2>"$T/err" &
run_pid=$!
wait_console() { # wait_console TEXT: until the console shows TEXT or the run ends
	while ! grep -q "$1" "$T/console" 2>/dev/null; do
		kill -0 "$run_pid" 2>/dev/null || return 1
		sleep 1
	done
}
if wait_console "dev-e2e: listening"; then
	ok "the guest reaches its listener"
	listeners=$(ss -ltnH)
	check_contains "the recipe's forward listens on 127.0.0.1" "$listeners" "127.0.0.1:$port1 "
	check_contains "--forward's listens on 127.0.0.1 too" "$listeners" "127.0.0.1:$port2 "
	check "and neither on every address" bash -c "! ss -ltnH | grep -Eq '(0\.0\.0\.0|\*|\[::\]):($port1|$port2) '"
	reply=$(python3 - "$port1" <<'PY'
import socket, sys, time
# the guest's nc may not be accepting yet when its marker is printed: retry
for attempt in range(30):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
        s.sendall(b"ping from the host\n")
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
        if data:
            print(data.decode().strip()); break
    except OSError:
        pass
    time.sleep(2)
PY
)
	check_eq "a host connection to the forwarded port gets the guest's reply" "$reply" "pong from the guest"
else
	nok "the guest reaches its listener"
	diag "$(tail -20 "$T/console")"
	diag "$(cat "$T/err")"
fi
wait "$run_pid"
check_eq "the guest powers off, run exits 0" "$?" 0
console=$(cat "$T/console")
check_contains "the guest got its address by DHCP from qemu" "$console" "dev-e2e: addr 10.0.2.15/24"
check_contains "and qemu's gateway as its default route" "$console" "dev-e2e: route default via 10.0.2.2"
check_contains "the guest's listener got the host's bytes" "$console" "dev-e2e: got 'ping from the host'"
check_contains "the first extra disk is image 'data', with its marker" "$console" "dev-e2e: data marker 'data-disk-marker'"
check_contains "the guest writes to it" "$console" "dev-e2e: data written"
check_contains "a readonly: true disk is read-only in the guest" "$console" "dev-e2e: vdc ro 1"
check_contains "and is the image it names" "$console" "dev-e2e: vdc is the demo rootfs"
check_contains "the scratch file has the size asked for (3M = 6144 sectors), writable" "$console" "dev-e2e: vdd sectors 6144 ro 0"
check "persist: the guest's file is in the kept copy of image 'data'" bash -c \
	"debugfs -R 'cat /from-guest' '$rundir/image-data.ext4' 2>/dev/null | grep -qx 'written by the guest'"
check_eq "the kept copy is a clean ext4" "$(e2fsck -fn "$rundir/image-data.ext4" >/dev/null 2>&1; echo $?)" 0
check_eq "the kept scratch file is 3M and sparse" \
	"$(stat -c '%s %b' "$rundir/file-scratch.img")" "3145728 0"
check_contains "the guest saw the share" "$console" "dev-e2e: share written"
check_eq "the file the guest wrote into the share is on the host" "$(cat "$T/r/out/guest.txt" 2>&1)" "from the guest"
check_eq "owned by the user who ran mvbuild (security_model=none)" "$(stat -c %u "$T/r/out/guest.txt" 2>&1)" "$(id -u)"
check_contains "a read-only share is readable" "$console" "dev-e2e: share in 'hello from the host'"
check_contains "and refuses writes" "$console" "dev-e2e: read-only share refused"
check "and nothing was written to its host folder" test ! -e "$T/r/in/nope"
mvb -f "$T/r/dev.yaml" --cache "$cache" path image:data
data_img=$(awk '$1 == "rootfs.ext4" {print $2}' <<<"$out")
check "the cached image 'data' is untouched" bash -c "! debugfs -R 'stat /from-guest' '$data_img' 2>&1 | grep -q 'Inode:'"

# what --forward takes, and what Firecracker cannot do, refused before anything boots
mvb -f "$T/r/dev.yaml" --cache "$cache" run dev --forward sctp:1:2
check_eq "--forward with another protocol: usage error" "$rc" 2
check_contains "which says what a forward is" "$errout" "want a forward whose protocol is tcp or udp"
mvb -f "$T/r/dev.yaml" --cache "$cache" run dev --forward tcp:2222:70000
check_contains "--forward with a port above 65535" "$rc:$errout" "2:mvbuild run: option '--forward': want a forward whose ports are from 1 to 65535"
mvb -f "$T/r/dev.yaml" --cache "$cache" run dev --forward tcp:$port1:81
check_eq "--forward on a port the recipe forwards already: recipe error" "$rc" 2
check_contains "blamed on the option" "$errout" "command-line option --forward: profile 'dev': net 0: forward 'tcp:$port1:81' listens on a host port another forward has"
mvb -f "$T/r/dev.yaml" --cache "$cache" run dev --hypervisor firecracker
check_eq "--hypervisor firecracker with user-mode networking: a recipe error" "$rc" 2
check_contains "at the net entry Firecracker cannot boot" "$errout" \
	"dev.yaml:22:12: profile 'dev': net 0 is user-mode networking, which Firecracker does not have"

# the demo's web profile (README): a page from busybox httpd on 127.0.0.1:8080
if ss -ltnH | grep -q ':8080 '; then
	skip "the demo's web profile serves its page" "port 8080 is in use on this host"
else
	"$MVBUILD" -f "$REPO_DIR/recipes/demo.yaml" --cache "$cache" run web --accel tcg \
		</dev/null >"$T/web" 2>"$T/web.err" &
	run_pid=$!
	while ! grep -q "mvbuild-demo: serving" "$T/web" 2>/dev/null && kill -0 "$run_pid" 2>/dev/null; do
		sleep 1
	done
	page=$(curl -s --retry 10 --retry-connrefused --retry-delay 1 -m 60 http://127.0.0.1:8080/)
	check_eq "the demo's web profile serves its page on 127.0.0.1:8080" "$page" "hello from the mvbuild demo guest"
	kill -TERM "$run_pid"
	wait "$run_pid"
	check_eq "and stops on SIGTERM" "$?" 143
fi
done_testing
