#!/usr/bin/env bash
# Starts the real proxies of the proxy interop tests on 127.0.0.1, each
# allowing loopback destinations only: squid (forward and CONNECT, plain;
# with Basic auth; with Digest auth; as an HTTPS proxy), tinyproxy, dante
# (SOCKS4, SOCKS4a, SOCKS5, SOCKS5 with names resolved by the proxy) and
# microsocks (SOCKS5 with username/password).
#
# Usage: start_proxies.sh DIR TLS_DIR
#   DIR      a fresh directory for configs, logs and the "ports" file
#   TLS_DIR  the CI's TLS material (.ci/gen_tls.py): server.pem/server.key
#            for 127.0.0.1 and localhost, signed by ca.pem
# Prints the daemons' PIDs, one per line, for the caller to stop.
set -euo pipefail
DIR=$1
TLS=$2
mkdir -p "$DIR"
chmod 777 "$DIR"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P_SQUID=$(free_port); P_SQUID_AUTH=$(free_port); P_SQUID_TLS=$(free_port)
P_SQUID_DIGEST=$(free_port); P_TINY=$(free_port); P_DANTE=$(free_port); P_MICRO=$(free_port)

# Credentials: Basic as MD5-crypt (basic_ncsa_auth), Digest in plain text.
python3 -W ignore - "$DIR" <<'EOF'
import crypt, sys
d = sys.argv[1]
hashed = crypt.crypt("sq pass", crypt.mksalt(crypt.METHOD_MD5))
open(f"{d}/basic.passwd", "w").write(f"squser:{hashed}\n")
open(f"{d}/digest.passwd", "w").write("dguser:dg pass\n")
EOF
# squid reads the key as its unprivileged user.
cp "$TLS/server.pem" "$TLS/server.key" "$TLS/ca.pem" "$DIR/"
chmod 644 "$DIR"/*

squid_conf() { # name, auth lines, ports lines
    cat >"$DIR/$1.conf" <<EOF
$3
$2
acl localdst dst 127.0.0.0/8
acl CONNECT method CONNECT
http_access deny !localdst
http_access allow localdst ${4:-}
http_access deny all
cache deny all
cache_mem 8 MB
pid_filename $DIR/$1.pid
access_log stdio:$DIR/$1.access.log
cache_log $DIR/$1.cache.log
coredump_dir $DIR
shutdown_lifetime 0 seconds
visible_hostname ferrohttp-ci
# Marks what went through squid (httpbin does not echo Via).
request_header_add X-Ci-Proxy squid all
EOF
}
# One squid for the plain, Basic-auth and TLS ports (auth by port name),
# one for Digest (squid offers every configured scheme on each port).
squid_conf squid "auth_param basic program /usr/lib/squid/basic_ncsa_auth $DIR/basic.passwd
auth_param basic realm ferrohttp-ci
acl users proxy_auth REQUIRED
acl authport myportname authport
http_access deny authport !users" "http_port 127.0.0.1:$P_SQUID
http_port 127.0.0.1:$P_SQUID_AUTH name=authport
https_port 127.0.0.1:$P_SQUID_TLS tls-cert=$DIR/server.pem tls-key=$DIR/server.key"
squid_conf squid-digest "auth_param digest program /usr/lib/squid/digest_file_auth $DIR/digest.passwd
auth_param digest realm ferrohttp-ci
acl users proxy_auth REQUIRED" "http_port 127.0.0.1:$P_SQUID_DIGEST" users

cat >"$DIR/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port $P_TINY
Listen 127.0.0.1
Timeout 60
MaxClients 20
Allow 127.0.0.1
Filter "$DIR/tinyproxy.filter"
FilterDefaultDeny Yes
FilterType ere
LogLevel Warning
PidFile "$DIR/tinyproxy.pid"
EOF
printf '^127\\.0\\.0\\.1$\n^localhost$\n' >"$DIR/tinyproxy.filter"

cat >"$DIR/danted.conf" <<EOF
logoutput: $DIR/danted.log
internal: 127.0.0.1 port = $P_DANTE
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
    from: 127.0.0.0/8 to: 0.0.0.0/0
}
socks pass {
    from: 127.0.0.0/8 to: 127.0.0.0/8
    command: connect
}
socks block {
    from: 0.0.0.0/0 to: 0.0.0.0/0
}
EOF

/usr/sbin/squid -N -f "$DIR/squid.conf" >"$DIR/squid.out" 2>&1 &
echo $!
/usr/sbin/squid -N -f "$DIR/squid-digest.conf" >"$DIR/squid-digest.out" 2>&1 &
echo $!
/usr/bin/tinyproxy -d -c "$DIR/tinyproxy.conf" >"$DIR/tinyproxy.out" 2>&1 &
echo $!
/usr/sbin/danted -f "$DIR/danted.conf" -p "$DIR/danted.pid" >"$DIR/danted.out" 2>&1 &
echo $!
/usr/bin/microsocks -i 127.0.0.1 -p "$P_MICRO" -u msuser -P "ms pass" >"$DIR/microsocks.out" 2>&1 &
echo $!

cat >"$DIR/ports" <<EOF
squid=$P_SQUID
squid_auth=$P_SQUID_AUTH
squid_tls=$P_SQUID_TLS
squid_digest=$P_SQUID_DIGEST
tinyproxy=$P_TINY
dante=$P_DANTE
microsocks=$P_MICRO
EOF

# Wait until every port accepts connections (squid takes a moment).
for port in $P_SQUID $P_SQUID_AUTH $P_SQUID_TLS $P_SQUID_DIGEST $P_TINY $P_DANTE $P_MICRO; do
    for _ in $(seq 1 100); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$port" 2>/dev/null && break
        sleep 0.2
    done
done
