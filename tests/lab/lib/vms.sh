# shellcheck shell=bash
# tests/lab/lib/vms.sh — Test VMs: create, destroy, the dirtying guest, its memory pattern.
# Sourced by tests/lab/lab.sh, which sets the configuration these functions use.

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
	local host=${1:-} name=${2:-} kind=net mem=128 br="" fill=0 dirty=0 spin=0 mode=counter nocpu=0 disk iface="" type port path out
	[[ -n $name ]] || die "usage: lab.sh vm create HOST NAME [--disk net|local|shared] [--memory MiB] [--bridge BR] [--fill MiB] [--dirty MiB [--dirty-spin N] [--dirty-mode counter|random]] [--no-cpu]"
	shift 2
	while (($#)); do
		if [[ $1 == --no-cpu ]]; then
			nocpu=1
			shift
			continue
		fi
		case $1 in
		--disk | --memory | --bridge | --fill | --dirty | --dirty-spin | --dirty-mode) [[ $# -ge 2 ]] || die "vm create: $1 needs a value" ;;
		*) die "vm create: unknown option '$1'" ;;
		esac
		case $1 in
		--disk) kind=$2 ;;
		--memory) mem=$2 ;;
		--bridge) br=$2 ;;
		--fill) fill=$2 ;;
		--dirty) dirty=$2 ;;
		--dirty-spin) spin=$2 ;;
		--dirty-mode) mode=$2 ;;
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
	[[ $mode == counter || $mode == random ]] || die "vm create: --dirty-mode must be counter or random"
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
		make_disk "$path" "$name" "$dirty" "$spin" "$mode"
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
		make_disk "$path" "$name" "$dirty" "$spin" "$mode"
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
	printf 'name=%s\nhost=%s\ndisk=%s\nport=%s\ndirty=%s\ndirty_mode=%s\n' "$name" "$host" "$kind" "${port:-}" "$dirty" "$mode" \
		>"$LAB_DIR/vms/$name.meta"
	if ! out=$(host_virsh "$host" define "$LAB_DIR/vms/$name.xml" 2>&1) ||
		! out=$(host_virsh "$host" start "$name" 2>&1); then
		host_virsh "$host" undefine "$name" >/dev/null 2>&1 || true
		remove_vm_storage "$name"
		die "vm create: $(echo "$out" | one_line)"
	fi
	# A dirtying guest needs a few seconds (~3 s under KVM, more on a loaded machine) before it dirties
	# memory; whatever is measured or migrated before then sees an idle guest (lab.md). So `create`
	# returns once QEMU measures it dirtying, not after a fixed time.
	# The wait changes nothing in the lab: other lab.sh commands (another test's VM) need not wait for it.
	flock -u 9
	((dirty == 0)) || vm_wait_dirty "$host" "$name"
}

vm_wait_dirty() { # HOST NAME [MIN_MiB/s] [TIMEOUT_S]
	local host=${1:-} name=${2:-} min=${3:-} limit=${4:-60} rate="" t0=$SECONDS
	[[ -n $name ]] || die "usage: lab.sh vm wait-dirty HOST NAME [MIN_MiB/s] [TIMEOUT_S]"
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "vm wait-dirty: bad VM name '$name'"
	# The random fill writes 4 KiB per page, about 1000 times the counter's work: in this lab it
	# dirties ~2-4 MiB/s (README), which QEMU's page sampling (2 MiB per sampled page of a 128 MiB
	# guest) reads as 0, 2, 4 or 8 MiB/s. Any rate at all tells it runs.
	if [[ -z $min ]]; then
		min=8
		[[ $(sed -n 's/^dirty_mode=//p' "$LAB_DIR/vms/$name.meta" 2>/dev/null) != random ]] || min=1
	fi
	require_host "$host"
	# First the guest's own proof: its last page's counter, 0 until the first sweep has filled the
	# whole range. The sampled rate alone can be met by the boot's own writes before the sweep
	# starts (seen: a random-mode guest migrated as 0.5 MB of zero pages).
	local dirty last="" addr
	dirty=$(sed -n 's/^dirty=//p' "$LAB_DIR/vms/$name.meta" 2>/dev/null)
	if [[ -n $dirty && $dirty != 0 ]]; then
		addr=$((dirty * 1048576 - 4096))
		while ((SECONDS - t0 < limit)); do
			last=$(host_virsh "$host" qemu-monitor-command --hmp "$name" "xp /1bx $addr" 2>/dev/null |
				sed -n 's/^[0-9a-f]*: *0x\([0-9a-f]*\).*/\1/p')
			[[ -n $last && $last != 00 ]] && break
			sleep 0.5
		done
		[[ -n $last && $last != 00 ]] ||
			die "vm wait-dirty: $name on $host did not sweep its ${dirty} MiB once within ${limit} s"
	fi
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
# (tests/lab/dirty.asm, assembled for that range, SPIN turns per page and MODE counter or random).
make_disk() { # PATH NAME DIRTY SPIN MODE
	local path=$1 name=$2 dirty=$3 spin=${4:-0} random=0 out raw
	[[ ${5:-counter} == random ]] && random=1
	if (($3 == 0)); then
		out=$(qemu-img create -q -f qcow2 "$path" 64M 2>&1) || die "vm create: qemu-img: $(echo "$out" | one_line)"
		return
	fi
	raw="$LAB_DIR/vms/$name.raw"
	out=$(nasm -f bin -DEND_MB="$dirty" -DSPIN="$spin" -DRANDOM="$random" -o "$LAB_DIR/vms/$name.boot" "$SCRIPT_DIR/dirty.asm" 2>&1) ||
		die "vm create: nasm: $(echo "$out" | one_line)"
	truncate -s 64M "$raw"
	dd if="$LAB_DIR/vms/$name.boot" of="$raw" conv=notrunc status=none
	out=$(qemu-img convert -f raw -O qcow2 "$raw" "$path" 2>&1) || die "vm create: qemu-img: $(echo "$out" | one_line)"
	rm -f "$raw"
}

# Checks the dirtying guest's memory: paused for a consistent snapshot, every 4 KiB page's
# counter from 1 MiB to the end of its range must be v or v+1 (mod 256) with one boundary.
# A random-mode guest's fill is recomputed from each page's counter (dirty.asm) and compared on
# every page but one: the page the guest was filling when it was paused (its counter already new,
# its fill partly old).
vm_pattern() {
	local host=${1:-} name=${2:-} dirty mode dump out rc=0
	[[ -n $name ]] || die "usage: lab.sh vm pattern HOST NAME"
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "vm pattern: bad VM name '$name'"
	need_root
	require_host "$host"
	dirty=$(sed -n 's/^dirty=//p' "$LAB_DIR/vms/$name.meta" 2>/dev/null)
	[[ -n $dirty && $dirty != 0 ]] || die "vm pattern: $name is not a dirtying guest (vm create --dirty)"
	mode=$(sed -n 's/^dirty_mode=//p' "$LAB_DIR/vms/$name.meta")
	dump="$LAB_DIR/vms/$name.mem"
	rm -f "$dump"
	host_virsh "$host" suspend "$name" >/dev/null || die "vm pattern: cannot pause $name on $host"
	out=$(host_virsh "$host" qemu-monitor-command --hmp "$name" \
		"pmemsave 0x100000 $(((dirty - 1) * 1048576)) \"$dump\"" 2>&1) || rc=1
	host_virsh "$host" resume "$name" >/dev/null || rc=1
	if ((rc != 0)) || [[ ! -s $dump ]]; then die "vm pattern: memory dump failed: $(echo "$out" | one_line)"; fi
	python3 - "$dump" "${mode:-counter}" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
v = [d[i] for i in range(0, len(d), 4096)]
lo = v[-1]                      # pages after the sweep position hold v, before it v+1
bad = [i for i, x in enumerate(v) if x not in (lo, (lo + 1) % 256)]
edges = [i for i in range(1, len(v)) if v[i] != v[i - 1]]
if bad or len(edges) > 1 or (edges and v[0] != (lo + 1) % 256):
    print(f"BAD: {len(v)} pages, values {sorted(set(v))[:8]}, {len(edges)} boundaries, first bad page {bad[:1]}")
    sys.exit(1)
extra = ""
if sys.argv[2] == "random":
    # dirty.asm's pool (xorshift32 from 0x9E3779B9) and the slice of it each page gets.
    M, x, pool = 0xFFFFFFFF, 0x9E3779B9, []
    for _ in range(65536):
        x ^= (x << 13) & M
        x ^= x >> 17
        x ^= (x << 5) & M
        pool.append(x)
    pool = struct.pack("<65536I", *pool)
    first = 0x100000 >> 12      # the dump starts at 1 MiB: page i is page number first + i

    def fill(c, pn):
        o = (c * 104729 + pn * 7919) % 64513
        return pool[o * 4:o * 4 + 4092]

    # The page being filled at the pause (the last one already incremented) may be torn; a page
    # with counter 0 may be one the first sweep has not reached yet (all zero).
    torn = edges[0] - 1 if edges else len(v) - 1
    zero = bytes(4095)
    bad = [i for i in range(len(v)) if i != torn and d[i * 4096 + 1:(i + 1) * 4096] != b"\0\0\0" + fill(v[i], first + i)
           and not (v[i] == 0 and d[i * 4096 + 1:(i + 1) * 4096] == zero)]
    if bad:
        print(f"BAD: {len(v)} pages, counters {v[0]}/{lo}, random fill wrong on {len(bad)} pages, first {bad[0]}")
        sys.exit(1)
    extra = ", random fill ok"
print(f"ok: {len(v)} pages, counters {v[0]}/{lo}, boundary at page {edges[0] if edges else '-'}{extra}")
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
