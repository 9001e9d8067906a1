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
AUTH_KEYS="$LAB_DIR/authorized_keys"
ROOT_HOME=$(getent passwd root | cut -d: -f6)
KNOWN_HOSTS="$ROOT_HOME/.ssh/known_hosts"
KH_MARK=vmigrate-lab # trailing comment of every known_hosts line the lab writes
MAX_HOSTS=64
NBD_FIRST_PORT=10809
DEFAULT_HOSTS=3
# The directories each host gets its own copy of (see host-init.sh), as "dir-name:mount-point".
HOST_MOUNTS=(etc:/etc/libvirt lib:/var/lib/libvirt log:/var/log/libvirt cache:/var/cache/libvirt home:/root run:/run)
DAEMON_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$ROOT_HOME" LANG=C.UTF-8)
SSH_OPTS=(-i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$KNOWN_HOSTS"
	-o ConnectTimeout=3 -o GSSAPIAuthentication=no -o LogLevel=ERROR)

# ---------------------------------------------------------------------------------------------------
# small helpers

die() {
	echo "lab.sh: $*" >&2
	exit 1
}
note() { echo "lab: $*" >&2; } # progress goes to stderr: stdout stays machine-readable

need_root() { [[ $EUID -eq 0 ]] || die "must run as root"; }

# Serialise commands that change the lab, so test processes calling lab.sh concurrently do not race.
lock() {
	mkdir -p "$(dirname "$LOCK_FILE")"
	exec 9>>"$LOCK_FILE"
	flock -w 900 9 || die "timed out waiting for $LOCK_FILE"
}

# Run a command with stdio on LOG and every inherited descriptor above 2 closed. Daemons must not keep
# the lock (fd 9) or a caller's stdout pipe open, or the next lab.sh / the test's output read hangs.
# With --bg the command runs in the background (its PID is then $!).
run_closed() {
	local bg=""
	if [[ $1 == --bg ]]; then bg=1 && shift; fi
	local log=$1
	shift
	if [[ -n $bg ]]; then
		_closed_exec "$log" "$@" &
	else
		(_closed_exec "$log" "$@")
	fi
}
_closed_exec() { # only ever called in a subshell: it execs
	local log=$1 fd
	shift
	for fd in /proc/self/fd/*; do
		fd=${fd##*/}
		if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
	done
	exec "$@" </dev/null >>"$log" 2>&1
}

one_line() { tr '\n' ' ' | sed -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//'; }

# ---------------------------------------------------------------------------------------------------
# naming

host_index() {
	if ! [[ $1 =~ ^lab([1-9][0-9]*)$ ]] || ((BASH_REMATCH[1] > MAX_HOSTS)); then
		die "bad host name '$1' (expected lab1..lab$MAX_HOSTS)"
	fi
	echo "${BASH_REMATCH[1]}"
}
host_ns() { echo "$NS_PREFIX$1"; }
host_dir() { echo "$LAB_DIR/hosts/$1"; }
host_addr() {
	local i
	i=$(host_index "$1")
	echo "$NET_PREFIX.$((10 + i))"
}
host_veth() { # root-namespace end of the host's veth pair (names must stay below 16 characters)
	local i
	i=$(host_index "$1")
	echo "vmlab$i"
}

# Hosts the lab has created, in order.
lab_hosts() {
	local d
	[[ -d $LAB_DIR/hosts ]] || return 0
	for d in "$LAB_DIR"/hosts/lab*; do
		[[ -d $d && ${d##*/} =~ ^lab[1-9][0-9]*$ ]] && echo "${d##*/}"
	done | sort -V
}

require_host() { # HOST must be a lab host that was brought up
	host_index "$1" >/dev/null
	[[ -d $(host_dir "$1") ]] || die "unknown lab host '$1' (is the lab up? try: lab.sh up)"
}

# ---------------------------------------------------------------------------------------------------
# processes: everything is tracked by PID files; a PID only counts if it still lives in the host's
# network namespace (guards against PID reuse after a crash).

read_pid() {
	local p=""
	[[ -r $1 ]] || return 1
	read -r p <"$1" || true
	[[ $p =~ ^[0-9]+$ ]] || return 1
	echo "$p"
}

pid_alive() { # zombies count as dead: nobody may reap a daemon reparented to an init-less PID 1
	local st
	st=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}

ns_inode() { stat -L -c %i "/run/netns/$1" 2>/dev/null; }

pid_in_ns() { # PID NS
	local want have
	pid_alive "$1" || return 1
	want=$(ns_inode "$2") || return 1
	have=$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) || return 1
	[[ $want == "$have" ]]
}

pidfile_of() { # HOST anchor|virtlogd|libvirtd|sshd
	local d
	d=$(host_dir "$1")
	case $2 in
	anchor) echo "$d/anchor.pid" ;;
	virtlogd) echo "$d/run/virtlogd.pid" ;; # written by the daemon into its private /run
	libvirtd) echo "$d/run/libvirtd.pid" ;;
	sshd) echo "$d/sshd.pid" ;;
	*) die "internal: unknown daemon $2" ;;
	esac
}

# Prints the PID of HOST's DAEMON if it is running, fails otherwise.
daemon_pid() {
	local p
	p=$(read_pid "$(pidfile_of "$1" "$2")") || return 1
	pid_in_ns "$p" "$(host_ns "$1")" || return 1
	echo "$p"
}

# Send SIGTERM to the PIDs given, wait until they are gone, SIGKILL the stubborn ones.
kill_pids() {
	local p left i
	(($#)) || return 0
	kill -TERM "$@" 2>/dev/null || true
	for i in $(seq 1 100); do
		left=()
		for p in "$@"; do pid_alive "$p" && left+=("$p"); done
		((${#left[@]})) || return 0
		sleep 0.1
		if ((i == 80)); then kill -KILL "${left[@]}" 2>/dev/null || true; fi
	done
	note "still alive after SIGKILL: ${left[*]}"
}

# ---------------------------------------------------------------------------------------------------
# running things inside a host

# nsenter into the mount, net and UTS namespaces of the host's anchor process.
in_host() {
	local host=$1 a
	shift
	# Returns instead of dying: callers use it in conditions (e.g. down after a partial up).
	if ! a=$(daemon_pid "$host" anchor); then
		echo "lab.sh: lab host $host is not running (try: lab.sh up)" >&2
		return 1
	fi
	nsenter -t "$a" -m -n -u -- "$@"
}

host_virsh() { # HOST ARGS... — bounded, for the script's own use
	local host=$1
	shift
	in_host "$host" timeout 20 virsh -q -c qemu:///system "$@"
}

# ---------------------------------------------------------------------------------------------------
# up

pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

apt_install() {
	local guard="" rc=0
	# openssh-server's and libvirt's maintainer scripts would start a system-wide sshd/libvirtd in the
	# root namespace; a temporary policy-rc.d (the standard Debian switch) forbids starting services.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		guard=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || rc=$?
	[[ -z $guard ]] || rm -f /usr/sbin/policy-rc.d
	return "$rc"
}

ensure_packages() {
	local want=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev qemu-system-x86
		openssh-server openssh-client iproute2 pkg-config nasm qemu-utils)
	local missing=() p installed
	# One dpkg-query for all of them keeps a no-op `up` fast.
	installed=" $(dpkg-query -W -f='${Package}=${Status}\n' "${want[@]}" 2>/dev/null |
		sed -n 's/^\([^:=]*\)\(:[a-z0-9]*\)\?=install ok installed$/\1/p' | tr '\n' ' ' || true) "
	for p in "${want[@]}"; do
		# A newer qemu-utils (10.x from backports) may already provide the tools; installing Debian 12's
		# next to it failed once with "held broken packages", so a working qemu-img/qemu-nbd is enough.
		# But only when qemu-system-x86 is installed already: installing Debian 12's qemu-system-x86 removes
		# that newer qemu-utils (seen on a fresh image: qemu-img vanished mid-install), so then both go in
		# one apt call.
		if [[ $p == qemu-utils && $installed == *" qemu-system-x86 "* ]] &&
			command -v qemu-img >/dev/null && command -v qemu-nbd >/dev/null; then
			continue
		fi
		[[ $installed == *" $p "* ]] || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	note "installing: ${missing[*]}"
	apt-get update -q >&2 || die "apt-get update failed"
	if ! apt_install "${missing[@]}" >&2; then
		# A combined install failed once with "held broken packages"; one by one gets the rest in.
		note "combined install failed, installing one by one"
		for p in "${missing[@]}"; do
			pkg_installed "$p" || apt_install "$p" >&2 || note "could not install $p"
		done
	fi
	# Belt and braces for the case above: whatever removed qemu-img, Debian 12's qemu-utils brings it back.
	if ! command -v qemu-img >/dev/null || ! command -v qemu-nbd >/dev/null; then
		note "qemu-img/qemu-nbd missing after the install: installing qemu-utils"
		apt_install qemu-utils >&2 || note "could not install qemu-utils"
	fi
	for p in virsh libvirtd virtlogd qemu-system-x86_64 qemu-img qemu-nbd sshd ssh ssh-keygen; do
		command -v "$p" >/dev/null || [[ -x /usr/sbin/$p ]] || die "missing $p after package install"
	done
}

ensure_users() {
	# lab.md: libvirtd refuses to start its QEMU driver ("Failed to parse user 'libvirt-qemu'") unless
	# user libvirt-qemu and group kvm exist, even with user = "root" in qemu.conf. Debian's build also
	# uses libvirt-qemu as the default *group* ("Failed to parse group 'libvirt-qemu'" when only the
	# user exists, seen here), so that group is made as well.
	getent group kvm >/dev/null || groupadd --system kvm
	getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
	getent passwd libvirt-qemu >/dev/null ||
		useradd --system --gid libvirt-qemu --groups kvm --no-create-home --home-dir /var/lib/libvirt \
			--shell /usr/sbin/nologin libvirt-qemu
}

check_lab_dir() {
	local m
	[[ $LAB_DIR == /* ]] || die "VMIGRATE_LAB_DIR must be an absolute path"
	# Inside a host these paths are covered by its private bind mounts, and the key, authorized_keys
	# and shared/ must be visible at the same path on every host.
	for m in "${HOST_MOUNTS[@]}"; do
		m=${m#*:}
		[[ $LAB_DIR != "$m" && $LAB_DIR != "$m"/* ]] || die "VMIGRATE_LAB_DIR must not be below $m"
	done
}

ensure_base() {
	local m
	mkdir -p "$LAB_DIR"/{hosts,shared,storage,nbd,vms}
	chmod 0755 "$LAB_DIR" # sshd's StrictModes checks every directory above authorized_keys
	if [[ ! -s $KEY || ! -s $KEY.pub ]]; then
		rm -f "$KEY" "$KEY.pub"
		ssh-keygen -q -t ed25519 -N '' -C "$KH_MARK-client" -f "$KEY"
	fi
	install -m 0644 "$KEY.pub" "$AUTH_KEYS"
	# The bind mounts in host-init.sh need existing mount points (lab.md); packages normally create
	# them, but not every machine has all of them. Empty directories, nothing else.
	for m in "${HOST_MOUNTS[@]}"; do mkdir -p "${m#*:}"; done

	if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
		ip link add "$BRIDGE" type bridge
	fi
	# Only the lab's own subnet on the lab's own bridge: no route elsewhere, no NAT, no forwarding.
	ip addr replace "$BRIDGE_ADDR/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
}

write_host_files() { # HOST — (re)writes the host's configuration; keys are made once
	local host=$1 d i addr
	d=$(host_dir "$host")
	i=$(host_index "$host")
	addr=$(host_addr "$host")
	for m in "${HOST_MOUNTS[@]}"; do mkdir -p "$d/${m%%:*}"; done
	mkdir -p "$d/run/sshd" "$d/lib/images" "$d/log/qemu"
	chmod 0755 "$d/run/sshd"

	# lab.md: libvirt refuses "migration to the same host" when host UUIDs match, so each host gets
	# its own (fixed per index, so it survives restarts). Plain TCP without auth is for the lab only.
	cat >"$d/etc/libvirtd.conf" <<EOF
# generated by tests/lab/lab.sh for $host
host_uuid = "5e1ab000-0000-4000-8000-$(printf '%012d' "$i")"
listen_tls = 0
listen_tcp = 1
listen_addr = "$addr"
auth_tcp = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
	# lab.md: the qemu.conf that worked without systemd/cgroup v2 inside these namespaces.
	cat >"$d/etc/qemu.conf" <<EOF
# generated by tests/lab/lab.sh for $host
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
user = "root"
group = "root"
EOF
	if [[ ! -s $d/ssh_host_ed25519_key ]]; then
		rm -f "$d/ssh_host_ed25519_key" "$d/ssh_host_ed25519_key.pub"
		ssh-keygen -q -t ed25519 -N '' -C "$KH_MARK-$host" -f "$d/ssh_host_ed25519_key"
	fi
	cat >"$d/sshd_config" <<EOF
# generated by tests/lab/lab.sh for $host
ListenAddress $addr
Port 22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile $AUTH_KEYS
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
MaxStartups 100
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

ensure_host_net() { # HOST — namespace, veth pair into the bridge, address
	local host=$1 ns veth addr
	ns=$(host_ns "$host")
	veth=$(host_veth "$host")
	addr=$(host_addr "$host")
	[[ -e /run/netns/$ns ]] || ip netns add "$ns"
	if ! ip link show "$veth" >/dev/null 2>&1; then
		# A veth pair dies as a whole, so an eth0 left in the namespace without its peer cannot exist.
		ip link add "$veth" type veth peer name eth0 netns "$ns"
	fi
	ip link set "$veth" master "$BRIDGE" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr replace "$addr/24" dev eth0
	ip -n "$ns" link set eth0 up
}

ensure_anchor() { # HOST — the long-lived process whose namespaces are the host
	local host=$1 ns d p i leftovers
	ns=$(host_ns "$host")
	d=$(host_dir "$host")
	daemon_pid "$host" anchor >/dev/null && return 0
	# The mount namespace went away with its anchor: whatever still runs in the netns belongs to a
	# previous incarnation of this host (its sockets would clash), so it goes before a fresh start.
	mapfile -t leftovers < <(ip netns pids "$ns" 2>/dev/null)
	if ((${#leftovers[@]})); then
		note "$host: anchor gone, ending its leftover processes ${leftovers[*]}"
		kill_pids "${leftovers[@]}"
	fi
	rm -f "$d/anchor.pid" "$d/run/"*.pid "$d/sshd.pid"
	# lab.md: inside `ip netns exec NAME unshare --mount --uts --propagation private` set the hostname
	# and bind-mount the per-host directories; private propagation keeps the mounts out of the machine.
	run_closed --bg "$d/anchor.log" setsid ip netns exec "$ns" \
		unshare --mount --uts --propagation private -- bash "$HOST_INIT" "$host" "$d" \
		"$(readlink /proc/self/ns/uts)" "$(readlink /proc/self/ns/mnt)" "$(readlink /proc/self/ns/net)"
	for i in $(seq 1 100); do
		if p=$(read_pid "$d/anchor.pid") && pid_in_ns "$p" "$ns"; then return 0; fi
		sleep 0.05
	done
	die "$host: namespace setup failed: $(tail -n 3 "$d/anchor.log" 2>/dev/null | one_line)"
}

# Start DAEMON on HOST inside its namespaces (virtlogd, libvirtd and sshd daemonise themselves).
start_daemon() {
	local host=$1 what=$2 d a
	d=$(host_dir "$host")
	a=$(daemon_pid "$host" anchor) || die "$host: not running (try: lab.sh up)"
	rm -f "$(pidfile_of "$host" "$what")"
	local cmd
	case $what in
	virtlogd) cmd=(virtlogd -d) ;;
	# lab.md: no systemd as PID 1, so libvirtd runs as a plain daemon; --listen for the TCP socket.
	libvirtd) cmd=(libvirtd -d --listen) ;;
	sshd) cmd=(/usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log") ;;
	esac
	run_closed "$d/daemons.log" nsenter -t "$a" -m -n -u -- setsid "${DAEMON_ENV[@]}" "${cmd[@]}" ||
		die "$host: $what failed to start (see $d/daemons.log)"
}

# Wait until HOST's DAEMON answers (CHECK succeeds); give up at once, with its log, if it died.
wait_daemon() { # HOST DAEMON LOG CHECK...
	local host=$1 what=$2 log=$3 end dead=0
	shift 3
	end=$((SECONDS + 60))
	until "$@" >/dev/null 2>&1; do
		if daemon_pid "$host" "$what" >/dev/null; then dead=0; else dead=$((dead + 1)); fi
		# A few polls of grace: the daemon's pidfile may lag its parent's exit for a moment.
		((dead < 20)) || die "$host: $what died: $(grep -v -e ' info : ' -e dnsmasq -e DBus -e 'system bus' \
			-e udev -e dmidecode "$log" 2>/dev/null | tail -n 2 | one_line)"
		((SECONDS < end)) || die "$host: timed out after 60s waiting for $what"
		sleep 0.1
	done
}

# `capabilities`, not just `uri`: the first capabilities call makes libvirtd probe QEMU (seconds,
# several hosts at once); a host counts as up only once that is done, so that the first test to
# connect does not spend its connect timeout on it.
libvirtd_answers() { daemon_pid "$1" libvirtd >/dev/null && host_virsh "$1" capabilities >/dev/null; }
sshd_accepts() {
	local addr
	addr=$(host_addr "$1")
	daemon_pid "$1" sshd >/dev/null && timeout 10 ssh "${SSH_OPTS[@]}" "root@$addr" true </dev/null
}

# Make root's known_hosts trust every given host's key (lab.md: qemu+ssh works once the host keys
# are in known_hosts). Both the operator's ssh and the libvirtds' peer-to-peer ssh read this file.
update_known_hosts() {
	local host addr tmp line
	local -a lines=() addrs=() key
	for host in "$@"; do
		addr=$(host_addr "$host")
		read -r -a key <"$(host_dir "$host")/ssh_host_ed25519_key.pub"
		line="$addr ${key[0]} ${key[1]} $KH_MARK"
		lines+=("$line")
		addrs+=("$addr")
	done
	if [[ ! -d $ROOT_HOME/.ssh ]]; then install -d -m 0700 "$ROOT_HOME/.ssh"; fi
	touch "$KNOWN_HOSTS"
	# An entry for a lab address not written by the lab (e.g. a hashed one ssh added itself) would
	# make ssh refuse the new key of a re-created lab; lab addresses belong to the lab.
	for addr in "${addrs[@]}"; do
		if grep -v " $KH_MARK\$" "$KNOWN_HOSTS" | ssh-keygen -F "$addr" -f /dev/stdin >/dev/null 2>&1; then
			ssh-keygen -R "$addr" -f "$KNOWN_HOSTS" >/dev/null 2>&1 || true
			rm -f "$KNOWN_HOSTS.old"
		fi
	done
	tmp=$(mktemp "$KNOWN_HOSTS.lab.XXXXXX")
	# Drop the lab's own lines for these addresses, keep everything else, append the current keys.
	awk -v mark="$KH_MARK" -v list="${addrs[*]}" '
		BEGIN { n = split(list, a, " "); for (i = 1; i <= n; i++) drop[a[i]] = 1 }
		!($NF == mark && ($1 in drop)) { print }' "$KNOWN_HOSTS" >"$tmp"
	printf '%s\n' "${lines[@]}" >>"$tmp"
	cat "$tmp" >"$KNOWN_HOSTS" # rewrite in place: keeps the file's owner and mode
	rm -f "$tmp"
	# Each host has its own /root (see host-init.sh); its libvirtd's peer-to-peer ssh reads this
	# copy, which trusts every lab host.
	for host in $(lab_hosts); do
		install -d -m 0700 "$(host_dir "$host")/home/.ssh"
		printf '%s\n' "${lines[@]}" >"$(host_dir "$host")/home/.ssh/known_hosts"
	done
}

cmd_up() {
	local n=${1:-$DEFAULT_HOSTS} host i existing=0 target
	if ! [[ $n =~ ^[1-9][0-9]*$ ]] || ((n > MAX_HOSTS)); then die "up: host count must be 1..$MAX_HOSTS"; fi
	need_root
	check_lab_dir
	lock
	ensure_packages
	ensure_users
	ensure_base
	for host in $(lab_hosts); do
		i=$(host_index "$host")
		((i > existing)) && existing=$i
	done
	target=$((n > existing ? n : existing)) # `up 3` after `up 8` keeps (and heals) all 8

	local -a hosts=() pids=()
	for ((i = 1; i <= target; i++)); do hosts+=("lab$i"); done
	for host in "${hosts[@]}"; do
		write_host_files "$host"
		ensure_host_net "$host"
		ensure_anchor "$host"
	done
	update_known_hosts "${hosts[@]}"
	# Start only what is dead; each host in parallel (libvirtd's start-up is most of the wait).
	for host in "${hosts[@]}"; do
		(
			daemon_pid "$host" virtlogd >/dev/null || start_daemon "$host" virtlogd
			daemon_pid "$host" libvirtd >/dev/null || start_daemon "$host" libvirtd
			wait_daemon "$host" libvirtd "$(host_dir "$host")/log/libvirtd.log" libvirtd_answers "$host"
			# A test login only for a freshly started sshd: it is most of the time of a no-op `up`.
			if ! daemon_pid "$host" sshd >/dev/null; then
				start_daemon "$host" sshd
				wait_daemon "$host" sshd "$(host_dir "$host")/sshd.log" sshd_accepts "$host"
			fi
		) &
		pids+=($!)
	done
	local failed=0
	for i in "${pids[@]}"; do wait "$i" || failed=1; done
	((failed == 0)) || die "up: some hosts failed to come up (lab.sh status; logs in $LAB_DIR/hosts/*/)"
	note "up: ${#hosts[@]} hosts (${hosts[0]}..${hosts[-1]}) on $BRIDGE $NET_PREFIX.0/24, state in $LAB_DIR"
}

# ---------------------------------------------------------------------------------------------------
# down

nbd_pid() { # NAME — PID of the lab's qemu-nbd serving NAME, if running
	local p
	p=$(read_pid "$LAB_DIR/nbd/$1.pid") || return 1
	pid_alive "$p" || return 1
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "qemu-nbd" || return 1
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$LAB_DIR/storage/" || return 1
	echo "$p"
}

qemu_pids() { # HOST — PIDs of the host's qemu processes, from libvirt's pidfiles in its private /run
	local host=$1 f p ns
	ns=$(host_ns "$host")
	for f in "$(host_dir "$host")"/run/libvirt/qemu/*.pid; do
		[[ -e $f && ${f##*/} != driver.pid ]] || continue # driver.pid is libvirtd's own
		p=$(read_pid "$f") || continue
		pid_in_ns "$p" "$ns" && echo "$p"
	done
	return 0
}

cmd_down() {
	local host ns p f i
	local -a hosts=() pids=() guests=()
	need_root
	lock
	# Every host the lab knows of, from its state dir and from the namespaces it named.
	mapfile -t hosts < <({
		lab_hosts
		ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^${NS_PREFIX}\(lab[1-9][0-9]*\)$/\1/p"
	} | sort -uV)
	# Guests first: SIGTERM to every qemu (what `virsh destroy` does), all hosts at once — one
	# `virsh destroy` after another takes ~2 s per guest here. Everything is thrown away below.
	for host in "${hosts[@]}"; do
		[[ -d $(host_dir "$host") ]] && mapfile -t -O "${#guests[@]}" guests < <(qemu_pids "$host")
	done
	if ((${#guests[@]})); then kill_pids "${guests[@]}"; fi
	for host in "${hosts[@]}"; do
		ns=$(host_ns "$host")
		if [[ -d $(host_dir "$host") ]]; then
			for f in libvirtd virtlogd sshd anchor; do
				p=$(daemon_pid "$host" "$f") && pids+=("$p")
			done
		fi
		# Anything else still in the host's network namespace was started inside the lab (ssh
		# sessions, ssh tunnels of peer-to-peer migrations, commands run with `lab.sh exec`).
		[[ -e /run/netns/$ns ]] && mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns")
	done
	for f in "$LAB_DIR"/nbd/*.pid; do
		[[ -e $f ]] || continue
		f=${f##*/}
		p=$(nbd_pid "${f%.pid}") && pids+=("$p")
	done
	if ((${#pids[@]})); then
		mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un)
		kill_pids "${pids[@]}"
	fi
	# The daemons were reparented to PID 1, which (in this sandbox) reaps orphans only every second
	# or so; waiting a little lets `down` return with no <defunct> lab process left.
	pids+=("${guests[@]}")
	for i in $(seq 1 50); do
		p=""
		for f in "${pids[@]}"; do [[ -e /proc/$f ]] && p=$f && break; done
		[[ -n $p ]] || break
		sleep 0.1
	done
	for host in "${hosts[@]}"; do
		ns=$(host_ns "$host")
		# The root end first: deleting it removes the pair. (After `ip netns del` the kernel frees the
		# namespace, and its veths, asynchronously: a check-then-delete of the veth then races.)
		f=$(host_veth "$host")
		if ip link show "$f" >/dev/null 2>&1; then ip link del "$f" 2>/dev/null || true; fi
		if [[ -e /run/netns/$ns ]]; then ip netns del "$ns"; fi
	done
	if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
	if [[ -d $LAB_DIR ]]; then rm -rf --one-file-system "$LAB_DIR"; fi
	if [[ -f $KNOWN_HOSTS ]] && grep -q " $KH_MARK\$" "$KNOWN_HOSTS"; then
		local tmp
		tmp=$(mktemp "$KNOWN_HOSTS.lab.XXXXXX")
		grep -v " $KH_MARK\$" "$KNOWN_HOSTS" >"$tmp" || true
		cat "$tmp" >"$KNOWN_HOSTS"
		rm -f "$tmp"
	fi
	note "down: ${#hosts[@]} hosts removed"
}

# ---------------------------------------------------------------------------------------------------
# status, inventory, names

cmd_status() {
	local host ns addr rc=0 ok net lv ss lg doms
	local -a hosts
	mapfile -t hosts < <(lab_hosts)
	if ((${#hosts[@]} == 0)); then
		echo "lab is down (no hosts in $LAB_DIR)"
		return 1
	fi
	for host in "${hosts[@]}"; do
		ns=$(host_ns "$host")
		addr=$(host_addr "$host")
		ok=1 net=missing lv=dead ss=dead lg=dead doms=-
		[[ -e /run/netns/$ns ]] && net=present || ok=0
		# "orphaned": the namespace exists but the anchor holding the host's mounts is gone.
		if ! daemon_pid "$host" anchor >/dev/null; then
			ok=0
			[[ $net == missing ]] || net=orphaned
		fi
		daemon_pid "$host" virtlogd >/dev/null && lg=alive || ok=0
		daemon_pid "$host" sshd >/dev/null && ss=alive || ok=0
		if daemon_pid "$host" libvirtd >/dev/null; then
			lv=alive
			if doms=$(host_virsh "$host" list --name 2>/dev/null); then
				doms=$(echo "$doms" | sed '/^$/d' | paste -sd, -)
				doms=${doms:-none}
			else
				lv=unresponsive doms='?' ok=0
			fi
		else
			ok=0
		fi
		printf '%-6s %-14s netns=%-8s libvirtd=%-5s sshd=%-5s virtlogd=%-5s %-9s domains=%s\n' \
			"$host" "$addr" "$net" "$lv" "$ss" "$lg" "$( ((ok)) && echo healthy || echo UNHEALTHY)" "$doms"
		((ok)) || rc=1
	done
	return "$rc"
}

cmd_inventory() {
	local host
	local -a hosts
	mapfile -t hosts < <(lab_hosts)
	((${#hosts[@]})) || die "inventory: the lab is down (run: lab.sh up)"
	cat <<EOF
# vmigrate inventory for the lab (generated by tests/lab/lab.sh inventory)
[defaults]
user = "root"
port = 22
identity_file = "$KEY"
known_hosts = "$KNOWN_HOSTS"
peer_uri = "qemu+ssh://{address}/system?keyfile=$KEY&no_tty=1"
instances_path = "/var/lib/libvirt/images"
EOF
	for host in "${hosts[@]}"; do
		cat <<EOF

[[hosts]]
name = "$host"
address = "$(host_addr "$host")"
zone = "lab"
tags = ["lab"]
EOF
	done
}

# ---------------------------------------------------------------------------------------------------
# libvirtd stop|start

cmd_libvirtd() {
	local action=${1:-} host=${2:-} p
	[[ -n $host ]] || die "usage: lab.sh libvirtd stop|start HOST"
	need_root
	require_host "$host"
	lock
	case $action in
	stop)
		if p=$(daemon_pid "$host" libvirtd); then kill_pids "$p"; fi
		rm -f "$(pidfile_of "$host" libvirtd)"
		;;
	start)
		daemon_pid "$host" anchor >/dev/null || die "$host is not running (try: lab.sh up)"
		daemon_pid "$host" virtlogd >/dev/null || start_daemon "$host" virtlogd
		daemon_pid "$host" libvirtd >/dev/null || start_daemon "$host" libvirtd
		wait_daemon "$host" libvirtd "$(host_dir "$host")/log/libvirtd.log" libvirtd_answers "$host"
		;;
	*) die "usage: lab.sh libvirtd stop|start HOST" ;;
	esac
}

# ---------------------------------------------------------------------------------------------------
# bridges inside one host

valid_ifname() { [[ $1 =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "bad interface name '$1'"; }

cmd_bridge() {
	local action=${1:-} host=${2:-} br=${3:-} ns
	[[ -n $br ]] || die "usage: lab.sh bridge add|del HOST BRIDGE"
	need_root
	require_host "$host"
	valid_ifname "$br"
	ns=$(host_ns "$host")
	[[ -e /run/netns/$ns ]] || die "$host is not running (try: lab.sh up)"
	lock
	case $action in
	add)
		ip -n "$ns" link show "$br" >/dev/null 2>&1 || ip -n "$ns" link add "$br" type bridge
		ip -n "$ns" link set "$br" up
		;;
	del)
		if ip -n "$ns" link show "$br" >/dev/null 2>&1; then ip -n "$ns" link del "$br"; fi
		;;
	*) die "usage: lab.sh bridge add|del HOST BRIDGE" ;;
	esac
}

# ---------------------------------------------------------------------------------------------------
# link HOST down|up: cut a host off the bridge (a network failure) and back

cmd_link() {
	local host=${1:-} action=${2:-}
	[[ $action == down || $action == up ]] || die "usage: lab.sh link HOST down|up"
	need_root
	require_host "$host"
	ip link set "$(host_veth "$host")" "$action"
}

# ---------------------------------------------------------------------------------------------------
# test VMs

domain_type() {
	case ${VMIGRATE_LAB_ACCEL:-auto} in
	tcg) echo qemu ;;
	kvm) echo kvm ;;
	auto)
		# /dev/kvm can exist without being usable; only opening it read-write tells.
		if (exec 3<>/dev/kvm) 2>/dev/null; then echo kvm; else echo qemu; fi
		;;
	*) die "VMIGRATE_LAB_ACCEL must be auto, kvm or tcg" ;;
	esac
}

free_nbd_port() {
	local port f used
	used=" $(cat "$LAB_DIR"/nbd/*.port 2>/dev/null | tr '\n' ' ' || true) "
	for ((port = NBD_FIRST_PORT; port < NBD_FIRST_PORT + 1000; port++)); do
		[[ $used == *" $port "* ]] && continue
		f=$(ss -Htln "sport = :$port" 2>/dev/null)
		[[ -z $f ]] && echo "$port" && return 0
	done
	return 1
}

start_nbd() { # NAME — serve storage/NAME.qcow2 on the bridge address, print the port
	local name=$1 port p
	port=$(free_nbd_port) || die "no free NBD port"
	# lab.md: shared storage as a network disk served by qemu-nbd on the bridge address migrates with
	# no extra flag (libvirt treats network disks as shared). --shared: source and destination qemu
	# are both connected during a migration.
	run_closed "$LAB_DIR/nbd/$name.log" qemu-nbd --fork --persistent --shared=8 \
		--bind "$BRIDGE_ADDR" --port "$port" -f qcow2 \
		--pid-file "$LAB_DIR/nbd/$name.pid" "$LAB_DIR/storage/$name.qcow2" ||
		die "qemu-nbd failed: $(tail -n 2 "$LAB_DIR/nbd/$name.log" | one_line)"
	p=$(nbd_pid "$name") || die "qemu-nbd for $name did not stay up"
	echo "$port" >"$LAB_DIR/nbd/$name.port"
	echo "$port"
}

stop_nbd() {
	local p
	if p=$(nbd_pid "$1"); then kill_pids "$p"; fi
	rm -f "$LAB_DIR/nbd/$1".{pid,port,log}
}

domain_xml() { # NAME TYPE MEMORY DISK_XML IFACE_XML [NO_CPU]
	local name=$1 type=$2 mem=$3 disk=$4 iface=$5 nocpu=${6:-0} cpu=""
	# lab.md: host-model works under nested KVM (it comes back as a migratable custom model);
	# TCG gets QEMU's default CPU, and so does --no-cpu (lab.md: guests with no <cpu> element).
	# On AMD hosts nested KVM offers arch-capabilities (and the *-no bits that live in that MSR) in
	# host-model but refuses to set the MSR ("failed to set MSR 0x10a", QEMU aborts at start):
	# those features are disabled, which changes nothing on Intel.
	[[ $type == kvm && $nocpu == 0 ]] && cpu="<cpu mode='host-model'>
    <feature policy='disable' name='arch-capabilities'/>
    <feature policy='disable' name='rdctl-no'/>
    <feature policy='disable' name='skip-l1dfl-vmentry'/>
    <feature policy='disable' name='mds-no'/>
    <feature policy='disable' name='pschange-mc-no'/>
  </cpu>"
	cat <<EOF
<domain type='$type'>
  <name>$name</name>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
    <bios rebootTimeout='-1'/>
  </os>
  <features><acpi/></features>
  $cpu
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    $disk
    $iface
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='/var/log/libvirt/qemu/$name.serial.log'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# Remove NAME's disk artefacts unless another lab host still runs a domain of that name.
remove_vm_storage() {
	local name=$1 host
	for host in $(lab_hosts); do
		if libvirtd_answers "$host" 2>/dev/null &&
			[[ $(host_virsh "$host" domstate "$name" 2>/dev/null) == running* ]]; then
			note "vm $name still runs on $host; keeping its disk"
			return 0
		fi
	done
	stop_nbd "$name"
	rm -f "$LAB_DIR/storage/$name.qcow2" "$LAB_DIR/shared/$name.qcow2" "$LAB_DIR/vms/$name".{meta,xml,boot,mem}
	for host in $(lab_hosts); do rm -f "$(host_dir "$host")/lib/images/$name.qcow2"; done
}

vm_create() {
	local host=${1:-} name=${2:-} kind=net mem=128 br="" fill=0 dirty=0 spin=0 nocpu=0 disk iface="" type port path out
	[[ -n $name ]] || die "usage: lab.sh vm create HOST NAME [--disk net|local|shared] [--memory MiB] [--bridge BR] [--fill MiB] [--dirty MiB [--dirty-spin N]] [--no-cpu]"
	shift 2
	while (($#)); do
		if [[ $1 == --no-cpu ]]; then
			nocpu=1
			shift
			continue
		fi
		case $1 in
		--disk | --memory | --bridge | --fill | --dirty | --dirty-spin) [[ $# -ge 2 ]] || die "vm create: $1 needs a value" ;;
		*) die "vm create: unknown option '$1'" ;;
		esac
		case $1 in
		--disk) kind=$2 ;;
		--memory) mem=$2 ;;
		--bridge) br=$2 ;;
		--fill) fill=$2 ;;
		--dirty) dirty=$2 ;;
		--dirty-spin) spin=$2 ;;
		esac
		shift 2
	done
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "vm create: bad VM name '$name' (allowed: A-Z a-z 0-9 . _ -)"
	[[ $kind == net || $kind == local || $kind == shared ]] || die "vm create: --disk must be net, local or shared"
	if ! [[ $mem =~ ^[1-9][0-9]*$ ]] || ((mem < 16 || mem > 256)); then
		die "vm create: --memory must be 16..256 (MiB)"
	fi
	[[ -z $br ]] || valid_ifname "$br"
	if ! [[ $fill =~ ^[0-9]+$ ]] || ((fill > 64)); then die "vm create: --fill must be 0..64 (MiB)"; fi
	if ((fill > 0)) && [[ $kind == net ]]; then die "vm create: --fill works with --disk local or shared"; fi
	if ! [[ $dirty =~ ^[0-9]+$ ]] || { ((dirty > 0)) && ((dirty < 2 || dirty >= mem)); }; then
		die "vm create: --dirty must be 2..$((mem - 1)) (MiB, below --memory)"
	fi
	if ((dirty > 0)) && [[ $kind == local ]]; then die "vm create: --dirty works with --disk net or shared"; fi
	if ! [[ $spin =~ ^[0-9]+$ ]] || ((spin > 100000000)); then die "vm create: --dirty-spin must be 0..100000000"; fi
	need_root
	require_host "$host"
	lock
	libvirtd_answers "$host" || die "vm create: libvirtd on $host is not running"
	[[ ! -e $LAB_DIR/vms/$name.meta ]] || die "vm create: a lab VM named '$name' already exists"
	if host_virsh "$host" dominfo "$name" >/dev/null 2>&1; then die "vm create: domain '$name' already exists on $host"; fi
	if [[ -n $br ]] && ! ip -n "$(host_ns "$host")" link show "$br" >/dev/null 2>&1; then
		die "vm create: bridge '$br' does not exist on $host (lab.sh bridge add $host $br)"
	fi
	type=$(domain_type)

	case $kind in
	net)
		path="$LAB_DIR/storage/$name.qcow2"
		make_disk "$path" "$name" "$dirty" "$spin"
		port=$(start_nbd "$name")
		# qemu-nbd opens the qcow2 itself (-f qcow2) and exports the guest-visible blocks: raw.
		disk="<disk type='network' device='disk'><driver name='qemu' type='raw'/>
      <source protocol='nbd'><host name='$BRIDGE_ADDR' port='$port'/></source>
      <target dev='vda' bus='virtio'/></disk>"
		;;
	local)
		path=/var/lib/libvirt/images/$name.qcow2 # the host's own, through its bind mount
		out=$(in_host "$host" qemu-img create -q -f qcow2 "$path" 64M 2>&1) ||
			die "vm create: qemu-img: $(echo "$out" | one_line)"
		;;
	shared)
		# $LAB_DIR/shared is not bind-mounted per host, so every host sees the same file at this path.
		path="$LAB_DIR/shared/$name.qcow2"
		make_disk "$path" "$name" "$dirty" "$spin"
		;;
	esac
	# --fill: N MiB of non-zero data in the disk, so that copying it (block migration) takes
	# measurable time under a --bandwidth cap; written before the guest opens the image.
	if ((fill > 0)); then
		if [[ $kind == local ]]; then
			out=$(in_host "$host" qemu-io -f qcow2 -c "write -P 0x5a 0 ${fill}M" "$path" 2>&1) ||
				die "vm create: qemu-io: $(echo "$out" | one_line)"
		else
			out=$(qemu-io -f qcow2 -c "write -P 0x5a 0 ${fill}M" "$path" 2>&1) ||
				die "vm create: qemu-io: $(echo "$out" | one_line)"
		fi
	fi
	if [[ $kind != net ]]; then
		disk="<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='$path'/><target dev='vda' bus='virtio'/></disk>"
	fi
	[[ -z $br ]] || iface="<interface type='bridge'><source bridge='$br'/><model type='virtio'/></interface>"
	# lab.md: SeaBIOS boots the dirtying boot sector from IDE, not from virtio.
	((dirty == 0)) || disk=${disk/<target dev=\'vda\' bus=\'virtio\'\/>/<target dev=\'hda\' bus=\'ide\'\/>}

	domain_xml "$name" "$type" "$mem" "$disk" "$iface" "$nocpu" >"$LAB_DIR/vms/$name.xml"
	printf 'name=%s\nhost=%s\ndisk=%s\nport=%s\ndirty=%s\n' "$name" "$host" "$kind" "${port:-}" "$dirty" >"$LAB_DIR/vms/$name.meta"
	if ! out=$(host_virsh "$host" define "$LAB_DIR/vms/$name.xml" 2>&1) ||
		! out=$(host_virsh "$host" start "$name" 2>&1); then
		host_virsh "$host" undefine "$name" >/dev/null 2>&1 || true
		remove_vm_storage "$name"
		die "vm create: $(echo "$out" | one_line)"
	fi
	# A dirtying guest needs a few seconds (~3 s under KVM, more on a loaded machine) before it dirties
	# memory; whatever is measured or migrated before then sees an idle guest (lab.md). So `create`
	# returns once QEMU measures it dirtying, not after a fixed time.
	((dirty == 0)) || vm_wait_dirty "$host" "$name"
}

vm_wait_dirty() { # HOST NAME [MIN_MiB/s] [TIMEOUT_S]
	local host=${1:-} name=${2:-} min=${3:-8} limit=${4:-60} rate="" t0=$SECONDS
	[[ -n $name ]] || die "usage: lab.sh vm wait-dirty HOST NAME [MIN_MiB/s] [TIMEOUT_S]"
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "vm wait-dirty: bad VM name '$name'"
	require_host "$host"
	while ((SECONDS - t0 < limit)); do
		# QEMU's page-sampling dirty rate over 1 s (libvirt's domdirtyrate-calc), read back once done.
		host_virsh "$host" domdirtyrate-calc "$name" --seconds 1 >/dev/null 2>&1 || true
		sleep 1.2
		rate=$(host_virsh "$host" domstats --dirtyrate "$name" 2>/dev/null |
			sed -n 's/^ *dirtyrate.megabytes_per_second=\([0-9]*\)$/\1/p')
		if [[ -n $rate ]] && ((rate >= min)); then
			note "vm $name dirties ${rate} MiB/s (after $((SECONDS - t0)) s)"
			return 0
		fi
	done
	die "vm wait-dirty: $name on $host did not dirty ${min} MiB/s within ${limit} s (last: ${rate:-no sample} MiB/s)"
}

# A 64 MiB qcow2 at PATH; with DIRTY MiB > 0 its first sector is the dirtying guest
# (tests/lab/dirty.asm, assembled for that range and SPIN turns per page).
make_disk() { # PATH NAME DIRTY SPIN
	local path=$1 name=$2 dirty=$3 spin=${4:-0} out raw
	if (($3 == 0)); then
		out=$(qemu-img create -q -f qcow2 "$path" 64M 2>&1) || die "vm create: qemu-img: $(echo "$out" | one_line)"
		return
	fi
	raw="$LAB_DIR/vms/$name.raw"
	out=$(nasm -f bin -DEND_MB="$dirty" -DSPIN="$spin" -o "$LAB_DIR/vms/$name.boot" "$SCRIPT_DIR/dirty.asm" 2>&1) ||
		die "vm create: nasm: $(echo "$out" | one_line)"
	truncate -s 64M "$raw"
	dd if="$LAB_DIR/vms/$name.boot" of="$raw" conv=notrunc status=none
	out=$(qemu-img convert -f raw -O qcow2 "$raw" "$path" 2>&1) || die "vm create: qemu-img: $(echo "$out" | one_line)"
	rm -f "$raw"
}

# Checks the dirtying guest's memory: paused for a consistent snapshot, every 4 KiB page's
# counter from 1 MiB to the end of its range must be v or v+1 (mod 256) with one boundary.
vm_pattern() {
	local host=${1:-} name=${2:-} dirty dump out rc=0
	[[ -n $name ]] || die "usage: lab.sh vm pattern HOST NAME"
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "vm pattern: bad VM name '$name'"
	need_root
	require_host "$host"
	dirty=$(sed -n 's/^dirty=//p' "$LAB_DIR/vms/$name.meta" 2>/dev/null)
	[[ -n $dirty && $dirty != 0 ]] || die "vm pattern: $name is not a dirtying guest (vm create --dirty)"
	dump="$LAB_DIR/vms/$name.mem"
	rm -f "$dump"
	host_virsh "$host" suspend "$name" >/dev/null || die "vm pattern: cannot pause $name on $host"
	out=$(host_virsh "$host" qemu-monitor-command --hmp "$name" \
		"pmemsave 0x100000 $(((dirty - 1) * 1048576)) \"$dump\"" 2>&1) || rc=1
	host_virsh "$host" resume "$name" >/dev/null || rc=1
	if ((rc != 0)) || [[ ! -s $dump ]]; then die "vm pattern: memory dump failed: $(echo "$out" | one_line)"; fi
	python3 - "$dump" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
v = [d[i] for i in range(0, len(d), 4096)]
lo = v[-1]                      # pages after the sweep position hold v, before it v+1
bad = [i for i, x in enumerate(v) if x not in (lo, (lo + 1) % 256)]
edges = [i for i in range(1, len(v)) if v[i] != v[i - 1]]
if bad or len(edges) > 1 or (edges and v[0] != (lo + 1) % 256):
    print(f"BAD: {len(v)} pages, values {sorted(set(v))[:8]}, {len(edges)} boundaries, first bad page {bad[:1]}")
    sys.exit(1)
print(f"ok: {len(v)} pages, counters {v[0]}/{lo}, boundary at page {edges[0] if edges else '-'}")
PY
	rm -f "$dump"
}

vm_destroy() {
	local host=${1:-} name=${2:-}
	[[ -n $name ]] || die "usage: lab.sh vm destroy HOST NAME"
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "vm destroy: bad VM name '$name'"
	need_root
	require_host "$host"
	lock
	if libvirtd_answers "$host" 2>/dev/null; then
		host_virsh "$host" destroy "$name" >/dev/null 2>&1 || true
		host_virsh "$host" undefine "$name" >/dev/null 2>&1 || true
	else
		note "vm destroy: libvirtd on $host is not running; only removing storage"
	fi
	remove_vm_storage "$name"
}

vm_destroy_all() {
	local host name p f
	need_root
	lock
	local -a jobs=()
	for host in $(lab_hosts); do
		if libvirtd_answers "$host" 2>/dev/null; then
			for name in $(host_virsh "$host" list --all --name 2>/dev/null); do
				# In parallel: a `virsh destroy` takes ~2 s per guest here.
				{
					host_virsh "$host" destroy "$name" >/dev/null 2>&1 || true
					host_virsh "$host" undefine "$name" >/dev/null 2>&1 || true
				} &
				jobs+=($!)
			done
		else
			mapfile -t p < <(qemu_pids "$host")
			if ((${#p[@]})); then
				note "libvirtd on $host is not running; killing its qemu processes ${p[*]}"
				kill_pids "${p[@]}"
			fi
		fi
	done
	for p in "${jobs[@]}"; do wait "$p" || true; done
	for host in $(lab_hosts); do rm -f "$(host_dir "$host")"/lib/images/*; done
	for f in "$LAB_DIR"/nbd/*.pid; do
		[[ -e $f ]] || continue
		f=${f##*/}
		stop_nbd "${f%.pid}"
	done
	rm -f "$LAB_DIR"/storage/* "$LAB_DIR"/shared/* "$LAB_DIR"/vms/* "$LAB_DIR"/nbd/*
}

cmd_vm() {
	local sub=${1:-}
	shift || true
	case $sub in
	create) vm_create "$@" ;;
	destroy) vm_destroy "$@" ;;
	destroy-all) vm_destroy_all ;;
	pattern) vm_pattern "$@" ;;
	wait-dirty) vm_wait_dirty "$@" ;;
	*) die "usage: lab.sh vm create|destroy|destroy-all|pattern|wait-dirty ..." ;;
	esac
}

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
                         packages first; idempotent: restarts only what is dead, adds missing hosts
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
  vm create HOST NAME [--disk net|local|shared] [--memory MiB] [--bridge BR] [--fill MiB] [--dirty MiB [--dirty-spin N]] [--no-cpu]
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
                         --no-cpu: no <cpu> element (libvirt's default model), as under TCG
                         KVM if /dev/kvm opens read-write, else TCG; VMIGRATE_LAB_ACCEL=tcg|kvm forces
  vm destroy HOST NAME   destroy and undefine NAME on HOST, remove its disk and NBD server
  vm destroy-all         do that for every VM on every lab host and clean all lab storage
  vm pattern HOST NAME   check a dirtying guest's memory (paused for the snapshot): every page's
                         counter must be v or v+1 with one boundary; exit 1 if not
  vm wait-dirty HOST NAME [MIN] [SECS]  wait until QEMU measures NAME dirtying >= MIN MiB/s
                         (default 8, within 60 s); `vm create --dirty` does this before returning
  link HOST down|up      take HOST's veth on $BRIDGE down (a cut network: its daemons and guests keep
                         running, nothing reaches it, vmigrate's SSH included) or up again
  bridge add HOST BR     create Linux bridge BR inside HOST's network namespace only
  bridge del HOST BR     delete it
  help                   this text

Migration between lab hosts (lab.md): use the destination's address as migration URI, e.g.
  virsh -c 'qemu+ssh://root@$NET_PREFIX.11:22/system?keyfile=$KEY&no_tty=1' \\
    migrate --live --p2p --persistent --undefinesource NAME \\
    'qemu+ssh://$NET_PREFIX.12/system?keyfile=$KEY&no_tty=1' --migrateuri tcp://$NET_PREFIX.12
EOF
}

main() {
	local verb=${1:-help}
	shift || true
	case $verb in
	up) cmd_up "$@" ;;
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
	help | -h | --help) usage ;;
	*)
		usage >&2
		die "unknown command '$verb'"
		;;
	esac
}

main "$@"
