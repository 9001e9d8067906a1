
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'vmigrate' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'vmigrate'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'vmigrate' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('hosts', 'hosts', [CompletionResultType]::ParameterValue, 'Show every inventory host: reachability, hypervisor, CPU, memory, disk and VMs')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Is the fleet fit for migrations? Hosts, the paths between them, their CPUs')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Dry run: every pre-migration check, and where the VM would go. Changes nothing')
            [CompletionResult]::new('live', 'live', [CompletionResultType]::ParameterValue, 'Live-migrate a VM: every check, then a peer-to-peer migration with progress')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Live-migrate a VM: every check, then a peer-to-peer migration with progress')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'Every migration running in the fleet, whoever started it: source, destination, VM, phase, progress, rate, ETA, the rung of the vmigrate run watching it and who started it, when known')
            [CompletionResult]::new('abort', 'abort', [CompletionResultType]::ParameterValue, 'Abort the running migration (any libvirt job) of a VM, from any terminal')
            [CompletionResult]::new('force-complete', 'force-complete', [CompletionResultType]::ParameterValue, 'Make a running migration finish now: switch it to post-copy when it permits (started with --postcopy), else pause the guest for the last pass')
            [CompletionResult]::new('bandwidth', 'bandwidth', [CompletionResultType]::ParameterValue, 'Change a running migration''s bandwidth cap, MiB/s (from any terminal)')
            [CompletionResult]::new('attach', 'attach', [CompletionResultType]::ParameterValue, 'Take over a migration whose vmigrate died (kill -9, a closed laptop): watch it to the end with the run''s own policy, then verify or roll back')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Reconcile a VM after a run that died or ended unknown: read the journal and every host, then resume / undefine stale copies / remove leftovers')
            [CompletionResult]::new('evacuate', 'evacuate', [CompletionResultType]::ParameterValue, 'Empty a host: plan where every VM goes (capacity, anti-affinity), predict how long it takes, then live-migrate them, N at a time')
            [CompletionResult]::new('maintenance', 'maintenance', [CompletionResultType]::ParameterValue, 'Put a host in maintenance, end it, or show it: a mark kept on the host itself, so that every operator''s check, live and evacuate treats the host as disabled. `vmigrate maintenance status` shows every host')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout, or write every shell''s into a directory')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (vmigrate.1 and one per subcommand) into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vmigrate;hosts' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;doctor' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;check' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The host the VM runs on [default: searched on every host]')
            [CompletionResult]::new('--block-migration', '--block-migration', [CompletionResultType]::ParameterName, 'Copy local disks: auto = when some disk is on local storage')
            [CompletionResult]::new('--zone', '--zone', [CompletionResultType]::ParameterName, 'Scheduler: only hosts in this zone')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Scheduler: only hosts with this tag')
            [CompletionResult]::new('--measure', '--measure', [CompletionResultType]::ParameterName, 'Sample the guest''s dirty rate for SECS seconds to predict whether the migration converges (the `convergence.prediction` check) [default: 1 for `check`; `live` samples only when given this or --strict]')
            [CompletionResult]::new('--bandwidth', '--bandwidth', [CompletionResultType]::ParameterName, 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says')
            [CompletionResult]::new('--max-downtime', '--max-downtime', [CompletionResultType]::ParameterName, 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies')
            [CompletionResult]::new('--downtime-start', '--downtime-start', [CompletionResultType]::ParameterName, 'The first max downtime, ms')
            [CompletionResult]::new('--downtime-steps', '--downtime-steps', [CompletionResultType]::ParameterName, 'Steps from the first to the max downtime')
            [CompletionResult]::new('--downtime-delay', '--downtime-delay', [CompletionResultType]::ParameterName, 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)')
            [CompletionResult]::new('--stall-iterations', '--stall-iterations', [CompletionResultType]::ParameterName, 'Stalled after this many passes whose dirty set shrank by less than 10 %')
            [CompletionResult]::new('--stall-secs', '--stall-secs', [CompletionResultType]::ParameterName, 'Stalled after this many seconds without a new low of remaining data')
            [CompletionResult]::new('--completion-timeout', '--completion-timeout', [CompletionResultType]::ParameterName, 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout')
            [CompletionResult]::new('--on-timeout', '--on-timeout', [CompletionResultType]::ParameterName, 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set')
            [CompletionResult]::new('--tls-destination', '--tls-destination', [CompletionResultType]::ParameterName, 'The name the destination''s certificate must carry, when it is not the migration address')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Send memory over N parallel connections (multifd); 0: one stream')
            [CompletionResult]::new('--compress', '--compress', [CompletionResultType]::ParameterName, 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)')
            [CompletionResult]::new('--xbzrle-cache', '--xbzrle-cache', [CompletionResultType]::ParameterName, 'XBZRLE''s page cache, MiB (QEMU''s default: 64)')
            [CompletionResult]::new('--postcopy-bandwidth', '--postcopy-bandwidth', [CompletionResultType]::ParameterName, 'The bandwidth cap once in post-copy, MiB/s')
            [CompletionResult]::new('--auto-converge-initial', '--auto-converge-initial', [CompletionResultType]::ParameterName, 'Auto-converge''s first throttle, % of the guest''s vCPU time (QEMU: 20)')
            [CompletionResult]::new('--auto-converge-increment', '--auto-converge-increment', [CompletionResultType]::ParameterName, 'Auto-converge''s throttle step, % (QEMU: 10)')
            [CompletionResult]::new('--disks', '--disks', [CompletionResultType]::ParameterName, 'Block migration copies only these local disks (guest names); every other disk must be shared')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('--no-measure', '--no-measure', [CompletionResultType]::ParameterName, 'Skip the dirty-rate sample and the prediction')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail the checks when the prediction says this run''s policy cannot finish the migration (otherwise only a warning)')
            [CompletionResult]::new('--auto-converge', '--auto-converge', [CompletionResultType]::ParameterName, 'Let QEMU throttle the guest''s vCPUs while it dirties memory faster than it is sent')
            [CompletionResult]::new('--no-auto-converge', '--no-auto-converge', [CompletionResultType]::ParameterName, 'No auto-converge')
            [CompletionResult]::new('--postcopy', '--postcopy', [CompletionResultType]::ParameterName, 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`')
            [CompletionResult]::new('--no-postcopy', '--no-postcopy', [CompletionResultType]::ParameterName, 'Do not permit post-copy')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Encrypt the memory and disk streams with QEMU''s native TLS (certificates on both hosts: see docs/tls.md)')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'No TLS, whatever the inventory says')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;live' {
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Write progress events as JSON lines to FILE (`-` for stdout)')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write the migration''s duration, downtime, bytes and outcome as an `OpenMetrics` textfile (`node_exporter`) when it ends')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The host the VM runs on [default: searched on every host]')
            [CompletionResult]::new('--block-migration', '--block-migration', [CompletionResultType]::ParameterName, 'Copy local disks: auto = when some disk is on local storage')
            [CompletionResult]::new('--zone', '--zone', [CompletionResultType]::ParameterName, 'Scheduler: only hosts in this zone')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Scheduler: only hosts with this tag')
            [CompletionResult]::new('--measure', '--measure', [CompletionResultType]::ParameterName, 'Sample the guest''s dirty rate for SECS seconds to predict whether the migration converges (the `convergence.prediction` check) [default: 1 for `check`; `live` samples only when given this or --strict]')
            [CompletionResult]::new('--bandwidth', '--bandwidth', [CompletionResultType]::ParameterName, 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says')
            [CompletionResult]::new('--max-downtime', '--max-downtime', [CompletionResultType]::ParameterName, 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies')
            [CompletionResult]::new('--downtime-start', '--downtime-start', [CompletionResultType]::ParameterName, 'The first max downtime, ms')
            [CompletionResult]::new('--downtime-steps', '--downtime-steps', [CompletionResultType]::ParameterName, 'Steps from the first to the max downtime')
            [CompletionResult]::new('--downtime-delay', '--downtime-delay', [CompletionResultType]::ParameterName, 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)')
            [CompletionResult]::new('--stall-iterations', '--stall-iterations', [CompletionResultType]::ParameterName, 'Stalled after this many passes whose dirty set shrank by less than 10 %')
            [CompletionResult]::new('--stall-secs', '--stall-secs', [CompletionResultType]::ParameterName, 'Stalled after this many seconds without a new low of remaining data')
            [CompletionResult]::new('--completion-timeout', '--completion-timeout', [CompletionResultType]::ParameterName, 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout')
            [CompletionResult]::new('--on-timeout', '--on-timeout', [CompletionResultType]::ParameterName, 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set')
            [CompletionResult]::new('--tls-destination', '--tls-destination', [CompletionResultType]::ParameterName, 'The name the destination''s certificate must carry, when it is not the migration address')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Send memory over N parallel connections (multifd); 0: one stream')
            [CompletionResult]::new('--compress', '--compress', [CompletionResultType]::ParameterName, 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)')
            [CompletionResult]::new('--xbzrle-cache', '--xbzrle-cache', [CompletionResultType]::ParameterName, 'XBZRLE''s page cache, MiB (QEMU''s default: 64)')
            [CompletionResult]::new('--postcopy-bandwidth', '--postcopy-bandwidth', [CompletionResultType]::ParameterName, 'The bandwidth cap once in post-copy, MiB/s')
            [CompletionResult]::new('--auto-converge-initial', '--auto-converge-initial', [CompletionResultType]::ParameterName, 'Auto-converge''s first throttle, % of the guest''s vCPU time (QEMU: 20)')
            [CompletionResult]::new('--auto-converge-increment', '--auto-converge-increment', [CompletionResultType]::ParameterName, 'Auto-converge''s throttle step, % (QEMU: 10)')
            [CompletionResult]::new('--disks', '--disks', [CompletionResultType]::ParameterName, 'Block migration copies only these local disks (guest names); every other disk must be shared')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('--unsafe', '--unsafe', [CompletionResultType]::ParameterName, 'Migrate even where libvirt cannot prove the storage is shared (`VIR_MIGRATE_UNSAFE`); for file storage `check` found shared')
            [CompletionResult]::new('--no-measure', '--no-measure', [CompletionResultType]::ParameterName, 'Skip the dirty-rate sample and the prediction')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail the checks when the prediction says this run''s policy cannot finish the migration (otherwise only a warning)')
            [CompletionResult]::new('--auto-converge', '--auto-converge', [CompletionResultType]::ParameterName, 'Let QEMU throttle the guest''s vCPUs while it dirties memory faster than it is sent')
            [CompletionResult]::new('--no-auto-converge', '--no-auto-converge', [CompletionResultType]::ParameterName, 'No auto-converge')
            [CompletionResult]::new('--postcopy', '--postcopy', [CompletionResultType]::ParameterName, 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`')
            [CompletionResult]::new('--no-postcopy', '--no-postcopy', [CompletionResultType]::ParameterName, 'Do not permit post-copy')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Encrypt the memory and disk streams with QEMU''s native TLS (certificates on both hosts: see docs/tls.md)')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'No TLS, whatever the inventory says')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;migrate' {
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Write progress events as JSON lines to FILE (`-` for stdout)')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write the migration''s duration, downtime, bytes and outcome as an `OpenMetrics` textfile (`node_exporter`) when it ends')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The host the VM runs on [default: searched on every host]')
            [CompletionResult]::new('--block-migration', '--block-migration', [CompletionResultType]::ParameterName, 'Copy local disks: auto = when some disk is on local storage')
            [CompletionResult]::new('--zone', '--zone', [CompletionResultType]::ParameterName, 'Scheduler: only hosts in this zone')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Scheduler: only hosts with this tag')
            [CompletionResult]::new('--measure', '--measure', [CompletionResultType]::ParameterName, 'Sample the guest''s dirty rate for SECS seconds to predict whether the migration converges (the `convergence.prediction` check) [default: 1 for `check`; `live` samples only when given this or --strict]')
            [CompletionResult]::new('--bandwidth', '--bandwidth', [CompletionResultType]::ParameterName, 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says')
            [CompletionResult]::new('--max-downtime', '--max-downtime', [CompletionResultType]::ParameterName, 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies')
            [CompletionResult]::new('--downtime-start', '--downtime-start', [CompletionResultType]::ParameterName, 'The first max downtime, ms')
            [CompletionResult]::new('--downtime-steps', '--downtime-steps', [CompletionResultType]::ParameterName, 'Steps from the first to the max downtime')
            [CompletionResult]::new('--downtime-delay', '--downtime-delay', [CompletionResultType]::ParameterName, 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)')
            [CompletionResult]::new('--stall-iterations', '--stall-iterations', [CompletionResultType]::ParameterName, 'Stalled after this many passes whose dirty set shrank by less than 10 %')
            [CompletionResult]::new('--stall-secs', '--stall-secs', [CompletionResultType]::ParameterName, 'Stalled after this many seconds without a new low of remaining data')
            [CompletionResult]::new('--completion-timeout', '--completion-timeout', [CompletionResultType]::ParameterName, 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout')
            [CompletionResult]::new('--on-timeout', '--on-timeout', [CompletionResultType]::ParameterName, 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set')
            [CompletionResult]::new('--tls-destination', '--tls-destination', [CompletionResultType]::ParameterName, 'The name the destination''s certificate must carry, when it is not the migration address')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Send memory over N parallel connections (multifd); 0: one stream')
            [CompletionResult]::new('--compress', '--compress', [CompletionResultType]::ParameterName, 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)')
            [CompletionResult]::new('--xbzrle-cache', '--xbzrle-cache', [CompletionResultType]::ParameterName, 'XBZRLE''s page cache, MiB (QEMU''s default: 64)')
            [CompletionResult]::new('--postcopy-bandwidth', '--postcopy-bandwidth', [CompletionResultType]::ParameterName, 'The bandwidth cap once in post-copy, MiB/s')
            [CompletionResult]::new('--auto-converge-initial', '--auto-converge-initial', [CompletionResultType]::ParameterName, 'Auto-converge''s first throttle, % of the guest''s vCPU time (QEMU: 20)')
            [CompletionResult]::new('--auto-converge-increment', '--auto-converge-increment', [CompletionResultType]::ParameterName, 'Auto-converge''s throttle step, % (QEMU: 10)')
            [CompletionResult]::new('--disks', '--disks', [CompletionResultType]::ParameterName, 'Block migration copies only these local disks (guest names); every other disk must be shared')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('--unsafe', '--unsafe', [CompletionResultType]::ParameterName, 'Migrate even where libvirt cannot prove the storage is shared (`VIR_MIGRATE_UNSAFE`); for file storage `check` found shared')
            [CompletionResult]::new('--no-measure', '--no-measure', [CompletionResultType]::ParameterName, 'Skip the dirty-rate sample and the prediction')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail the checks when the prediction says this run''s policy cannot finish the migration (otherwise only a warning)')
            [CompletionResult]::new('--auto-converge', '--auto-converge', [CompletionResultType]::ParameterName, 'Let QEMU throttle the guest''s vCPUs while it dirties memory faster than it is sent')
            [CompletionResult]::new('--no-auto-converge', '--no-auto-converge', [CompletionResultType]::ParameterName, 'No auto-converge')
            [CompletionResult]::new('--postcopy', '--postcopy', [CompletionResultType]::ParameterName, 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`')
            [CompletionResult]::new('--no-postcopy', '--no-postcopy', [CompletionResultType]::ParameterName, 'Do not permit post-copy')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Encrypt the memory and disk streams with QEMU''s native TLS (certificates on both hosts: see docs/tls.md)')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'No TLS, whatever the inventory says')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;ps' {
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Redraw every SECS seconds until Ctrl-C (with -o json: one JSON document per line per refresh)')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write the running migrations as an `OpenMetrics` textfile (for `node_exporter`''s textfile collector), replaced atomically')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;abort' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The host the VM runs on [default: searched on every host]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;force-complete' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The host the VM runs on [default: searched on every host]')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'auto: post-copy if permitted, else pause')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;bandwidth' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The host the VM runs on [default: searched on every host]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('--postcopy', '--postcopy', [CompletionResultType]::ParameterName, 'Set the cap post-copy will use (the migration is still in pre-copy)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;attach' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;recover' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only say what would be done')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;evacuate' {
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Migrations at once (`oVirt` and `KubeVirt` run 2 per host)')
            [CompletionResult]::new('--max-incoming', '--max-incoming', [CompletionResultType]::ParameterName, 'Migrations at once into one destination')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'The maintenance window (90m, 1h30m, 2h): say whether the drain fits, and which VMs put it at risk')
            [CompletionResult]::new('--order', '--order', [CompletionResultType]::ParameterName, 'The order migrations start in')
            [CompletionResult]::new('--zone', '--zone', [CompletionResultType]::ParameterName, 'Only destinations in this zone')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only destinations with this tag')
            [CompletionResult]::new('--block-migration', '--block-migration', [CompletionResultType]::ParameterName, 'Copy local disks: auto = when some disk is on local storage')
            [CompletionResult]::new('--measure', '--measure', [CompletionResultType]::ParameterName, 'Seconds every running VM''s dirty rate is sampled for (all at once) to predict the drain')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Write every migration''s progress events, tagged with its VM, as JSON lines to FILE (`-` for stdout)')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write the migrations'' durations, downtime, bytes and outcomes as an `OpenMetrics` textfile (`node_exporter`), after each migration ends')
            [CompletionResult]::new('--bandwidth', '--bandwidth', [CompletionResultType]::ParameterName, 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says')
            [CompletionResult]::new('--max-downtime', '--max-downtime', [CompletionResultType]::ParameterName, 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies')
            [CompletionResult]::new('--downtime-start', '--downtime-start', [CompletionResultType]::ParameterName, 'The first max downtime, ms')
            [CompletionResult]::new('--downtime-steps', '--downtime-steps', [CompletionResultType]::ParameterName, 'Steps from the first to the max downtime')
            [CompletionResult]::new('--downtime-delay', '--downtime-delay', [CompletionResultType]::ParameterName, 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)')
            [CompletionResult]::new('--stall-iterations', '--stall-iterations', [CompletionResultType]::ParameterName, 'Stalled after this many passes whose dirty set shrank by less than 10 %')
            [CompletionResult]::new('--stall-secs', '--stall-secs', [CompletionResultType]::ParameterName, 'Stalled after this many seconds without a new low of remaining data')
            [CompletionResult]::new('--completion-timeout', '--completion-timeout', [CompletionResultType]::ParameterName, 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout')
            [CompletionResult]::new('--on-timeout', '--on-timeout', [CompletionResultType]::ParameterName, 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set')
            [CompletionResult]::new('--tls-destination', '--tls-destination', [CompletionResultType]::ParameterName, 'The name the destination''s certificate must carry, when it is not the migration address')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Send memory over N parallel connections (multifd); 0: one stream')
            [CompletionResult]::new('--compress', '--compress', [CompletionResultType]::ParameterName, 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)')
            [CompletionResult]::new('--xbzrle-cache', '--xbzrle-cache', [CompletionResultType]::ParameterName, 'XBZRLE''s page cache, MiB (QEMU''s default: 64)')
            [CompletionResult]::new('--postcopy-bandwidth', '--postcopy-bandwidth', [CompletionResultType]::ParameterName, 'The bandwidth cap once in post-copy, MiB/s')
            [CompletionResult]::new('--auto-converge-initial', '--auto-converge-initial', [CompletionResultType]::ParameterName, 'Auto-converge''s first throttle, % of the guest''s vCPU time (QEMU: 20)')
            [CompletionResult]::new('--auto-converge-increment', '--auto-converge-increment', [CompletionResultType]::ParameterName, 'Auto-converge''s throttle step, % (QEMU: 10)')
            [CompletionResult]::new('--disks', '--disks', [CompletionResultType]::ParameterName, 'Block migration copies only these local disks (guest names); every other disk must be shared')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan and the prediction; change nothing')
            [CompletionResult]::new('--return', '--return', [CompletionResultType]::ParameterName, 'After maintenance: migrate the VMs the host''s last drain moved, and that are still where it put them, back to the host')
            [CompletionResult]::new('--continue-on-error', '--continue-on-error', [CompletionResultType]::ParameterName, 'Move the VMs that can be placed even when some cannot')
            [CompletionResult]::new('--include-stopped', '--include-stopped', [CompletionResultType]::ParameterName, 'Move the host''s stopped VMs too, as definitions (defined on the destination, undefined here), where their disks are shared')
            [CompletionResult]::new('--unsafe', '--unsafe', [CompletionResultType]::ParameterName, 'Migrate even where libvirt cannot prove the storage is shared (`VIR_MIGRATE_UNSAFE`)')
            [CompletionResult]::new('--auto-converge', '--auto-converge', [CompletionResultType]::ParameterName, 'Let QEMU throttle the guest''s vCPUs while it dirties memory faster than it is sent')
            [CompletionResult]::new('--no-auto-converge', '--no-auto-converge', [CompletionResultType]::ParameterName, 'No auto-converge')
            [CompletionResult]::new('--postcopy', '--postcopy', [CompletionResultType]::ParameterName, 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`')
            [CompletionResult]::new('--no-postcopy', '--no-postcopy', [CompletionResultType]::ParameterName, 'Do not permit post-copy')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Encrypt the memory and disk streams with QEMU''s native TLS (certificates on both hosts: see docs/tls.md)')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'No TLS, whatever the inventory says')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;maintenance' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (with `on`): kept in the mark, shown to every operator')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write the scripts into DIR (vmigrate.bash, _vmigrate, vmigrate.fish, …) instead of printing one')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress output on stderr, even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v, -vv)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII table borders (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vmigrate;help' {
            [CompletionResult]::new('hosts', 'hosts', [CompletionResultType]::ParameterValue, 'Show every inventory host: reachability, hypervisor, CPU, memory, disk and VMs')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Is the fleet fit for migrations? Hosts, the paths between them, their CPUs')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Dry run: every pre-migration check, and where the VM would go. Changes nothing')
            [CompletionResult]::new('live', 'live', [CompletionResultType]::ParameterValue, 'Live-migrate a VM: every check, then a peer-to-peer migration with progress')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'Every migration running in the fleet, whoever started it: source, destination, VM, phase, progress, rate, ETA, the rung of the vmigrate run watching it and who started it, when known')
            [CompletionResult]::new('abort', 'abort', [CompletionResultType]::ParameterValue, 'Abort the running migration (any libvirt job) of a VM, from any terminal')
            [CompletionResult]::new('force-complete', 'force-complete', [CompletionResultType]::ParameterValue, 'Make a running migration finish now: switch it to post-copy when it permits (started with --postcopy), else pause the guest for the last pass')
            [CompletionResult]::new('bandwidth', 'bandwidth', [CompletionResultType]::ParameterValue, 'Change a running migration''s bandwidth cap, MiB/s (from any terminal)')
            [CompletionResult]::new('attach', 'attach', [CompletionResultType]::ParameterValue, 'Take over a migration whose vmigrate died (kill -9, a closed laptop): watch it to the end with the run''s own policy, then verify or roll back')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Reconcile a VM after a run that died or ended unknown: read the journal and every host, then resume / undefine stale copies / remove leftovers')
            [CompletionResult]::new('evacuate', 'evacuate', [CompletionResultType]::ParameterValue, 'Empty a host: plan where every VM goes (capacity, anti-affinity), predict how long it takes, then live-migrate them, N at a time')
            [CompletionResult]::new('maintenance', 'maintenance', [CompletionResultType]::ParameterValue, 'Put a host in maintenance, end it, or show it: a mark kept on the host itself, so that every operator''s check, live and evacuate treats the host as disabled. `vmigrate maintenance status` shows every host')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout, or write every shell''s into a directory')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (vmigrate.1 and one per subcommand) into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vmigrate;help;hosts' {
            break
        }
        'vmigrate;help;doctor' {
            break
        }
        'vmigrate;help;check' {
            break
        }
        'vmigrate;help;live' {
            break
        }
        'vmigrate;help;ps' {
            break
        }
        'vmigrate;help;abort' {
            break
        }
        'vmigrate;help;force-complete' {
            break
        }
        'vmigrate;help;bandwidth' {
            break
        }
        'vmigrate;help;attach' {
            break
        }
        'vmigrate;help;recover' {
            break
        }
        'vmigrate;help;evacuate' {
            break
        }
        'vmigrate;help;maintenance' {
            break
        }
        'vmigrate;help;completions' {
            break
        }
        'vmigrate;help;man' {
            break
        }
        'vmigrate;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
