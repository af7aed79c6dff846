#!/usr/bin/env bash
# Builds a root filesystem tarball shaped like an Alpine minirootfs (busybox
# plus its applet symlinks, /etc basics, empty mount points) from Debian's
# busybox-static, for the offline demo and the tests.  Deterministic: fixed
# owners, modes, mtimes and entry order, so the tarball's bytes only change
# when busybox does.
# Usage: tests/make-busybox-rootfs.sh OUT.tar.gz
set -eu
out=$1
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-busybox-rootfs: '$busybox' not found (apt-get install busybox-static)" >&2; exit 1; }
"$busybox" --list >/dev/null 2>&1 || { echo "make-busybox-rootfs: '$busybox' is not busybox" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,run,var/log,var/tmp,home,mnt,lib}
cp "$busybox" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"
# Install applet links where busybox itself says they live (as Alpine does).
"$busybox" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	dir=$(dirname "$applet")
	mkdir -p "$r/$dir"
	rel=$(realpath -m --relative-to="/$dir" /bin/busybox)
	ln -sf "$rel" "$r/$applet"
done
cat >"$r/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:2:2:daemon:/sbin:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
PW
cat >"$r/etc/group" <<'GR'
root:x:0:root
daemon:x:2:root
nogroup:x:65534:
GR
printf 'root:*::0:::::\n' >"$r/etc/shadow"
chmod 0640 "$r/etc/shadow"
printf 'localhost\n' >"$r/etc/hostname"
printf '/bin/sh\n' >"$r/etc/shells"
printf 'busybox rootfs for mvbuild tests\n' >"$r/etc/motd"
printf 'proc /proc proc defaults 0 0\n' >"$r/etc/fstab"
chmod 1777 "$r/tmp" "$r/var/tmp"
chmod 0700 "$r/root"
mkdir -p "$(dirname "$out")"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 \
	--format=gnu -C "$r" -cf - . | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "made $out ($(tar -tzf "$out" | wc -l) entries)"
