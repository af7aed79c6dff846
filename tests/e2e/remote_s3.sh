#!/usr/bin/env bash
# The remote cache in S3-compatible object storage (s3://BUCKET/PREFIX),
# against npm's s3rver on 127.0.0.1 (`make test-deps`; SKIP only without
# npm): a CI build uploads the same ac/ and cas/ objects under the prefix
# (credentials from an AWS-style file); a reader with an empty cache and
# the credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY fetches them
# and builds nothing; wrong credentials and a missing bucket are clear
# warnings and the build goes on locally; bad settings are usage errors;
# signatures (with a session token) verify on tests/remote/s3_sigv4.py and
# a wrong secret is refused there; the secret is never printed.
. "$(dirname "$0")/../lib.sh"

SECRET=s3-secret-$$-never-printed
mkdir -p "$T/r"
small_image_recipe "$T/r"
echo "s3" >"$T/r/overlay/etc/hostname"
cd "$T/r"
port=$("$TESTS_DIR/remote/s3rver.sh" start "$T/s3" mvb 2>"$T/s3.err"); st=$?
if [ $st = 3 ]; then
	skip "S3 remote" "npm is not installed"
	done_testing; exit
fi
on_exit "'$TESTS_DIR/remote/s3rver.sh' stop '$T/s3'"
check_eq "s3rver starts on 127.0.0.1 (installed by make test-deps)" "$st" 0
[ $st = 0 ] || { diag "$(cat "$T/s3.err")"; done_testing; exit 1; }
END=http://127.0.0.1:$port
"$MVBUILD" key generate --output "$T/ci" >/dev/null 2>&1
printf '[other]\naws_access_key_id = NOTTHIS\n\n[default]\naws_access_key_id = S3RVER\naws_secret_access_key = %s\n' \
	"$SECRET" >"$T/aws-credentials"
cat >"$T/ci.yaml" <<Y
remote:
  url: s3://mvb/team/cache
  upload: true
  upload_sources: true
  signing_key: $T/ci.key
  trusted_keys: [$T/ci.pub]
  s3: { endpoint: $END, region: eu-west-1, credentials_file: $T/aws-credentials }
Y
cat >"$T/reader.yaml" <<Y
remote: { url: s3://mvb/team/cache, trusted_keys: [$T/ci.pub], s3: { endpoint: $END } }
Y
events() { grep -o '"event":"[a-z]*","node":"[^"]*"' <<<"$errout" | sed 's/"event":"\([a-z]*\)","node":"\([^"]*\)"/\1 \2/' | sort | tr '\n' ' '; }
allerr=$T/all-stderr
keep() { printf '%s\n' "$errout" >>"$allerr"; }
# the bucket's keys, listed with the same signing mvbuild uses
keys() {
	curl -sf --aws-sigv4 "aws:amz:eu-west-1:s3" -u "S3RVER:$SECRET" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$END/mvb?list-type=2&prefix=$1" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'
}

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
mvb --config "$T/ci.yaml" --cache "$T/c" --json build image:small; keep
check_eq "CI build with an s3:// remote succeeds" "$rc" 0
check_contains "CI uploads both entries" "$(events)" "uploaded image:small uploaded source:rootfs"
check_eq "the bucket holds 2 action entries under team/cache/ac/" "$(keys team/cache/ac/ | wc -l)" 2
check_eq "and 5 objects under team/cache/cas/ (3 outputs, 2 signed records)" \
	"$(keys team/cache/cas/ | wc -l)" 5
check_eq "nothing outside the prefix" "$(keys '' | grep -vc '^team/cache/')" 0

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$SECRET
mvb --config "$T/reader.yaml" --cache "$T/c2" --json build image:small; keep
check_eq "reader with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY succeeds" "$rc" 0
check_eq "reader fetches the image from S3 and runs no builder" "$(events)" \
	"cached image:small fetched image:small "
img=$(sed -n 's/.*"output":"rootfs.ext4","path":"\([^"]*\)".*/\1/p' <<<"$out")
check "the fetched image passes e2fsck -fn" bash -c "e2fsck -fn '$img' >/dev/null 2>&1"

export AWS_ACCESS_KEY_ID=WRONGKEY
mvb --config "$T/reader.yaml" --cache "$T/c3" --json build image:small; keep
check_eq "wrong credentials: the build succeeds" "$rc" 0
check_contains "wrong credentials: built locally" "$(events)" "built image:small"
check_contains "wrong credentials: a clear warning" "$errout" \
	"answered HTTP 403 InvalidAccessKeyId: the credentials from AWS_ACCESS_KEY_ID were refused; building without it"
check_eq "wrong credentials: one warning" "$(grep -c 'building without it' <<<"$errout")" 1
export AWS_ACCESS_KEY_ID=S3RVER

mvb --remote s3://nobucket/x --config "$T/reader.yaml" --cache "$T/c4" --json build image:small; keep
check_eq "missing bucket: the build succeeds" "$rc" 0
check_contains "missing bucket: built locally" "$(events)" "built image:small"
check_contains "missing bucket: a clear warning" "$errout" "remote cache s3://nobucket/x: GET ac/"
check_contains "missing bucket: names the bucket and the endpoint" "$errout" \
	"the bucket 'nobucket' does not exist at $END; building without it"
sed 's|s3://mvb/team/cache|s3://nobucket/up|' "$T/ci.yaml" >"$T/ci-nobucket.yaml"
mvb --config "$T/ci-nobucket.yaml" --cache "$T/c" --json build image:small; keep
check_eq "missing bucket, uploading: the build succeeds" "$rc" 0
check_contains "missing bucket, uploading: a clear warning" "$errout" \
	"the bucket 'nobucket' does not exist"

unset AWS_ACCESS_KEY_ID
mvb --config "$T/reader.yaml" --cache "$T/c5" build image:small; keep
check_eq "half the AWS variables: a usage error" "$rc" 2
check_contains "half the AWS variables: says which is missing" "$errout" \
	"AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
unset AWS_SECRET_ACCESS_KEY
mvb --remote s3://A_B/x --cache "$T/c5" build image:small; keep
check_eq "a bad bucket name: a usage error" "$rc" 2
check_contains "a bad bucket name: says why" "$errout" "the bucket name must be"
printf '[default]\naws_access_key_id = S3RVER\n' >"$T/half-credentials"
printf 'remote: { url: s3://mvb/x, s3: { credentials_file: %s } }\n' "$T/half-credentials" >"$T/half.yaml"
mvb --config "$T/half.yaml" --cache "$T/c5" build image:small; keep
check_eq "a credentials file without the secret: a usage error" "$rc" 2
check_contains "a credentials file without the secret: says what is missing" "$errout" \
	"has no aws_access_key_id and aws_secret_access_key in its [default] section"
printf 'remote: { url: s3://mvb/x, s3: { endpoit: %s } }\n' "$END" >"$T/typo.yaml"
mvb --config "$T/typo.yaml" --cache "$T/c5" build image:small; keep
check_eq "an unknown s3 key: a usage error" "$rc" 2
check_contains "an unknown s3 key: did you mean" "$errout" "did you mean 'endpoint'"

# the signatures themselves, checked by tests/remote/s3_sigv4.py (SigV4 from
# the AWS specification; s3rver does not check them), with a session token
python3 "$TESTS_DIR/remote/s3_sigv4.py" AKIDSIGV4 "$SECRET" "tok-$$" >"$T/sig.port" 2>"$T/sig.log" &
sig_pid=$!
on_exit "kill $sig_pid 2>/dev/null"
for _ in $(seq 50); do [ -s "$T/sig.port" ] && break; sleep 0.1; done
# the environment's credentials win over the config's credentials_file (S3RVER)
sed "s|endpoint: $END|endpoint: http://127.0.0.1:$(cat "$T/sig.port")|" "$T/ci.yaml" >"$T/sig.yaml"
export AWS_ACCESS_KEY_ID=AKIDSIGV4 AWS_SECRET_ACCESS_KEY=$SECRET AWS_SESSION_TOKEN=tok-$$
mvb --config "$T/sig.yaml" --cache "$T/s1" --json build image:small; keep
check_contains "SigV4: uploads to a server that verifies signatures" "$(events)" \
	"uploaded image:small uploaded source:rootfs"
mvb --config "$T/sig.yaml" --cache "$T/s2" --json build image:small; keep
check_eq "SigV4: a second cache fetches from it" "$(events)" "cached image:small fetched image:small "
check_eq "SigV4: every HEAD, GET and PUT verified, with the session token" \
	"$(grep -vc ' ok$' "$T/sig.log"):$(grep -c '^PUT .* ok$' "$T/sig.log")" "0:7"
export AWS_SECRET_ACCESS_KEY=wrong-secret
mvb --config "$T/sig.yaml" --cache "$T/s3c" --json build image:small; keep
check_eq "SigV4: a wrong secret, the build succeeds" "$rc" 0
check_contains "SigV4: a wrong secret is refused by its signature" "$errout" \
	"answered HTTP 403 SignatureDoesNotMatch"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

diag "$(grep -h "remote cache" "$allerr" | sort -u)"
check "the secret is never printed" bash -c "! grep -q -- '$SECRET' '$allerr'"
done_testing
