
use builtin;
use str;

set edit:completion:arg-completer[vmigrate] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'vmigrate'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'vmigrate'= {
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand hosts 'Show every inventory host: reachability, hypervisor, CPU, memory, disk and VMs'
            cand check 'Dry run: every pre-migration check, and where the VM would go. Changes nothing'
            cand live 'Live-migrate a VM: every check, then a peer-to-peer migration with progress'
            cand ps 'Every migration running in the fleet, whoever started it: source, destination, VM, phase, progress, rate, ETA, the rung of the vmigrate run watching it and who started it, when known'
            cand abort 'Abort the running migration (any libvirt job) of a VM, from any terminal'
            cand force-complete 'Make a running migration finish now: switch it to post-copy when it permits (started with --postcopy), else pause the guest for the last pass'
            cand bandwidth 'Change a running migration''s bandwidth cap, MiB/s (from any terminal)'
            cand attach 'Take over a migration whose vmigrate died (kill -9, a closed laptop): watch it to the end with the run''s own policy, then verify or roll back'
            cand recover 'Reconcile a VM after a run that died or ended unknown: read the journal and every host, then resume / undefine stale copies / remove leftovers'
            cand evacuate 'Empty a host: plan where every VM goes (capacity, anti-affinity), predict how long it takes, then live-migrate them, N at a time'
            cand maintenance 'Put a host in maintenance, end it, or show it: a mark kept on the host itself, so that every operator''s check, live and evacuate treats the host as disabled. `vmigrate maintenance status` shows every host'
            cand completions 'Print a shell completion script to stdout, or write every shell''s into a directory'
            cand man 'Write the man pages (vmigrate.1 and one per subcommand) into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vmigrate;hosts'= {
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;check'= {
            cand --to 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it'
            cand --host 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it'
            cand --target 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it'
            cand --from 'The host the VM runs on [default: searched on every host]'
            cand --block-migration 'Copy local disks: auto = when some disk is on local storage'
            cand --zone 'Scheduler: only hosts in this zone'
            cand --tag 'Scheduler: only hosts with this tag'
            cand --measure 'Sample the guest''s dirty rate for SECS seconds to predict whether the migration converges (the `convergence.prediction` check) [default: 1 for `check`; `live` samples only when given this or --strict]'
            cand --bandwidth 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says'
            cand --max-downtime 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder'
            cand --policy '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies'
            cand --downtime-start 'The first max downtime, ms'
            cand --downtime-steps 'Steps from the first to the max downtime'
            cand --downtime-delay 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)'
            cand --stall-iterations 'Stalled after this many passes whose dirty set shrank by less than 10 %'
            cand --stall-secs 'Stalled after this many seconds without a new low of remaining data'
            cand --completion-timeout 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout'
            cand --on-timeout 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)'
            cand --transport 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set'
            cand --tls-destination 'The name the destination''s certificate must carry, when it is not the migration address'
            cand --parallel 'Send memory over N parallel connections (multifd); 0: one stream'
            cand --compress 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)'
            cand --xbzrle-cache 'XBZRLE''s page cache, MiB (QEMU''s default: 64)'
            cand --postcopy-bandwidth 'The bandwidth cap once in post-copy, MiB/s'
            cand --auto-converge-initial 'Auto-converge''s first throttle, % of the guest''s vCPU time (QEMU: 20)'
            cand --auto-converge-increment 'Auto-converge''s throttle step, % (QEMU: 10)'
            cand --disks 'Block migration copies only these local disks (guest names); every other disk must be shared'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand --no-measure 'Skip the dirty-rate sample and the prediction'
            cand --strict 'Fail the checks when the prediction says this run''s policy cannot finish the migration (otherwise only a warning)'
            cand --auto-converge 'Let QEMU throttle the guest''s vCPUs while it dirties memory faster than it is sent'
            cand --no-auto-converge 'No auto-converge'
            cand --postcopy 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`'
            cand --no-postcopy 'Do not permit post-copy'
            cand --tls 'Encrypt the memory and disk streams with QEMU''s native TLS (certificates on both hosts: see docs/tls.md)'
            cand --no-tls 'No TLS, whatever the inventory says'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;live'= {
            cand --events 'Write progress events as JSON lines to FILE (`-` for stdout)'
            cand --metrics-file 'Write the migration''s duration, downtime, bytes and outcome as an `OpenMetrics` textfile (`node_exporter`) when it ends'
            cand --to 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it'
            cand --host 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it'
            cand --target 'Destination host (inventory name) [default: chosen by the scheduler]. Also `--host` and `--target`, as Nova and Proxmox spell it'
            cand --from 'The host the VM runs on [default: searched on every host]'
            cand --block-migration 'Copy local disks: auto = when some disk is on local storage'
            cand --zone 'Scheduler: only hosts in this zone'
            cand --tag 'Scheduler: only hosts with this tag'
            cand --measure 'Sample the guest''s dirty rate for SECS seconds to predict whether the migration converges (the `convergence.prediction` check) [default: 1 for `check`; `live` samples only when given this or --strict]'
            cand --bandwidth 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says'
            cand --max-downtime 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder'
            cand --policy '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies'
            cand --downtime-start 'The first max downtime, ms'
            cand --downtime-steps 'Steps from the first to the max downtime'
            cand --downtime-delay 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)'
            cand --stall-iterations 'Stalled after this many passes whose dirty set shrank by less than 10 %'
            cand --stall-secs 'Stalled after this many seconds without a new low of remaining data'
            cand --completion-timeout 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout'
            cand --on-timeout 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)'
            cand --transport 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set'
            cand --tls-destination 'The name the destination''s certificate must carry, when it is not the migration address'
            cand --parallel 'Send memory over N parallel connections (multifd); 0: one stream'
            cand --compress 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)'
            cand --xbzrle-cache 'XBZRLE''s page cache, MiB (QEMU''s default: 64)'
            cand --postcopy-bandwidth 'The bandwidth cap once in post-copy, MiB/s'
            cand --auto-converge-initial 'Auto-converge''s first throttle, % of the guest''s vCPU time (QEMU: 20)'
            cand --auto-converge-increment 'Auto-converge''s throttle step, % (QEMU: 10)'
            cand --disks 'Block migration copies only these local disks (guest names); every other disk must be shared'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand --unsafe 'Migrate even where libvirt cannot prove the storage is shared (`VIR_MIGRATE_UNSAFE`); for file storage `check` found shared'
            cand --no-measure 'Skip the dirty-rate sample and the prediction'
            cand --strict 'Fail the checks when the prediction says this run''s policy cannot finish the migration (otherwise only a warning)'
            cand --auto-converge 'Let QEMU throttle the guest''s vCPUs while it dirties memory faster than it is sent'
            cand --no-auto-converge 'No auto-converge'
            cand --postcopy 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`'
            cand --no-postcopy 'Do not permit post-copy'
            cand --tls 'Encrypt the memory and disk streams with QEMU''s native TLS (certificates on both hosts: see docs/tls.md)'
            cand --no-tls 'No TLS, whatever the inventory says'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;ps'= {
            cand --watch 'Redraw every SECS seconds until Ctrl-C (with -o json: one JSON document per line per refresh)'
            cand --metrics-file 'Write the running migrations as an `OpenMetrics` textfile (for `node_exporter`''s textfile collector), replaced atomically'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;abort'= {
            cand --from 'The host the VM runs on [default: searched on every host]'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;force-complete'= {
            cand --from 'The host the VM runs on [default: searched on every host]'
            cand --mode 'auto: post-copy if permitted, else pause'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;bandwidth'= {
            cand --from 'The host the VM runs on [default: searched on every host]'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand --postcopy 'Set the cap post-copy will use (the migration is still in pre-copy)'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;attach'= {
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;recover'= {
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand --dry-run 'Only say what would be done'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;evacuate'= {
            cand --concurrency 'Migrations at once (`oVirt` and `KubeVirt` run 2 per host)'
            cand --max-incoming 'Migrations at once into one destination'
            cand --window 'The maintenance window (90m, 1h30m, 2h): say whether the drain fits, and which VMs put it at risk'
            cand --order 'The order migrations start in'
            cand --zone 'Only destinations in this zone'
            cand --tag 'Only destinations with this tag'
            cand --block-migration 'Copy local disks: auto = when some disk is on local storage'
            cand --measure 'Seconds every running VM''s dirty rate is sampled for (all at once) to predict the drain'
            cand --events 'Write every migration''s progress events, tagged with its VM, as JSON lines to FILE (`-` for stdout)'
            cand --metrics-file 'Write the migrations'' durations, downtime, bytes and outcomes as an `OpenMetrics` textfile (`node_exporter`), after each migration ends'
            cand --bandwidth 'Cap the migration bandwidth, MiB/s (also what the prediction assumes); 0: no cap, whatever the inventory says'
            cand --max-downtime 'Maximum downtime allowed for the final switch-over, ms: the top of the ladder'
            cand --policy '`off`: no downtime steps and no stall reaction (and no auto-converge unless --auto-converge); the completion timeout still applies'
            cand --downtime-start 'The first max downtime, ms'
            cand --downtime-steps 'Steps from the first to the max downtime'
            cand --downtime-delay 'Seconds between downtime steps, per GiB of data (0: only stalls raise it)'
            cand --stall-iterations 'Stalled after this many passes whose dirty set shrank by less than 10 %'
            cand --stall-secs 'Stalled after this many seconds without a new low of remaining data'
            cand --completion-timeout 'Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before the --on-timeout action; 0 = no timeout'
            cand --on-timeout 'What the completion timeout does: abort (VM stays on the source), postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes)'
            cand --transport 'auto (the default): choose parallel connections and compression from the measured dirty rate and link (said in check `transport.choice`); what you set yourself is kept. manual: as set'
            cand --tls-destination 'The name the destination''s certificate must carry, when it is not the migration address'
            cand --parallel 'Send memory over N parallel connections (multifd); 0: one stream'
            cand --compress 'Compress the stream: xbzrle (delta cache; not with --parallel), zlib or zstd (over --parallel; libvirt >= 9.4)'
            cand --xbzrle-cache 'XBZRLE''s page cache, MiB (QEMU''s default: 64)'
            cand --postcopy-bandwidth 'The bandwidth cap once in post-copy, MiB/s'
            cand --auto-converge-initial 'Auto-converge''s first throttle, % of the guest''s vCPU time (QEMU: 20)'
            cand --auto-converge-increment 'Auto-converge''s throttle step, % (QEMU: 10)'
            cand --disks 'Block migration copies only these local disks (guest names); every other disk must be shared'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand --dry-run 'Print the plan and the prediction; change nothing'
            cand --return 'After maintenance: migrate the VMs the host''s last drain moved, and that are still where it put them, back to the host'
            cand --continue-on-error 'Move the VMs that can be placed even when some cannot'
            cand --include-stopped 'Move the host''s stopped VMs too, as definitions (defined on the destination, undefined here), where their disks are shared'
            cand --unsafe 'Migrate even where libvirt cannot prove the storage is shared (`VIR_MIGRATE_UNSAFE`)'
            cand --auto-converge 'Let QEMU throttle the guest''s vCPUs while it dirties memory faster than it is sent'
            cand --no-auto-converge 'No auto-converge'
            cand --postcopy 'Permit post-copy: the ladder switches when pre-copy stalls beyond the max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`'
            cand --no-postcopy 'Do not permit post-copy'
            cand --tls 'Encrypt the memory and disk streams with QEMU''s native TLS (certificates on both hosts: see docs/tls.md)'
            cand --no-tls 'No TLS, whatever the inventory says'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;maintenance'= {
            cand --reason 'Why (with `on`): kept in the mark, shown to every operator'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;completions'= {
            cand --dir 'Write the scripts into DIR (vmigrate.bash, _vmigrate, vmigrate.fish, …) instead of printing one'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;man'= {
            cand --dir 'The directory'
            cand -i 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand --inventory 'Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]'
            cand -o 'Output format for results on stdout'
            cand --output 'Output format for results on stdout'
            cand --color 'Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset'
            cand -q 'No progress output on stderr, even on a terminal'
            cand --quiet 'No progress output on stderr, even on a terminal'
            cand -v 'More diagnostics on stderr (-v, -vv)'
            cand --verbose 'More diagnostics on stderr (-v, -vv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vmigrate;help'= {
            cand hosts 'Show every inventory host: reachability, hypervisor, CPU, memory, disk and VMs'
            cand check 'Dry run: every pre-migration check, and where the VM would go. Changes nothing'
            cand live 'Live-migrate a VM: every check, then a peer-to-peer migration with progress'
            cand ps 'Every migration running in the fleet, whoever started it: source, destination, VM, phase, progress, rate, ETA, the rung of the vmigrate run watching it and who started it, when known'
            cand abort 'Abort the running migration (any libvirt job) of a VM, from any terminal'
            cand force-complete 'Make a running migration finish now: switch it to post-copy when it permits (started with --postcopy), else pause the guest for the last pass'
            cand bandwidth 'Change a running migration''s bandwidth cap, MiB/s (from any terminal)'
            cand attach 'Take over a migration whose vmigrate died (kill -9, a closed laptop): watch it to the end with the run''s own policy, then verify or roll back'
            cand recover 'Reconcile a VM after a run that died or ended unknown: read the journal and every host, then resume / undefine stale copies / remove leftovers'
            cand evacuate 'Empty a host: plan where every VM goes (capacity, anti-affinity), predict how long it takes, then live-migrate them, N at a time'
            cand maintenance 'Put a host in maintenance, end it, or show it: a mark kept on the host itself, so that every operator''s check, live and evacuate treats the host as disabled. `vmigrate maintenance status` shows every host'
            cand completions 'Print a shell completion script to stdout, or write every shell''s into a directory'
            cand man 'Write the man pages (vmigrate.1 and one per subcommand) into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vmigrate;help;hosts'= {
        }
        &'vmigrate;help;check'= {
        }
        &'vmigrate;help;live'= {
        }
        &'vmigrate;help;ps'= {
        }
        &'vmigrate;help;abort'= {
        }
        &'vmigrate;help;force-complete'= {
        }
        &'vmigrate;help;bandwidth'= {
        }
        &'vmigrate;help;attach'= {
        }
        &'vmigrate;help;recover'= {
        }
        &'vmigrate;help;evacuate'= {
        }
        &'vmigrate;help;maintenance'= {
        }
        &'vmigrate;help;completions'= {
        }
        &'vmigrate;help;man'= {
        }
        &'vmigrate;help;help'= {
        }
    ]
    $completions[$command]
}
