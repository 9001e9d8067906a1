#!/usr/bin/env bash
# tests/lab/lab.sh — a lab of real libvirt/KVM "hosts" on this one machine, for vmigrate's tests, CI
# and README demo. Run as root. `lab.sh help` documents the commands.
#
# One lab host = one network namespace (vmigrate-labN, address 10.213.77.(10+N) on the lab's own
# bridge vmigr0) plus private mount and UTS namespaces in which virtlogd, libvirtd and an sshd run
# with per-host directories bind-mounted over /run, /etc/libvirt, /var/lib/libvirt, /var/log/libvirt
# and /var/cache/libvirt. The facts behind each step are in shared/notes/lab.md ("lab.md" below).
#
# Rules this script keeps (shared machine): nothing outside the lab's bridge, namespaces and LAB_DIR
# is changed (no default route, no NAT, no ip_forward, no /etc/hosts, the machine's hostname is only
# ever set inside a UTS namespace), and every process is ended by its recorded PID, never by name.
set -euo pipefail

LAB_DIR=${VMIGRATE_LAB_DIR:-/var/lib/vmigrate-lab}
LAB_DIR=${LAB_DIR%/}
LOCK_FILE="$LAB_DIR.lock"
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOST_INIT="$SCRIPT_DIR/host-init.sh"

BRIDGE=vmigr0
NET_PREFIX=10.213.77
BRIDGE_ADDR=$NET_PREFIX.1
NS_PREFIX=vmigrate-
KEY="$LAB_DIR/id_ed25519"
SSH_CA="$LAB_DIR/ssh_host_ca" # signs the hosts' SSH host certificates (lib/up.sh)
AUTH_KEYS="$LAB_DIR/authorized_keys"
ROOT_HOME=$(getent passwd root | cut -d: -f6)
KNOWN_HOSTS="$ROOT_HOME/.ssh/known_hosts"
KH_MARK=vmigrate-lab # trailing comment of every known_hosts line the lab writes
MAX_HOSTS=64
NBD_FIRST_PORT=10809
DEFAULT_HOSTS=3
# The directories each host gets its own copy of (see host-init.sh), as "dir-name:mount-point".
HOST_MOUNTS=(etc:/etc/libvirt lib:/var/lib/libvirt log:/var/log/libvirt cache:/var/cache/libvirt home:/root run:/run)
# Where each host's QEMU finds its migration TLS credentials (qemu.conf migrate_tls_x509_cert_dir): in
# the host's private /etc/libvirt, so that every host has its own (lib/tls.sh).
TLS_HOST_DIR=/etc/libvirt/pki/qemu
DAEMON_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$ROOT_HOME" LANG=C.UTF-8)
SSH_OPTS=(-i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$KNOWN_HOSTS"
	-o ConnectTimeout=3 -o GSSAPIAuthentication=no -o LogLevel=ERROR)


# The commands, one file per section of the lab's life (see tests/lab/README.md).
for part in common up tls down status faults vms; do
	# shellcheck source=/dev/null
	source "$SCRIPT_DIR/lib/$part.sh"
done

# ---------------------------------------------------------------------------------------------------

usage() {
	cat <<EOF
lab.sh — real libvirt/KVM hosts in network namespaces on this machine, for vmigrate's tests.
Run as root. State in \$VMIGRATE_LAB_DIR (default /var/lib/vmigrate-lab; now $LAB_DIR).

Lab host labN: netns ${NS_PREFIX}labN, address $NET_PREFIX.(10+N)/24 on bridge $BRIDGE ($BRIDGE_ADDR in
the root namespace), own hostname, own /run /etc/libvirt /var/lib/libvirt /var/log/libvirt
/var/cache/libvirt, running virtlogd, libvirtd (--listen, TCP 16509 without auth) and sshd on port 22
accepting the lab key $KEY for root. Root's known_hosts ($KNOWN_HOSTS) gets one
line per host ending in "$KH_MARK". No route leaves the lab's subnet.

Commands:
  up [N]                 bring up hosts lab1..labN (default $DEFAULT_HOSTS), installing missing Debian
                         packages first; idempotent: restarts only what is dead (and a libvirtd whose
                         libvirtd.conf/qemu.conf changed), adds missing hosts; makes the lab CA
                         ($LAB_DIR/pki) and each host's migration TLS certificates (see tls-dir)
  packages               install the missing Debian packages only (what \`up\` installs first;
                         tests/run.sh builds with libvirt-dev while the hosts come up)
  down                   destroy every lab VM, end every lab process (by PID), remove namespaces,
                         veths, bridge, $LAB_DIR and the lab's known_hosts lines; idempotent
  status                 one line per host; exit 0 if all are healthy, 1 otherwise
  inventory              print a vmigrate TOML inventory for the lab
  hosts                  host names, one per line
  addr HOST              the host's address
  virsh HOST ARGS...     virsh -c qemu:///system ARGS... inside HOST
  exec HOST CMD...       run CMD inside HOST's mount, network and UTS namespaces
  libvirtd stop HOST     stop HOST's libvirtd (its guests keep running)
  libvirtd start HOST    start it again (up also restarts a stopped one)
  vm create HOST NAME [--disk net|local|shared] [--memory MiB] [--bridge BR] [--fill MiB]
            [--dirty MiB [--dirty-spin N] [--dirty-mode counter|random]] [--no-cpu]
                         define and start a persistent idle BIOS guest (1 vCPU, 128 MiB default,
                         at most 256) with a 64 MiB qcow2 disk:
                           net     NBD disk served by qemu-nbd on $BRIDGE_ADDR from
                                   $LAB_DIR/storage/NAME.qcow2 (default; migrates without flags)
                           local   /var/lib/libvirt/images/NAME.qcow2 on HOST itself
                                   (migrate with --copy-storage-all after pre-creating it on the
                                   destination)
                           shared  $LAB_DIR/shared/NAME.qcow2, the same path on every host
                                   (libvirt needs --unsafe for it)
                         --bridge BR adds a virtio NIC on bridge BR of HOST (see bridge add)
                         --fill MiB writes that much data into the disk (local, shared), so that
                                   block migration takes time under a --bandwidth cap
                         --dirty MiB boots the dirtying guest instead (tests/lab/dirty.asm; net,
                                   shared): it increments a counter in every 4 KiB page from 1 MiB
                                   to MiB, endlessly (~20 MiB/s dirtied under dirty logging)
                         --dirty-spin N: N busy-loop turns after each page, so the dirty rate
                                   scales with the CPU the guest gets (auto-converge tests)
                         --dirty-mode random: each page also gets 4092 bytes of pseudo-random
                                   data, new on every sweep (incompressible, XBZRLE's worst case;
                                   the default, counter, changes one byte per page: its best);
                                   in this lab it dirties only ~2-4 MiB/s (README)
                         --no-cpu: no <cpu> element (libvirt's default model), as under TCG
                         KVM if /dev/kvm opens read-write, else TCG; VMIGRATE_LAB_ACCEL=tcg|kvm forces
  vm destroy HOST NAME   destroy and undefine NAME on HOST, remove its disk and NBD server
  vm destroy-all         do that for every VM on every lab host and clean all lab storage
  vm pattern HOST NAME   check a dirtying guest's memory (paused for the snapshot): every page's
                         counter must be v or v+1 with one boundary, and in random mode every
                         page's fill must be the one its counter gives; exit 1 if not
  vm wait-dirty HOST NAME [MIN] [SECS]  wait until QEMU measures NAME dirtying >= MIN MiB/s
                         (default 8, random mode 1, within 60 s); vm create --dirty does this
                         before returning
  link HOST down|up      take HOST's veth on $BRIDGE down (a cut network: its daemons and guests keep
                         running, nothing reaches it, vmigrate's SSH included) or up again
  ssh HOST cut|restore   drop (or let through again) the operator's SSH to HOST: packets from $BRIDGE_ADDR to
                         its port 22, open connections included; host-to-host traffic is untouched
  bridge add HOST BR     create Linux bridge BR inside HOST's network namespace only
  bridge del HOST BR     delete it
  tls-dir                the directory, inside every host, holding QEMU's migration TLS files
                         ($TLS_HOST_DIR: ca-cert.pem, server-cert.pem, server-key.pem,
                         client-cert.pem, client-key.pem; keys 0600 root:root); qemu.conf sets
                         migrate_tls_x509_cert_dir to it with migrate_tls_x509_verify = 1, so
                         \`virsh migrate --tls\` (vmigrate live --tls) works between lab hosts
  help                   this text

Migration between lab hosts (lab.md): use the destination's address as migration URI, e.g.
  virsh -c 'qemu+ssh://root@$NET_PREFIX.11:22/system?keyfile=$KEY&no_tty=1' \\
    migrate --live --p2p --persistent --undefinesource NAME \\
    'qemu+ssh://$NET_PREFIX.12/system?keyfile=$KEY&no_tty=1' --migrateuri tcp://$NET_PREFIX.12
Add --tls for QEMU's native TLS: the source's QEMU checks that lab2's server certificate names the
migration URI's host ($NET_PREFIX.12); every lab certificate carries the host's name and address.
EOF
}

main() {
	local verb=${1:-help}
	shift || true
	case $verb in
	up) cmd_up "$@" ;;
	packages)
		need_root
		ensure_packages
		;;
	down) cmd_down ;;
	status) cmd_status ;;
	inventory) cmd_inventory ;;
	hosts) lab_hosts ;;
	addr)
		[[ $# -eq 1 ]] || die "usage: lab.sh addr HOST"
		require_host "$1"
		host_addr "$1"
		;;
	virsh)
		[[ $# -ge 1 ]] || die "usage: lab.sh virsh HOST ARGS..."
		require_host "$1"
		local a
		a=$(daemon_pid "$1" anchor) || die "lab host $1 is not running (try: lab.sh up)"
		shift
		exec nsenter -t "$a" -m -n -u -- virsh -c qemu:///system "$@"
		;;
	exec)
		[[ $# -ge 2 ]] || die "usage: lab.sh exec HOST CMD..."
		require_host "$1"
		local a
		a=$(daemon_pid "$1" anchor) || die "lab host $1 is not running (try: lab.sh up)"
		shift
		exec nsenter -t "$a" -m -n -u -- "$@"
		;;
	libvirtd) cmd_libvirtd "$@" ;;
	vm) cmd_vm "$@" ;;
	bridge) cmd_bridge "$@" ;;
	link) cmd_link "$@" ;;
	tls-dir) cmd_tls_dir "$@" ;;
	ssh) cmd_ssh "$@" ;;
	help | -h | --help) usage ;;
	*)
		usage >&2
		die "unknown command '$verb'"
		;;
	esac
}

main "$@"
