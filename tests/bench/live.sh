#!/usr/bin/env bash
# Benchmark for `vmigrate live` (issues C and P): the same VM (NBD disk,
# idle) on the same lab, moved between lab1 and lab2 by
#   `vmigrate live VM --to B`            (no --from: the VM is found from the
#                                          placement hint, or searched for),
#   `vmigrate live VM --from A --to B`   (both with every check included), and
#   bare `virsh migrate --live --p2p`,
# interleaved in one run, ROUNDS rounds (default 4) after a warm-up pair,
# on an inventory of exactly HOSTS lab hosts (the first HOSTS of the lab;
# the VM only ever moves between lab1 and lab2). Without HOSTS set, runs with
# HOSTS=3 and then HOSTS=8. Each run has its own fresh VMIGRATE_STATE_DIR,
# kept across its rounds (the placement hint lives there).
# A round is four migrations (bare virsh moves happen in pairs, there and
# back, so the placement hint stays true):
#   even rounds: --from 1->2, --to 2->1, virsh 1->2, virsh 2->1
#   odd rounds:  --to 1->2, --from 2->1, virsh 1->2, virsh 2->1
# A guest whose QEMU was started by a vmigrate migration moves ~240 ms
# faster next time than one started by a virsh migration (measured for
# both tools: virsh after virsh 2992-3001 ms median, virsh after vmigrate
# 2746-2764 ms). So each kind must follow each kind equally often: here
# every form moves a guest last moved by virsh in half its runs, and by
# vmigrate in the other half; "after" in the output says which.
# Targets (issue P): median ratio to virsh <= 1.0 for both forms, on 3 and on
# 8 hosts; completion noticed <= 50 ms after libvirt finishes (issue C).
# Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${HOSTS:-}" ]; then
    HOSTS=3 "$0"
    echo
    HOSTS=8 "$0"
    exit
fi
rounds=${ROUNDS:-4}
vm=bench-live-vm
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab "$HOSTS" "$vm"
tests/lab/lab.sh vm create lab1 "$vm" --disk net >/dev/null
bench_inventory
bench_inventory_first "$HOSTS"
export VMIGRATE_STATE_DIR=$work/state
addr() { if [ "$1" = lab1 ]; then echo "${addrs[0]}"; else echo "${addrs[1]}"; fi; }
ms() { echo $(($(date +%s%N) / 1000000)); }
# Every migration starts from a quiet machine: the lab's hosts share its
# cores, and the previous migration's tear-down (the source QEMU exiting,
# the ssh and libvirt helpers of the tool that ran it closing) would
# otherwise slow whichever run comes next — always the same kind in a
# round's fixed order.
settle() { sleep "${SETTLE:-1}"; }

vmig() { # LABEL FROM TO [--from FROM]
    local label=$1 from=$2 to=$3 t0 t1
    shift 3
    settle
    t0=$(ms)
    target/release/vmigrate -i "$work/inventory.toml" -o json live "$vm" "$@" --to "$to" >"$work/last.json"
    t1=$(ms)
    echo "$label $from->$to $((t1 - t0)) $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.3f" % d["completion_noticed_ms"], d["downtime_ms"], d["migration_ms"])' "$work/last.json")" >>"$work/times"
}
to() { vmig "live--to" "$1" "$2"; }
from() { vmig "live--from" "$1" "$2" --from "$1"; }
bare() { # FROM TO
    local t0 t1 s d
    s=$(addr "$1")
    d=$(addr "$2")
    settle
    t0=$(ms)
    virsh -q -c "qemu+ssh://root@$s/system?keyfile=$key&no_tty=1" migrate --live --p2p --persistent \
        --undefinesource "$vm" "qemu+ssh://$d/system?keyfile=$key&no_tty=1" --migrateuri "tcp://$d"
    t1=$(ms)
    echo "virsh $1->$2 $((t1 - t0))" >>"$work/times"
}
round() { # I
    if (($1 % 2 == 0)); then
        from lab1 lab2
        to lab2 lab1
    else
        to lab1 lab2
        from lab2 lab1
    fi
    bare lab1 lab2
    bare lab2 lab1
}

echo "#### live.sh: inventory of ${#hosts[@]} hosts (${hosts[*]}), $rounds rounds"
: >"$work/times"
from lab1 lab2 # warm-up, not counted
bare lab2 lab1
: >"$work/times"
for ((i = 0; i < rounds; i++)); do round "$i"; done
column -t "$work/times"
python3 - "$work/times" "${#hosts[@]}" <<'PY'
import statistics, sys
runs, notice = {}, []
after, own, prev = {}, {}, "virsh"  # the warm-up ends with a bare virsh move
for line in open(sys.argv[1]):
    f = line.split()
    runs.setdefault(f[0], []).append(int(f[2]))
    after.setdefault((f[0], "virsh" if prev == "virsh" else "vmigrate"), []).append(int(f[2]))
    prev = f[0]
    if f[0] != "virsh":
        notice.append(float(f[3]))
        # vmigrate's own time: all but the migration libvirt ran.
        own.setdefault(f[0], []).append(int(f[2]) - int(f[5]))
mb = statistics.median(runs["virsh"])
print(f"\n{sys.argv[2]} hosts: median of {len(runs['virsh'])} bare virsh migrate --p2p: {mb:.0f} ms")
for label, form in (("live--to", "live VM --to B"), ("live--from", "live VM --from A --to B")):
    mv = statistics.median(runs[label])
    print(f"{sys.argv[2]} hosts: median of {len(runs[label])} vmigrate {form} (checks included): "
          f"{mv:.0f} ms: ratio {mv/mb:.2f} (target <= 1.0)")
for label in ("virsh", "live--to", "live--from"):
    parts = [f"after {by}: {statistics.median(v):.0f} ms ({len(v)})"
             for (l, by), v in sorted(after.items()) if l == label]
    extra = f"; own time (total - migration_ms) {statistics.median(own[label]):.0f} ms" if label in own else ""
    print(f"{sys.argv[2]} hosts: {label} medians by the tool that moved the guest last: {', '.join(parts)}{extra}")
print(f"{sys.argv[2]} hosts: completion noticed after libvirt returned: max {max(notice):.3f} ms "
      f"(target <= 50 ms)")
PY
