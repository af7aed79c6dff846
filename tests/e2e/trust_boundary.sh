#!/usr/bin/env bash
# The recipe tree is a boundary (docs/security.md, "Recipe-tree boundary"):
# a secret outside the tree, reached by an absolute path, '../', a symlink in
# the tree, an include or a file:// URL, is refused at `check` with
# FILE:LINE:COL, the path, the rule and the hint, and its content is never
# printed; config `paths: allow` and a checksum pin let a path source out;
# credentials named by the config are refused even then; FIFOs are refused
# at check without blocking; a path with a newline cannot inject memo
# lines; a path source reaches a remote (Debian's nginx on 127.0.0.1) only
# with `upload_sources: true`.
. "$(dirname "$0")/../lib.sh"

SECRET=SECRET-BEARER-TOKEN-abcdef0123456789
mkdir -p "$T/r/sub" "$T/r/kernel" "$T/secret" "$T/xdg"
export XDG_CONFIG_HOME=$T/xdg # no machine config unless a test passes --config
printf '%s\n' "$SECRET" >"$T/secret/token"
SECRET_SHA=$(sha256sum "$T/secret/token" | cut -d' ' -f1)
ln -s ../secret "$T/r/out"
printf 'CONFIG_PVH=y\n' >"$T/r/kernel/ok.config"
cd "$T/r"

no_secret() { [[ "$out$errout" != *"$SECRET"* ]]; }
# recipe NAME BODY: write $T/r/NAME.yaml, "mvbuild: 1" first
recipe() { printf 'mvbuild: 1\n%s\n' "$2" >"$T/r/$1.yaml"; }
# refused DESC NAME WHERE WHAT...: check exits 2, names WHERE (LINE:COL in NAME.yaml, or
# FILE:LINE:COL) and each WHAT,
# and the secret never appears on stdout or stderr
refused() {
	local desc=$1 name=$2 where=$3; shift 3
	[[ $where == *.yaml:* ]] || where=$name.yaml:$where
	mvb -f "$name.yaml" "${config[@]}" check
	check_eq "$desc: check exits 2" "$rc" 2
	check_contains "$desc: names $where" "$errout" "mvbuild: $where: "
	local w
	for w in "$@"; do check_contains "$desc: says '$w'" "$errout" "$w"; done
	check "$desc: the secret is never printed" no_secret
}
config=()
OUTSIDE="lies outside the recipe tree '$T/r'"
HINT_SOURCE="pin its content with 'sha256:' or 'sha512:', or allow its directory in the machine config with 'paths: { allow: [DIR] }'"
HINT_TREE="includes, overlays, kernel fragments and shared folders must lie beneath the directory of the top-level recipe"

recipe abs "sources:
  s: { path: $T/secret/token }"
refused "absolute path source" abs 3:3 "path '$T/secret/token' of source 's'" "$OUTSIDE" "$HINT_SOURCE" \
	"allowed: '/usr/src'"

recipe dotdot "sources:
  s: { path: sub/../../secret/token }"
refused "'../' path source" dotdot 3:3 "path 'sub/../../secret/token'" "$OUTSIDE" "$HINT_SOURCE"

recipe link "sources:
  s: { path: out/token }"
refused "path source through a symlink in the tree" link 3:3 "path 'out/token'" \
	"leads outside the recipe tree '$T/r'" "$HINT_SOURCE"

recipe inc "include: [../secret/token]"
refused "include outside the tree" inc 2:11 "included file '../secret/token'" "$OUTSIDE" "$HINT_TREE"

recipe inclink "include: [out/token]"
refused "include through a symlink" inclink 2:11 "leads outside the recipe tree" "$HINT_TREE"

cp "$T/secret/token" "$T/r/token.yaml"
recipe incnot "include: [token.yaml]"
refused "an include that is not a recipe" incnot token.yaml:1:1 \
	"a recipe must be a map of keys starting with 'mvbuild: 1', not a string"

recipe ovlink "images:
  img:
    size: 8M
    overlays:
      - { file: out/token, to: /token }"
refused "overlay file through a symlink" ovlink 6:17 "file 'out/token' of overlay 1 of image 'img'" \
	"leads outside the recipe tree" "$HINT_TREE"

recipe ovabs "images:
  img:
    size: 8M
    overlays:
      - { dir: $T/secret, to: /s }"
refused "absolute overlay dir" ovabs 6:16 "dir '$T/secret'" "$OUTSIDE"

recipe frag "sources:
  linux: { path: linux.tar.xz }
kernels:
  k: { source: linux, fragments: [kernel/../../secret/token] }"
refused "kernel fragment outside the tree" frag 5:35 "fragment 'kernel/../../secret/token'" "$OUTSIDE"

# a file:// URL is a path; it always carries a pin, so it may lie anywhere,
# and a wrong pin only fails the download
recipe url "sources:
  s: { url: \"file://$T/secret/%74oken\", sha256: \"$(printf '0%.0s' {1..64})\" }"
mvb -f url.yaml check
check_eq "pinned file:// URL outside the tree passes check" "$rc" 0
mvb -f url.yaml --cache "$T/c" fetch
check_eq "its download fails on the pin" "$rc" 1
check "the failed download never prints the secret" no_secret

# a share is live access to a host folder: the strictest rule, as for includes
share() { recipe "$1" "profiles:
  p:
    kernel: k
    image: i
    shares: [ { host: $2, tag: t } ]"; }
share shareabs "$T/secret"
refused "a share by absolute path" shareabs 6:23 "host folder '$T/secret' of share entry 1 of profile 'p'" \
	"$OUTSIDE" "$HINT_TREE"
share sharedotdot sub/../../secret
refused "a share by '../'" sharedotdot 6:23 "host folder 'sub/../../secret'" "$OUTSIDE"
share sharelink out
refused "a share through a symlink in the tree" sharelink 6:23 "host folder 'out'" \
	"leads outside the recipe tree '$T/r'" "$HINT_TREE"

# allowed through the config, or a pin
printf 'paths: { allow: [%s] }\n' "$T/secret" >"$T/allow.yaml"
config=(--config "$T/allow.yaml")
mvb -f abs.yaml "${config[@]}" check
check_eq "paths: allow lets an absolute path source out" "$rc" 0
mvb -f shareabs.yaml "${config[@]}" check
check_eq "but never a share" "$rc:$(grep -c "$OUTSIDE" <<<"$errout")" "2:1"
mvb -f link.yaml "${config[@]}" check
check_eq "paths: allow judges a symlink by where it leads" "$rc" 0
refused "paths: allow never lets an include out" inc 2:11 "$OUTSIDE"
config=()
recipe pinned "sources:
  s: { path: $T/secret/token, sha256: $SECRET_SHA }"
mvb -f pinned.yaml check
check_eq "a sha256 pin lets a path source out" "$rc" 0
printf 'paths: { allow: [] }\n' >"$T/none.yaml"
config=(--config "$T/none.yaml")
recipe usrsrc "sources:
  s: { path: /usr/src/anything.tar.xz }"
refused "an empty allow list removes /usr/src" usrsrc 3:3 "allowed: none"
config=()

# credentials named by the config are never inputs, pinned or allowed
printf 'paths: { allow: [%s] }\nremote: { token_file: %s }\n' "$T/secret" "$T/secret/token" >"$T/cred.yaml"
config=(--config "$T/cred.yaml")
CRED="is the credential file 'token_file' of the machine config, which is never an input"
refused "a credential, even allowed and pinned" pinned 3:3 "$CRED"
refused "a credential through a symlink, allowed" link 3:3 "$CRED"
recipe credurl "sources:
  s: { url: \"file://$T/secret/token\", sha256: $SECRET_SHA }"
refused "a credential as a pinned file:// URL" credurl 3:3 "URL 'file://$T/secret/token' of source 's'" "$CRED"
cp "$T/secret/token" "$T/r/intree-token"
printf 'remote: { basic_auth_file: %s }\n' "$T/r/intree-token" >"$T/cred2.yaml"
config=(--config "$T/cred2.yaml")
recipe ovcred "images:
  img:
    size: 8M
    overlays:
      - { file: intree-token, to: /t }"
refused "a credential inside the tree as an overlay" ovcred 6:17 "credential file 'basic_auth_file'"
recipe ovcreddir "images:
  img:
    size: 8M
    overlays:
      - { dir: ., to: /t }"
refused "a directory overlay holding a credential" ovcreddir 6:16 \
	"holds the credential file 'basic_auth_file'"
printf 'remote: { s3: { credentials_file: %s } }\n' "$T/r/intree-token" >"$T/cred3.yaml"
config=(--config "$T/cred3.yaml")
refused "an s3 credentials_file inside the tree as an overlay" ovcred 6:17 \
	"credential file 'credentials_file'"
config=()
rm "$T/r/intree-token"

# FIFOs, sockets and directories where a file is expected: refused at check, at once
mkfifo "$T/r/fifo" "$T/r/fifo.yaml"
recipe fifoinc "include: [fifo.yaml]"
timeout 20 "$MVBUILD" -f fifoinc.yaml check >/dev/null 2>"$T/e"; rc=$?
check_eq "an include that is a FIFO is refused at once" "$rc:$(cat "$T/e")" \
	"2:mvbuild: fifoinc.yaml:2:11: included file 'fifo.yaml' is a FIFO, not a regular file"
recipe fifoov "images:
  img:
    size: 8M
    overlays:
      - { file: fifo, to: /f }"
timeout 20 "$MVBUILD" -f fifoov.yaml check >/dev/null 2>"$T/e"; rc=$?
check_eq "an overlay file that is a FIFO is refused at once" "$rc:$(cat "$T/e")" \
	"2:mvbuild: fifoov.yaml:6:17: file 'fifo' of overlay 1 of image 'img' is a FIFO, not a regular file"
recipe fifosrc "sources:
  s: { path: fifo }"
timeout 20 "$MVBUILD" -f fifosrc.yaml check >/dev/null 2>"$T/e"; rc=$?
check_eq "a path source that is a FIFO is refused at once" "$rc:$(cat "$T/e")" \
	"2:mvbuild: fifosrc.yaml:3:3: path 'fifo' of source 's' is a FIFO, not a regular file"
recipe fifofrag "sources:
  linux: { path: linux.tar.xz }
kernels:
  k: { source: linux, fragments: [fifo] }"
timeout 20 "$MVBUILD" -f fifofrag.yaml check >/dev/null 2>"$T/e"; rc=$?
check_eq "a kernel fragment that is a FIFO is refused at once" "$rc:$(cat "$T/e")" \
	"2:mvbuild: fifofrag.yaml:5:35: fragment 'fifo' of kernel 'k' is a FIFO, not a regular file"
recipe fifourl "sources:
  s: { url: \"file://$T/r/fifo\", sha256: $SECRET_SHA }"
timeout 20 "$MVBUILD" -f fifourl.yaml check >/dev/null 2>"$T/e"; rc=$?
check_eq "a file:// URL naming a FIFO is refused at once" "$rc" 2
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/r/sock"
recipe sock "sources:
  s: { path: sock }"
refused "a path source that is a socket" sock 3:3 "path 'sock' of source 's' is a socket, not a regular file"
recipe dirsrc "sources:
  s: { path: sub }"
refused "a path source that is a directory" dirsrc 3:3 "is a directory, not a regular file"
timeout 20 "$MVBUILD" --cache "$T/c" cache import "$T/r/fifo" >/dev/null 2>"$T/e"; rc=$?
check_eq "cache import of a FIFO is refused at once" "$rc:$(cat "$T/e")" \
	"2:mvbuild: cannot import: '$T/r/fifo' is a FIFO, not a regular file"
timeout 20 "$MVBUILD" --config "$T/cred.yaml" --cache "$T/c" cache import "$T/secret/token" >/dev/null 2>"$T/e"
rc=$?
check_eq "cache import of a credential is refused" "$rc" 2
check "the refused import stored nothing" bash -c "! grep -rqF -- '$SECRET' '$T/c'"

# the shipped recipes still pass with no machine config
for f in demo alpine; do
	mvb -f "$REPO_DIR/recipes/$f.yaml" check
	check_eq "recipes/$f.yaml passes check with no config" "$rc" 0
done

# a path holding a newline cannot inject a line into memo/digests
forged="$(printf '0%.0s' {1..64}) 1 1 1 1 1 "
mkdir -p "$T/m/ov/x
$forged/etc"
printf 'x' >"$T/m/ov/x
$forged/etc/passwd"
printf 'mvbuild: 1\nimages:\n  img:\n    size: 8M\n    overlays:\n      - { dir: ov, to: /ov }\n' \
	>"$T/m/mvbuild.yaml"
mvb -f "$T/m/mvbuild.yaml" --cache "$T/mc" build
check_eq "an overlay path holding a newline builds" "$rc" 0
check_eq "memo/digests: one entry line, the forged line never starts one" \
	"$(grep -c '' "$T/mc/memo/digests"):$(grep -c "^$forged" "$T/mc/memo/digests")" "2:0"
check_contains "memo/digests: the newline is encoded" "$(cat "$T/mc/memo/digests")" "/ov/x%0A$forged/etc/passwd"

# a path source reaches the remote only with upload_sources: true
TOKEN=trust-token-$$
mkdir -p "$T/u"
printf 'local file that may be private\n' >"$T/u/data.bin"
printf 'mvbuild: 1\nsources:\n  data: { path: data.bin }\n' >"$T/u/mvbuild.yaml"
if ! port=$("$TESTS_DIR/remote/nginx.sh" start "$T/srv" "$TOKEN"); then
	nok "nginx starts on 127.0.0.1 for the upload test"
	done_testing; exit
fi
on_exit "'$TESTS_DIR/remote/nginx.sh' stop '$T/srv'"
printf '%s\n' "$TOKEN" >"$T/utoken"
"$MVBUILD" key generate --output "$T/ci" >/dev/null 2>&1
upload_config() { # FILE UPLOAD_SOURCES
	printf 'remote:\n  url: http://127.0.0.1:%s/cache\n  upload: true\n  upload_sources: %s\n  token_file: %s\n  signing_key: %s\n  trusted_keys: [%s]\n' \
		"$port" "$2" "$T/utoken" "$T/ci.key" "$T/ci.pub" >"$1"
}
upload_config "$T/up-default.yaml" false
sed -i '/upload_sources/d' "$T/up-default.yaml"
mvb -f "$T/u/mvbuild.yaml" --config "$T/up-default.yaml" --cache "$T/uc1" build source:data
check_eq "a path source builds with a remote" "$rc" 0
check_eq "by default nothing of a path source is PUT to nginx" \
	"$(grep -c '"PUT ' "$T/srv/access.log")" 0
check "by default nginx stores no copy of the local file" \
	bash -c "! grep -rqF 'local file that may be private' '$T/srv/root' 2>/dev/null && ! ls '$T/srv/root/cache/cas' 2>/dev/null | grep -q ."
upload_config "$T/up-yes.yaml" true
mvb -f "$T/u/mvbuild.yaml" --config "$T/up-yes.yaml" --cache "$T/uc2" build source:data
check_eq "with upload_sources the build succeeds" "$rc" 0
check_eq "with upload_sources: true the blob, the signed record (cas/) and its ActionResult (ac/) are PUT" \
	"$(grep '"PUT /cache/cas/' "$T/srv/access.log" | grep -c '" 201 '):$(grep '"PUT /cache/ac/' "$T/srv/access.log" | grep -c '" 201 ')" "2:1"
check "with upload_sources: true nginx stores the blob" test -n "$(ls "$T/srv/root/cache/cas")"

done_testing
