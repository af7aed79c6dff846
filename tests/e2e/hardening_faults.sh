#!/usr/bin/env bash
# Fault injection with strace at the chokepoints (write, fsync, rename,
# link, open, mkdir, memory (mmap/brk)): every injected failure ends in either success
# (on a best-effort path such as the digest memo) or a clean "mvbuild: ..."
# error with exit status 1; afterwards `cache verify` is clean and the next
# build succeeds.  Also a real disk-full cache on a small tmpfs.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || { skip "fault injection" "strace not installed"; done_testing; exit; }

small_image_recipe "$T/r"
cd "$T/r"
C=$T/cache
injected_total=0 runs=0 clean=0
# ASan reserves huge mappings at start; keep its allocator out of the picture
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0

inject() { # SYSCALL ERRNO WHEN
	local n=$((runs + 1))
	echo "fault $n" >"$T/r/overlay/etc/motd" # a new key, so the build really runs
	strace -f -qq -o "$T/strace.log" -e trace="$1" -e inject="$1:error=$2:when=$3" \
		"$MVBUILD" --cache "$C" build image:small >"$T/out" 2>"$T/err"
	local rc=$? hit
	hit=$(grep -c INJECTED "$T/strace.log")
	runs=$n
	injected_total=$((injected_total + hit))
	if { [ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && grep -q '^mvbuild: ' "$T/err"; }; } &&
		! grep -qE 'AddressSanitizer|runtime error|Segmentation' "$T/err"; then
		clean=$((clean + 1))
	else
		nok "$1=$2 at call $3: exit $rc ($hit injected)"
		diag "$(tail -5 "$T/err")"
		return
	fi
	mvb --cache "$C" cache verify
	if [ "$rc" -ne 0 ]; then nok "cache verify after $1=$2 at call $3"; diag "$out"; return; fi
	mvb --cache "$C" build image:small
	if [ "$rc" -ne 0 ]; then nok "build after $1=$2 at call $3"; diag "$errout"; fi
}

mvb --cache "$C" build image:small
check_eq "baseline build succeeds" "$rc" 0
for when in 1 2 3 5 8; do inject fsync EIO "$when"; done
for when in 1 2 3 4; do inject rename EIO "$when"; done
for when in 1 2 3; do inject link EIO "$when"; done
# one write fails at a time: a persistent failure would also silence stderr
for when in 1 2 10 100 1000 3000; do inject write ENOSPC "$when"; done
for when in 20 40 60 80; do inject openat EACCES "$when"; done
for when in 1 3 5; do inject mkdir EACCES "$when"; done
# Memory: mmap and brk fail from some call on (thread stacks, heap growth).
# Under ASan its own allocator breaks first, so this uses the plain binary.
plain=$REPO_DIR/mvbuild
if make -s -C "$REPO_DIR" mvbuild >/dev/null 2>&1 && [ -x "$plain" ]; then
	echo "count" >"$T/r/overlay/etc/motd"
	strace -f -qq -o "$T/strace.log" -e trace=mmap,brk,openat "$plain" --cache "$C" \
		build image:small >/dev/null 2>&1
	total=$(grep -cE 'mmap\(|brk\(' "$T/strace.log")
	# the dynamic loader's calls come before main(): start after the recipe is opened
	first=$(awk '/mmap\(|brk\(/ {n++} /mvbuild.yaml/ {print n + 1; exit}' "$T/strace.log")
	for when in $(seq "${first:-$total}" 2 "$total"); do
		MVBUILD=$plain inject mmap,brk ENOMEM "$when+"
	done
else
	nok "plain mvbuild binary builds for the memory faults"
fi
ok "$runs fault runs, $injected_total faults injected, $clean ended cleanly, crashes: 0"
check_eq "every faulted run ended cleanly" "$clean" "$runs"

# a real full disk: a cache on a 16 MiB tmpfs, an image that needs more
if mkdir -p "$T/tiny" && mount -t tmpfs -o size=16m tmpfs "$T/tiny" 2>/dev/null; then
	on_exit "umount '$T/tiny' 2>/dev/null"
	sed -i 's/size: 32M/size: 64M/' mvbuild.yaml
	dd if=/dev/urandom of="$T/r/overlay/big" bs=1M count=24 2>/dev/null
	mvb --cache "$T/tiny/cache" build image:small
	check_eq "disk full: build fails with status 1" "$rc" 1
	# the image writer names the host disk; a write elsewhere says ENOSPC's own words
	if [[ "$errout" == *"no space left on the host disk writing"* ]]; then
		ok "disk full: the error says so"
	else
		check_contains "disk full: the error says so" "$errout" "No space left on device"
	fi
	mvb --cache "$T/tiny/cache" cache verify
	check_eq "disk full: cache verify is clean" "$rc" 0
	rm -f "$T/r/overlay/big"
	mvb --cache "$T/tiny/cache" build image:small
	check_eq "disk full: build succeeds once there is room" "$rc" 0
else
	skip "disk full on tmpfs" "cannot mount tmpfs (not root?)"
fi
done_testing
