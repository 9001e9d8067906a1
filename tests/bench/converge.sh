#!/usr/bin/env bash
# Benchmark for the convergence policy (issue D), two memory-dirtying lab
# guests at a 20 MiB/s cap:
#   A. the full-speed sweep of 100 MiB (it re-dirties its range faster than
#      any throttle can slow it: the pathological case), and
#   B. a sweep of 30 MiB slowed by a busy loop (--dirty-spin 50): ~100 MiB/s
#      dirtied at full CPU, so its rate follows its CPU share, as a real
#      workload's does;
# each migrated
#   1. by bare `virsh migrate --live --p2p --bandwidth 20`, aborted after
#      120 s (`virsh domjobabort`: virsh 9 has no abort-on-timeout),
#   2. by `vmigrate live --measure 1` with the default ladder (auto-converge
#      on, post-copy not permitted),
#   3. by `vmigrate live --measure 1 --postcopy` (the ladder switches when
#      stalled),
# after `vmigrate check` (the prediction); the guest's memory pattern is
# verified after each. Prints time to finish and downtime. Target: finish
# <= 60 s with downtime <= the configured max (500 ms), or vmigrate says
# before starting that it will not. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/../.."
vm=bench-dirty-vm
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 2 "$vm"
bench_inventory
export VMIGRATE_STATE_DIR=$work/state
ms() { echo $(($(date +%s%N) / 1000000)); }
where() { tests/lab/lab.sh virsh "$1" domstate "$vm" 2>/dev/null || echo absent; }
vm_on() { if [ "$(where lab1)" = running ]; then echo lab1; else echo lab2; fi; }
other() { if [ "$1" = lab1 ]; then echo lab2; else echo lab1; fi; }
summary() { # JSON report
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
steps=[s["rung"]+"("+s["trigger"]+")" for s in d["policy_steps"] if s["rung"] not in ("start","auto_converge")]
print("outcome=%s duration=%.1fs downtime=%sms postcopy=%s steps=%s" % (d["outcome"], d["duration_ms"]/1000, d["downtime_ms"], d["postcopy"], " ".join(steps)))' "$1"
}

bench_guest() { # TITLE DIRTY-MIB SPIN
    bench_remove_vm
    tests/lab/lab.sh vm create lab1 "$vm" --disk net --dirty "$2" --dirty-spin "$3" >/dev/null
    # Every figure below assumes a guest out-dirtying the 20 MiB/s cap: wait until it measurably does.
    tests/lab/lab.sh vm wait-dirty lab1 "$vm" 40
    echo
    echo "#### $1"
    src=$(vm_on); dst=$(other "$src")
    echo "== prediction (vmigrate check --bandwidth 20), $src -> $dst"
    target/release/vmigrate -i "$work/inventory.toml" -o json check "$vm" --to "$dst" --bandwidth 20 >"$work/check.json" || true
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["convergence"]; print("verdict=%s: %s" % (c["verdict"], c["summary"]))' "$work/check.json"

    echo "== bare virsh migrate --bandwidth 20, 120 s limit, $src -> $dst"
    s=$(tests/lab/lab.sh addr "$src"); d=$(tests/lab/lab.sh addr "$dst")
    t0=$(ms)
    # virsh 9 has no abort-on-timeout: after 120 s, abort the job from a
    # second connection (as an operator would with `virsh domjobabort`).
    src_uri="qemu+ssh://root@$s/system?keyfile=$key&no_tty=1"
    virsh -c "$src_uri" migrate --live --p2p --persistent --undefinesource "$vm" \
        "qemu+ssh://$d/system?keyfile=$key&no_tty=1" --migrateuri "tcp://$d" --bandwidth 20 \
        >"$work/virsh.out" 2>&1 &
    virsh_pid=$!
    while kill -0 "$virsh_pid" 2>/dev/null && [ $(($(ms) - t0)) -lt 120000 ]; do sleep 0.5; done
    if kill -0 "$virsh_pid" 2>/dev/null; then
        virsh -c "$src_uri" domjobabort "$vm" >/dev/null
        wait "$virsh_pid" || true
        echo "virsh: did not finish in 120 s; aborted ($(tr '\n' ' ' <"$work/virsh.out" | cut -c1-100))"
    elif wait "$virsh_pid"; then
        echo "virsh: finished in $(($(ms) - t0)) ms"
    else
        echo "virsh: failed after $(($(ms) - t0)) ms: $(tr '\n' ' ' <"$work/virsh.out" | cut -c1-160)"
    fi
    echo "$vm runs on $(vm_on)"
    tests/lab/lab.sh vm pattern "$(vm_on)" "$vm"

    for variant in "default" "--postcopy"; do
        src=$(vm_on); dst=$(other "$src")
        echo "== vmigrate live --bandwidth 20 ${variant/default/(default ladder)}, $src -> $dst"
        extra=(); [ "$variant" = default ] || extra=("$variant")
        target/release/vmigrate -i "$work/inventory.toml" -o json live "$vm" --to "$dst" --bandwidth 20 --measure 1 "${extra[@]}" \
            >"$work/live.json" 2>"$work/live.err" || true
        grep -h "warning: convergence" "$work/live.err" || true
        summary "$work/live.json"
        tests/lab/lab.sh vm pattern "$(vm_on)" "$vm"
    done
}

bench_guest "A: full-speed sweep of 100 MiB" 100 0
bench_guest "B: 30 MiB sweep, dirty rate following its CPU share (--dirty-spin 50)" 30 50
