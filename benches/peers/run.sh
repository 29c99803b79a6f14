#!/usr/bin/env bash
# Runs ferrohttp, ureq and reqwest against one local nginx (loopback only)
# and prints one table of medians. Needs nginx, openssl, python3, strace and
# GNU time (`apt-get install nginx-light openssl strace time`).
#   benches/peers/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${1:-5}
WORK=$(mktemp -d /tmp/ferrohttp-peers.XXXXXX)
cargo build --release --quiet
BIN=$(pwd)/target/release/ferrohttp-peers-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTP=$(free_port); HTTPS=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/www"
printf ok >"$WORK/www/file"
truncate -s 1G "$WORK/www/big"
chmod -R a+rX "$WORK"   # nginx workers run as an unprivileged user
cat >"$WORK/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi;
    scgi_temp_path $WORK/scgi;
    keepalive_requests 1000000;
    sendfile on;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$HTTP;
        listen 127.0.0.1:$HTTPS ssl;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        root $WORK/www;
        # Small GETs answered from memory: the server's share of a round
        # trip is as small as nginx can make it, so the clients' own costs
        # show. /file is the same two bytes as a static file (open, fstat,
        # sendfile and close per request), where nginx's work dominates.
        location = /small { return 200 "ok"; }
        location /upload { return 204; }
    }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" &
NGINX=$!
trap 'kill $NGINX 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1

H="http://127.0.0.1:$HTTP"
S="https://127.0.0.1:$HTTPS"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
run() { # client scenario url n
    if ! /usr/bin/time -f "rss %M" "$BIN" "$@" >>"$RESULTS" 2>"$WORK/time.txt"; then
        echo "$* failed:" >&2
        tail -5 "$WORK/time.txt" >&2
        return 0
    fi
    echo "$1 $2-rss $(awk '/^rss/ {print $2}' "$WORK/time.txt") KiB" >>"$RESULTS"
}
for _ in $(seq "$ROUNDS"); do
    for c in ferrohttp ureq reqwest; do   # alternately, round by round
        run "$c" seq "$H/small" 20000
        run "$c" seq-file "$H/file" 20000
        run "$c" threads8 "$H/small" 40000
        run "$c" download "$H/big"
        run "$c" upload "$H/upload"
        run "$c" https-new "$S/small" 500
    done
    for c in ferrohttp-async reqwest-async; do
        run "$c" seq "$H/small" 20000
        run "$c" threads8 "$H/small" 40000
    done
    # No client at all: a bare socket, the floor (requests) and ceiling (transfers).
    run bare seq "$H/small" 20000
    run bare seq-file "$H/file" 20000
    run bare threads8 "$H/small" 40000
    run bare download "$H/big"
    run bare upload "$H/upload"

done
for c in ferrohttp ureq reqwest; do
    strace -f -c -o "$WORK/strace-$c.txt" "$BIN" "$c" seq "$H/small" 2000 >/dev/null
    # Sum the calls column over the syscall rows; the 2001 requests include the warm-up.
    python3 - "$WORK/strace-$c.txt" "$c" >>"$RESULTS" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith(("%", "-"))]
calls = sum(int(r[3]) for r in rows if len(r) >= 5 and r[-1] != "total" and r[3].isdigit())
print(f"{sys.argv[2]} syscalls-per-request {calls / 2001:.2f} calls")
PY
done
python3 - "$RESULTS" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
units = {}
for line in open(sys.argv[1]):
    c, s, v, u = line.split()
    rows[(c, s)].append(float(v)); units[s] = u
clients = ["ferrohttp", "ureq", "reqwest", "ferrohttp-async", "reqwest-async", "bare"]
scenarios = sorted({s for _, s in rows})
print(f"{'scenario':28}" + "".join(f"{c:>17}" for c in clients) + "   ferrohttp/ureq  ferrohttp/reqwest  ferrohttp/bare  ureq/bare")
for s in scenarios:
    med = {c: statistics.median(rows[(c, s)]) for c in clients if (c, s) in rows}
    cells = "".join(f"{med[c]:>17.1f}" if c in med else f"{'-':>17}" for c in clients)
    ratio = lambda a, b: f"{med[a] / med[b]:>15.2f}" if a in med and b in med and med[b] else f"{'-':>15}"
    print(f"{s + ' (' + units[s] + ')':28}{cells}  {ratio('ferrohttp', 'ureq')}  {ratio('ferrohttp', 'reqwest')}  {ratio('ferrohttp', 'bare')}  {ratio('ureq', 'bare')}")
print()
print("spread (lowest-highest of the rounds):")
for s in scenarios:
    if s.endswith("-rss") or s.startswith("syscalls"):
        continue
    spread = {c: (min(rows[(c, s)]), max(rows[(c, s)])) for c in clients if (c, s) in rows}
    cells = "".join(f"{f'{spread[c][0]:.0f}-{spread[c][1]:.0f}':>17}" if c in spread else f"{'-':>17}" for c in clients)
    print(f"{s + ' (' + units[s] + ')':28}{cells}")
PY
