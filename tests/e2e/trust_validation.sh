#!/usr/bin/env bash
# `mvbuild check` refuses every value that a builder or launcher would
# refuse later, with the exact FILE:LINE:COL message and exit 2, before
# anything is fetched or built (the checks live in src/recipe/recipe_validate.c
# and the builders call the same ones).  Covers docs/security.md
# "Recipe values are checked once, at check time".
. "$(dirname "$0")/../lib.sh"
cd "$T"
export MVBUILD_CACHE=$T/cache
SHA=2ca1f17051a430f6fed1196e4952717507171acfd97d96577212502703b25deb

# recipe NAME: the base recipe (ending inside sources:) followed by stdin into NAME.yaml
recipe() {
	{
		printf 'mvbuild: 1\nkernels:\n  k: { source: linux }\nsources:\n'
		printf '  linux: { url: "file:///nonexistent/linux.tar.xz", sha256: %s }\n' "$SHA"
		cat
	} >"$1.yaml"
}

# refused NAME MESSAGE: `check` of NAME.yaml exits 2 with exactly "mvbuild: NAME.yaml:MESSAGE"
refused() {
	mvb -f "$1.yaml" check
	if [ "$rc" = 2 ] && [ -z "$out" ] && [ "$errout" == "mvbuild: $1.yaml:$2" ]; then
		ok "$1: refused by check with its position"
	else
		nok "$1: refused by check with its position"
		diag "status: $rc  stdout: $out"
		diag "got:  $errout"
		diag "want: mvbuild: $1.yaml:$2"
	fi
}

# profile NAME LINE: a recipe whose only profile is LINE (under profiles:)
profile() {
	recipe "$1" <<-YAML
	images:
	  rootfs: { size: 64M }
	profiles:
	  $2
	YAML
}

# image NAME LINE...: a recipe whose image 'rootfs' has the keys LINE... (one per line)
image() {
	local name=$1; shift
	{ printf 'images:\n  rootfs:\n'; printf '    %s\n' "$@"; } | recipe "$name"
}

# ---- a good recipe, with every value at its limit, passes -----------------
long=$(printf 'a%.0s' $(seq 255))
recipe good <<YAML
  local: { path: rootfs.tar, sha256: $SHA }
  mirrored: { urls: ["https://example.org/a.tar", "http://example.org/a.tar", "FILE:///srv/a.tar"], sha256: $SHA }
images:
  rootfs:
    size: 4M
    inodes: 4096
    epoch: 4294967295
    label: abcdefghijklmnop
    overlays:
      - { content: "x", to: "/etc/$long" }
      - { symlink: "$(printf 'b%.0s' $(seq 4095))", to: /long-link }
      - { remove: /etc/motd }
      - { mkdir: / }
  huge: { size: 17592186040320, inodes: 4294967295 }
  bytes: { size: 4194304 }
  auto: { size: auto, inodes: 4294967295 }
profiles:
  default:
    kernel: k
    image: rootfs
    mem: 1048576
    cpus: 255
    init: /sbin/init
    cmdline: "$(printf 'c%.0s' $(seq 1024))"
    net: [{ tap: tap-0.a_b, mac: "02:00:00:00:00:01" }]
    qemu: { accel: tcg, binary: /usr/bin/qemu-system-x86_64, tsc_early_khz: 999999999,
            machine: "x-option-roms=off,isa-serial=on,auto-kernel-cmdline=on,ioapic2=auto,pcie=off,smm=off,usb=off,graphics=off,mem-merge=off,dump-guest-core=off" }
  fc: { hypervisor: firecracker, kernel: k, image: rootfs, cpus: 32, firecracker: { binary: firecracker } }
  fc1: { cpus: 1, hypervisor: firecracker, kernel: k, image: rootfs }
YAML
mvb -f good.yaml check
check_eq "a recipe with every value at its limit passes check" "$rc:$errout" "0:"
check "check neither fetched nor built anything (no cache)" test ! -e "$T/cache"
for f in demo alpine; do
	mvb -f "$REPO_DIR/recipes/$f.yaml" check
	check_eq "recipes/$f.yaml passes check" "$rc" 0
done

# ---- profiles: init, cmdline, cpus, tsc_early_khz, tap, binary --------------
INIT="must be an absolute path inside the image of at most 255 bytes, without spaces, control characters or '\"'"
profile init-args 'default: { kernel: k, image: rootfs, init: "/sbin/init rdinit=/bin/sh" }'
refused init-args "9:46: 'init' in profile 'default' $INIT, not the string '/sbin/init rdinit=/bin/sh'"
profile init-tab 'default: { kernel: k, image: rootfs, init: "/sbin/init\tx" }'
refused init-tab "9:46: 'init' in profile 'default' $INIT, not the string '/sbin/init	x'"
profile init-quote "default: { kernel: k, image: rootfs, init: '/sbin/\"init' }"
refused init-quote "9:46: 'init' in profile 'default' $INIT, not the string '/sbin/\"init'"
profile cmdline-newline 'default: { kernel: k, image: rootfs, cmdline: "quiet\nrdinit=/bin/sh" }'
refused cmdline-newline "9:49: 'cmdline' in profile 'default' must be one line of at most 1024 bytes without control characters, not the string 'quiet
rdinit=/bin/sh'"
profile cmdline-long "default: { kernel: k, image: rootfs, cmdline: $(printf 'c%.0s' $(seq 1025)) }"
refused cmdline-long "9:49: 'cmdline' in profile 'default' must be one line of at most 1024 bytes without control characters, not the string 'ccccccccccccccccccccccccccccccccccccc...'"
profile cpus-256 'default: { kernel: k, image: rootfs, cpus: 256 }'
refused cpus-256 "9:46: 'cpus' in profile 'default' must be an integer from 1 to 255, not the integer 256"
FC="must be 1 or an even number up to 32 for Firecracker"
profile fc-cpus-odd 'default: { kernel: k, image: rootfs, cpus: 3, hypervisor: firecracker }'
refused fc-cpus-odd "9:46: 'cpus' in profile 'default' $FC, not the integer 3"
profile fc-cpus-34 'default: { hypervisor: firecracker, kernel: k, image: rootfs, cpus: 34 }'
refused fc-cpus-34 "9:71: 'cpus' in profile 'default' $FC, not the integer 34"
profile tsc-words 'default: { kernel: k, image: rootfs, qemu: { tsc_early_khz: "1000 x" } }'
refused tsc-words "9:63: 'tsc_early_khz' in 'qemu' options of profile 'default' must be a frequency in kHz from 1 to 999999999, not the string '1000 x'"
profile tsc-zero 'default: { kernel: k, image: rootfs, qemu: { tsc_early_khz: 0 } }'
refused tsc-zero "9:63: 'tsc_early_khz' in 'qemu' options of profile 'default' must be a frequency in kHz from 1 to 999999999, not the integer 0"
TAP="must be a network interface name of 1 to 15 printable characters, without '/', ':', ',', '\"', '\\' or spaces"
profile tap-comma 'default: { kernel: k, image: rootfs, net: [{ tap: "tap0,script=/tmp/x" }] }'
refused tap-comma "9:53: 'tap' in net entry 1 of profile 'default' $TAP, not the string 'tap0,script=/tmp/x'"
BIN="must be a program name looked up in PATH or an absolute path, without spaces or control characters"
profile binary-relative 'default: { kernel: k, image: rootfs, qemu: { binary: ./qemu } }'
refused binary-relative "9:56: 'binary' in 'qemu' options of profile 'default' $BIN, not the string './qemu'"
profile binary-option 'default: { kernel: k, image: rootfs, hypervisor: firecracker, firecracker: { binary: "-x" } }'
refused binary-option "9:88: 'binary' in 'firecracker' options of profile 'default' $BIN, not the string '-x'"

# ---- qemu machine: only the allow-listed microvm properties -----------------
MACHINE="must be a comma-separated list of KEY=VALUE, each key once, from auto-kernel-cmdline=on|off, dump-guest-core=on|off, graphics=on|off, ioapic2=on|off|auto, isa-serial=on|off, mem-merge=on|off, pcie=on|off|auto, smm=on|off|auto, usb=on|off, x-option-roms=on|off"
n=0
for m in initrd=/etc/shadow firmware=/etc/shadow kernel=/etc/shadow dumpdtb=/tmp/x dtb=/etc/shadow \
	append=init=/bin/sh memory-backend=m0 acpi=on pit=off x-option-roms=off,,initrd=/etc/shadow \
	x-option-roms=off,initrd=/etc/shadow x-option-roms=yes x-option-roms=off,x-option-roms=on \
	usb=auto x-option-roms=off, ,usb=off microvm; do
	n=$((n + 1))
	profile machine-$n "default: { kernel: k, image: rootfs, qemu: { machine: \"$m\" } }"
	refused machine-$n "9:57: 'machine' in 'qemu' options of profile 'default' $MACHINE, not the string '$m'"
done

# ---- images: size, inodes, epoch, label, paths ------------------------------
SIZE="must be at least 4M and less than 16T"
image size-2M 'size: 2M'
refused size-2M "8:11: 'size' in image 'rootfs' $SIZE, not the string '2M'"
image size-16T 'size: 16T'
refused size-16T "8:11: 'size' in image 'rootfs' $SIZE, not the string '16T'"
image size-bytes 'size: 4194303'
refused size-bytes "8:11: 'size' in image 'rootfs' $SIZE, not the integer 4194303"
FORM="must be digits with an optional K, M, G or T suffix (powers of 1024, such as 512M or 2G), or auto"
for s in 0x1p24 '" 16M"' 1e7 64MB 64MiB 64m 1.5G 16M0 -16M 99999999999999999999 17179869184T; do
	v=${s//\"/}
	kind="the string '$v'"
	case $s in -16M|1e7|0x1p24|64*|1.5G|16M0|17179869184T|'" 16M"') ;; esac
	[[ $s =~ ^[0-9]+$ ]] && kind="the integer $v"
	image "size-form-$n" "size: $s"
	refused "size-form-$n" "8:11: 'size' in image 'rootfs' $FORM, not $kind"
	n=$((n + 1))
done
image inodes-too-many 'size: 4M' 'inodes: 4097'
refused inodes-too-many "9:13: 'inodes' in image 'rootfs' must be an integer from 16 to 4096 (one inode per 1024 bytes of 'size' at most), not the integer 4097"
image inodes-before-size 'inodes: 65537' 'size: 64M'
refused inodes-before-size "8:13: 'inodes' in image 'rootfs' must be an integer from 16 to 65536 (one inode per 1024 bytes of 'size' at most), not the integer 65537"
image inodes-32bit 'inodes: 4294967296'
refused inodes-32bit "8:13: 'inodes' in image 'rootfs' must be an integer from 16 to 4294967295, not the integer 4294967296"
image epoch-33bit 'epoch: 4294967296'
refused epoch-33bit "8:12: 'epoch' in image 'rootfs' must be an integer from 0 to 4294967295 (seconds since 1970), not the integer 4294967296"
image label-17 'label: abcdefghijklmnopq'
refused label-17 "8:12: 'label' in image 'rootfs' must be at most 16 bytes (ext4's limit), not the string 'abcdefghijklmnopq'"
PATHS="must be an absolute path below '/' inside the image, with no '.' or '..' and no name over 255 bytes"
image to-long-name "overlays: [{ content: x, to: /etc/a$long }]"
refused to-long-name "8:34: 'to' in overlay 1 of image 'rootfs' $PATHS, not the string '/etc/${long:0:32}...'"
image remove-dot 'overlays: [{ remove: /. }]'
refused remove-dot "8:26: 'remove' in overlay 1 of image 'rootfs' $PATHS, not the string '/.'"
image remove-dot-inside 'overlays: [{ remove: /etc/./passwd }]'
refused remove-dot-inside "8:26: 'remove' in overlay 1 of image 'rootfs' $PATHS, not the string '/etc/./passwd'"
image mkdir-dotdot 'overlays: [{ mkdir: /srv/.. }]'
refused mkdir-dotdot "8:25: 'mkdir' in overlay 1 of image 'rootfs' must be an absolute path inside the image, with no '.' or '..' and no name over 255 bytes, not the string '/srv/..'"
image symlink-long "overlays: [{ symlink: $(printf 'b%.0s' $(seq 4096)), to: /l }]"
refused symlink-long "8:27: 'symlink' in overlay 1 of image 'rootfs' must be a link target of 1 to 4095 bytes, not the string 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...'"

# ---- sources: only the schemes the downloader allows ------------------------
recipe url-gopher <<YAML
  other: { url: "gopher://example.org/a.tar", sha256: $SHA }
YAML
refused url-gopher "6:17: 'url' in source 'other' must be an http://, https:// or file:// URL without spaces, not the string 'gopher://example.org/a.tar'"
recipe url-ftp-mirror <<YAML
  other: { urls: ["https://example.org/a.tar", "ftp://example.org/a.tar"], sha256: $SHA }
YAML
refused url-ftp-mirror "6:48: item 2 of 'urls' in source 'other' must be an http://, https:// or file:// URL without spaces, not the string 'ftp://example.org/a.tar'"

# ---- encodings: UTF-8 only --------------------------------------------------
utf16() { iconv -f UTF-8 -t "$1" <<<"mvbuild: 1"; }
{ printf '\xff\xfe'; utf16 UTF-16LE; } >utf16le.yaml
refused utf16le "1:1: the file is UTF-16 (it starts with a UTF-16 byte order mark); a recipe is UTF-8 text"
{ printf '\xfe\xff'; utf16 UTF-16BE; } >utf16be.yaml
refused utf16be "1:1: the file is UTF-16 (it starts with a UTF-16 byte order mark); a recipe is UTF-8 text"
{ printf '\xff\xfe\x00\x00'; utf16 UTF-32LE; } >utf32le.yaml
refused utf32le "1:1: the file is UTF-32 (it starts with a UTF-32 byte order mark); a recipe is UTF-8 text"
utf16 UTF-16LE >utf16-nobom.yaml
refused utf16-nobom "1:1: the file is UTF-16 or UTF-32 (a NUL byte among its first two bytes); a recipe is UTF-8 text"
printf 'mvbuild: 1\nname: "caf\xe9"\n' >latin1.yaml
refused latin1 "2:12: invalid UTF-8 (a recipe is UTF-8 text): invalid trailing UTF-8 octet"
printf '\xef\xbb\xbfmvbuild: 1\nname: "caf\xc3\xa9"\n' >utf8-bom.yaml
mvb -f utf8-bom.yaml check
check_eq "UTF-8 with a byte order mark is still UTF-8" "$rc" 0

# ---- the launcher applies the same checks to run's overrides ----------------
mvb -f good.yaml run default --cpus 256
check_eq "run --cpus 256: refused by the shared check before any build" "$rc:$errout" \
	"2:mvbuild: command-line option --cpus: profile 'default': cpus 256 must be an integer from 1 to 255"
mvb -f good.yaml run default --init "/sbin/init rdinit=/bin/sh"
check_eq "run --init with arguments: refused by the shared check" "$rc:$errout" \
	"2:mvbuild: command-line option --init: profile 'default': init $INIT"
mvb -f good.yaml run fc1 --cpus 3
check_eq "run --cpus 3 of a Firecracker profile: refused by the shared check" "$rc:$errout" \
	"2:mvbuild: command-line option --cpus: profile 'fc1': cpus 3 must be 1 or an even number up to 32 for Firecracker"
mvb net up "tap/0"
check_eq "net up: the same tap name check as a recipe's net entries" "$rc:$errout" \
	"2:mvbuild: tap name 'tap/0' $TAP"
check_eq "run refused before fetching or building anything (no blob, no action)" \
	"$(find "$T/cache/cas" "$T/cache/ac" -type f | wc -l)" 0
done_testing
