#!/usr/bin/env bash
# A 1,000-host inventory whose other hosts do not answer (issue P): lab1 and
# lab2 (real; the VM, NBD disk and idle, on lab1) plus 998 hosts syn0001 …
# syn0998 at 127.0.0.1 on distinct closed ports — ports nothing listens on
# (`ss -ltn`), below the kernel's ephemeral range so that no connection can
# meet itself. Nothing outside this machine is contacted. The inventory sets
# connect_timeout_secs = TIMEOUT (default 5) in [defaults].
# Measures, by hyperfine (-N, 1 warm-up, RUNS runs, default 5, failures
# kept):
#   `check VM --from lab1 --to lab2` and the same with --no-measure:
#     target: done within the connect timeout + 1 s;
#   `-o json hosts`: informational (fan-out over all 1,000), with how many
#     hosts it reported unreachable.
# Each command is run once first (2 minutes at most) to show its exit code;
# one that takes more than 30 s is not repeated. Each command's own CPU
# (user + sys, hyperfine's means) is printed beside its wall time.
# Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-5}
timeout=${TIMEOUT:-5}
synthetic=998
vm=bench-syn-vm
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 2 "$vm"
tests/lab/lab.sh vm create lab1 "$vm" --disk net >/dev/null
bench_inventory
bench_inventory_first 2
export VMIGRATE_STATE_DIR=$work/state
bin=target/release/vmigrate
inv=$work/inventory.toml

# Closed ports: not listening on any address now, and below the ephemeral
# range (a connect to 127.0.0.1:P from source port P would connect to itself).
read -r eph_low _ </proc/sys/net/ipv4/ip_local_port_range
ss -ltnH | awk '{ n = split($4, a, ":"); print a[n] }' | sort -un >"$work/listening"
ports=()
for ((p = 20001; p < eph_low && ${#ports[@]} < synthetic; p++)); do
    grep -qx "$p" "$work/listening" || ports+=("$p")
done
if [ "${#ports[@]}" -lt "$synthetic" ]; then
    echo "only ${#ports[@]} closed ports found below $eph_low" >&2
    exit 1
fi
sed -i "s/^\[defaults\]$/[defaults]\nconnect_timeout_secs = $timeout/" "$inv"
for ((i = 0; i < synthetic; i++)); do
    printf '\n[[hosts]]\nname = "syn%04d"\naddress = "127.0.0.1"\nport = %d\n' $((i + 1)) "${ports[i]}"
done >>"$inv"
echo "#### synthetic.sh: $(grep -c '^\[\[hosts\]\]$' "$inv") hosts (lab1, lab2 real; $synthetic at 127.0.0.1:${ports[0]}…${ports[-1]}, closed)," \
    "connect_timeout_secs = $(sed -n 's/^connect_timeout_secs = //p' "$inv")"

names=("check --from lab1 --to lab2" "check --from lab1 --to lab2 --no-measure" "hosts (-o json)")
cmds=("$bin -i $inv -o json check $vm --from lab1 --to lab2"
    "$bin -i $inv -o json check $vm --from lab1 --to lab2 --no-measure"
    "$bin -i $inv -o json hosts")
args=()
for i in "${!cmds[@]}"; do
    rc=0
    t0=$(date +%s%N)
    # shellcheck disable=SC2086 # the command line is split as hyperfine splits it
    timeout 120 ${cmds[i]} >"$work/once$i.json" 2>"$work/once$i.err" || rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    echo "once: ${names[i]}: exit $rc in $ms ms$(head -c 300 "$work/once$i.err" | tr '\n' ' ' | sed 's/^./; stderr: &/')"
    if [ "$ms" -le 30000 ]; then
        args+=(-n "${names[i]}" "${cmds[i]}")
    else
        echo "  (not repeated: over 30 s)"
    fi
done
python3 - "$work/once2.json" <<'PY'
import json, sys
try:
    h = json.load(open(sys.argv[1]))["hosts"]
except (ValueError, KeyError):
    print("hosts: no JSON report"); sys.exit(0)
down = [x["name"] for x in h if not x["reachable"]]
print(f"hosts reported {len(h)} hosts, {len(down)} unreachable "
      f"({sum(n.startswith('syn') for n in down)} of them synthetic; others: {[n for n in down if not n.startswith('syn')]})")
PY

[ "${#args[@]}" -gt 0 ] || exit 0
hyperfine --warmup 1 --runs "$runs" -N --ignore-failure --export-json "$work/result.json" "${args[@]}"
python3 - "$work/result.json" "$timeout" "$(nproc)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
limit = float(sys.argv[2]) + 1
print()
for x in r:
    cpu = (x["user"] + x["system"]) * 1000
    target = f"target <= {limit:.0f} s (connect timeout + 1 s)" if "check" in x["command"] else "informational"
    print(f"{x['command']:42} median {x['median']:6.2f} s, max {x['max']:6.2f} s wall ({target}); "
          f"own CPU {cpu:.0f} ms per run on {sys.argv[3]} shared cores; exit codes {sorted(set(x['exit_codes']))}")
PY
