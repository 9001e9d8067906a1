//! The command line (clap). Only this file knows clap's types for options;
//! `config` turns them into the checked settings the commands use.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueHint};
use clap_complete::ArgValueCandidates;

use crate::commands::complete;

use crate::report::OutputFormat;

/// Live-migrate KVM virtual machines between libvirt hosts, Nova-style.
///
/// Reads a TOML host inventory, connects to every host over SSH and libvirt,
/// and does everything from the operator's machine: no daemons.
#[derive(Debug, Parser)]
#[command(name = "vmigrate", version, after_help = exit_code_help(), max_term_width = 100)]
pub struct Cli {
    /// Inventory file [default: $`VMIGRATE_INVENTORY`, ./inventory.toml, ~/.config/vmigrate/inventory.toml]
    #[arg(short, long, global = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub inventory: Option<PathBuf>,

    /// Output format for results on stdout.
    #[arg(short, long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// No progress output on stderr, even on a terminal.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// More diagnostics on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Colour in tables: auto = when stdout is a terminal and `NO_COLOR` is unset.
    #[arg(long, global = true, value_enum, default_value_t = ColorMode::Auto, value_name = "WHEN")]
    pub color: ColorMode,
    /// ASCII table borders (the default when stdout is not a terminal).
    #[arg(long, global = true)]
    pub ascii: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every inventory host: reachability, hypervisor, CPU, memory, disk and VMs.
    ///
    /// Exit 0 when every enabled host is reachable, 6 when some are not.
    #[command(
        after_help = "Examples:\n  vmigrate hosts                      every host: reachability, capacity, versions\n  vmigrate -o json hosts kvm1 kvm2    two hosts, as JSON"
    )]
    Hosts {
        /// Only these hosts (inventory names) [default: all].
        #[arg(value_name = "HOST", add = ArgValueCandidates::new(complete::hosts))]
        hosts: Vec<String>,
    },
    /// Is the fleet fit for migrations? Hosts, the paths between them, their CPUs.
    ///
    /// The inventory; per host SSH (auth, host key), libvirt, free space at
    /// `instances_path` and clock skew; hosts listed twice; the peer-to-peer
    /// mesh, probed from each source host itself (its libvirtd reaching
    /// every other host's `peer_uri` and `migration_uri` port, and for qemu+ssh
    /// its ssh knowing their host keys); the CPU matrix (which host can take
    /// host-model guests from which) with a baseline CPU where they differ.
    /// With HOSTs, only those hosts and the paths to and from them. Exit 0
    /// when nothing failed, 3 when a check failed (each with its fix).
    #[command(
        after_help = "Examples:\n  vmigrate doctor                     the whole fleet\n  vmigrate doctor kvm3                kvm3, and every path to and from it\n  vmigrate -o json doctor | jq '.checks[] | select(.status == \"fail\")'"
    )]
    Doctor {
        /// Only these hosts (inventory names) and their paths [default: all].
        #[arg(value_name = "HOST", add = ArgValueCandidates::new(complete::hosts))]
        hosts: Vec<String>,
    },
    /// Dry run: every pre-migration check, and where the VM would go. Changes nothing.
    ///
    /// Exit 0 when the VM can be live-migrated, 3 when not (or not found),
    /// 5 when it runs on two hosts at once.
    #[command(
        after_help = "Examples:\n  vmigrate check web1                 where would web1 go, and would it work?\n  vmigrate check web1 --to kvm2       against one host\n  vmigrate check web1 --to kvm2 --bandwidth 100 --strict\n                                      refuse if it cannot converge at 100 MiB/s"
    )]
    Check(CheckArgs),
    /// Live-migrate a VM: every check, then a peer-to-peer migration with progress.
    ///
    /// Exit 0 migrated, 3 not migratable (nothing changed), 4 failed and
    /// rolled back (VM on the source), 5 outcome unknown (run recover),
    /// 130 interrupted (VM on the source).
    #[command(
        visible_alias = "migrate",
        after_help = "Examples:\n  vmigrate live web1                  the scheduler picks the destination\n  vmigrate live web1 --to kvm2 --postcopy\n  vmigrate live db1 --to kvm3 --tls --parallel 4\n  vmigrate -o json live web1 --to kvm2 --events /var/log/vmigrate/web1.jsonl"
    )]
    Live(LiveArgs),
    /// Every migration running in the fleet, whoever started it: source,
    /// destination, VM, phase, progress, rate, ETA, the rung of the vmigrate
    /// run watching it and who started it, when known.
    ///
    /// Exit 0, 6 when some host could not be read (its migrations may be
    /// missing), 130 when `--watch` is interrupted.
    #[command(
        after_help = "Examples:\n  vmigrate ps                         what is migrating right now\n  vmigrate ps --watch                 redraw every 2 s until Ctrl-C\n  vmigrate -o json ps kvm1 kvm2       two hosts, as JSON\n  vmigrate ps --watch 15 --metrics-file /var/lib/node_exporter/vmigrate_ps.prom -q"
    )]
    Ps {
        /// Only these hosts (inventory names) [default: all].
        #[arg(value_name = "HOST", add = ArgValueCandidates::new(complete::hosts))]
        hosts: Vec<String>,
        /// Redraw every SECS seconds until Ctrl-C (with -o json: one JSON
        /// document per line per refresh).
        #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "2", value_parser = clap::value_parser!(u64).range(1..=3600))]
        watch: Option<u64>,
        /// Write the running migrations as an `OpenMetrics` textfile (for
        /// `node_exporter`'s textfile collector), replaced atomically.
        #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
        metrics_file: Option<PathBuf>,
    },
    /// Abort the running migration (any libvirt job) of a VM, from any terminal.
    ///
    /// The `vmigrate live` that started it rolls back and reports; this
    /// waits until the job is gone and says where the VM runs. Exit 0 also
    /// when there was no job to abort.
    #[command(
        after_help = "Examples:\n  vmigrate abort web1                 the running migration rolls back"
    )]
    Abort {
        /// The VM (libvirt domain name).
        #[arg(add = ArgValueCandidates::new(complete::vms))]
        vm: String,
        /// The host the VM runs on [default: searched on every host].
        #[arg(long, value_name = "HOST", add = ArgValueCandidates::new(complete::hosts))]
        from: Option<String>,
    },
    /// Make a running migration finish now: switch it to post-copy when it
    /// permits (started with --postcopy), else pause the guest for the last pass.
    ///
    /// The `vmigrate live` that started it records the switch and reports;
    /// this waits until the job is over. Exit 0 also when no migration runs.
    #[command(
        after_help = "Examples:\n  vmigrate force-complete web1        post-copy if permitted, else pause"
    )]
    ForceComplete {
        /// The VM (libvirt domain name).
        #[arg(add = ArgValueCandidates::new(complete::vms))]
        vm: String,
        /// The host the VM runs on [default: searched on every host].
        #[arg(long, value_name = "HOST", add = ArgValueCandidates::new(complete::hosts))]
        from: Option<String>,
        /// auto: post-copy if permitted, else pause.
        #[arg(long, value_enum, default_value_t = crate::commands::ForceMode::Auto)]
        mode: crate::commands::ForceMode,
    },
    /// Change a running migration's bandwidth cap, MiB/s (from any terminal).
    ///
    /// Sets the cap of the phase the migration is in (post-copy's own cap
    /// once it switched); `--postcopy` sets the post-copy cap ahead of the
    /// switch. Exit 0 when set, 3 when no migration of the VM runs.
    #[command(
        after_help = "Examples:\n  vmigrate bandwidth web1 500         raise the running migration's cap to 500 MiB/s\n  vmigrate bandwidth web1 200 --postcopy"
    )]
    Bandwidth {
        /// The VM (libvirt domain name).
        #[arg(add = ArgValueCandidates::new(complete::vms))]
        vm: String,
        /// The new cap, MiB/s.
        #[arg(value_name = "MiB/s", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        mib: u64,
        /// The host the VM runs on [default: searched on every host].
        #[arg(long, value_name = "HOST", add = ArgValueCandidates::new(complete::hosts))]
        from: Option<String>,
        /// Set the cap post-copy will use (the migration is still in pre-copy).
        #[arg(long)]
        postcopy: bool,
    },
    /// Take over a migration whose vmigrate died (kill -9, a closed laptop):
    /// watch it to the end with the run's own policy, then verify or roll back.
    ///
    /// Exit codes as for `live`: 0 migrated, 4 failed and rolled back, 5
    /// outcome unknown (run recover), 130 aborted (VM on the source); 3 when
    /// there is nothing to attach to or another vmigrate is watching it.
    #[command(
        after_help = "Examples:\n  vmigrate attach web1                after the live that started it was killed"
    )]
    Attach {
        /// The VM (libvirt domain name).
        #[arg(add = ArgValueCandidates::new(complete::vms))]
        vm: String,
    },
    /// Reconcile a VM after a run that died or ended unknown: read the journal and
    /// every host, then resume / undefine stale copies / remove leftovers.
    ///
    /// Exit 0 when the VM runs on exactly one host and is defined there only,
    /// 5 when that cannot be reached without an operator's decision.
    #[command(
        after_help = "Examples:\n  vmigrate recover web1 --dry-run     what it would do\n  vmigrate recover web1"
    )]
    Recover {
        /// The VM (libvirt domain name).
        #[arg(add = ArgValueCandidates::new(complete::vms))]
        vm: String,
        /// Only say what would be done.
        #[arg(long)]
        dry_run: bool,
    },
    /// Empty a host: plan where every VM goes (capacity, anti-affinity),
    /// predict how long it takes, then live-migrate them, N at a time.
    ///
    /// Exit 0 when the host runs no VM any more, 3 when the plan is refused
    /// (nothing moved), 6 partial (VMs left, each listed with why), 130
    /// interrupted.
    #[command(
        after_help = "Examples:\n  vmigrate evacuate kvm2 --dry-run --window 90m\n  vmigrate evacuate kvm2 --concurrency 3 --include-stopped\n  vmigrate maintenance kvm2 off && vmigrate evacuate kvm2 --return"
    )]
    Evacuate(EvacuateArgs),
    /// Put a host in maintenance, end it, or show it: a mark kept on the host
    /// itself, so that every operator's check, live and evacuate treats the
    /// host as disabled. `vmigrate maintenance status` shows every host.
    ///
    /// Exit 0 done (also `on` for a host already in maintenance: the first
    /// mark is kept), 2 usage, 6 when a host could not be reached.
    #[command(
        after_help = "Examples:\n  vmigrate maintenance kvm2 on --reason \"kernel update\"\n  vmigrate maintenance status\n  vmigrate maintenance kvm2 off"
    )]
    Maintenance(MaintenanceArgs),
    /// Print a shell completion script to stdout, or write every shell's
    /// into a directory.
    ///
    /// These scripts complete subcommands and options. For host and VM
    /// names as well, load the dynamic completion instead, e.g.
    /// `source <(COMPLETE=bash vmigrate)` (see the README).
    Completions {
        /// The shell [default with --dir: every shell].
        #[arg(value_enum, required_unless_present = "dir")]
        shell: Option<clap_complete::Shell>,
        /// Write the scripts into DIR (vmigrate.bash, _vmigrate, vmigrate.fish,
        /// …) instead of printing one.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
    /// Write the man pages (vmigrate.1 and one per subcommand) into a directory.
    // Hidden: a packager's and the repository's tool (man/ is generated by
    // it), not an operator's.
    #[command(hide = true)]
    Man {
        /// The directory.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        dir: PathBuf,
    },
}

/// Whether the raw arguments ask for `-o json` (`-o json`, `-ojson`,
/// `--output json`, `--output=json`, `-qo json`): read when clap refused
/// the command line, so its error can still be a JSON document.
pub fn wants_json<I: IntoIterator<Item = std::ffi::OsString>>(args: I) -> bool {
    let mut next_is_format = false;
    for a in args {
        let a = a.to_string_lossy();
        if next_is_format {
            if a == "json" {
                return true;
            }
            next_is_format = false;
            continue;
        }
        if a == "--" {
            break;
        }
        if a == "--output" {
            next_is_format = true;
        } else if a == "--output=json" {
            return true;
        } else if let Some(short) = a.strip_prefix('-').filter(|s| !s.starts_with('-')) {
            if let Some((_, value)) = short.split_once('o') {
                if value == "json" {
                    return true;
                }
                next_is_format = value.is_empty();
            }
        }
    }
    false
}

/// clap's error as one line: its first paragraph, without "error: ".
pub fn usage_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    lines.join("; ").trim_start_matches("error: ").to_string()
}

fn exit_code_help() -> String {
    format!(
        "{}\n\nEnvironment:\n  VMIGRATE_INVENTORY  the inventory when -i is not given\n  \
         VMIGRATE_STATE_DIR  the journal, locks and placement hint [default: $XDG_STATE_HOME/vmigrate]\n  \
         VMIGRATE_FAN_OUT    hosts contacted at once by commands that read every host [default: 32]\n  \
         VMIGRATE_LOG        diagnostics filter (tracing syntax, e.g. vmigrate=debug,russh=info)\n  \
         NO_COLOR            set and not empty: no colour (as --color never)\n  \
         SSH_AUTH_SOCK       ssh-agent, tried before identity files",
        crate::exit_codes::ExitCode::help_table().trim_end()
    )
}

/// Where a VM should go and how; shared by `check` (and `live`).
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The VM (libvirt domain name).
    #[arg(add = ArgValueCandidates::new(complete::vms))]
    pub vm: String,
    /// Destination host (inventory name) [default: chosen by the scheduler].
    /// Also `--host` and `--target`, as Nova and Proxmox spell it.
    #[arg(long, value_name = "HOST", visible_aliases = ["host", "target"], add = ArgValueCandidates::new(complete::hosts))]
    pub to: Option<String>,
    /// The host the VM runs on [default: searched on every host].
    #[arg(long, value_name = "HOST", add = ArgValueCandidates::new(complete::hosts))]
    pub from: Option<String>,
    /// Copy local disks: auto = when some disk is on local storage.
    #[arg(long, value_enum, default_value_t = crate::checks::storage::BlockMode::Auto, value_name = "MODE")]
    pub block_migration: crate::checks::storage::BlockMode,
    /// Scheduler: only hosts in this zone.
    #[arg(long, value_name = "ZONE")]
    pub zone: Option<String>,
    /// Scheduler: only hosts with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Sample the guest's dirty rate for SECS seconds to predict whether the
    /// migration converges (the `convergence.prediction` check) [default:
    /// 1 for `check`; `live` samples only when given this or --strict].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u32).range(1..=60))]
    pub measure: Option<u32>,
    /// Skip the dirty-rate sample and the prediction.
    #[arg(long, conflicts_with = "measure")]
    pub no_measure: bool,
    /// Fail the checks when the prediction says this run's policy cannot
    /// finish the migration (otherwise only a warning).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// At most this many migrations arriving on the destination at once,
    /// counted from the claims held there by every run (`evacuate`'s
    /// `--max-incoming`; not a `check`/`live` option).
    #[arg(skip)]
    pub max_incoming: Option<u32>,
    /// Set by `evacuate`, which read every host itself: with `--from` and
    /// `--to`, only those two are read, and no fleet scan runs.
    #[arg(skip)]
    pub whole_fleet_seen: bool,
}

/// The convergence policy (inventory values apply where these are not given;
/// the README explains the defaults).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Convergence policy")]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each bool is an independent command-line switch"
)]
pub struct PolicyArgs {
    /// Cap the migration bandwidth, MiB/s (also what the prediction
    /// assumes); 0: no cap, whatever the inventory says.
    // The bound is the inventory's (1,000,000 MiB/s, ~8 Tbit/s): a larger
    // number is a typo, and libvirt and the prediction misbehave near u64::MAX.
    #[arg(long, value_name = "MiB/s", value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub bandwidth: Option<u64>,
    /// Maximum downtime allowed for the final switch-over, ms: the top of the ladder.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=600000))]
    pub max_downtime: Option<u64>,
    /// `off`: no downtime steps and no stall reaction (and no auto-converge
    /// unless --auto-converge); the completion timeout still applies.
    #[arg(long, value_enum, value_name = "LADDER")]
    pub policy: Option<LadderMode>,
    /// The first max downtime, ms.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=600000))]
    pub downtime_start: Option<u64>,
    /// Steps from the first to the max downtime.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub downtime_steps: Option<u32>,
    /// Seconds between downtime steps, per GiB of data (0: only stalls raise it).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=86400))]
    pub downtime_delay: Option<u64>,
    /// Stalled after this many passes whose dirty set shrank by less than 10 %.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub stall_iterations: Option<u32>,
    /// Stalled after this many seconds without a new low of remaining data.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub stall_secs: Option<u64>,
    /// Let QEMU throttle the guest's vCPUs while it dirties memory faster than it is sent.
    #[arg(long, overrides_with = "no_auto_converge")]
    pub auto_converge: bool,
    /// No auto-converge.
    #[arg(long)]
    pub no_auto_converge: bool,
    /// Permit post-copy: the ladder switches when pre-copy stalls beyond the
    /// max downtime; also `--on-timeout postcopy` and `vmigrate force-complete`.
    #[arg(long, overrides_with = "no_postcopy")]
    pub postcopy: bool,
    /// Do not permit post-copy.
    #[arg(long)]
    pub no_postcopy: bool,
    /// Seconds per GiB of data (RAM + copied disks, at least 1 GiB) before
    /// the --on-timeout action; 0 = no timeout.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=86400))]
    pub completion_timeout: Option<u64>,
    /// What the completion timeout does: abort (VM stays on the source),
    /// postcopy (needs --postcopy), pause (suspend the guest so the last pass finishes).
    #[arg(long, value_enum, value_name = "ACTION")]
    pub on_timeout: Option<crate::policy::OnTimeout>,
    #[command(flatten)]
    pub transport: TransportArgs,
}

/// How the migration stream travels (also inventory keys: `transport`, `tls`,
/// `tls_destination`, `parallel`, `compress`, `xbzrle_cache_mib`,
/// `postcopy_bandwidth_mib`, `auto_converge_initial`,
/// `auto_converge_increment`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TransportArgs {
    /// auto (the default): choose parallel connections and compression
    /// from the measured dirty rate and link (said in check
    /// `transport.choice`); what you set yourself is kept. manual: as set.
    #[arg(long, value_enum, value_name = "MODE")]
    pub transport: Option<TransportMode>,
    /// Encrypt the memory and disk streams with QEMU's native TLS
    /// (certificates on both hosts: see docs/tls.md).
    #[arg(long, overrides_with = "no_tls")]
    pub tls: bool,
    /// No TLS, whatever the inventory says.
    #[arg(long)]
    pub no_tls: bool,
    /// The name the destination's certificate must carry, when it is not
    /// the migration address.
    #[arg(long, value_name = "NAME")]
    pub tls_destination: Option<String>,
    /// Send memory over N parallel connections (multifd); 0: one stream.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=i64::from(crate::transport::MAX_PARALLEL)))]
    pub parallel: Option<u32>,
    /// Compress the stream: xbzrle (delta cache; not with --parallel), zlib
    /// or zstd (over --parallel; libvirt >= 9.4).
    #[arg(long, value_enum, value_name = "METHOD")]
    pub compress: Option<crate::transport::Compress>,
    /// XBZRLE's page cache, MiB (QEMU's default: 64).
    #[arg(long, value_name = "MiB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub xbzrle_cache: Option<u64>,
    /// The bandwidth cap once in post-copy, MiB/s.
    #[arg(long, value_name = "MiB/s", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub postcopy_bandwidth: Option<u64>,
    /// Auto-converge's first throttle, % of the guest's vCPU time (QEMU: 20).
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub auto_converge_initial: Option<u32>,
    /// Auto-converge's throttle step, % (QEMU: 10).
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub auto_converge_increment: Option<u32>,
    /// Block migration copies only these local disks (guest names); every
    /// other disk must be shared.
    #[arg(long, value_name = "vda,vdb", value_delimiter = ',')]
    pub disks: Option<Vec<String>>,
}

/// `--transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransportMode {
    /// Chosen from the measurements.
    Auto,
    /// As set (flags, inventory).
    Manual,
}

impl TransportArgs {
    /// As overrides of the inventory's transport.
    pub fn overrides(&self) -> crate::transport::Overrides {
        crate::transport::Overrides {
            auto: self.transport.map(|m| m == TransportMode::Auto),
            tls: if self.tls {
                Some(true)
            } else if self.no_tls {
                Some(false)
            } else {
                None
            },
            tls_destination: self.tls_destination.clone(),
            parallel: self.parallel,
            compress: self.compress,
            xbzrle_cache_mib: self.xbzrle_cache,
            postcopy_bandwidth_mib: self.postcopy_bandwidth,
            auto_converge_initial: self.auto_converge_initial,
            auto_converge_increment: self.auto_converge_increment,
            disks: self.disks.clone(),
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorMode {
    Auto,
    Always,
    Never,
}

/// `--policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LadderMode {
    Ladder,
    Off,
}

impl PolicyArgs {
    /// As overrides of the inventory's policy.
    pub fn overrides(&self) -> crate::policy::Overrides {
        let flag = |yes: bool, no: bool| {
            if yes {
                Some(true)
            } else if no {
                Some(false)
            } else {
                None
            }
        };
        crate::policy::Overrides {
            ladder: self.policy.map(|m| m == LadderMode::Ladder),
            bandwidth_mib: self.bandwidth,
            downtime_start_ms: self.downtime_start,
            max_downtime_ms: self.max_downtime,
            downtime_steps: self.downtime_steps,
            downtime_delay_secs_per_gib: self.downtime_delay,
            stall_iterations: self.stall_iterations,
            stall_secs: self.stall_secs,
            auto_converge: flag(self.auto_converge, self.no_auto_converge),
            postcopy: flag(self.postcopy, self.no_postcopy),
            completion_timeout_secs_per_gib: self.completion_timeout,
            on_timeout: self.on_timeout,
            transport: self.transport.overrides(),
        }
    }
}

/// `evacuate`: which host to empty, and how.
#[derive(Debug, clap::Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each bool is an independent command-line switch"
)]
pub struct EvacuateArgs {
    /// The host to empty (inventory name).
    #[arg(add = ArgValueCandidates::new(complete::hosts))]
    pub host: String,
    /// Print the plan and the prediction; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// After maintenance: migrate the VMs the host's last drain moved, and
    /// that are still where it put them, back to the host.
    #[arg(long = "return")]
    pub return_: bool,
    /// Migrations at once (`oVirt` and `KubeVirt` run 2 per host).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
    /// Migrations at once into one destination.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_incoming: u32,
    /// The maintenance window (90m, 1h30m, 2h): say whether the drain fits,
    /// and which VMs put it at risk.
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,
    /// The order migrations start in.
    #[arg(long, value_enum, default_value_t = crate::drain::order::Order::Risk)]
    pub order: crate::drain::order::Order,
    /// Only destinations in this zone.
    #[arg(long, value_name = "ZONE")]
    pub zone: Option<String>,
    /// Only destinations with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Move the VMs that can be placed even when some cannot.
    #[arg(long)]
    pub continue_on_error: bool,
    /// Move the host's stopped VMs too, as definitions (defined on the
    /// destination, undefined here), where their disks are shared.
    #[arg(long)]
    pub include_stopped: bool,
    /// Copy local disks: auto = when some disk is on local storage.
    #[arg(long, value_enum, default_value_t = crate::checks::storage::BlockMode::Auto, value_name = "MODE")]
    pub block_migration: crate::checks::storage::BlockMode,
    /// Seconds every running VM's dirty rate is sampled for (all at once) to
    /// predict the drain.
    #[arg(long, value_name = "SECS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub measure: u32,
    /// Migrate even where libvirt cannot prove the storage is shared
    /// (`VIR_MIGRATE_UNSAFE`).
    #[arg(long = "unsafe")]
    pub unsafe_: bool,
    /// Write every migration's progress events, tagged with its VM, as JSON
    /// lines to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub events: Option<std::path::PathBuf>,
    /// Write the migrations' durations, downtime, bytes and outcomes as an
    /// `OpenMetrics` textfile (`node_exporter`), after each migration ends.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub metrics_file: Option<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `maintenance`: which host, and what to do.
#[derive(Debug, clap::Args)]
pub struct MaintenanceArgs {
    /// The host (inventory name); or `status` alone, for every host.
    #[arg(value_name = "HOST", add = ArgValueCandidates::new(complete::maintenance_hosts))]
    pub host: String,
    /// on: put the host in maintenance; off: end it; status: show it.
    #[arg(value_enum, value_name = "ACTION")]
    pub action: Option<MaintenanceAction>,
    /// Why (with `on`): kept in the mark, shown to every operator.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// What `maintenance` does to a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MaintenanceAction {
    On,
    Off,
    Status,
}

/// `live`: where and how to migrate.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// Migrate even where libvirt cannot prove the storage is shared
    /// (`VIR_MIGRATE_UNSAFE`); for file storage `check` found shared.
    #[arg(long = "unsafe")]
    pub unsafe_: bool,
    /// Write progress events as JSON lines to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub events: Option<std::path::PathBuf>,
    /// Write the migration's duration, downtime, bytes and outcome as an
    /// `OpenMetrics` textfile (`node_exporter`) when it ends.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub metrics_file: Option<PathBuf>,
    // Last: the flattened policy's help heading would carry over to the
    // options declared after it.
    #[command(flatten)]
    pub target: CheckArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn json_is_found_in_a_command_line_clap_refused() {
        let yes = |args: &[&str]| wants_json(args.iter().map(std::ffi::OsString::from));
        assert!(yes(&["-o", "json", "live"]));
        assert!(yes(&["live", "--output=json"]));
        assert!(yes(&["--output", "json"]));
        assert!(yes(&["-ojson"]));
        assert!(yes(&["-qo", "json"]));
        assert!(!yes(&["-o", "table", "live", "json"]));
        assert!(!yes(&["live", "--", "-o", "json"]));
        assert!(!yes(&["--bogus", "json"]));
        let e = Cli::try_parse_from(["vmigrate", "-o", "json", "live", "--bogus"]).unwrap_err();
        let m = usage_message(&e);
        assert!(m.starts_with("unexpected argument '--bogus' found"), "{m}");
        assert!(!m.contains('\n'), "{m}");
    }

    #[test]
    fn nova_and_proxmox_spellings_of_the_destination_are_accepted() {
        for flag in ["--to", "--host", "--target"] {
            let cli = Cli::try_parse_from(["vmigrate", "live", "web1", flag, "kvm2"]).unwrap();
            let Command::Live(a) = cli.command else {
                panic!("not live");
            };
            assert_eq!(a.target.to.as_deref(), Some("kvm2"), "{flag}");
        }
    }
}
