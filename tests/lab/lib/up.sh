# shellcheck shell=bash
# tests/lab/lib/up.sh — `lab.sh up`: packages, bridge, namespaces, daemons, SSH keys.
# Sourced by tests/lab/lab.sh, which sets the configuration these functions use.

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
		openssh-server openssh-client iproute2 pkg-config nasm qemu-utils nftables openssl)
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
	for p in virsh libvirtd virtlogd qemu-system-x86_64 qemu-img qemu-nbd sshd ssh ssh-keygen openssl; do
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
	# The lab's SSH host CA: every host's key is also presented as a host certificate it signed, for
	# clients that ask (vmigrate does when a @cert-authority line names the host; tests/integration/
	# ssh_config.rs). Clients that trust only plain keys fall back to the key, as OpenSSH does.
	if [[ ! -s $SSH_CA || ! -s $SSH_CA.pub ]]; then
		rm -f "$SSH_CA" "$SSH_CA.pub"
		ssh-keygen -q -t ed25519 -N '' -C "$KH_MARK-ssh-ca" -f "$SSH_CA"
	fi
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

# Replace FILE with stdin only if that changes it; succeeds when it did.
update_file() { # FILE
	cat >"$1.tmp"
	if cmp -s "$1.tmp" "$1"; then
		rm -f "$1.tmp"
		return 1
	fi
	mv -f "$1.tmp" "$1"
}

# A running libvirtd read libvirtd.conf and qemu.conf when it started: after a change it must be
# restarted, and only then (a restart costs seconds and every open connection). This marker says so
# until the next start of the host's libvirtd (start_daemon removes it).
libvirtd_stale_mark() { echo "$(host_dir "$1")/libvirtd.stale"; }

write_host_files() { # HOST — (re)writes the host's configuration; keys are made once
	local host=$1 d i addr changed=0
	d=$(host_dir "$host")
	i=$(host_index "$host")
	addr=$(host_addr "$host")
	for m in "${HOST_MOUNTS[@]}"; do mkdir -p "$d/${m%%:*}"; done
	mkdir -p "$d/run/sshd" "$d/lib/images" "$d/log/qemu"
	chmod 0755 "$d/run/sshd"

	# lab.md: libvirt refuses "migration to the same host" when host UUIDs match, so each host gets
	# its own (fixed per index, so it survives restarts). Plain TCP without auth is for the lab only.
	if update_file "$d/etc/libvirtd.conf" <<EOF
# generated by tests/lab/lab.sh for $host
host_uuid = "5e1ab000-0000-4000-8000-$(printf '%012d' "$i")"
listen_tls = 0
listen_tcp = 1
listen_addr = "$addr"
auth_tcp = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
	then changed=1; fi
	# lab.md: the qemu.conf that worked without systemd/cgroup v2 inside these namespaces.
	if update_file "$d/etc/qemu.conf" <<EOF
# generated by tests/lab/lab.sh for $host
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
user = "root"
group = "root"
# The source libvirtd's keepalive on its peer-to-peer connection to the destination: a cut link
# fails the migration after about interval x count seconds (default 5 x 5 = 30 s; README: the
# fault matrix's link-cut cells wait on it).
keepalive_interval = 2
keepalive_count = 3
# Migration TLS (migrate --tls; README "TLS"): this host's CA certificate, server pair (used as a
# destination) and client pair (used as a source), in its private /etc/libvirt (lib/tls.sh makes
# them). libvirtd refuses to start if this directory is missing. verify = 1: a destination accepts
# only a source presenting a client certificate from the lab CA, as on a real fleet.
migrate_tls_x509_cert_dir = "$TLS_HOST_DIR"
migrate_tls_x509_verify = 1
EOF
	then changed=1; fi
	((changed == 0)) || touch "$(libvirtd_stale_mark "$host")"
	if [[ ! -s $d/ssh_host_ed25519_key ]]; then
		rm -f "$d/ssh_host_ed25519_key" "$d/ssh_host_ed25519_key.pub"
		ssh-keygen -q -t ed25519 -N '' -C "$KH_MARK-$host" -f "$d/ssh_host_ed25519_key"
	fi
	# Signed for its address and name, valid from yesterday (clock skew) for ten years.
	if [[ ! -s $d/ssh_host_ed25519_key-cert.pub || $d/ssh_host_ed25519_key.pub -nt $d/ssh_host_ed25519_key-cert.pub ]]; then
		ssh-keygen -q -s "$SSH_CA" -I "$KH_MARK-$host" -h -n "$addr,$host" -V -1d:+3650d "$d/ssh_host_ed25519_key.pub"
	fi
	cat >"$d/sshd_config" <<EOF
# generated by tests/lab/lab.sh for $host
ListenAddress $addr
Port 22
HostKey $d/ssh_host_ed25519_key
HostCertificate $d/ssh_host_ed25519_key-cert.pub
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
	libvirtd)
		cmd=(libvirtd -d --listen)
		rm -f "$(libvirtd_stale_mark "$host")" # it reads the configuration as it is now
		;;
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
	local n=${1:-$DEFAULT_HOSTS} host i p existing=0 target
	if ! [[ $n =~ ^[1-9][0-9]*$ ]] || ((n > MAX_HOSTS)); then die "up: host count must be 1..$MAX_HOSTS"; fi
	need_root
	check_lab_dir
	lock
	ensure_packages
	ensure_users
	ensure_base
	ensure_tls_ca
	for host in $(lab_hosts); do
		i=$(host_index "$host")
		((i > existing)) && existing=$i
	done
	target=$((n > existing ? n : existing)) # `up 3` after `up 8` keeps (and heals) all 8

	local -a hosts=() pids=()
	for ((i = 1; i <= target; i++)); do hosts+=("lab$i"); done
	for host in "${hosts[@]}"; do
		write_host_files "$host"
		ensure_host_tls "$host" # before libvirtd starts: it checks that the directory exists
		ensure_host_net "$host"
		ensure_anchor "$host"
	done
	update_known_hosts "${hosts[@]}"
	# Start only what is dead; each host in parallel (libvirtd's start-up is most of the wait).
	for host in "${hosts[@]}"; do
		(
			daemon_pid "$host" virtlogd >/dev/null || start_daemon "$host" virtlogd
			# Configuration changed under a running libvirtd (e.g. the TLS keys added to qemu.conf):
			# restart it. Its guests keep running (as with `lab.sh libvirtd stop`); it reattaches.
			if [[ -e $(libvirtd_stale_mark "$host") ]] && p=$(daemon_pid "$host" libvirtd); then
				note "$host: libvirtd.conf/qemu.conf changed, restarting libvirtd"
				kill_pids "$p"
			fi
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
