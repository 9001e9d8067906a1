#!/usr/bin/env bash
# Benchmark for `vmigrate hosts` (issue A): fact gathering on 1 host and on
# 8 lab hosts, against a sequential virsh + ssh loop that gathers the same
# facts from the 8 hosts one after another (what a runbook would do).
# Prints each command's own CPU (user + sys of its processes, hyperfine's
# means; the baseline's include its ssh and virsh children) beside the
# machine-wide CPU a vmigrate run costs (all processes: the lab's sshd and
# libvirtd share this machine's cores).
# Target: 8 hosts <= 1.5x the time of 1 host.
# Run as root on Debian 12. Brings up 8 lab hosts and takes them down after,
# unless the lab was already up (then it is left as found, grown to 8).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-10}

# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 8
bench_inventory
bench_inventory_first 8

# The baseline: per host, one ssh for hostname + free disk, and the virsh
# calls that give the same facts vmigrate reports.
cat >"$work/baseline.sh" <<SH
#!/usr/bin/env bash
set -e
for a in ${addrs[*]}; do
  uri="qemu+ssh://root@\$a/system?keyfile=$key&no_tty=1"
  ssh -i $key -o BatchMode=yes root@\$a 'uname -n; df -Pk -- /var/lib/libvirt/images' >/dev/null
  virsh -c "\$uri" nodeinfo >/dev/null
  virsh -c "\$uri" version --daemon >/dev/null
  virsh -c "\$uri" capabilities >/dev/null
  virsh -c "\$uri" freecell --all >/dev/null
  virsh -c "\$uri" list --all >/dev/null
done
SH
chmod +x "$work/baseline.sh"

bin=target/release/vmigrate
hyperfine --warmup 2 --runs "$runs" -N --ignore-failure \
    --export-json "$work/result.json" \
    -n "vmigrate hosts, 1 host" "$bin -i $work/inventory.toml -o json hosts ${hosts[0]}" \
    -n "vmigrate hosts, ${#hosts[@]} hosts" "$bin -i $work/inventory.toml -o json hosts" \
    -n "sequential virsh+ssh, ${#hosts[@]} hosts" "$work/baseline.sh"

# Where the time goes: every lab host's sshd and libvirtd run on this
# machine's cores, so the 8-host run is bounded by the CPU all 8 hosts burn
# together. Machine-wide CPU per run (all processes, 5 runs), beside
# vmigrate's own (user + sys of its process: hyperfine's means above).
tck=$(getconf CLK_TCK)
cpu_ms() { awk -v t="$tck" '/^cpu /{print int(($2+$3+$4+$7+$8)*1000/t)}' /proc/stat; }
machine=()
for sel in "${hosts[0]}" ""; do
    a=$(cpu_ms)
    # shellcheck disable=SC2086 # $sel is empty or one host name
    for _ in 1 2 3 4 5; do "$bin" -i "$work/inventory.toml" -o json hosts $sel >/dev/null; done
    b=$(cpu_ms)
    machine+=("$(((b - a) / 5))")
done

python3 - "$work/result.json" "$(nproc)" "${machine[@]}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
cores, machine = sys.argv[2], sys.argv[3:]
print()
for x, m in zip(r, machine + [None]):
    own = f"{(x['user'] + x['system']) * 1000:.0f} ms (user {x['user']*1000:.0f} + sys {x['system']*1000:.0f})"
    mach = f"machine CPU per run {m} ms on {cores} cores" if m else "machine CPU not measured"
    print(f"{x['command']:34} median {x['median']*1000:5.0f} ms wall; own CPU per run {own}; {mach}")
one, eight, base = (x["median"] for x in r)
print(f"\n8 hosts / 1 host = {eight/one:.2f}x (target <= 1.5x); "
      f"baseline / vmigrate = {base/eight:.1f}x")
PY
