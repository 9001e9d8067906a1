#!/usr/bin/env bash
# Evacuation load (issue G2, deliverable 6): VMS guests (default 20) on
# lab6, emptied onto lab1..lab5 by one `vmigrate evacuate` at concurrency 4
# (max 2 into one host), then put back with `--return`; ROUNDS rounds
# (default 2). After every drain and every return each guest must run on
# exactly one host and be defined there only, and both runs must exit 0.
# Prints the times; exits 1 on any lost or duplicated guest or failed run.
# Run as root on Debian 12; the lab is brought up (6 hosts) if needed and
# taken down after unless it was already up.
set -euo pipefail
cd "$(dirname "$0")/../.."
vms=${VMS:-20}
rounds=${ROUNDS:-2}

# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 6
bench_inventory
bench_guests evload "$vms"
for n in "${names[@]}"; do tests/lab/lab.sh vm create lab6 "$n" --disk net --memory 64 >/dev/null; done

# census WANT_ON: every guest runs on exactly one host and is defined only
# there; with WANT_ON, that host is WANT_ON (else: not lab6).
census() {
    local n h running defined bad=0
    for n in "${names[@]}"; do
        running=() defined=()
        for h in "${hosts[@]}"; do
            case $(tests/lab/lab.sh virsh "$h" domstate "$n" 2>/dev/null || true) in
            running) running+=("$h") defined+=("$h") ;;
            "") ;;
            *) defined+=("$h") ;;
            esac
        done
        if [ "${#running[@]}" -ne 1 ] || [ "${#defined[@]}" -ne 1 ]; then
            echo "LOST OR DUPLICATED: $n runs on [${running[*]}], defined on [${defined[*]}]"
            bad=1
        elif [ -n "${1:-}" ] && [ "${running[0]}" != "$1" ]; then
            echo "NOT BACK: $n runs on ${running[0]}"
            bad=1
        elif [ -z "${1:-}" ] && [ "${running[0]}" = lab6 ]; then
            echo "NOT MOVED: $n still on lab6"
            bad=1
        fi
    done
    return $bad
}

failed=0
for ((r = 1; r <= rounds; r++)); do
    t0=$(date +%s.%N)
    "$bin" -i "$work/inventory.toml" -q evacuate lab6 --concurrency 4 --max-incoming 2 >/dev/null || { echo "round $r: evacuate exited $?"; failed=1; }
    t1=$(date +%s.%N)
    census || failed=1
    "$bin" -i "$work/inventory.toml" -q maintenance lab6 off >/dev/null
    "$bin" -i "$work/inventory.toml" -q evacuate lab6 --return --concurrency 4 --max-incoming 4 >/dev/null || { echo "round $r: return exited $?"; failed=1; }
    t2=$(date +%s.%N)
    census lab6 || failed=1
    printf 'round %d: %d VMs drained off lab6 in %.1f s, returned in %.1f s\n' "$r" "$vms" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$(awk -v a="$t1" -v b="$t2" 'BEGIN{print b-a}')"
done
[ "$failed" = 0 ] && echo "evacuation load: $rounds rounds, $vms VMs, none lost or duplicated, every run exited 0"
exit "$failed"
