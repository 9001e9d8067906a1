# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_vmigrate_global_optspecs
    string join \n i/inventory= o/output= q/quiet v/verbose color= ascii h/help V/version
end

function __fish_vmigrate_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_vmigrate_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_vmigrate_using_subcommand
    set -l cmd (__fish_vmigrate_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c vmigrate -n "__fish_vmigrate_needs_command" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_needs_command" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_needs_command" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_needs_command" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -s V -l version -d 'Print version'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "hosts" -d 'Show every inventory host: reachability, hypervisor, CPU, memory, disk and VMs'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "doctor" -d 'Is the fleet fit for migrations? Hosts, the paths between them, their CPUs'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "check" -d 'Dry run: every pre-migration check, and where the VM would go. Changes nothing'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "live" -d 'Live-migrate a VM: every check, then a peer-to-peer migration with progress'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "migrate" -d 'Live-migrate a VM: every check, then a peer-to-peer migration with progress'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "ps" -d 'Every migration running in the fleet, whoever started it: source, destination, VM, phase, progress, rate, ETA, the rung of the vmigrate run watching it and who started it, when known'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "abort" -d 'Abort the running migration (any libvirt job) of a VM, from any terminal'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "force-complete" -d 'Make a running migration finish now: switch it to post-copy when it permits (started with --postcopy), else pause the guest for the last pass'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "bandwidth" -d 'Change a running migration\'s bandwidth cap, MiB/s (from any terminal)'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "attach" -d 'Take over a migration whose vmigrate died (kill -9, a closed laptop): watch it to the end with the run\'s own policy, then verify or roll back'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "recover" -d 'Reconcile a VM after a run that died or ended unknown: read the journal and every host, then resume / undefine stale copies / remove leftovers'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "evacuate" -d 'Empty a host: plan where every VM goes (capacity, anti-affinity), predict how long it takes, then live-migrate them, N at a time'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "maintenance" -d 'Put a host in maintenance, end it, or show it: a mark kept on the host itself, so that every operator\'s check, live and evacuate treats the host as disabled. `vmigrate maintenance status` shows every host'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout, or write every shell\'s into a directory'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "man" -d 'Write the man pages (vmigrate.1 and one per subcommand) into a directory'
complete -c vmigrate -n "__fish_vmigrate_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand hosts" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand hosts" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand hosts" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand hosts" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand hosts" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand hosts" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand hosts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand doctor" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand doctor" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand doctor" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand doctor" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand doctor" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand doctor" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l to -l host -l target -d 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l from -d 'The host the VM runs on [default: searched on every host]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l block-migration -d 'Copy local disks: auto = when some disk is on local storage' -r -f -a "auto\t'Block-migrate exactly when some disk is on local storage'
yes\t'Always copy the disks (fails when all storage is shared)'
no\t'Never copy disks (fails when some disk is local)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l zone -d 'Scheduler: only hosts in this zone' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l tag -d 'Scheduler: only hosts with this tag' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l measure -d 'Sample the guest\'s dirty rate for SECS seconds to predict whether the migration converges (the `convergence.prediction` check) [default: 1 for `check`; `live` samples only when given this or --strict]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l bandwidth -d 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l max-downtime -d 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l policy -d '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies' -r -f -a "ladder\t''
off\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l downtime-start -d 'The first max downtime, ms' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l downtime-steps -d 'Steps from the first to the max downtime' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l downtime-delay -d 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l stall-iterations -d 'Stalled after this many passes whose dirty set shrank by less than 10 %' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l stall-secs -d 'Stalled after this many seconds without a new low of remaining data' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l completion-timeout -d 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l on-timeout -d 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)' -r -f -a "abort\t'Abort the migration; the VM stays running on the source'
postcopy\t'Switch to post-copy (needs `postcopy` permitted)'
pause\t'Suspend the guest so the last pass finishes (downtime = that pass)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l transport -d 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set' -r -f -a "auto\t'Chosen from the measurements'
manual\t'As set (flags, inventory)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l tls-destination -d 'The name the destination\'s certificate must carry, when it is not the migration address' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l parallel -d 'Send memory over N parallel connections (multifd); 0: one stream' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l compress -d 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)' -r -f -a "none\t'Pages are sent as they are'
xbzrle\t'XBZRLE: pages sent before are kept in a cache and resent as deltas (pays when the guest rewrites few bytes of each page)'
zlib\t'zlib over multifd (libvirt ≥ 9.4, needs --parallel)'
zstd\t'zstd over multifd (libvirt ≥ 9.4, needs --parallel)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l xbzrle-cache -d 'XBZRLE\'s page cache, MiB (QEMU\'s default: 64)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l postcopy-bandwidth -d 'The bandwidth cap once in post-copy, MiB/s' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l auto-converge-initial -d 'Auto-converge\'s first throttle, % of the guest\'s vCPU time (QEMU: 20)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l auto-converge-increment -d 'Auto-converge\'s throttle step, % (QEMU: 10)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l disks -d 'Block migration copies only these local disks (guest names); every other disk must be shared' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l no-measure -d 'Skip the dirty-rate sample and the prediction'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l strict -d 'Fail the checks when the prediction says this run\'s policy cannot finish the migration (otherwise only a warning)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l auto-converge -d 'Let QEMU throttle the guest\'s vCPUs while it dirties memory faster than it is sent'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l no-auto-converge -d 'No auto-converge'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l postcopy -d 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l no-postcopy -d 'Do not permit post-copy'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l tls -d 'Encrypt the memory and disk streams with QEMU\'s native TLS (certificates on both hosts: see docs/tls.md)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l no-tls -d 'No TLS, whatever the inventory says'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l events -d 'Write progress events as JSON lines to FILE (`-` for stdout)' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l metrics-file -d 'Write the migration\'s duration, downtime, bytes and outcome as an `OpenMetrics` textfile (`node_exporter`) when it ends' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l to -l host -l target -d 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l from -d 'The host the VM runs on [default: searched on every host]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l block-migration -d 'Copy local disks: auto = when some disk is on local storage' -r -f -a "auto\t'Block-migrate exactly when some disk is on local storage'
yes\t'Always copy the disks (fails when all storage is shared)'
no\t'Never copy disks (fails when some disk is local)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l zone -d 'Scheduler: only hosts in this zone' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l tag -d 'Scheduler: only hosts with this tag' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l measure -d 'Sample the guest\'s dirty rate for SECS seconds to predict whether the migration converges (the `convergence.prediction` check) [default: 1 for `check`; `live` samples only when given this or --strict]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l bandwidth -d 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l max-downtime -d 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l policy -d '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies' -r -f -a "ladder\t''
off\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l downtime-start -d 'The first max downtime, ms' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l downtime-steps -d 'Steps from the first to the max downtime' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l downtime-delay -d 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l stall-iterations -d 'Stalled after this many passes whose dirty set shrank by less than 10 %' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l stall-secs -d 'Stalled after this many seconds without a new low of remaining data' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l completion-timeout -d 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l on-timeout -d 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)' -r -f -a "abort\t'Abort the migration; the VM stays running on the source'
postcopy\t'Switch to post-copy (needs `postcopy` permitted)'
pause\t'Suspend the guest so the last pass finishes (downtime = that pass)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l transport -d 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set' -r -f -a "auto\t'Chosen from the measurements'
manual\t'As set (flags, inventory)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l tls-destination -d 'The name the destination\'s certificate must carry, when it is not the migration address' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l parallel -d 'Send memory over N parallel connections (multifd); 0: one stream' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l compress -d 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)' -r -f -a "none\t'Pages are sent as they are'
xbzrle\t'XBZRLE: pages sent before are kept in a cache and resent as deltas (pays when the guest rewrites few bytes of each page)'
zlib\t'zlib over multifd (libvirt ≥ 9.4, needs --parallel)'
zstd\t'zstd over multifd (libvirt ≥ 9.4, needs --parallel)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l xbzrle-cache -d 'XBZRLE\'s page cache, MiB (QEMU\'s default: 64)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l postcopy-bandwidth -d 'The bandwidth cap once in post-copy, MiB/s' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l auto-converge-initial -d 'Auto-converge\'s first throttle, % of the guest\'s vCPU time (QEMU: 20)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l auto-converge-increment -d 'Auto-converge\'s throttle step, % (QEMU: 10)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l disks -d 'Block migration copies only these local disks (guest names); every other disk must be shared' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l unsafe -d 'Migrate even where libvirt cannot prove the storage is shared (`VIR_MIGRATE_UNSAFE`); for file storage `check` found shared'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l no-measure -d 'Skip the dirty-rate sample and the prediction'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l strict -d 'Fail the checks when the prediction says this run\'s policy cannot finish the migration (otherwise only a warning)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l auto-converge -d 'Let QEMU throttle the guest\'s vCPUs while it dirties memory faster than it is sent'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l no-auto-converge -d 'No auto-converge'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l postcopy -d 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l no-postcopy -d 'Do not permit post-copy'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l tls -d 'Encrypt the memory and disk streams with QEMU\'s native TLS (certificates on both hosts: see docs/tls.md)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l no-tls -d 'No TLS, whatever the inventory says'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand live" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l events -d 'Write progress events as JSON lines to FILE (`-` for stdout)' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l metrics-file -d 'Write the migration\'s duration, downtime, bytes and outcome as an `OpenMetrics` textfile (`node_exporter`) when it ends' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l to -l host -l target -d 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l from -d 'The host the VM runs on [default: searched on every host]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l block-migration -d 'Copy local disks: auto = when some disk is on local storage' -r -f -a "auto\t'Block-migrate exactly when some disk is on local storage'
yes\t'Always copy the disks (fails when all storage is shared)'
no\t'Never copy disks (fails when some disk is local)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l zone -d 'Scheduler: only hosts in this zone' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l tag -d 'Scheduler: only hosts with this tag' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l measure -d 'Sample the guest\'s dirty rate for SECS seconds to predict whether the migration converges (the `convergence.prediction` check) [default: 1 for `check`; `live` samples only when given this or --strict]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l bandwidth -d 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l max-downtime -d 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l policy -d '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies' -r -f -a "ladder\t''
off\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l downtime-start -d 'The first max downtime, ms' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l downtime-steps -d 'Steps from the first to the max downtime' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l downtime-delay -d 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l stall-iterations -d 'Stalled after this many passes whose dirty set shrank by less than 10 %' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l stall-secs -d 'Stalled after this many seconds without a new low of remaining data' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l completion-timeout -d 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l on-timeout -d 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)' -r -f -a "abort\t'Abort the migration; the VM stays running on the source'
postcopy\t'Switch to post-copy (needs `postcopy` permitted)'
pause\t'Suspend the guest so the last pass finishes (downtime = that pass)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l transport -d 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set' -r -f -a "auto\t'Chosen from the measurements'
manual\t'As set (flags, inventory)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l tls-destination -d 'The name the destination\'s certificate must carry, when it is not the migration address' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l parallel -d 'Send memory over N parallel connections (multifd); 0: one stream' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l compress -d 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)' -r -f -a "none\t'Pages are sent as they are'
xbzrle\t'XBZRLE: pages sent before are kept in a cache and resent as deltas (pays when the guest rewrites few bytes of each page)'
zlib\t'zlib over multifd (libvirt ≥ 9.4, needs --parallel)'
zstd\t'zstd over multifd (libvirt ≥ 9.4, needs --parallel)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l xbzrle-cache -d 'XBZRLE\'s page cache, MiB (QEMU\'s default: 64)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l postcopy-bandwidth -d 'The bandwidth cap once in post-copy, MiB/s' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l auto-converge-initial -d 'Auto-converge\'s first throttle, % of the guest\'s vCPU time (QEMU: 20)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l auto-converge-increment -d 'Auto-converge\'s throttle step, % (QEMU: 10)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l disks -d 'Block migration copies only these local disks (guest names); every other disk must be shared' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l unsafe -d 'Migrate even where libvirt cannot prove the storage is shared (`VIR_MIGRATE_UNSAFE`); for file storage `check` found shared'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l no-measure -d 'Skip the dirty-rate sample and the prediction'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l strict -d 'Fail the checks when the prediction says this run\'s policy cannot finish the migration (otherwise only a warning)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l auto-converge -d 'Let QEMU throttle the guest\'s vCPUs while it dirties memory faster than it is sent'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l no-auto-converge -d 'No auto-converge'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l postcopy -d 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l no-postcopy -d 'Do not permit post-copy'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l tls -d 'Encrypt the memory and disk streams with QEMU\'s native TLS (certificates on both hosts: see docs/tls.md)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l no-tls -d 'No TLS, whatever the inventory says'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -l watch -d 'Redraw every SECS seconds until Ctrl-C (with -o json: one JSON document per line per refresh)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -l metrics-file -d 'Write the running migrations as an `OpenMetrics` textfile (for `node_exporter`\'s textfile collector), replaced atomically' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand ps" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand abort" -l from -d 'The host the VM runs on [default: searched on every host]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand abort" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand abort" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand abort" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand abort" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand abort" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand abort" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand abort" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -l from -d 'The host the VM runs on [default: searched on every host]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -l mode -d 'auto: post-copy if permitted, else pause' -r -f -a "auto\t'Post-copy if the migration permits it, else pause'
postcopy\t'Post-copy only (fails if the migration was not started with --postcopy)'
pause\t'Pause the guest'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand force-complete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -l from -d 'The host the VM runs on [default: searched on every host]' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -l postcopy -d 'Set the cap post-copy will use (the migration is still in pre-copy)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand bandwidth" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand attach" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand attach" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand attach" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand attach" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand attach" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand attach" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand attach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand recover" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand recover" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand recover" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand recover" -l dry-run -d 'Only say what would be done'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand recover" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand recover" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand recover" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand recover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l concurrency -d 'Migrations at once (`oVirt` and `KubeVirt` run 2 per host)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l max-incoming -d 'Migrations at once into one destination' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l window -d 'The maintenance window (90m, 1h30m, 2h): say whether the drain fits, and which VMs put it at risk' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l order -d 'The order migrations start in' -r -f -a "risk\t'Least certain to converge first, then the longest predicted'
largest\t'Most memory (+ copied disk) first'
smallest\t'Least memory first (the most VMs off the host soonest)'
busiest\t'Highest dirty rate first'
name\t'By name'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l zone -d 'Only destinations in this zone' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l tag -d 'Only destinations with this tag' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l block-migration -d 'Copy local disks: auto = when some disk is on local storage' -r -f -a "auto\t'Block-migrate exactly when some disk is on local storage'
yes\t'Always copy the disks (fails when all storage is shared)'
no\t'Never copy disks (fails when some disk is local)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l measure -d 'Seconds every running VM\'s dirty rate is sampled for (all at once) to predict the drain' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l events -d 'Write every migration\'s progress events, tagged with its VM, as JSON lines to FILE (`-` for stdout)' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l metrics-file -d 'Write the migrations\' durations, downtime, bytes and outcomes as an `OpenMetrics` textfile (`node_exporter`), after each migration ends' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l bandwidth -d 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l max-downtime -d 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l policy -d '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies' -r -f -a "ladder\t''
off\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l downtime-start -d 'The first max downtime, ms' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l downtime-steps -d 'Steps from the first to the max downtime' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l downtime-delay -d 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l stall-iterations -d 'Stalled after this many passes whose dirty set shrank by less than 10 %' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l stall-secs -d 'Stalled after this many seconds without a new low of remaining data' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l completion-timeout -d 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l on-timeout -d 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)' -r -f -a "abort\t'Abort the migration; the VM stays running on the source'
postcopy\t'Switch to post-copy (needs `postcopy` permitted)'
pause\t'Suspend the guest so the last pass finishes (downtime = that pass)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l transport -d 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set' -r -f -a "auto\t'Chosen from the measurements'
manual\t'As set (flags, inventory)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l tls-destination -d 'The name the destination\'s certificate must carry, when it is not the migration address' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l parallel -d 'Send memory over N parallel connections (multifd); 0: one stream' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l compress -d 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)' -r -f -a "none\t'Pages are sent as they are'
xbzrle\t'XBZRLE: pages sent before are kept in a cache and resent as deltas (pays when the guest rewrites few bytes of each page)'
zlib\t'zlib over multifd (libvirt ≥ 9.4, needs --parallel)'
zstd\t'zstd over multifd (libvirt ≥ 9.4, needs --parallel)'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l xbzrle-cache -d 'XBZRLE\'s page cache, MiB (QEMU\'s default: 64)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l postcopy-bandwidth -d 'The bandwidth cap once in post-copy, MiB/s' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l auto-converge-initial -d 'Auto-converge\'s first throttle, % of the guest\'s vCPU time (QEMU: 20)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l auto-converge-increment -d 'Auto-converge\'s throttle step, % (QEMU: 10)' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l disks -d 'Block migration copies only these local disks (guest names); every other disk must be shared' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l dry-run -d 'Print the plan and the prediction; change nothing'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l return -d 'After maintenance: migrate the VMs the host\'s last drain moved, and that are still where it put them, back to the host'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l continue-on-error -d 'Move the VMs that can be placed even when some cannot'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l include-stopped -d 'Move the host\'s stopped VMs too, as definitions (defined on the destination, undefined here), where their disks are shared'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l unsafe -d 'Migrate even where libvirt cannot prove the storage is shared (`VIR_MIGRATE_UNSAFE`)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l auto-converge -d 'Let QEMU throttle the guest\'s vCPUs while it dirties memory faster than it is sent'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l no-auto-converge -d 'No auto-converge'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l postcopy -d 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l no-postcopy -d 'Do not permit post-copy'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l tls -d 'Encrypt the memory and disk streams with QEMU\'s native TLS (certificates on both hosts: see docs/tls.md)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l no-tls -d 'No TLS, whatever the inventory says'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand evacuate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand maintenance" -l reason -d 'Why (with `on`): kept in the mark, shown to every operator' -r
complete -c vmigrate -n "__fish_vmigrate_using_subcommand maintenance" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand maintenance" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand maintenance" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand maintenance" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand maintenance" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand maintenance" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand maintenance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand completions" -l dir -d 'Write the scripts into DIR (vmigrate.bash, _vmigrate, vmigrate.fish, …) instead of printing one' -r -f -a "(__fish_complete_directories)"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand completions" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand completions" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand completions" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand completions" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand completions" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand completions" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand man" -l dir -d 'The directory' -r -f -a "(__fish_complete_directories)"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand man" -s i -l inventory -d 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]' -r -F
complete -c vmigrate -n "__fish_vmigrate_using_subcommand man" -s o -l output -d 'Output format for results on stdout' -r -f -a "table\t'A human-readable table'
json\t'One JSON document on stdout'"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand man" -l color -d 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vmigrate -n "__fish_vmigrate_using_subcommand man" -s q -l quiet -d 'No progress output on stderr, even on a terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand man" -s v -l verbose -d 'More diagnostics on stderr (-v, -vv)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand man" -l ascii -d 'ASCII table borders (the default when stdout is not a terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "hosts" -d 'Show every inventory host: reachability, hypervisor, CPU, memory, disk and VMs'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "doctor" -d 'Is the fleet fit for migrations? Hosts, the paths between them, their CPUs'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "check" -d 'Dry run: every pre-migration check, and where the VM would go. Changes nothing'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "live" -d 'Live-migrate a VM: every check, then a peer-to-peer migration with progress'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "ps" -d 'Every migration running in the fleet, whoever started it: source, destination, VM, phase, progress, rate, ETA, the rung of the vmigrate run watching it and who started it, when known'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "abort" -d 'Abort the running migration (any libvirt job) of a VM, from any terminal'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "force-complete" -d 'Make a running migration finish now: switch it to post-copy when it permits (started with --postcopy), else pause the guest for the last pass'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "bandwidth" -d 'Change a running migration\'s bandwidth cap, MiB/s (from any terminal)'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "attach" -d 'Take over a migration whose vmigrate died (kill -9, a closed laptop): watch it to the end with the run\'s own policy, then verify or roll back'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "recover" -d 'Reconcile a VM after a run that died or ended unknown: read the journal and every host, then resume / undefine stale copies / remove leftovers'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "evacuate" -d 'Empty a host: plan where every VM goes (capacity, anti-affinity), predict how long it takes, then live-migrate them, N at a time'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "maintenance" -d 'Put a host in maintenance, end it, or show it: a mark kept on the host itself, so that every operator\'s check, live and evacuate treats the host as disabled. `vmigrate maintenance status` shows every host'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "completions" -d 'Print a shell completion script to stdout, or write every shell\'s into a directory'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "man" -d 'Write the man pages (vmigrate.1 and one per subcommand) into a directory'
complete -c vmigrate -n "__fish_vmigrate_using_subcommand help; and not __fish_seen_subcommand_from hosts doctor check live ps abort force-complete bandwidth attach recover evacuate maintenance completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
