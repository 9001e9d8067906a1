#!/usr/bin/env bash
# Load (issue G2): VMS guests (default 20) moved round the lab's hosts by
# CONCURRENCY (default 4) `vmigrate live` runs at once, ROUNDS (default 5)
# rounds: in each round every guest moves on to the next host. After every round
# each guest must run on exactly one host and be defined on exactly one
# host, and every run must have exited 0 — no crash, no abort. Prints the
# counts and times; exits 1 on any lost or duplicated guest, crash or
# failed run. Run as root on Debian 12; the lab is brought up if needed and
# taken down after unless it was already up. BIN=path measures another build.
set -euo pipefail
cd "$(dirname "$0")/../.."
vms=${VMS:-20}
concurrency=${CONCURRENCY:-4}
rounds=${ROUNDS:-5}

# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 3
bench_inventory
bench_guests load "$vms"

for ((i = 0; i < vms; i++)); do
    tests/lab/lab.sh vm create "${hosts[i % 3]}" "${names[i]}" --disk net --memory 64 >/dev/null
done

# census: how many hosts run and define each guest, and (host index) where
# each runs.
declare -A running defined at
census() {
    local h n i=0
    running=() defined=() at=()
    for h in "${hosts[@]}"; do
        for n in $(tests/lab/lab.sh virsh "$h" list --name); do
            running[$n]=$((${running[$n]:-0} + 1))
            at[$n]=$i
        done
        i=$((i + 1))
        for n in $(tests/lab/lab.sh virsh "$h" list --all --persistent --name); do defined[$n]=$((${defined[$n]:-0} + 1)); done
    done
}

one() { # VM HOST: one migration; appends "rc ms vm" to $work/runs
    local t0 rc=0
    t0=$(date +%s%N)
    "$bin" -i "$work/inventory.toml" -q -o json live "$1" --to "$2" >"$work/out.$1" 2>"$work/err.$1" || rc=$?
    echo "$rc $((($(date +%s%N) - t0) / 1000000)) $1" >>"$work/runs"
    if [ "$rc" -ne 0 ]; then
        echo "  $1 → $2: exit $rc: $(head -c 300 "$work/err.$1")" >>"$work/failures"
    fi
}

lost=0 duplicated=0
census
start=$(date +%s%N)
for ((r = 1; r <= rounds; r++)); do
    t0=$(date +%s%N)
    for ((i = 0; i < vms; i++)); do
        while [ "$(jobs -rp | wc -l)" -ge "$concurrency" ]; do wait -n || true; done
        # Each round every guest moves on to the next host from where it is.
        one "${names[i]}" "${hosts[(${at[${names[i]}]:-0} + 1) % 3]}" &
    done
    wait
    census
    for n in "${names[@]}"; do
        if [ "${running[$n]:-0}" -ne 1 ] || [ "${defined[$n]:-0}" -ne 1 ]; then
            echo "round $r: $n runs on ${running[$n]:-0} hosts, defined on ${defined[$n]:-0}"
            if [ "${running[$n]:-0}" -eq 0 ] || [ "${defined[$n]:-0}" -eq 0 ]; then lost=$((lost + 1)); else duplicated=$((duplicated + 1)); fi
        fi
    done
    echo "round $r: $vms migrations in $((($(date +%s%N) - t0) / 1000000)) ms"
done
total_ms=$((($(date +%s%N) - start) / 1000000))

runs=$(wc -l <"$work/runs")
failed=$(awk '$1 != 0' "$work/runs" | wc -l)
crashed=$(awk '$1 >= 128 && $1 != 130' "$work/runs" | wc -l)
mean=$(awk '{s += $2} END {printf "%.0f", s / NR}' "$work/runs")
max=$(sort -n -k2 "$work/runs" | tail -1 | awk '{print $2}')
echo "runs: $runs, failed: $failed, crashed: $crashed; guests lost: $lost, duplicated: $duplicated"
echo "wall time: $total_ms ms for $rounds rounds at concurrency $concurrency; per run: mean $mean ms, max $max ms"
[ -f "$work/failures" ] && cat "$work/failures"
[ "$failed" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$duplicated" -eq 0 ]
