#!/usr/bin/env bash
# https against a TLS fault server on 127.0.0.1 with a self-signed
# certificate: refused by default (verification is on), accepted with
# MVBUILD_FETCH_CA_BUNDLE naming that certificate.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/fetch/server.sh"

mkdir -p "$T/root"
head -c 100000 /dev/urandom >"$T/root/data.bin"
if ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null; then
	skip "https tests" "openssl cannot make a test certificate"
	done_testing; exit
fi
start_fault_server "$T/root" --tls "$T/cert.pem" "$T/key.pem"
u=$FAULT_URL/files/data.bin
sha256=$(sha256sum "$T/root/data.bin" | cut -d' ' -f1)

mvb fetch --print-checksums "$u"
check_eq "a self-signed certificate is refused" "$rc" 1
check_contains "with libcurl's reason" "$errout" "SSL certificate problem"

MVBUILD_FETCH_CA_BUNDLE=$T/cert.pem mvb fetch --print-checksums "$u"
check_eq "MVBUILD_FETCH_CA_BUNDLE trusts it" "$rc" 0
check_contains "and the download is right" "$out" "$u sha256 $sha256"

done_testing
