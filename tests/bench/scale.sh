#!/usr/bin/env bash
# Inventory size against `vmigrate check` (issue P): `check VM --to lab2`
# for a VM (NBD disk, idle) on lab1, with an inventory of 2 lab hosts (lab1,
# lab2) and with one of 8, by hyperfine (-N, 2 warm-ups, RUNS runs, default
# 8); also with --no-measure (no 1 s dirty-rate sample: the per-host cost
# undiluted; informational). Prints the medians, the ratio, and each
# command's own CPU per run (user + sys of the vmigrate process, hyperfine's
# means) beside its wall time: the lab's hosts share this machine's cores,
# so a slower 8-host run that costs vmigrate no more CPU is waiting on them.
# Target: 8 hosts <= 1.1x 2 hosts. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-8}
vm=bench-scale-vm
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 8 "$vm"
tests/lab/lab.sh vm create lab1 "$vm" --disk net >/dev/null
bench_inventory
bench_inventory_first 2 "$work/two.toml"
bench_inventory_first 8
export VMIGRATE_STATE_DIR=$work/state
bin=target/release/vmigrate

# Each must pass once before it is timed (hyperfine stops at a failure).
for inv in two inventory; do
    rc=0
    "$bin" -i "$work/$inv.toml" -q check "$vm" --to lab2 >/dev/null || rc=$?
    [ "$rc" = 0 ] || { echo "check on $inv.toml exited $rc"; exit 1; }
done

hyperfine --warmup 2 --runs "$runs" -N \
    --export-json "$work/result.json" \
    -n "check --to lab2, 2 hosts" "$bin -i $work/two.toml -o json check $vm --to lab2" \
    -n "check --to lab2, 8 hosts" "$bin -i $work/inventory.toml -o json check $vm --to lab2" \
    -n "check --to lab2 --no-measure, 2 hosts" "$bin -i $work/two.toml -o json check $vm --to lab2 --no-measure" \
    -n "check --to lab2 --no-measure, 8 hosts" "$bin -i $work/inventory.toml -o json check $vm --to lab2 --no-measure"

python3 - "$work/result.json" "$(nproc)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print()
for x in r:
    cpu = (x["user"] + x["system"]) * 1000
    print(f"{x['command']:40} median {x['median']*1000:5.0f} ms wall; vmigrate's own CPU "
          f"{cpu:4.0f} ms per run (user {x['user']*1000:.0f} + sys {x['system']*1000:.0f}) "
          f"on {sys.argv[2]} shared cores")
two, eight, two_nm, eight_nm = (x["median"] for x in r)
print(f"\ncheck --to, 8 hosts / 2 hosts = {eight/two:.2f}x (target <= 1.1x)")
print(f"check --to --no-measure, 8 hosts / 2 hosts = {eight_nm/two_nm:.2f}x (informational)")
PY
