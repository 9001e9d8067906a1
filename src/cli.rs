//! The command line (clap). Only this file knows clap's types for options;
//! `config` turns them into the checked settings the commands use.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::OutputFormat;

/// Live-migrate KVM virtual machines between libvirt hosts, Nova-style.
///
/// Reads a TOML host inventory, connects to every host over SSH and libvirt,
/// and does everything from the operator's machine: no daemons.
#[derive(Debug, Parser)]
#[command(name = "vmigrate", version, after_help = exit_code_help(), max_term_width = 100)]
pub struct Cli {
    /// Inventory file [default: $VMIGRATE_INVENTORY, ./inventory.toml, ~/.config/vmigrate/inventory.toml]
    #[arg(short, long, global = true, value_name = "FILE")]
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

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every inventory host: reachability, hypervisor, CPU, memory, disk and VMs.
    ///
    /// Exit 0 when every enabled host is reachable, 6 when some are not.
    Hosts {
        /// Only these hosts (inventory names) [default: all].
        #[arg(value_name = "HOST")]
        hosts: Vec<String>,
    },
    /// Dry run: every pre-migration check, and where the VM would go. Changes nothing.
    ///
    /// Exit 0 when the VM can be live-migrated, 3 when not (or not found),
    /// 5 when it runs on two hosts at once.
    Check(CheckArgs),
    /// Live-migrate a VM: every check, then a peer-to-peer migration with progress.
    ///
    /// Exit 0 migrated, 3 not migratable (nothing changed), 4 failed and
    /// rolled back (VM on the source), 5 outcome unknown (run recover),
    /// 130 interrupted (VM on the source).
    Live(LiveArgs),
    /// Abort the running migration (any libvirt job) of a VM, from any terminal.
    ///
    /// The `vmigrate live` that started it rolls back and reports; this
    /// waits until the job is gone and says where the VM runs. Exit 0 also
    /// when there was no job to abort.
    Abort {
        /// The VM (libvirt domain name).
        vm: String,
        /// The host the VM runs on [default: searched on every host].
        #[arg(long, value_name = "HOST")]
        from: Option<String>,
    },
    /// Reconcile a VM after a run that died or ended unknown: read the journal and
    /// every host, then resume / undefine stale copies / remove leftovers.
    ///
    /// Exit 0 when the VM runs on exactly one host and is defined there only,
    /// 5 when that cannot be reached without an operator's decision.
    Recover {
        /// The VM (libvirt domain name).
        vm: String,
        /// Only say what would be done.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print a shell completion script to stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn exit_code_help() -> String {
    crate::exit_codes::ExitCode::help_table()
}

/// Where a VM should go and how; shared by `check` (and `live`).
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The VM (libvirt domain name).
    pub vm: String,
    /// Destination host (inventory name) [default: chosen by the scheduler].
    #[arg(long, value_name = "HOST")]
    pub to: Option<String>,
    /// The host the VM runs on [default: searched on every host].
    #[arg(long, value_name = "HOST")]
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
}

/// `live`: where and how to migrate.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    #[command(flatten)]
    pub target: CheckArgs,
    /// Cap the migration bandwidth, MiB/s.
    #[arg(long, value_name = "MiB/s", value_parser = clap::value_parser!(u64).range(1..))]
    pub bandwidth: Option<u64>,
    /// Maximum downtime allowed for the final switch-over, ms.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_downtime: Option<u64>,
    /// Migrate even where libvirt cannot prove the storage is shared
    /// (VIR_MIGRATE_UNSAFE); for file storage `check` found shared.
    #[arg(long = "unsafe")]
    pub unsafe_: bool,
    /// Write progress events as JSON lines to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub events: Option<std::path::PathBuf>,
}
