# Helpers for the fetch end-to-end tests (source after tests/lib.sh).
# start_fault_server ROOT [--tls CERT KEY]: serve ROOT with
# tests/fetch/fault_server.py on a free port of 127.0.0.1; sets FAULT_PORT,
# FAULT_URL and FAULT_LOG and kills the server at exit.  Proxies are
# disabled so nothing leaves 127.0.0.1.
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export no_proxy=127.0.0.1

start_fault_server() {
	local root=$1 port_file=$T/.fault-port scheme=http
	shift
	[ "${1:-}" = --tls ] && scheme=https
	FAULT_LOG=$T/fault-requests.log
	: >"$FAULT_LOG"
	python3 "$TESTS_DIR/fetch/fault_server.py" --root "$root" --port-file "$port_file" \
		--log "$FAULT_LOG" "$@" &
	fault_pid=$!
	on_exit "kill $fault_pid 2>/dev/null; wait $fault_pid 2>/dev/null"
	local i
	for i in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.05; done
	FAULT_PORT=$(cat "$port_file")
	FAULT_URL=$scheme://127.0.0.1:$FAULT_PORT
}

# requests NEEDLE: how many logged requests contain NEEDLE
requests() { grep -c -- "$1" "$FAULT_LOG" || true; }

# fast failure in tests: short timeouts, one quick retry
export MVBUILD_FETCH_TIMEOUT=5 MVBUILD_FETCH_LOW_SPEED_TIME=1 MVBUILD_FETCH_RETRIES=1 \
	MVBUILD_FETCH_BACKOFF=0.05
