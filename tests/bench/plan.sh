#!/usr/bin/env bash
# Drain planning speed (issue E: 1,000 hosts × 20,000 VMs ≤ 100 ms, pure
# planner time). Writes two synthetic facts files and times the planner on
# each (examples/drain_plan.rs): a 1,000-host fleet running 20,000 VMs with
# 500 anti-affinity groups, draining one host of 20 VMs; and the upper bound,
# the same 1,000 hosts taking all 20,000 VMs off one host. No lab needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/bench/plan
mkdir -p "$out"
python3 - "$out" <<'PY'
import json, random, sys
out = sys.argv[1]
random.seed(7)
base = json.load(open("tests/fixtures/lab/hosts.json"))["hosts"][1]

def fleet(hosts, vms_per_host, drained_vms):
    inv = ['[defaults]', 'user = "root"', 'cpu_allocation_ratio = 16.0', '']
    facts, groups, n = [], [], 0
    for i in range(hosts):
        name = f"h{i:04d}"
        inv += ["[[hosts]]", f'name = "{name}"', f'address = "10.{i // 250}.{i % 250}.1"', ""]
        count = drained_vms if i == 0 else vms_per_host
        vms = []
        for _ in range(count):
            mem = random.choice([1024, 2048, 4096, 8192]) if i else random.choice([256, 512, 1024])
            vms.append({"name": f"vm{n:05d}", "uuid": f"u-{n}", "state": "running",
                        "memory_mb": mem, "vcpus": random.choice([1, 2, 4]), "persistent": True})
            n += 1
        h = dict(base, name=name, address=f"10.{i // 250}.{i % 250}.1", hostname=name,
                 host_uuid=f"uuid-{i}", cpus=64, memory_total_mb=1024 * 1024 if i == 0 else 512 * 1024,
                 memory_allocated_mb=sum(v["memory_mb"] for v in vms),
                 vcpus_allocated=sum(v["vcpus"] for v in vms), disk_free_mb=4 << 20, vms=vms, claims=[])
        facts.append(h)
    # Anti-affinity groups of three, one member on the drained host when it can be.
    for g in range(500):
        members = [f"vm{(g * 37 + k * 4001) % n:05d}" for k in range(3)]
        groups.append({"name": f"g{g}", "vms": sorted(set(members))})
    groups = [g for g in groups if len(g["vms"]) >= 2]
    return {"inventory": "\n".join(inv), "hosts": facts, "groups": groups, "drain": "h0000"}

json.dump(fleet(1000, 20, 20), open(f"{out}/fleet-1000x20000-drain20.json", "w"))
json.dump(fleet(1000, 0, 20000), open(f"{out}/fleet-1000-drain20000.json", "w"))
PY
cargo build --release --quiet --example drain_plan
for f in "$out"/fleet-1000x20000-drain20.json "$out"/fleet-1000-drain20000.json; do
    echo "$(basename "$f"): $(target/release/examples/drain_plan "$f")"
done
