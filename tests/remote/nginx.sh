#!/usr/bin/env bash
# Start Debian's nginx as a WebDAV cache on 127.0.0.1 for the remote-cache
# tests: files under DIR/root, GET/HEAD for anyone, PUT only with
# "Authorization: Bearer TOKEN", access log in DIR/access.log.
#
# Usage: tests/remote/nginx.sh start DIR TOKEN   prints the port
#        tests/remote/nginx.sh stop DIR
set -eu
cmd=$1 dir=$2
nginx=$(command -v nginx || echo /usr/sbin/nginx)
case $cmd in
stop)
	[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
	exit 0 ;;
start) token=$3 ;;
*) echo "usage: $0 start DIR TOKEN | stop DIR" >&2; exit 2 ;;
esac
[ -x "$nginx" ] || { echo "nginx is not installed" >&2; exit 3; }
mkdir -p "$dir/root" "$dir/tmp"
user=""
[ "$(id -u)" = 0 ] && user="user root;"
for attempt in 1 2 3 4 5; do
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$dir/nginx.conf" <<CONF
$user
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 128; }
http {
	access_log $dir/access.log;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	client_max_body_size 0;
	server {
		listen 127.0.0.1:$port;
		root $dir/root;
		location / {
			dav_methods PUT;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
			set \$auth "";
			if (\$request_method = PUT) { set \$auth "put"; }
			if (\$http_authorization != "Bearer $token") { set \$auth "\${auth}-bad"; }
			if (\$auth = "put-bad") { return 401; }
		}
	}
}
CONF
	if "$nginx" -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/start.log"; then
		for _ in $(seq 50); do
			[ -s "$dir/nginx.pid" ] && { echo "$port"; exit 0; }
			sleep 0.1
		done
	fi
done
echo "cannot start nginx (see $dir/error.log, $dir/start.log)" >&2
exit 1
