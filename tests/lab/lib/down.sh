# shellcheck shell=bash
# tests/lab/lib/down.sh — `lab.sh down`: everything the lab started, ended by PID, and removed.
# Sourced by tests/lab/lab.sh, which sets the configuration these functions use.

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
