#!/usr/bin/env bash
# Runs ferrohttp, ureq and reqwest against local nginx (loopback only) and
# prints one table of medians. Needs nginx, openssl, python3, strace, taskset
# and GNU time (`apt-get install nginx-light openssl strace time util-linux`).
#   benches/peers/run.sh [ROUNDS]
#
# Every round runs each scenario for every client back to back, starting
# with a different client each round, so that drifts of the machine between
# rounds fall on all clients alike. Beside the medians the script prints, for
# the sequential scenarios, the median of the per-round ratios (each client
# compared with the one that ran next to it in the same round).
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${1:-5}
WORK=$(mktemp -d /tmp/ferrohttp-peers.XXXXXX)
cargo build --release --quiet
BIN=$(pwd)/target/release/ferrohttp-peers-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTP=$(free_port); HTTPS=$(free_port); PINNED=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/www"
printf ok >"$WORK/www/file"
truncate -s 1G "$WORK/www/big"
chmod -R a+rX "$WORK"   # nginx workers run as an unprivileged user

# nginx_conf NAME WORKERS LISTEN...: one server over $WORK/www.
nginx_conf() {
    local name=$1 workers=$2
    shift 2
    mkdir -p "$WORK/$name"
    {
        echo "daemon off;"
        echo "$workers"
        echo "pid $WORK/$name/nginx.pid;"
        echo "error_log $WORK/$name/error.log warn;"
        echo "events { worker_connections 1024; }"
        echo "http {"
        echo "    access_log off;"
        for t in client_body proxy fastcgi uwsgi scgi; do
            echo "    ${t}_temp_path $WORK/$name/$t;"
        done
        echo "    keepalive_requests 1000000;"
        echo "    sendfile on;"
        echo "    client_max_body_size 0;"
        echo "    server {"
        for l in "$@"; do echo "        listen $l;"; done
        echo "        ssl_certificate $WORK/cert.pem;"
        echo "        ssl_certificate_key $WORK/key.pem;"
        echo "        root $WORK/www;"
        # Small GETs answered from memory: the server's share of a round
        # trip is as small as nginx can make it, so the clients' own costs
        # show. /file is the same two bytes as a static file (open, fstat,
        # sendfile and close per request), where nginx's work dominates.
        echo '        location = /small { return 200 "ok"; }'
        echo "        location /upload { return 204; }"
        echo "    }"
        echo "}"
    } >"$WORK/$name.conf"
}
# The main server: two workers, wherever the scheduler puts them.
nginx_conf main "worker_processes 2;" "127.0.0.1:$HTTP" "127.0.0.1:$HTTPS ssl"
# `seq-1cpu`: one worker on CPU 0, and the client pinned there too. Client
# and server then take turns on one core, with no cross-core wake-up per
# request (on this VM those cost more than either program's own work and
# vary run to run), so the rate measures the client's and nginx's own costs.
nginx_conf pinned "worker_processes 1; worker_cpu_affinity 1;" "127.0.0.1:$PINNED"
nginx -c "$WORK/main.conf" -p "$WORK/main" &
MAIN=$!
nginx -c "$WORK/pinned.conf" -p "$WORK/pinned" &
PIN=$!
trap 'kill $MAIN $PIN 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1

H="http://127.0.0.1:$HTTP"
S="https://127.0.0.1:$HTTPS"
P="http://127.0.0.1:$PINNED"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
run() { # round client scenario url [n]
    local round=$1
    shift
    local pin=()
    [ "$2" = seq-1cpu ] && pin=(taskset -c 0)
    if ! /usr/bin/time -f "rss %M" "${pin[@]}" "$BIN" "$@" >"$WORK/out.txt" 2>"$WORK/time.txt"; then
        echo "$* failed:" >&2
        tail -5 "$WORK/time.txt" >&2
        return 0
    fi
    echo "$(cat "$WORK/out.txt") $round" >>"$RESULTS"
    echo "$1 $2-rss $(awk '/^rss/ {print $2}' "$WORK/time.txt") KiB $round" >>"$RESULTS"
}
CLIENTS=(ferrohttp ureq reqwest ferrohttp-async reqwest-async bare bare-headers)
for round in $(seq "$ROUNDS"); do
    # Rotate the order: round 1 starts with ferrohttp, round 2 with ureq, ...
    k=$(( (round - 1) % ${#CLIENTS[@]} ))
    order=("${CLIENTS[@]:k}" "${CLIENTS[@]:0:k}")
    for s in seq seq-1cpu seq-file threads8 download upload https-new; do
        for c in "${order[@]}"; do
            case "$c/$s" in
                *-async/seq | *-async/seq-1cpu | *-async/threads8) ;;
                *-async/*) continue ;;   # the async clients: request rates only
                bare/https-new) continue ;;
                bare-headers/seq*) ;;    # the floor with the clients' request fields
                bare-headers/*) continue ;;
            esac
            case "$s" in
                seq) run "$round" "$c" seq "$H/small" 20000 ;;
                seq-1cpu) run "$round" "$c" seq-1cpu "$P/small" 50000 ;;
                seq-file) run "$round" "$c" seq-file "$H/file" 20000 ;;
                threads8) run "$round" "$c" threads8 "$H/small" 40000 ;;
                download) run "$round" "$c" download "$H/big" ;;
                upload) run "$round" "$c" upload "$H/upload" ;;
                https-new) run "$round" "$c" https-new "$S/small" 500 ;;
            esac
        done
    done
done
for c in ferrohttp ureq reqwest; do
    strace -f -c -o "$WORK/strace-$c.txt" "$BIN" "$c" seq "$H/small" 2000 >/dev/null
    # Sum the calls column over the syscall rows; the 2001 requests include the warm-up.
    python3 - "$WORK/strace-$c.txt" "$c" >>"$RESULTS" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith(("%", "-"))]
calls = sum(int(r[3]) for r in rows if len(r) >= 5 and r[-1] != "total" and r[3].isdigit())
print(f"{sys.argv[2]} syscalls-per-request {calls / 2001:.2f} calls 0")
PY
done
python3 - "$RESULTS" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)   # (client, scenario) -> values
by_round = {}                          # (client, scenario, round) -> value
units = {}
for line in open(sys.argv[1]):
    c, s, v, u, r = line.split()
    rows[(c, s)].append(float(v)); units[s] = u
    by_round[(c, s, r)] = float(v)
clients = ["ferrohttp", "ureq", "reqwest", "ferrohttp-async", "reqwest-async", "bare", "bare-headers"]
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
print()
print("per-round ratios, median (lowest-highest):")
for s in [s for s in scenarios if s.startswith("seq") and not s.endswith("-rss")]:
    cells = []
    for a, b in [("ferrohttp", "ureq"), ("ferrohttp", "reqwest"), ("ferrohttp", "bare"), ("ureq", "bare"),
                 ("ferrohttp", "bare-headers"), ("ureq", "bare-headers")]:
        rs = [by_round[(a, s, r)] / by_round[(b, s, r)]
              for (c, s2, r) in by_round if c == a and s2 == s and (b, s, r) in by_round]
        if rs:
            cells.append(f"{a}/{b} {statistics.median(rs):.2f} ({min(rs):.2f}-{max(rs):.2f})")
    print(f"{s:12}" + "   ".join(cells))
PY
