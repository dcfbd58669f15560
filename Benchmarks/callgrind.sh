#!/usr/bin/env bash
# Instructions per delivered 1 KiB message, counted by callgrind (repeatable on a noisy machine),
# and the CPU time of a 60 s simulation. See README.md for what each figure means.
#
#   Benchmarks/callgrind.sh                    # everything, N = 100,000 (about half an hour)
#   Benchmarks/callgrind.sh driver simulate    # only some parts: driver simulate scaling cpu
#   MESSAGES=20000 Benchmarks/callgrind.sh     # a quicker, noisier-per-message run
#   NO_BUILD=1 Benchmarks/callgrind.sh ...     # reuse the binaries of the last run
#
# Parts:
#   driver    EngineDriver (Sources/EngineDriver) with N messages and with 0, at each loss in
#             LOSSES; (instructions(N) - instructions(0)) / N, both endpoints and the driver
#             counted; plus the engine's inclusive share and a breakdown per cost category.
#   simulate  `rudp simulate --messages N --size 1024 --rate unlimited --delay 1ms --loss L
#             --seed 1`, whole program / N, and the engine's inclusive instructions / N.
#   scaling   the same simulation at 0% loss with 2,000 and 20,000 messages:
#             (instructions(20,000) - instructions(2,000)) / 18,000.
#   cpu       `rudp simulate --duration 60s --seed 1` outside valgrind: user+sys CPU seconds of
#             the process, median of 3, and 60 s / that (the real-time factor); then the same
#             run's instruction count under callgrind, which load does not move.
#
# Profiles, logs and the summary (appended to) go to $OUT (default Benchmarks/.build-callgrind, not in git);
# open a profile with `callgrind_annotate FILE | swift demangle`.
#
# valgrind 3.19 cannot read the DWARF 5 debug information swiftc emits, so the binaries are run
# from `objcopy --strip-debug` copies (symbols stay, so functions are still named). `rudp` has an
# async main, whose libdispatch sigsuspend() passes a read-only mask that valgrind 3.19 writes to:
# sigsuspend_shim.c (LD_PRELOAD) hands it a writable copy.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${OUT:-$HERE/.build-callgrind}
MESSAGES=${MESSAGES:-100000}
LOSSES=${LOSSES:-"0 0.1"}
PARTS=${*:-driver simulate scaling cpu}
CATEGORIES="python3 $HERE/cg_categories.py"
mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt   # appended to by every run
echo "" >> "$SUMMARY"

say() { echo "$@" | tee -a "$SUMMARY"; }
per() { python3 -c "import sys; print(f'{($1) / $2:,.0f}')"; }

for tool in valgrind callgrind_annotate objcopy cc python3 swift; do
    command -v $tool >/dev/null || { echo "error: $tool not found (apt-get install valgrind binutils gcc python3)" >&2; exit 1; }
done

if [ -z "${NO_BUILD:-}" ]; then
    echo "building (release) ..."
    (cd "$ROOT" && swift build -c release --product rudp >/dev/null)
    (cd "$HERE" && swift build -c release --product EngineDriver >/dev/null)
    objcopy --strip-debug "$(cd "$HERE" && swift build -c release --show-bin-path)/EngineDriver" "$OUT/EngineDriver"
    objcopy --strip-debug "$(cd "$ROOT" && swift build -c release --show-bin-path)/rudp" "$OUT/rudp"
    cc -O2 -shared -fPIC -o "$OUT/sigsuspend_shim.so" "$HERE/sigsuspend_shim.c"
fi

# profile NAME COMMAND...: runs COMMAND under callgrind; fails if the program fails. A COMMAND
# of `rudp ...` runs the stripped rudp with the sigsuspend shim preloaded.
profile() {
    local name=$1
    shift
    # A fixed hash seed: Swift seeds Hasher per process, which moves the counts by ~0.1% run to run.
    local environment=(env SWIFT_DETERMINISTIC_HASHING=1)
    if [ "$1" = rudp ]; then
        shift
        set -- "$OUT/rudp" "$@"
        environment+=(LD_PRELOAD="$OUT/sigsuspend_shim.so")
    fi
    if ! "${environment[@]}" valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.callgrind" "$@" > "$OUT/$name.log" 2>&1; then
        cat "$OUT/$name.log" >&2
        echo "error: $name failed" >&2
        exit 1
    fi
}
total() { $CATEGORIES total "$OUT/$1.callgrind"; }
engine() { $CATEGORIES engine "$OUT/$1.callgrind"; }

say "==== callgrind.sh $PARTS (MESSAGES=$MESSAGES LOSSES=\"$LOSSES\")"
say "commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- Sources || echo ' (modified)'), $(date -u +%Y-%m-%dT%H:%MZ), $(swift --version 2>&1 | head -1)"
say "machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), valgrind $(valgrind --version | sed 's/valgrind-//')"

for part in $PARTS; do
    case $part in
    driver)
        for loss in $LOSSES; do
            say ""
            say "== EngineDriver --messages $MESSAGES --loss $loss (minus the same run with --messages 0)"
            profile "driver-$MESSAGES-$loss" "$OUT/EngineDriver" --messages "$MESSAGES" --loss "$loss"
            profile "driver-0-$loss" "$OUT/EngineDriver" --messages 0 --loss "$loss"
            grep -E "^(datagrams|rounds|client)" "$OUT/driver-$MESSAGES-$loss.log" | tee -a "$SUMMARY"
            with=$(total "driver-$MESSAGES-$loss"); without=$(total "driver-0-$loss")
            say "instructions: $with with messages, $without without"
            say "instructions per message, whole program: $(per "$with - $without" "$MESSAGES")"
            say "instructions per message, engine inclusive (Endpoint's public methods): $(per "$(engine "driver-$MESSAGES-$loss") - $(engine "driver-0-$loss")" "$MESSAGES")"
            $CATEGORIES breakdown --messages "$MESSAGES" "$OUT/driver-$MESSAGES-$loss.callgrind" "$OUT/driver-0-$loss.callgrind" | tee -a "$SUMMARY"
        done
        ;;
    simulate)
        for loss in $LOSSES; do
            say ""
            say "== rudp simulate --messages $MESSAGES --size 1024 --rate unlimited --delay 1ms --loss $loss --seed 1"
            profile "simulate-$MESSAGES-$loss" rudp simulate --messages "$MESSAGES" --size 1024 --rate unlimited --delay 1ms --loss "$loss" --seed 1
            grep -E "^ *[0-9.]+ .*[0-9]+$|^completed" "$OUT/simulate-$MESSAGES-$loss.log" | tee -a "$SUMMARY" || true
            with=$(total "simulate-$MESSAGES-$loss")
            say "instructions per message, whole program: $(per "$with" "$MESSAGES")"
            say "instructions per message, engine inclusive (Endpoint's public methods): $(per "$(engine "simulate-$MESSAGES-$loss")" "$MESSAGES")"
            $CATEGORIES breakdown --messages "$MESSAGES" "$OUT/simulate-$MESSAGES-$loss.callgrind" | tee -a "$SUMMARY"
        done
        ;;
    scaling)
        say ""
        say "== rudp simulate --messages 2000 and 20000 --size 1024 --rate unlimited --delay 1ms --loss 0 --seed 1"
        profile simulate-2000-0 rudp simulate --messages 2000 --size 1024 --rate unlimited --delay 1ms --loss 0 --seed 1
        profile simulate-20000-0 rudp simulate --messages 20000 --size 1024 --rate unlimited --delay 1ms --loss 0 --seed 1
        small=$(total simulate-2000-0); large=$(total simulate-20000-0)
        say "instructions: $small for 2,000, $large for 20,000"
        say "instructions per message from 2,000 to 20,000, whole program: $(per "$large - $small" 18000)"
        say "engine inclusive, same difference: $(per "$(engine simulate-20000-0) - $(engine simulate-2000-0)" 18000)"
        ;;
    cpu)
        say ""
        say "== rudp simulate --duration 60s --seed 1, user+sys CPU seconds (not under valgrind)"
        binary="$(cd "$ROOT" && swift build -c release --show-bin-path)/rudp"
        runs=()
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        for i in 1 2 3; do
            /usr/bin/time -f "%U %S" -o "$OUT/cpu-$i.time" "$binary" simulate --duration 60s --seed 1 > "$OUT/cpu-$i.log" 2>&1
            runs+=("$(awk '{ printf "%.3f", $1 + $2 }' "$OUT/cpu-$i.time")")
        done
        median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
        say "runs: ${runs[*]} s; median $median s; real-time factor $(python3 -c "print(f'{60 / $median:.0f}')")x (load average before: $load)"
        grep -E "^completed|^simulated" "$OUT/cpu-1.log" | tee -a "$SUMMARY" || true
        # The same run's instructions: a figure that the machine's load does not move.
        profile simulate-60s rudp simulate --duration 60s --seed 1
        delivered=$(grep -oE '[0-9]+ messages' "$OUT/simulate-60s.log" | head -1 | cut -d' ' -f1)
        say "instructions under callgrind: $(total simulate-60s) ($(per "$(total simulate-60s)" "$delivered") per delivered message, $delivered messages)"
        ;;
    *)
        echo "unknown part $part (driver, simulate, scaling, cpu)" >&2
        exit 2
        ;;
    esac
done
say ""
say "summary: $SUMMARY"
