#!/usr/bin/env bash
# A 1,000-host inventory whose other hosts do not answer (issue P): lab1 and
# lab2 (real; the VM, NBD disk and idle, on lab1) plus 998 hosts syn0001 …
# syn0998, in two runs (MODES, default "closed silent"):
#   closed: at 127.0.0.1 on distinct closed ports — ports nothing listens on
#     (`ss -ltn`), below the kernel's ephemeral range so that no connection
#     can meet itself: each refuses at once;
#   silent: at unused addresses of the lab's own subnet (10.213.77.100-254,
#     7 ports each), on the lab's bridge: nothing answers, each connection
#     waits for the kernel to give up on the address (~3 s) or the connect
#     timeout — the case that tests the scan's deadline.
# Nothing outside this machine (and the lab's bridge) is contacted. The
# inventory sets connect_timeout_secs = TIMEOUT (default 5) in [defaults].
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
cp "$inv" "$work/base.toml"
subnet=$(tests/lab/lab.sh addr lab1 | cut -d. -f1-3)

for mode in ${MODES:-closed silent}; do
cp "$work/base.toml" "$inv"
for ((i = 0; i < synthetic; i++)); do
    if [ "$mode" = closed ]; then
        printf '\n[[hosts]]\nname = "syn%04d"\naddress = "127.0.0.1"\nport = %d\n' $((i + 1)) "${ports[i]}"
    else
        printf '\n[[hosts]]\nname = "syn%04d"\naddress = "%s.%d"\nport = %d\n' $((i + 1)) "$subnet" $((100 + i % 155)) $((22 + i / 155))
    fi
done >>"$inv"
if [ "$mode" = closed ]; then
    where="127.0.0.1:${ports[0]}…${ports[-1]}, closed"
else
    where="$subnet.100-254, unused addresses, nothing answers"
fi
echo
echo "#### synthetic.sh ($mode): $(grep -c '^\[\[hosts\]\]$' "$inv") hosts (lab1, lab2 real; $synthetic at $where)," \
    "connect_timeout_secs = $(sed -n 's/^connect_timeout_secs = //p' "$inv")"

names=("check --from lab1 --to lab2" "check --from lab1 --to lab2 --no-measure")
cmds=("$bin -i $inv -o json check $vm --from lab1 --to lab2"
    "$bin -i $inv -o json check $vm --from lab1 --to lab2 --no-measure")
if [ "$mode" = closed ]; then
    # Every host is contacted (bounded fan-out): with silent hosts this
    # takes ~1,000 / 32 × 3 s, so only where they refuse.
    names+=("hosts (-o json)")
    cmds+=("$bin -i $inv -o json hosts")
fi
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
python3 - "$work/once0.json" <<'PY'
import json, sys
try:
    c = [c for c in json.load(open(sys.argv[1]))["checks"] if c["id"] == "source.unique"]
    print(f"check's source.unique: {c[0]['status']}: {c[0]['message'][:160]}" if c else "no source.unique check")
except (ValueError, KeyError):
    print("check: no JSON report")
PY
[ "$mode" = closed ] && python3 - "$work/once2.json" <<'PY'
import json, sys
try:
    h = json.load(open(sys.argv[1]))["hosts"]
except (ValueError, KeyError):
    print("hosts: no JSON report"); sys.exit(0)
down = [x["name"] for x in h if not x["reachable"]]
print(f"hosts reported {len(h)} hosts, {len(down)} unreachable "
      f"({sum(n.startswith('syn') for n in down)} of them synthetic; others: {[n for n in down if not n.startswith('syn')]})")
PY

[ "${#args[@]}" -gt 0 ] || continue
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
done
