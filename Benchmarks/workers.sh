#!/bin/sh
# Echo throughput of `rudp echo-server --workers 2` against `--workers 1` (issue 15 point 4):
# alternating runs of a release binary, medians. Each run starts a fresh server, then one
# `rudp echo-client` with CONNECTIONS connections each sending REPEAT messages of SIZE bytes
# (sending and receiving at once), and takes the replies' MB/s it prints.
#
#   swift build -c release --product rudp
#   Benchmarks/workers.sh            # RUNS=5 CONNECTIONS=8 REPEAT=4000 SIZE=1000 by default
#   PROCESSES=1 Benchmarks/workers.sh   # the workers as processes (--processes)
set -eu
RUDP=${RUDP:-.build/release/rudp}
RUNS=${RUNS:-5}
CONNECTIONS=${CONNECTIONS:-8}
REPEAT=${REPEAT:-4000}
SIZE=${SIZE:-1000}
MODE=""
[ "${PROCESSES:-0}" = 1 ] && MODE="--processes"
NAME=$(head -c "$SIZE" /dev/zero | tr '\0' x)
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

run() {   # $1 = workers; prints MB/s
    extra=""
    [ "$1" -gt 1 ] && extra="$MODE"
    : >"$OUT"   # before the server starts: never read the last run's port
    "$RUDP" echo-server --port 0 --workers "$1" $extra >"$OUT" 2>&1 &
    server=$!
    port=""
    for _ in $(seq 1 500); do
        port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$OUT")
        [ -n "$port" ] && break
        sleep 0.01
    done
    sleep 0.2   # worker processes start
    "$RUDP" echo-client --port "$port" --timeout 30 --connections "$CONNECTIONS" --repeat "$REPEAT" "$NAME" |
        sed -n 's/.*: \([0-9.]*\) MB\/s of replies/\1/p'
    kill -INT "$server"
    wait "$server" || true
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

one=""; two=""
for i in $(seq 1 "$RUNS"); do
    a=$(run 1); b=$(run 2)
    echo "run $i: --workers 1 $a MB/s, --workers 2 $b MB/s"
    one="$one $a"; two="$two $b"
done
m1=$(echo "$one" | tr ' ' '\n' | grep . | median)
m2=$(echo "$two" | tr ' ' '\n' | grep . | median)
echo "median of $RUNS: --workers 1 $m1 MB/s, --workers 2 $m2 MB/s, ratio $(echo "$m2 $m1" | awk '{ printf "%.2f", $1 / $2 }') ($CONNECTIONS connections x $REPEAT messages of $SIZE bytes${MODE:+, $MODE}); load average $(cut -d' ' -f1-3 /proc/loadavg)"
