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

# The hosts' share: one lab host's sshd (its listener's own CPU plus that
# of every reaped child: the per-connection sshd, the shell and the facts
# command) and libvirtd, per `hosts` run that reads that host.
lab_dir=${VMIGRATE_LAB_DIR:-/var/lib/vmigrate-lab}
proc_ms() { awk -v t="$tck" '{print int(($14+$15+$16+$17)*1000/t)}' "/proc/$1/stat"; }
sshd_pid=$(cat "$lab_dir/hosts/${hosts[0]}/sshd.pid")
libvirtd_pid=$(cat "$lab_dir/hosts/${hosts[0]}/run/libvirtd.pid")
s0=$(proc_ms "$sshd_pid")
l0=$(proc_ms "$libvirtd_pid")
for _ in $(seq 10); do "$bin" -i "$work/inventory.toml" -o json hosts "${hosts[0]}" >/dev/null; done
sshd_ms=$((($(proc_ms "$sshd_pid") - s0) / 10))
libvirtd_ms=$((($(proc_ms "$libvirtd_pid") - l0) / 10))

# What any tool pays here for 8 SSH logins at once: OpenSSH's `ssh true`
# to one host, and to every host in parallel.
cat >"$work/ssh_all.sh" <<SH
#!/usr/bin/env bash
for a in "\$@"; do ssh -i $key -o BatchMode=yes root@\$a true & done
wait
SH
chmod +x "$work/ssh_all.sh"
hyperfine --warmup 2 --runs "$runs" -N --export-json "$work/ssh.json" \
    -n "ssh true, 1 host" "$work/ssh_all.sh ${addrs[0]}" \
    -n "ssh true, ${#hosts[@]} hosts in parallel" "$work/ssh_all.sh ${addrs[*]}" >/dev/null

# A fleet's known_hosts holds a line per host, hashed on Debian
# (HashKnownHosts yes): the 8-host run again with the lab's lines plus
# KNOWN_HOSTS_LINES (default 2,000) hashed lines for other hosts.
kh_lines=${KNOWN_HOSTS_LINES:-2000}
kh_key=$(awk '{print $1, $2; exit}' "$key.pub")
awk -v n="$kh_lines" -v k="$kh_key" 'BEGIN { for (i = 0; i < n; i++) printf "10.%d.%d.%d %s\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256, k }' >"$work/known_hosts.big"
ssh-keygen -q -H -f "$work/known_hosts.big" >/dev/null 2>&1
rm -f "$work/known_hosts.big.old"
grep -h vmigrate-lab "$(sed -n 's/^known_hosts = "\(.*\)"/\1/p' "$work/inventory.toml")" >>"$work/known_hosts.big"
sed "s|^known_hosts = .*|known_hosts = \"$work/known_hosts.big\"|" "$work/inventory.toml" >"$work/inventory.big.toml"
hyperfine --warmup 2 --runs "$runs" -N --export-json "$work/big.json" \
    -n "vmigrate hosts, ${#hosts[@]} hosts, known_hosts of $kh_lines more hashed lines" \
    "$bin -i $work/inventory.big.toml -o json hosts" >/dev/null

python3 - "$work/result.json" "$work/ssh.json" "$(nproc)" "${#hosts[@]}" "$sshd_ms" "$libvirtd_ms" "${machine[@]}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ssh = json.load(open(sys.argv[2]))["results"]
cores, n, sshd, libvirtd = (int(a) for a in sys.argv[3:7])
machine = sys.argv[7:]
print()
for x, m in zip(r, machine + [None]):
    own = f"{(x['user'] + x['system']) * 1000:.0f} ms (user {x['user']*1000:.0f} + sys {x['system']*1000:.0f})"
    mach = f"machine CPU per run {m} ms on {cores} cores" if m else "machine CPU not measured"
    print(f"{x['command']:34} median {x['median']*1000:5.0f} ms wall; own CPU per run {own}; {mach}")
one, eight, base = (x["median"] for x in r)
print(f"\n{n} hosts / 1 host = {eight/one:.2f}x (target <= 1.5x); "
      f"baseline / vmigrate = {base/eight:.1f}x")
print(f"per host read, on the host: sshd and its children {sshd} ms CPU, libvirtd {libvirtd} ms")
print(f"floor on {cores} cores from the hosts' sshd alone: {n} x {sshd} ms / {cores} = "
      f"{n * sshd / cores:.0f} ms, against 1.5 x {one*1000:.0f} ms = {1.5*one*1000:.0f} ms allowed")
s1, s8 = (x["median"] for x in ssh)
print(f"OpenSSH `ssh true`: 1 host {s1*1000:.0f} ms, {n} hosts in parallel {s8*1000:.0f} ms = {s8/s1:.2f}x")
big = json.load(open(sys.argv[1].replace("result.json", "big.json")))["results"][0]
print(f"{big['command']}: median {big['median']*1000:.0f} ms wall, own CPU "
      f"{(big['user'] + big['system'])*1000:.0f} ms (against {eight*1000:.0f} ms with the lab's own)")
PY
