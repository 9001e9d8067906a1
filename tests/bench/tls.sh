#!/usr/bin/env bash
# Migration TLS on real hosts (issue I, item 4), with bare virsh: the lab's
# per-host certificates (tests/lab/lib/tls.sh), seen as a remote shell sees
# them; a `virsh migrate --live --p2p --tls` lab1 -> lab2 and back, with
# QEMU's monitor traffic showing the TLS credentials and the host name the
# source checks; then each certificate file moved aside in turn (RUNS times
# each, default 3) and what the migration says, and a server certificate
# without the host's address (the source checks the migration URI's host),
# with and without --tls-destination. Prints a Markdown table of the
# errors. Every moved file is put back, the wrong certificate is replaced
# by `lab.sh up` (which remakes a certificate that does not match), and the
# guest is removed. Run as root on Debian 12.
# shellcheck disable=SC2016 # the backquotes in printf formats and sed scripts are Markdown
set -euo pipefail
cd "$(dirname "$0")/../.."
vm=bench-tls-vm
runs=${RUNS:-3}
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab_only 2 "$vm"
bench_inventory
dir=$(tests/lab/lab.sh tls-dir)
lab_dir=${VMIGRATE_LAB_DIR:-/var/lib/vmigrate-lab}

ms() { echo $(($(date +%s%N) / 1000000)); }
uri() { echo "qemu+ssh://root@$(tests/lab/lab.sh addr "$1")/system?keyfile=$key&no_tty=1"; }
other() { if [ "$1" = lab1 ]; then echo lab2; else echo lab1; fi; }
vm_on() { if [ "$(tests/lab/lab.sh virsh lab1 domstate "$vm" 2>/dev/null)" = running ]; then echo lab1; else echo lab2; fi; }
# migrate SRC [virsh options...]: prints virsh's output, fails as virsh does.
migrate() {
    local src=$1 dst
    shift
    dst=$(other "$src")
    virsh -c "$(uri "$src")" migrate --live --p2p --tls --persistent --undefinesource "$vm" "$(uri "$dst")" \
        --migrateuri "tcp://$(tests/lab/lab.sh addr "$dst")" "$@" 2>&1
}
# Whatever happens, no certificate stays moved aside.
restore_all() {
    local h f
    for h in lab1 lab2; do
        for f in $(tests/lab/lab.sh exec "$h" sh -c "ls $dir/*.aside 2>/dev/null" || true); do
            tests/lab/lab.sh exec "$h" mv -f "$f" "${f%.aside}"
        done
    done
    bench_teardown
}
trap restore_all EXIT

echo "== the TLS files as a remote shell sees them ($dir, from qemu.conf)"
for h in lab1 lab2; do
    echo "-- ssh root@$(tests/lab/lab.sh addr "$h")"
    ssh -i "$key" -o BatchMode=yes "root@$(tests/lab/lab.sh addr "$h")" \
        "grep '^migrate_tls' /etc/libvirt/qemu.conf; ls -l $dir; openssl x509 -noout -ext subjectAltName -in $dir/server-cert.pem | tail -n 1"
done

tests/lab/lab.sh vm create lab1 "$vm" >/dev/null
echo
echo "== migrate --tls lab1 -> lab2, QEMU's monitor traffic logged (virt-admin, both hosts)"
for h in lab1 lab2; do
    tests/lab/lab.sh exec "$h" virt-admin -q -c libvirtd:///system daemon-log-filters "1:qemu.qemu_monitor 3:*"
    tests/lab/lab.sh exec "$h" virt-admin -q -c libvirtd:///system daemon-log-outputs \
        "1:file:/var/log/libvirt/tls-bench.log 3:file:/var/log/libvirt/libvirtd.log"
done
t0=$(ms)
migrate lab1
echo "migrated in $(($(ms) - t0)) ms"
for h in lab1 lab2; do
    # Back to what lab.sh up configures (libvirtd.conf's log_outputs, no filters).
    tests/lab/lab.sh exec "$h" virt-admin -q -c libvirtd:///system daemon-log-filters ""
    tests/lab/lab.sh exec "$h" virt-admin -q -c libvirtd:///system daemon-log-outputs "3:file:/var/log/libvirt/libvirtd.log"
    echo "-- $h's libvirtd to its QEMU:"
    grep -ho 'QEMU_MONITOR_SEND_MSG.*' "$lab_dir/hosts/$h/log/tls-bench.log" |
        grep -e tls-creds-x509 -e '"tls-creds":"obj' | sed 's/.*msg=//' | cut -c1-200
    rm -f "$lab_dir/hosts/$h/log/tls-bench.log"
done
t0=$(ms)
migrate lab2 >/dev/null
echo "and back lab2 -> lab1 in $(($(ms) - t0)) ms"

: >"$work/rows"
# case HOST FILE: RUNS migrations lab1 -> lab2 with HOST's FILE moved aside.
case_missing() {
    local host=$1 file=$2 i out ok=0
    : >"$work/errors"
    for ((i = 0; i < runs; i++)); do
        tests/lab/lab.sh exec "$host" mv "$dir/$file" "$dir/$file.aside"
        if out=$(migrate lab1); then
            ok=$((ok + 1))
        else
            echo "$out" | tr '\n' ' ' | sed 's/ *$//' >>"$work/errors"
            echo >>"$work/errors"
        fi
        tests/lab/lab.sh exec "$host" mv "$dir/$file.aside" "$dir/$file"
        if [ "$(vm_on)" = lab2 ]; then migrate lab2 >/dev/null; fi
    done
    echo "-- $host's $file missing: $ok of $runs migrations succeeded"
    sort "$work/errors" | uniq -c
    printf '| %s `%s` | %s | %s |\n' "$host" "$file" "$ok/$runs" \
        "$(sort "$work/errors" | uniq -c | sed 's/^ *\([0-9]*\) \(.*\)/\1× `\2`/' | paste -sd ';' - | sed 's/;/; /g')" \
        >>"$work/rows"
}
echo
echo "== one file missing at a time, lab1 -> lab2, $runs runs each"
for c in lab2:server-cert.pem lab2:server-key.pem lab2:ca-cert.pem lab1:client-cert.pem lab1:client-key.pem \
    lab1:ca-cert.pem lab2:client-cert.pem lab1:server-cert.pem; do
    case_missing "${c%%:*}" "${c#*:}"
done

echo
echo "== lab2's server certificate names lab2 only (no IP address), lab1 -> lab2"
cnf=$(mktemp)
cat >"$cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = lab2
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:lab2
EOF
d2=$lab_dir/hosts/lab2/etc${dir#/etc/libvirt}
openssl req -new -config "$cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d2/server-key.pem" -out "$work/csr" 2>/dev/null
openssl x509 -req -in "$work/csr" -CA "$lab_dir/pki/ca-cert.pem" -CAkey "$lab_dir/pki/ca-key.pem" \
    -set_serial "0x$(openssl rand -hex 8)" -days 1 -extfile "$cnf" -extensions leaf -out "$d2/server-cert.pem" 2>/dev/null
rm -f "$cnf"
if out=$(migrate lab1); then echo "without --tls-destination: migrated (unexpected)"; else echo "without --tls-destination: $out"; fi
printf '| lab2 server certificate without IP | 0/1 | `%s` (lab1 QEMU log: `%s`) |\n' "$(echo "$out" | tr '\n' ' ' | sed 's/ *$//')" \
    "$(grep -h 'does not match' "$lab_dir/hosts/lab1/log/qemu/$vm.log" | tail -n 1)" >>"$work/rows"
if out=$(migrate lab1 --tls-destination lab2); then echo "with --tls-destination lab2: migrated"; else echo "with --tls-destination lab2: $out"; fi
if [ "$(vm_on)" = lab2 ]; then migrate lab2 --tls-destination lab1 >/dev/null; fi
tests/lab/lab.sh up 2 >/dev/null 2>&1 # remakes lab2's server certificate: its SAN is not the lab's
echo "lab.sh up put back: $(openssl x509 -noout -ext subjectAltName -in "$d2/server-cert.pem" | tail -n 1 | sed 's/^ *//')"

echo
echo "| missing | migrations that succeeded | errors virsh reported (count× message) |"
echo "|---|---|---|"
cat "$work/rows"
