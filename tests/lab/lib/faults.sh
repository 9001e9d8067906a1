# shellcheck shell=bash
# tests/lab/lib/faults.sh — Faults and topology for tests: libvirtd stop|start, bridges inside a host, link down|up,
# the operator's SSH to a host cut|restore.
# Sourced by tests/lab/lab.sh, which sets the configuration these functions use.

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
# ssh HOST cut|restore: the operator's SSH to a host cut, the host itself still fine

# Drops every packet from the bridge address (where the operator's vmigrate runs) to the host's port
# 22, open connections included, with an nftables table inside the host's network namespace only:
# host-to-host traffic (peer-to-peer migration) and the host's own connections out to the bridge
# address (its NBD disks) go on. The kernel has no tc actions or classifiers (README).
SSH_CUT_TABLE=vmlab_ssh_cut

cmd_ssh() {
	local host=${1:-} action=${2:-} ns
	[[ $action == cut || $action == restore ]] || die "usage: lab.sh ssh HOST cut|restore"
	need_root
	require_host "$host"
	command -v nft >/dev/null || die "ssh cut needs nft (Debian package nftables; lab.sh up installs it)"
	ns=$(host_ns "$host")
	[[ -e /run/netns/$ns ]] || die "$host is not running (try: lab.sh up)"
	ip netns exec "$ns" nft delete table inet "$SSH_CUT_TABLE" 2>/dev/null || true
	[[ $action == cut ]] || return 0
	ip netns exec "$ns" nft -f - <<EOF
table inet $SSH_CUT_TABLE {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $BRIDGE_ADDR tcp dport 22 drop
	}
}
EOF
}
