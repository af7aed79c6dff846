#!/usr/bin/env bash
# persist: true keeps the guest's disk across runs of a profile until the
# image is rebuilt; without it every run starts from the cached image.
# The guest's init counts its boots in /var/count.  Uses the demo kernel
# (shared test cache, see run_demo.sh).
. "$(dirname "$0")/../lib.sh"

cache=$(demo_cache)
rootfs=$(busybox_rootfs)
mkdir -p "$T/r"
cat >"$T/r/count-init" <<'I'
#!/bin/sh
mount -t proc proc /proc
n=$(cat /var/count 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >/var/count
sync
echo "persist-e2e: boot $n"
reboot -f
I
# the recipe tree is a boundary: the demo recipe is copied in
cp -r "$REPO_DIR/recipes/." "$T/r/"
write_recipe() {
	cat >"$T/r/p.yaml" <<Y
mvbuild: 1
name: persist-e2e
include: [demo.yaml]
images:
  counted:
    size: 64M
    epoch: 1700000000
    layers: [rootfs]
    overlays:
      - { file: count-init, to: /sbin/count-init, mode: "0755" }
      - { content: "$1\n", to: /etc/motd }
profiles:
  keep: { hypervisor: qemu, kernel: microvm, image: counted, init: /sbin/count-init, persist: true }
  fresh: { hypervisor: qemu, kernel: microvm, image: counted, init: /sbin/count-init }
Y
}
boot() {
	timeout 300 "$MVBUILD" -f "$T/r/p.yaml" --cache "$cache" run "$@" --accel tcg </dev/null 2>"$T/err" |
		grep -o 'persist-e2e: boot [0-9]*'
}
write_recipe one
# the persistent run directory is named after this test's recipe path: remove it at exit
rid=$(printf '%s' "$T/r/p.yaml" | sha256sum | cut -c1-16)
on_exit "rm -rf '$cache/run/$rid-keep'"
mvb -f "$T/r/p.yaml" --cache "$cache" check
must_succeed "the persist recipe passes check"
check_eq "persist: first run" "$(boot keep)" "persist-e2e: boot 1"
check_eq "persist: the second run sees the first's writes" "$(boot keep)" "persist-e2e: boot 2"
check_eq "run --reset: the copy goes, the run starts from the image" "$(boot keep --reset)" "persist-e2e: boot 1"
check "run --reset says what it did" grep -q -- '--reset: fresh copies' "$T/err"
check_eq "persist: after --reset the copy persists again" "$(boot keep)" "persist-e2e: boot 2"
check "the persistent copy is kept in the cache's run directory" test -f "$cache/run/$rid-keep/root.ext4"
check_eq "no persist: every run starts from the image" "$(boot fresh)" "persist-e2e: boot 1"
check_eq "no persist: again" "$(boot fresh)" "persist-e2e: boot 1"
write_recipe two
check_eq "persist: a rebuilt image replaces the copy" "$(boot keep)" "persist-e2e: boot 1"
done_testing
