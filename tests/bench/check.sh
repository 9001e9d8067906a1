#!/usr/bin/env bash
# Benchmark for `vmigrate check` (issue B): the 3-host lab, a VM with a local
# disk (so the shared-storage test runs), `vmigrate check VM` with the
# scheduler choosing, against a sequential runbook script doing the same
# checks with virsh and ssh (find the VM, source state and job, then per
# candidate host: memory, vCPUs, name clash, hypervisor version, CPU
# comparison, shared-storage test file, disk space).
# Target: vmigrate <= 0.5x the runbook's time. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-10}

vm=bench-check-vm
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 3 "$vm"
tests/lab/lab.sh vm create lab1 "$vm" --disk local
bench_inventory

cat >"$work/runbook.sh" <<SH
#!/usr/bin/env bash
# What an operator's runbook does before \`virsh migrate\`, one step at a time.
set -e
vm=$vm
key=$key
uri() { echo "qemu+ssh://root@\$1/system?keyfile=\$key&no_tty=1"; }
sshh() { ssh -i "\$key" -o BatchMode=yes "root@\$@"; }
src=
for a in ${addrs[*]}; do   # find the VM
  if virsh -c "\$(uri \$a)" domstate "\$vm" >/dev/null 2>&1; then src=\$a; fi
done
virsh -c "\$(uri \$src)" domstate "\$vm" | grep -q running
virsh -c "\$(uri \$src)" domjobinfo "\$vm" | grep -q None
virsh -c "\$(uri \$src)" dumpxml --migratable "\$vm" >/tmp/bench-cpu.xml
virsh -c "\$(uri \$src)" version --daemon >/dev/null
virsh -c "\$(uri \$src)" domblkinfo "\$vm" vda >/dev/null
for a in ${addrs[*]}; do
  [ "\$a" = "\$src" ] && continue
  virsh -c "\$(uri \$a)" nodeinfo >/dev/null
  virsh -c "\$(uri \$a)" freecell --all >/dev/null
  virsh -c "\$(uri \$a)" list --all --name | grep -qx "\$vm" && continue
  virsh -c "\$(uri \$a)" version --daemon >/dev/null
  virsh -c "\$(uri \$a)" hypervisor-cpu-compare /tmp/bench-cpu.xml >/dev/null
  f=\$(sshh \$a mktemp -p /var/lib/libvirt/images)
  sshh \$src test -e "\$f" || true
  sshh \$a rm -f "\$f"
  sshh \$a df -Pk /var/lib/libvirt/images >/dev/null
  break   # first host that passes
done
SH
chmod +x "$work/runbook.sh"
"$work/runbook.sh"   # it must pass once before it is timed

bin=target/release/vmigrate
hyperfine --warmup 2 --runs "$runs" -N \
    --export-json "$work/result.json" \
    -n "vmigrate check (scheduler)" "$bin -i $work/inventory.toml -o json check $vm" \
    -n "runbook: virsh + ssh, sequential" "$work/runbook.sh"

python3 - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
v, b = (x["median"] for x in r)
print(f"\nmedian: vmigrate check {v*1000:.0f} ms, runbook {b*1000:.0f} ms: "
      f"ratio {v/b:.2f} (target <= 0.5)")
PY
