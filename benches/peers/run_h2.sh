#!/usr/bin/env bash
# HTTP/2 rows: ferrohttp (blocking and async) over HTTP/2 and HTTP/1.1, and
# reqwest over HTTP/2 (blocking and async), against one local nginx with
# `listen ... ssl http2` (loopback only). Needs nginx, openssl, python3.
#   benches/peers/run_h2.sh [ROUNDS]
# Scenarios: threads8 (small GETs from 8 threads or tasks sharing a client),
# download (1 GiB), streams100 (100 downloads of 10 MiB at once: peak RSS),
# all against nginx; download-hyper (1 GiB) against src/bin/h2serve.rs, a
# one-thread hyper server over rustls that does the least a TLS server can
# per byte over both protocols (nginx's worker is this machine's bottleneck
# for the download, and its HTTP/2 costs it more than its HTTP/1.1).
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${1:-3}
WORK=$(mktemp -d /tmp/ferrohttp-h2.XXXXXX)
cargo build --release --quiet --bin h2 --bin h2serve
BIN="${CARGO_TARGET_DIR:-$(pwd)/target}/release/h2"
SERVE="${CARGO_TARGET_DIR:-$(pwd)/target}/release/h2serve"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
HPORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/www" "$WORK/nginx"
truncate -s 1G "$WORK/www/big"
# Read once, so that the first client measured does not pay for filling
# the page cache (it did: 190-230 MB/s against 800+ after).
cat "$WORK/www/big" >/dev/null
head -c 10485760 /dev/zero >"$WORK/www/10m"
chmod -R a+rX "$WORK"
cat >"$WORK/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    keepalive_requests 1000000;
    sendfile on;
    server {
        listen 127.0.0.1:$PORT ssl http2;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        root $WORK/www;
        location = /small { return 200 "ok"; }
    }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK/nginx" &
NGINX=$!
"$SERVE" "$WORK/cert.pem" "$WORK/key.pem" "127.0.0.1:$HPORT" >"$WORK/h2serve.out" &
HYPER=$!
trap 'kill $NGINX $HYPER 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1
U="https://127.0.0.1:$PORT"
H="https://127.0.0.1:$HPORT"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
CLIENTS=(ferrohttp-h2 ferrohttp-h1 reqwest-h2 ferrohttp-async-h2 ferrohttp-async-h1 reqwest-async-h2)
for round in $(seq "$ROUNDS"); do
    k=$(( (round - 1) % ${#CLIENTS[@]} ))
    order=("${CLIENTS[@]:k}" "${CLIENTS[@]:0:k}")
    for s in threads8 download download-hyper streams100; do
        for c in "${order[@]}"; do
            case "$s" in
                threads8) args=("$U/small" 40000) ;;
                download) args=("$U/big") ;;
                download-hyper) args=("$H/big") ;;
                streams100) args=("$U/10m") ;;
            esac
            if out=$("$BIN" "$c" "${s%-hyper}" "${args[@]}" 2>"$WORK/err.txt"); then
                echo "$out" | awk -v r="$round" -v s="$s" '{print $1, s, $3, $4, r}' >>"$RESULTS"
            else
                echo "$c $s failed: $(grep -m1 -A2 panicked "$WORK/err.txt")" >&2
            fi
        done
    done
done
python3 - "$RESULTS" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
units = {}
for line in open(sys.argv[1]):
    c, s, v, u, r = line.split()
    rows[(c, s)].append(float(v)); units[s] = u
clients = ["ferrohttp-h2", "ferrohttp-h1", "reqwest-h2", "ferrohttp-async-h2", "ferrohttp-async-h1", "reqwest-async-h2"]
print(f"{'scenario':24}" + "".join(f"{c:>20}" for c in clients))
for s in ["threads8", "download", "download-hyper", "streams100"]:
    med = {c: statistics.median(rows[(c, s)]) for c in clients if (c, s) in rows}
    print(f"{s + ' (' + units.get(s, '?') + ')':24}" + "".join(f"{med[c]:>20.1f}" if c in med else f"{'-':>20}" for c in clients))
by_round = {}
for line in open(sys.argv[1]):
    c, s, v, u, r = line.split()
    by_round[(c, s, r)] = float(v)
print()
print("per-round ratios, median (lowest-highest):")
for s in ["threads8", "download", "download-hyper", "streams100"]:
    cells = []
    for a, b in [("ferrohttp-h2", "ferrohttp-h1"), ("ferrohttp-h2", "reqwest-h2"),
                 ("ferrohttp-async-h2", "ferrohttp-async-h1"), ("ferrohttp-async-h2", "reqwest-async-h2")]:
        rs = [by_round[(a, s, r)] / by_round[(b, s, r)]
              for (c, s2, r) in by_round if c == a and s2 == s and (b, s, r) in by_round]
        if rs:
            cells.append(f"{a}/{b} {statistics.median(rs):.2f} ({min(rs):.2f}-{max(rs):.2f})")
    print(f"{s:12}" + "   ".join(cells))
print()
print("spread (lowest-highest):")
for s in ["threads8", "download", "download-hyper", "streams100"]:
    cells = "".join(f"{f'{min(rows[(c, s)]):.0f}-{max(rows[(c, s)]):.0f}':>20}" if (c, s) in rows else f"{'-':>20}" for c in clients)
    print(f"{s:24}{cells}")
PY
