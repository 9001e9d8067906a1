#!/usr/bin/env bash
# Benchmark for the transport options against the two dirtying guests
# (issue I, item 5): the lab's memory-sweeping guest in each --dirty-mode
#   counter  one byte changed per page (XBZRLE's best case), and
#   random   every page rewritten with pseudo-random data (its worst case),
# each migrated with bare `virsh migrate --live --p2p` at --bandwidth
# $BANDWIDTH MiB/s
#   1. plain pre-copy, aborted after $LIMIT_PLAIN s (`virsh domjobabort`:
#      virsh 9 has no abort-on-timeout),
#   2. --auto-converge, aborted after $LIMIT s,
#   3. XBZRLE (--compressed --comp-methods xbzrle --comp-xbzrle-cache 64 MiB),
#      aborted after $LIMIT s.
# Prints, per run, the time to finish (or "did not converge"), iterations,
# downtime and XBZRLE's cache misses/overflows, then a Markdown table; the
# guest's memory pattern is checked after every run. Before the runs it
# prints each guest's dirty rate as QEMU measures it (domdirtyrate-calc).
# Not vmigrate: this measures what libvirt and QEMU do on their own.
# Settings (environment): MIB (swept range, default 100), MEMORY (guest MiB,
# 128), BANDWIDTH (20), LIMIT_PLAIN (60), LIMIT (180), MODES ("counter
# random"), METHODS ("plain auto-converge xbzrle").
# Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/../.."
vm=bench-xbzrle-vm
mib=${MIB:-100}
memory=${MEMORY:-128}
bw=${BANDWIDTH:-20}
limit_plain=${LIMIT_PLAIN:-60}
limit=${LIMIT:-180}
read -r -a modes <<<"${MODES:-counter random}"
read -r -a methods <<<"${METHODS:-plain auto-converge xbzrle}"
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab_only 2 "$vm"
bench_inventory

ms() { echo $(($(date +%s%N) / 1000000)); }
where() { tests/lab/lab.sh virsh "$1" domstate "$vm" 2>/dev/null || echo absent; }
vm_on() { if [ "$(where lab1)" = running ]; then echo lab1; else echo lab2; fi; }
other() { if [ "$1" = lab1 ]; then echo lab2; else echo lab1; fi; }
uri() { echo "qemu+ssh://root@$(tests/lab/lab.sh addr "$1")/system?keyfile=$key&no_tty=1"; }
field() { sed -n "s/^$1: *\([0-9.]*\).*/\1/p" "$2" | head -n 1; } # FIELD FILE: a domjobinfo number

# The guest's dirty rate as QEMU samples it (1 s windows, three of them).
dirty_rate() {
    local h rates=() i
    h=$(vm_on)
    for i in 1 2 3; do
        tests/lab/lab.sh virsh "$h" domdirtyrate-calc "$vm" --seconds 1 >/dev/null
        sleep 1.3
        rates+=("$(tests/lab/lab.sh virsh "$h" domstats --dirtyrate "$vm" |
            sed -n 's/^ *dirtyrate.megabytes_per_second=//p')")
    done
    echo "${rates[*]}"
}

# run MODE METHOD: one migration of the guest to the other host; appends a
# table row to $work/rows.
run() {
    local mode=$1 method=$2 src dst lim t0 pid outcome it dt miss ovf rate
    local -a extra=()
    case $method in
    plain) lim=$limit_plain ;;
    auto-converge) lim=$limit extra=(--auto-converge) ;;
    # --comp-xbzrle-cache is in bytes.
    xbzrle) lim=$limit extra=(--compressed --comp-methods xbzrle --comp-xbzrle-cache $((64 << 20))) ;;
    esac
    src=$(vm_on)
    dst=$(other "$src")
    echo "== $mode, $method, --bandwidth $bw, limit $lim s: $src -> $dst"
    rm -f "$work/job" "$work/job.src" "$work/virsh.out"
    t0=$(ms)
    virsh -c "$(uri "$src")" migrate --live --p2p --persistent --undefinesource "$vm" "$(uri "$dst")" \
        --migrateuri "tcp://$(tests/lab/lab.sh addr "$dst")" --bandwidth "$bw" "${extra[@]}" \
        >"$work/virsh.out" 2>&1 &
    pid=$!
    # The source's job statistics, sampled while it runs: the last sample
    # holds the iterations, dirty rate and XBZRLE counters of a run that is
    # then aborted (its domain, and the job, are gone from the source once
    # it finishes).
    while kill -0 "$pid" 2>/dev/null && [ $(($(ms) - t0)) -lt $((lim * 1000)) ]; do
        virsh -c "$(uri "$src")" domjobinfo "$vm" >"$work/job.new" 2>/dev/null &&
            grep -q '^Job type: *Unbounded' "$work/job.new" && mv -f "$work/job.new" "$work/job.src"
        sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
        virsh -c "$(uri "$src")" domjobabort "$vm" >/dev/null 2>&1 || true
        wait "$pid" || true
        outcome="did not converge in $lim s"
        cp "$work/job.src" "$work/job" 2>/dev/null || true
    elif wait "$pid"; then
        outcome="$(awk -v t="$(($(ms) - t0))" 'BEGIN { printf "%.1f s", t / 1000 }')"
        # The destination keeps the finished job's statistics.
        virsh -c "$(uri "$dst")" domjobinfo --completed "$vm" >"$work/job" 2>/dev/null || true
    else
        outcome="failed: $(tr '\n' ' ' <"$work/virsh.out" | cut -c1-120)"
    fi
    touch "$work/job" "$work/job.src"
    it=$(field Iteration "$work/job")
    dt=$(field 'Total downtime' "$work/job")
    miss=$(field 'Compression cache misses' "$work/job")
    ovf=$(field 'Compression overflows' "$work/job")
    rate=$(field 'Dirty rate' "$work/job.src")
    echo "$outcome; iterations ${it:--}, downtime ${dt:--} ms, dirty rate ${rate:--} pages/s (last sample), XBZRLE cache misses ${miss:--}, overflows ${ovf:--}"
    tests/lab/lab.sh vm pattern "$(vm_on)" "$vm"
    printf '| %s | %s | %s | %s | %s | %s |\n' "$mode" "$method" "$outcome" "${it:--}" "${dt:--}" \
        "${miss:--} / ${ovf:--}" >>"$work/rows"
}

: >"$work/rows"
for mode in "${modes[@]}"; do
    bench_remove_vm
    tests/lab/lab.sh vm create lab1 "$vm" --disk net --memory "$memory" --dirty "$mib" --dirty-mode "$mode" >/dev/null
    echo
    echo "#### $mode mode: ${mib} MiB swept in a ${memory} MiB guest; QEMU's dirty rate (MiB/s): $(dirty_rate)"
    for method in "${methods[@]}"; do run "$mode" "$method"; done
done
echo
echo "| mode ($mib MiB swept) | method (--bandwidth $bw) | result | iterations | downtime ms | XBZRLE misses / overflows |"
echo "|---|---|---|---|---|---|"
cat "$work/rows"
