#!/usr/bin/env bash
# Benchmark for `vmigrate live` (issue C): the same VM (NBD disk, idle) on
# the same lab, migrated alternately by `vmigrate live` (all checks
# included) and by bare `virsh migrate --live --p2p`, both directions in
# turn, ROUNDS rounds. Target: median ratio <= 1.15, and completion noticed
# <= 50 ms after libvirt finishes (vmigrate reports completion_noticed_ms).
# Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-6}
vm=bench-live-vm
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 3 "$vm"
tests/lab/lab.sh vm create lab1 "$vm" --disk net
bench_inventory
export VMIGRATE_STATE_DIR=$work/state
addr() { if [ "$1" = lab1 ]; then echo "${addrs[0]}"; else echo "${addrs[1]}"; fi; }
ms() { echo $(($(date +%s%N) / 1000000)); }

vmig() { # FROM TO
    local t0 t1
    t0=$(ms)
    target/release/vmigrate -i "$work/inventory.toml" -o json live "$vm" --from "$1" --to "$2" >"$work/last.json"
    t1=$(ms)
    echo "vmigrate $1->$2 $((t1 - t0)) $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["completion_noticed_ms"], d["downtime_ms"])' "$work/last.json")" >>"$work/times"
}
bare() { # FROM TO
    local t0 t1 s d
    s=$(addr "$1")
    d=$(addr "$2")
    t0=$(ms)
    virsh -c "qemu+ssh://root@$s/system?keyfile=$key&no_tty=1" migrate --live --p2p --persistent \
        --undefinesource "$vm" "qemu+ssh://$d/system?keyfile=$key&no_tty=1" --migrateuri "tcp://$d"
    t1=$(ms)
    echo "virsh $1->$2 $((t1 - t0))" >>"$work/times"
}

: >"$work/times"
vmig lab1 lab2 # warm-up round trip, not counted
bare lab2 lab1
: >"$work/times"
for ((i = 0; i < rounds; i++)); do
    if ((i % 2 == 0)); then
        vmig lab1 lab2
        bare lab2 lab1
    else
        bare lab1 lab2
        vmig lab2 lab1
    fi
done
cat "$work/times"
python3 - "$work/times" <<'PY'
import statistics, sys
v, b, notice = [], [], []
for line in open(sys.argv[1]):
    f = line.split()
    (v if f[0] == "vmigrate" else b).append(int(f[2]))
    if f[0] == "vmigrate":
        notice.append(float(f[3]))
mv, mb = statistics.median(v), statistics.median(b)
print(f"\nmedian over {len(v)} migrations each: vmigrate live {mv:.0f} ms (checks included), "
      f"virsh migrate {mb:.0f} ms: ratio {mv/mb:.2f} (target <= 1.15)")
print(f"completion noticed after libvirt returned: max {max(notice):.3f} ms (target <= 50 ms)")
PY
