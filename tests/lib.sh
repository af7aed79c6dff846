# Shared helpers for the end-to-end tests: TAP output, a scratch directory
# removed on exit, and runners for the mvbuild binary under test.
# Source it: . "$(dirname "$0")/../lib.sh"
set -u
: "${MVBUILD:?set MVBUILD to the mvbuild binary under test}"
: "${REPO_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
TESTS_DIR=$REPO_DIR/tests
tap_n=0
tap_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/mvbuild-test.XXXXXX")
cleanup_hooks=()
on_exit() { cleanup_hooks+=("$1"); }
run_cleanup() {
	local h
	for h in "${cleanup_hooks[@]:-}"; do [ -n "$h" ] && eval "$h"; done
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
}
trap run_cleanup EXIT

ok()   { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
nok()  { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP ${2:-}"; }
diag() { sed 's/^/# /' <<<"$*"; }
# check DESC CMD...: ok when CMD succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else nok "$1"; diag "got:  $2"; diag "want: $3"; fi
}
# check_contains DESC HAYSTACK NEEDLE
check_contains() {
	if [[ "$2" == *"$3"* ]]; then ok "$1"; else nok "$1"; diag "missing: $3"; diag "in: $2"; fi
}
# mv ARGS...: run mvbuild, capturing stdout in $out, stderr in $errout, status in $rc
mvb() {
	out=$("$MVBUILD" "$@" 2>"$T/.stderr"); rc=$?
	errout=$(cat "$T/.stderr")
}
done_testing() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }
# must_succeed DESC: the last mvb call must have exited 0; otherwise report DESC
# as failed with its stderr and end the test.  The project rejecting its own
# input is a failure, never a skip: skips are for missing external tools only.
must_succeed() {
	if [ "$rc" = 0 ]; then ok "$1"; return; fi
	nok "$1 (exit $rc)"
	diag "$errout"
	done_testing
	exit 1
}

# busybox_rootfs: the path of the busybox rootfs tarball the demo recipe
# uses (an Alpine minirootfs's shape), made on first use
busybox_rootfs() {
	local f=$REPO_DIR/recipes/rootfs/busybox-rootfs.tar.gz
	[ -f "$f" ] || "$REPO_DIR/tests/make-busybox-rootfs.sh" "$f" >/dev/null
	echo "$f"
}
# the cache that holds the demo kernel every booting test shares: built once
# per suite run ($MVBUILD_TEST_CACHE, default build/test-cache)
demo_cache() { echo "${MVBUILD_TEST_CACHE:-$REPO_DIR/build/test-cache}"; }
# need_qemu WHAT: end the test with WHAT skipped when qemu is not installed
need_qemu() {
	command -v qemu-system-x86_64 >/dev/null && return
	skip "$1" "no qemu-system-x86_64"
	done_testing
	exit
}
# small_image_recipe DIR: a recipe in DIR/mvbuild.yaml with one image
# "small" (32M) made of the busybox rootfs (a path source) and DIR/overlay/
small_image_recipe() {
	mkdir -p "$1/overlay/etc"
	cp "$(busybox_rootfs)" "$1/rootfs.tar.gz"
	cat >"$1/mvbuild.yaml" <<'Y'
mvbuild: 1
name: small-image
sources:
  rootfs: { path: rootfs.tar.gz }
images:
  small:
    size: 32M
    epoch: 1700000000
    layers: [rootfs]
    overlays:
      - { dir: overlay, to: / }
Y
}
