#!/usr/bin/env bash
# Exit-cleanliness soak (issue G1): runs the release `vmigrate -o json hosts`
# RUNS times (default 1000) against the lab, three at a time, and counts the
# runs that ended abnormally — killed by a signal (abort at exit, segfault)
# or with an exit code other than 0. Also times the runs. Prints the counts;
# exits 1 when any run was abnormal.
# Run as root on Debian 12 (the lab is brought up if needed, and taken down
# after unless it was already up). BIN=path measures another build.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-1000}

# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 3
bench_inventory
bin=${BIN:-target/release/vmigrate}

one() { # prints the exit status of one run (128+N for signal N)
    local rc=0
    "$bin" -i "$work/inventory.toml" -o json hosts >/dev/null 2>>"$work/stderr" || rc=$?
    echo "$rc"
}
t0=$(date +%s%N)
for ((i = 0; i < runs; i += 3)); do
    one >>"$work/codes" &
    one >>"$work/codes" &
    one >>"$work/codes" &
    wait
done
t1=$(date +%s%N)
echo "== $bin: $(wc -l <"$work/codes") runs in $(((t1 - t0) / 1000000)) ms, three at a time"
sort -n "$work/codes" | uniq -c | while read -r n code; do
    echo "exit $code: $n"
done
bad=$(grep -cv '^0$' "$work/codes" || true)
echo "abnormal: $bad"
[ "$bad" -eq 0 ] || { grep -v '^$' "$work/stderr" | sort | uniq -c | sort -rn | head -5; exit 1; }
