#!/usr/bin/env bash
# `mvbuild fetch --print-checksums URL`: checksums of a download for writing
# recipes, and the scheme policy, against the fault server on 127.0.0.1.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/fetch/server.sh"

mkdir -p "$T/root"
head -c 1234567 /dev/urandom >"$T/root/data.bin"
start_fault_server "$T/root"
sha256=$(sha256sum "$T/root/data.bin" | cut -d' ' -f1)
sha512=$(sha512sum "$T/root/data.bin" | cut -d' ' -f1)
u=$FAULT_URL/files/data.bin

mvb fetch --print-checksums "$u"
check_eq "print-checksums succeeds" "$rc" 0
check_eq "prints sha256 and sha512 as sha256sum/sha512sum do" "$out" \
	"$u sha256 $sha256
$u sha512 $sha512"

mvb fetch --print-checksums "$FAULT_URL/404/data.bin"
check_eq "404 exits 1" "$rc" 1
check_contains "404 is named" "$errout" "cannot download '$FAULT_URL/404/data.bin': HTTP 404"

mvb fetch --print-checksums "ftp://127.0.0.1:$FAULT_PORT/data.bin"
check_eq "ftp:// exits 1" "$rc" 1
check_contains "ftp:// refused" "$errout" "unsupported scheme (only http, https and file are allowed)"
check_eq "refused before any I/O" "$(requests 'data.bin')" 2

mvb fetch --print-checksums "$FAULT_URL/to-file"
check_contains "redirect to file:// refused" "$errout" "refusing redirect from '$FAULT_URL/to-file' to 'file:///etc/passwd'"

mvb fetch --print-checksums "file://$T/root/data.bin"
check_eq "file:// URLs work" "$out" "file://$T/root/data.bin sha256 $sha256
file://$T/root/data.bin sha512 $sha512"

mvb fetch "$u"
check_eq "a URL without --print-checksums is a usage error" "$rc" 2

MVBUILD_FETCH_MAX_SIZE=64K mvb fetch --print-checksums "$FAULT_URL/endless"
check_contains "MVBUILD_FETCH_MAX_SIZE caps an endless stream" "$errout" "larger than the limit of 64.0 KiB"

MVBUILD_FETCH_MAX_SIZE=lots mvb fetch --print-checksums "$u"
check_eq "a bad MVBUILD_FETCH_MAX_SIZE is a usage error" "$rc" 2

mvb --json fetch --print-checksums "$FAULT_URL/500once/data.bin"
check_eq "500 once, then retried successfully" "$rc" 0
check_contains "the retry is logged as a JSON note" "$errout" '"event":"note"'
check_contains "naming the failure" "$errout" "HTTP 500; retry 1 of 1"

done_testing
