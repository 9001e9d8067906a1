#!/usr/bin/env bash
# host-init.sh HOST HOST_DIR ROOT_UTS_NS ROOT_MNT_NS ROOT_NET_NS
#
# The first process of one lab host. lab.sh starts it as
#   ip netns exec vmigrate-labN unshare --mount --uts --propagation private -- bash host-init.sh labN DIR
# so it already runs inside the host's own network, mount and UTS namespaces. It gives the host its
# private directories and hostname, writes its PID to DIR/anchor.pid and then becomes
# `sleep infinity`: the "anchor" that keeps these namespaces alive. lab.sh enters them with
# `nsenter -t $(cat DIR/anchor.pid) -m -n -u` to start daemons and to run commands on the host.
set -euo pipefail

host=${1:?host name}
dir=${2:?host directory}
root_ns=("${3:?root uts ns}" "${4:?root mnt ns}" "${5:?root net ns}")

# Safety net: hostname and bind mounts below must never reach the real machine. lab.md: set the
# hostname "only inside the UTS namespace — outside it this renames the real machine". The caller's
# namespace ids come as arguments (PID 1's may not be readable in a sandbox).
i=0
for ns in uts mnt net; do
	self=$(readlink "/proc/self/ns/$ns") || self=""
	if [[ -z $self || $self == "${root_ns[i]}" ]]; then
		echo "host-init.sh: not inside a private $ns namespace, refusing to run" >&2
		exit 1
	fi
	i=$((i + 1))
done

# Each host gets its own copy of every directory libvirt, virtlogd and sshd write to. lab.md: "a
# private /run is needed or the second virtlogd fails on its pidfile"; private /etc/libvirt carries
# the per-host libvirtd.conf (distinct host_uuid) and qemu.conf. /run goes last so that nothing
# mounted before it is hidden (lab.sh refuses a LAB_DIR below any of these targets).
# A private /root too, as on a real host: the machine's own root dotfiles (a ~/.bashrc that bash
# reads for every ssh command) must not run on, or slow down, the lab hosts.
for pair in etc:/etc/libvirt lib:/var/lib/libvirt log:/var/log/libvirt cache:/var/cache/libvirt home:/root run:/run; do
	mount --bind "$dir/${pair%%:*}" "${pair#*:}"
done

hostname "$host"

# sshd needs its privilege-separation directory in the (now private) /run; libvirt wants these.
mkdir -p /run/sshd /run/libvirt /var/lib/libvirt/images /var/log/libvirt/qemu
chmod 0755 /run/sshd
cd /

# The PID file appears only once the mounts are in place: lab.sh waits for it before starting daemons.
echo $$ >"$dir/anchor.pid.tmp"
mv -f "$dir/anchor.pid.tmp" "$dir/anchor.pid"
exec sleep infinity
