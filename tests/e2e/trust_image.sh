#!/usr/bin/env bash
# The image writer's accounting and messages through the real mvbuild, with
# e2fsck -fn and debugfs as oracles: freed inodes are reused (one path
# rewritten 5,000 times, a base layer plus update layers), size: auto counts
# directories by their blocks (20,000 directories), a `dir: .` overlay
# leaves the cache out, and a full image, exhausted inodes, too many inodes
# for the size, a full host disk and a device node without `devices: true`
# each name their cause and remedy.
. "$(dirname "$0")/../lib.sh"

# recipe DIR IMAGE-YAML...: DIR/mvbuild.yaml with path sources for DIR/*.tar
recipe() {
	local dir=$1; shift
	{
		echo "mvbuild: 1"
		echo "name: trust-image"
		ls "$dir"/*.tar >/dev/null 2>&1 && echo "sources:"
		for f in "$dir"/*.tar; do
			[ -f "$f" ] && echo "  $(basename "$f" .tar): { path: $(basename "$f") }"
		done
		echo "images:"
		printf '%s\n' "$@"
	} >"$dir/mvbuild.yaml"
}
# image_of DIR TARGET: the path of the image built in DIR's cache c
image_of() { (cd "$1" && "$MVBUILD" --cache "$1/c" path "$2" | awk '$1 == "rootfs.ext4" {print $2}'); }
# mvb_in DIR ARGS...: mvb run from DIR (the recipe's directory)
mvb_in() { local dir=$1; shift; cd "$dir" && mvb "$@"; cd "$T" || exit 1; }
fsck_clean() { e2fsck -fn "$1" >/dev/null 2>&1; }

# ---- one path rewritten 5,000 times fits a 64M image (4096 inodes) --------
d=$T/rewrite; mkdir -p "$d"
python3 - "$d/rewrite.tar" <<'P'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for i in range(5000):
        data = b"version %d\n" % i
        ti = tarfile.TarInfo("etc/config"); ti.size = len(data); ti.mode = 0o644
        t.addfile(ti, io.BytesIO(data))
P
recipe "$d" "  img: { size: 64M, layers: [rewrite] }"
mvb_in "$d" --cache "$d/c" build image:img
check_eq "a path written 5,000 times builds in a 64M image" "$rc" 0
[ "$rc" = 0 ] || diag "$errout"
img=$(image_of "$d" image:img)
check "its image passes e2fsck -fn" fsck_clean "$img"
check_eq "debugfs shows the last content" "$(debugfs -R 'cat /etc/config' "$img" 2>/dev/null)" \
	"version 4999"
check_contains "the image has 4096 inodes" "$(dumpe2fs -h "$img" 2>/dev/null)" \
	"Inode count:              4096"

# ---- a base layer plus update layers that replace every file ---------------
d=$T/stack; mkdir -p "$d"
python3 - "$d" <<'P'
import io, sys, tarfile
for layer in ("base", "update1", "update2"):
    with tarfile.open("%s/%s.tar" % (sys.argv[1], layer), "w") as t:
        for i in range(1800):
            data = b"%s %d\n" % (layer.encode(), i)
            ti = tarfile.TarInfo("usr/lib/pkg%02d/file%04d" % (i % 30, i))
            ti.size = len(data); ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
P
recipe "$d" "  img: { size: 64M, layers: [base, update1, update2] }"
mvb_in "$d" --cache "$d/c" build image:img
check_eq "base + 2 update layers replacing 1,800 files each build in 4096 inodes" "$rc" 0
[ "$rc" = 0 ] || diag "$errout"
img=$(image_of "$d" image:img)
check "the stacked image passes e2fsck -fn" fsck_clean "$img"
check_eq "the last layer's file wins" \
	"$(debugfs -R 'cat /usr/lib/pkg07/file1237' "$img" 2>/dev/null)" "update2 1237"
# used: 10 reserved, lost+found, 32 directories and the 1,800 live files
check_contains "only the live files use inodes" "$(dumpe2fs -h "$img" 2>/dev/null)" \
	"Free inodes:              2253"

# ---- size: auto with 20,000 directories -------------------------------------
d=$T/dirs; mkdir -p "$d"
python3 - "$d/dirs.tar" <<'P'
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for i in range(20500):
        ti = tarfile.TarInfo("srv/tree%02d/dir%05d" % (i % 50, i)); ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
        t.addfile(ti)
P
recipe "$d" "  img: { size: auto, layers: [dirs] }"
mvb_in "$d" --cache "$d/c" build image:img
check_eq "size: auto builds 20,500 directories" "$rc" 0
[ "$rc" = 0 ] || diag "$errout"
img=$(image_of "$d" image:img)
check "the 20,500-directory image passes e2fsck -fn" fsck_clean "$img"
check_contains "a deep directory is there" "$(debugfs -R 'stat /srv/tree49/dir20499' "$img" 2>/dev/null)" \
	"Type: directory"

# ---- a `dir: .` overlay with the default ./cache inside the recipe dir -----
d=$T/dot; mkdir -p "$d/etc"
printf 'dot\n' >"$d/etc/motd"
recipe "$d" "  img:" "    size: 32M" "    overlays:" "      - { dir: ., to: / }"
mvb_in "$d" build image:img
check_eq "a dir: . overlay with the cache inside builds" "$rc" 0
[ "$rc" = 0 ] || diag "$errout"
check_contains "the build says it skips the cache" "$errout" \
	"overlay 'dir: .': skipping the cache directory 'cache/'"
img=$(cd "$d" && "$MVBUILD" path image:img | awk '$1 == "rootfs.ext4" {print $2}')
check "the dir: . image passes e2fsck -fn" fsck_clean "$img"
root=$(debugfs -R 'ls -l /' "$img" 2>/dev/null)
check_contains "the recipe's files are in the image" "$root" "mvbuild.yaml"
if [[ "$root" == *" cache"* ]]; then nok "the image has no /cache entry"; diag "$root"
else ok "the image has no /cache entry"; fi
mvb_in "$d" build image:img
check_eq "the second build of the dir: . image also succeeds" "$rc" 0
img2=$(cd "$d" && "$MVBUILD" path image:img | awk '$1 == "rootfs.ext4" {print $2}')
check_eq "the cache's growth does not change the image" "$img2" "$img"

# ---- an image too small for its content -------------------------------------
d=$T/small; mkdir -p "$d/data"
python3 - "$d/dirs.tar" <<'P'
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for i in range(3000):
        ti = tarfile.TarInfo("d/x%05d" % i); ti.type = tarfile.DIRTYPE; ti.mode = 0o755
        t.addfile(ti)
P
recipe "$d" "  img: { size: 8M, inodes: 4000, layers: [dirs] }"
mvb_in "$d" --cache "$d/c" build image:img
check_eq "3,000 directories in an 8M image fail the build (exit 1)" "$rc" 1
check_contains "the error says the image is full and what to do" "$errout" \
	"the image is full: raise size: or use size: auto"
head -c 12000000 /dev/urandom >"$d/data/big"
recipe "$d" "  img:" "    size: 8M" "    overlays:" "      - { dir: data, to: /data }"
mvb_in "$d" --cache "$d/c" build image:img
check_eq "a 12 MB file in an 8M image fails the build (exit 1)" "$rc" 1
check_contains "the error names the remedy" "$errout" "raise size: or use size: auto"

# ---- more entries than inodes: -----------------------------------------------
d=$T/inodes; mkdir -p "$d"
python3 - "$d/many.tar" <<'P'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for i in range(300):
        ti = tarfile.TarInfo("f%04d" % i); t.addfile(ti, io.BytesIO(b""))
P
recipe "$d" "  img: { size: 32M, inodes: 128, layers: [many] }"
mvb_in "$d" --cache "$d/c" build image:img
check_eq "300 entries with inodes: 128 fail the build (exit 1)" "$rc" 1
check_contains "the error says there are no free inodes and what to do" "$errout" \
	"the image has no free inodes: raise inodes: or size:"
recipe "$d" "  img: { size: 64M, inodes: 1000000, layers: [many] }"
mvb_in "$d" --cache "$d/c" build image:img
check_eq "inodes: 1000000 in a 64M image is a recipe error (exit 2)" "$rc" 2
check_contains "the error explains the inode count" "$errout" \
	"'inodes' in image 'img' must be an integer from 16 to 65536 (one inode per 1024 bytes of 'size' at most), not the integer 1000000"
if [[ "$errout" == *"Unknown code"* ]]; then nok "no 'Unknown code ext2' message"; diag "$errout"
else ok "no 'Unknown code ext2' message"; fi

# ---- a device node without devices: true -------------------------------------
d=$T/dev; mkdir -p "$d"
python3 - "$d/dev.tar" <<'P'
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    ti = tarfile.TarInfo("dev/null"); ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3
    t.addfile(ti)
P
recipe "$d" "  img: { size: 32M, layers: [dev] }"
mvb_in "$d" --cache "$d/c" build image:img
check_eq "a device node without devices: true fails the build (exit 1)" "$rc" 1
check_contains "the error says to set devices: true" "$errout" "set devices: true"

# ---- the host disk fills up ---------------------------------------------------
d=$T/host; mkdir -p "$d/data" "$d/mnt"
head -c 6000000 /dev/urandom >"$d/data/big"
recipe "$d" "  img:" "    size: 64M" "    overlays:" "      - { dir: data, to: /data }"
if unshare -rm true 2>/dev/null; then
	out=$(cd "$d" && unshare -rm sh -c 'mount -t tmpfs -o size=4m none "$1" &&
		"$2" --cache "$1/c" build image:img' sh "$d/mnt" "$MVBUILD" 2>&1)
	rc=$?
	check_eq "a build onto a full host disk fails (exit 1)" "$rc" 1
	check_contains "the error says the host disk is full" "$out" \
		"no space left on the host disk writing '"
	if [[ "$out" == *"Input/output error"* ]]; then nok "no bare 'Input/output error'"; diag "$out"
	else ok "no bare 'Input/output error'"; fi
else
	skip "a build onto a full host disk" "no user namespaces to mount a small tmpfs"
fi

done_testing
