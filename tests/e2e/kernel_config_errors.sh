#!/usr/bin/env bash
# Kernel config verification through the real command: a misspelled symbol
# and an unmet dependency each fail the build before make runs, naming the
# fragment file and line, the requested and actual value, and why; a
# redefinition is reported with both locations.
. "$(dirname "$0")/../lib.sh"

src=/usr/src/linux-source-6.1.tar.xz
if [ ! -f "$src" ]; then
	skip "kernel config errors" "no $src (apt-get install linux-source-6.1)"
	done_testing; exit
fi
mkdir -p "$T/r/kernel"
cp "$REPO_DIR"/recipes/kernel/*.config "$T/r/kernel/"
cat >"$T/r/kernel/typo.config" <<'F'
# a fragment with a misspelled symbol on line 3
CONFIG_PRINTK=y
CONFIG_VIRTIO_BLKK=y
F
cat >"$T/r/kernel/nodep.config" <<'F'
# virtio-net without networking: its dependencies are not met
CONFIG_VIRTIO_NET=y
F
cat >"$T/r/mvbuild.yaml" <<'Y'
mvbuild: 1
name: kernel-errors
sources:
  linux: { path: /usr/src/linux-source-6.1.tar.xz }
kernels:
  typo:
    source: linux
    base: allnoconfig
    fragments: [kernel/base.config, kernel/typo.config]
  nodep:
    source: linux
    base: allnoconfig
    fragments: [kernel/base.config, kernel/nodep.config]
Y
cd "$T/r"
mvb graph
must_succeed "the kernel config errors recipe is accepted"

mvb --cache "$T/cache" build kernel:typo
check_eq "a misspelled symbol fails the build" "$rc" 1
check_contains "it names the fragment line, values and reason" "$errout" \
	"fragment kernel/typo.config:3: CONFIG_VIRTIO_BLKK: requested y, got n: the symbol does not exist in this kernel"

mvb --cache "$T/cache" build kernel:nodep
check_eq "an unmet dependency fails the build" "$rc" 1
check_contains "it names the fragment line and the depends on expression" "$errout" \
	"fragment kernel/nodep.config:2: CONFIG_VIRTIO_NET: requested y, got n: its dependencies are not met: depends on NETDEVICES && NET_CORE && VIRTIO"
check "no make of the kernel ran for them" bash -c "! grep -q '  CC  *init/' '$T'/cache/kbuild/typo-*/build.log"

printf 'CONFIG_PRINTK=y\nCONFIG_PRINTK=n\n' >"$T/r/kernel/redef.config"
cat >>mvbuild.yaml <<'Y'
  redef:
    source: linux
    base: allnoconfig
    fragments: [kernel/base.config, kernel/redef.config]
Y
mvb --cache "$T/cache" explain kernel:redef
check_contains "a redefinition is reported with both locations" "$errout" \
	"fragment kernel/redef.config:1: CONFIG_PRINTK=y redefines CONFIG_PRINTK=y from fragment kernel/base.config:"

printf 'CONFIG_EXT4_FS=m\n' >"$T/r/kernel/module.config"
cat >>mvbuild.yaml <<'Y'
  module:
    source: linux
    base: allnoconfig
    fragments: [kernel/base.config, kernel/module.config]
Y
mvb --cache "$T/cache" build kernel:module
check_eq "a module value is a recipe error" "$rc" 2
check_contains "which says modules are not built and what to write" "$errout" \
	"fragment kernel/module.config:1: CONFIG_EXT4_FS=m: mvbuild builds no kernel modules yet (the image would not hold them): use CONFIG_EXT4_FS=y to build it in"

mvb --cache "$T/cache" kernel menuconfig
check_eq "kernel menuconfig without a kernel is a usage error" "$rc" 2
mvb --cache "$T/cache" kernel menuconfig nosuch
check_eq "kernel menuconfig of an unknown kernel is a usage error" "$rc" 2
check_contains "it names the kernel" "$errout" "no kernel 'nosuch'"
mvb --cache "$T/cache" kernel oldconfig typo
check_eq "only menuconfig and nconfig are offered" "$rc" 2
done_testing
