#!/usr/bin/env bash
# `mvbuild kernel menuconfig KERNEL` on a pseudo-terminal (script(1)):
# the kernel's own menu opens on the config the recipe resolves to; a user
# turns on CONFIG_PRINTK_TIME through the menu's search; on exit the change,
# and only it, is written as a fragment file whose path is printed.
. "$(dirname "$0")/../lib.sh"

src=/usr/src/linux-source-6.1.tar.xz
if [ ! -f "$src" ] || ! command -v script >/dev/null; then
	skip "kernel menuconfig" "needs $src and script(1)"
	done_testing; exit
fi
mkdir -p "$T/r/kernel"
cp "$REPO_DIR"/recipes/kernel/base.config "$T/r/kernel/"
cat >"$T/r/mvbuild.yaml" <<'Y'
mvbuild: 1
name: kernel-menuconfig
sources:
  linux: { path: /usr/src/linux-source-6.1.tar.xz }
kernels:
  demo:
    source: linux
    base: allnoconfig
    fragments: [kernel/base.config]
Y
cd "$T/r"
mvb graph
must_succeed "the kernel menuconfig recipe is accepted"

log=$T/session.log
mkfifo "$T/keys"
TERM=xterm timeout 300 script -qfec "'$MVBUILD' --cache '$T/cache' kernel menuconfig demo --output '$T/menu.config'" \
	/dev/null <"$T/keys" >"$log" 2>&1 &
pid=$!
exec 3>"$T/keys"
# wait for the menu's title before typing
for _ in $(seq 600); do grep -q 'Linux/x86' "$log" 2>/dev/null && break; sleep 0.5; done
check "the kernel's menu opens" grep -q 'Linux/x86' "$log"
key() { printf "$1" >&3; sleep "${2:-1}"; }
key '/'; key 'PRINTK_TIME\r' 2; key '1' 2; key 'y'
key '\033\033'; key '\033\033'; key '\033\033' 2; key '\r' 3
exec 3>&-
wait "$pid"
check_eq "menuconfig session ends cleanly" "$?" 0
check "the path of the fragment is printed" grep -q "$T/menu.config" "$log"
check_eq "the fragment holds exactly the change" "$(grep -v '^#' "$T/menu.config" 2>/dev/null)" "CONFIG_PRINTK_TIME=y"
check "the fragment says where it came from" grep -q 'mvbuild kernel menuconfig demo' "$T/menu.config"
done_testing
