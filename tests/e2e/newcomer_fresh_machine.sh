#!/usr/bin/env bash
# The README's two commands on a simulated fresh Debian 12 machine: a copy of
# the working tree, with pkg-config, dpkg-query, dpkg and apt-get replaced by
# stubs (tests/fresh/stub.sh) that report the -dev packages missing until
# apt-get "installs" them.  `make demo` and `make check` must each work on the
# first try there: install, then build and link, then run.  The demo's kernel
# comes from the suite's shared cache (built by kernel_build.sh), so this costs
# two compiles of mvbuild, not a kernel.
. "$(dirname "$0")/../lib.sh"

for tool in git make cc qemu-system-x86_64; do
	command -v "$tool" >/dev/null || { skip "fresh machine" "no $tool"; done_testing; exit; }
done
# the outer make's job server and variables must not leak into the inner one
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES TESTS
cache=$(demo_cache)

# the tree as it is now (tracked files, plus their uncommitted edits)
mkdir "$T/tree" "$T/state" "$T/stubs"
git -C "$REPO_DIR" ls-files -z | (cd "$REPO_DIR" && tar --null -T - -cf -) | tar -C "$T/tree" -xf -
for name in pkg-config dpkg-query dpkg apt-get; do
	ln -s "$REPO_DIR/tests/fresh/stub.sh" "$T/stubs/$name"
done
fresh() { env PATH="$T/stubs:$PATH" FRESH_STATE="$T/state" MAKEFLAGS=-j2 "$@"; }

check "the simulated machine lacks the -dev packages" \
	bash -c "! env PATH='$T/stubs:$PATH' FRESH_STATE='$T/state' pkg-config --exists libarchive"

# make demo: installs, builds, links, builds the recipe and boots it
(cd "$T/tree" && fresh timeout 900 make demo MVBUILD_CACHE="$cache") >"$T/demo.log" 2>&1
rc=$?
check_eq "make demo works on the first try" "$rc" 0
[ "$rc" = 0 ] || diag "$(tail -30 "$T/demo.log")"
check "make demo ran apt-get install for the missing packages" \
	grep -q 'apt-get .*install.* libarchive-dev' "$T/state/apt.log"
check "among them libsquashfs-dev (format: squashfs is compiled against it)" \
	grep -q 'apt-get .*install.* libsquashfs-dev' "$T/state/apt.log"
check "the demo guest booted" grep -q 'mvbuild-demo: hello from the guest' "$T/demo.log"

# make install, from the plain build make demo made (PREFIX and DESTDIR honoured)
(cd "$T/tree" && make -s install DESTDIR="$T/root" PREFIX=/usr) >"$T/install.log" 2>&1
check_eq "make install succeeds" "$?" 0
check "it installs the binary" test -x "$T/root/usr/bin/mvbuild"
check "it installs the man page" test -s "$T/root/usr/share/man/man1/mvbuild.1"
f=$T/root/usr/share/bash-completion/completions/mvbuild
check "it installs the bash completion" test -s "$f"
check_contains "which defines the completion function" "$(cat "$f" 2>/dev/null)" "complete -F _mvbuild mvbuild"

# make check: a fresh machine again, one small test selected
rm -f "$T/state/installed" "$T/state/apt.log"
(cd "$T/tree" && fresh timeout 900 make check TESTS=test_record) >"$T/check.log" 2>&1
rc=$?
check_eq "make check works on the first try" "$rc" 0
[ "$rc" = 0 ] || diag "$(tail -30 "$T/check.log")"
check "make check ran apt-get install" grep -q 'apt-get .*install' "$T/state/apt.log"
check "make check ends with the counts line" \
	grep -qE '^[1-9][0-9]* passed, 0 failed' "$T/check.log"
done_testing
