#!/usr/bin/env bash
# Draining a host (issue E): VMS idle guests (default 6) on lab4, emptied
# onto lab1..lab3 by `vmigrate evacuate` at concurrency 1 and then at
# concurrency 3 (target: ≥ 2× faster), each drain followed by `--return`.
# Prints each drain's predicted and measured time (target: within 25 %)
# and the speed-up. Run as root on Debian 12; the lab is brought up if
# needed (4 hosts) and taken down after unless it was already up.
set -euo pipefail
cd "$(dirname "$0")/../.."
vms=${VMS:-6}

# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 4
bench_inventory
bench_guests bench-ev "$vms"
for n in "${names[@]}"; do tests/lab/lab.sh vm create lab4 "$n" --disk net >/dev/null; done

# drain N: evacuates lab4 at concurrency N, prints "predicted measured",
# then puts the guests back.
drain() {
    local out
    out=$("$bin" -i "$work/inventory.toml" -o json -q evacuate lab4 --concurrency "$1" --max-incoming 3)
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d.get("left")==[], d["message"]; print(d["estimated_secs"], d["measured_secs"])' "$out"
    "$bin" -i "$work/inventory.toml" -q maintenance lab4 off >/dev/null
    "$bin" -i "$work/inventory.toml" -q evacuate lab4 --return --concurrency 3 --max-incoming 3 >/dev/null
}
# Not `read < <(drain N)`: the reader would go on while that drain's
# return still runs, and the next drain would find the host empty.
r=$(drain 1)
read -r p1 m1 <<<"$r"
r=$(drain 3)
read -r p3 m3 <<<"$r"
python3 - "$vms" "$p1" "$m1" "$p3" "$m3" <<'PY'
import sys
vms, p1, m1, p3, m3 = int(sys.argv[1]), *map(float, sys.argv[2:])
for n, p, m in ((1, p1, m1), (3, p3, m3)):
    print(f"concurrency {n}: {vms} VMs drained in {m:.1f} s, predicted {p:.1f} s ({(p - m) / m * 100:+.0f} %)")
print(f"speed-up at concurrency 3: {m1 / m3:.2f}x (target >= 2)")
PY
