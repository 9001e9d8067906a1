#!/usr/bin/env bash
# Whether `--transport auto` should be the default (issue I): the same
# migrations with `vmigrate live` as configured (manual: the plain stream
# and the default ladder) and with `--transport auto`, on
#   A. the counter-sweeping guest (100 MiB of 128, XBZRLE-friendly) at a
#      20 MiB/s cap: the case auto exists for;
#   B. an idle guest at full speed: the common case, where auto can only
#      cost its 1 s dirty-rate sample.
# Each run is limited to 150 s (then aborted: `vmigrate abort`); the
# guest's memory pattern is verified after every migration. Prints each
# run's outcome, duration, downtime and auto's choice. Run as root on
# Debian 12; the lab is brought up if needed and left as found.
set -euo pipefail
cd "$(dirname "$0")/../.."
vm=bench-transport-vm
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 2 "$vm"
bench_inventory
export VMIGRATE_STATE_DIR=$work/state
bin=target/release/vmigrate
where() { tests/lab/lab.sh virsh "$1" domstate "$vm" 2>/dev/null || echo absent; }
vm_on() { if [ "$(where lab1)" = running ]; then echo lab1; else echo lab2; fi; }
other() { if [ "$1" = lab1 ]; then echo lab2; else echo lab1; fi; }

# run LABEL ARGS...: one migration of the guest to the other host.
run() {
    local label=$1 src dst
    shift
    src=$(vm_on); dst=$(other "$src")
    "$bin" -i "$work/inventory.toml" -o json live "$vm" --to "$dst" "$@" >"$work/live.json" 2>"$work/live.err" &
    local pid=$! t=0
    while kill -0 "$pid" 2>/dev/null && [ "$t" -lt 300 ]; do sleep 0.5; t=$((t + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        "$bin" -i "$work/inventory.toml" -q abort "$vm" --from "$src" >/dev/null || true
    fi
    wait "$pid" || true
    python3 - "$label" "$work/live.json" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
try:
    d = json.load(open(path))
except ValueError:
    print(f"{label:34} no report"); sys.exit(0)
choice = next((c["message"] for c in d["checks"] if c["id"] == "transport.choice"), "")
print(f"{label:34} {d['outcome']:12} {d['duration_ms'] / 1000:6.1f} s  downtime {d['downtime_ms']} ms  {choice[:90]}")
PY
    if [ "$dirty" = 1 ]; then
        tests/lab/lab.sh vm pattern "$(vm_on)" "$vm" >/dev/null || { echo "memory pattern BROKEN"; exit 1; }
    fi
}

echo "#### A. counter guest, 100 MiB swept, --bandwidth 20"
dirty=1
bench_remove_vm
tests/lab/lab.sh vm create lab1 "$vm" --disk net --dirty 100 >/dev/null
tests/lab/lab.sh vm wait-dirty lab1 "$vm" 40
run "manual (plain, default ladder)" --bandwidth 20 --transport manual
run "auto (the default)" --bandwidth 20

echo "#### B. idle guest, no cap"
dirty=0
bench_remove_vm
tests/lab/lab.sh vm create lab1 "$vm" --disk net >/dev/null
for i in 1 2 3; do
    run "manual #$i" --transport manual
    run "auto #$i"
done
