#!/usr/bin/env bash
# A stand-in for pkg-config, dpkg-query, dpkg and apt-get that simulates a
# fresh Debian machine without the -dev packages (tests/e2e/newcomer_fresh_machine.sh).
# Installed as each of those names in a directory put first on PATH; until the
# stub apt-get "installs" something, the -dev packages are missing: dpkg-query
# and dpkg say so and pkg-config knows none of them.  After that, every call
# passes through to the real tool.  FRESH_STATE is the directory holding the
# "installed" marker and the log of apt-get calls.
set -u
: "${FRESH_STATE:?set FRESH_STATE}"
me=$(basename "$0")
installed=$FRESH_STATE/installed
real() {
	local d
	for d in /usr/local/bin /usr/bin /bin; do
		[ -x "$d/$me" ] && exec "$d/$me" "$@"
	done
	echo "$me: no real $me" >&2
	exit 127
}
case $me in
apt-get)
	echo "apt-get $*" >>"$FRESH_STATE/apt.log"
	for a in "$@"; do [ "$a" = install ] && touch "$installed"; done
	exit 0 ;;
esac
[ -e "$installed" ] && real "$@"
case $me in
pkg-config)
	echo "Package requested by '$*' was not found in the pkg-config search path." >&2
	exit 1 ;;
dpkg-query|dpkg)
	for a in "$@"; do
		case $a in
		*-dev)
			echo "dpkg-query: no packages found matching $a" >&2
			exit 1 ;;
		esac
	done
	real "$@" ;;
esac
real "$@"
