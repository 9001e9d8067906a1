# shellcheck shell=bash
# tests/lab/lib/common.sh — Small helpers, host naming, PID-file process tracking, and running things inside a host.
# Sourced by tests/lab/lab.sh, which sets the configuration these functions use.

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
