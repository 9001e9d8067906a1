//! vmigrate: live-migrate KVM virtual machines between libvirt hosts,
//! `OpenStack` Nova's live-migration flow without `OpenStack`.
//!
//! The pipeline, one module each: `inventory` (the TOML host list) →
//! `fleet` (SSH + libvirt connections, via `ssh` and `hypervisor`, the
//! only modules that touch the network) → `facts` (what each host has) →
//! `vm` (the VM and where it is) → `scheduler` (where it could go, by
//! `capacity`) → `preflight` (gathers what the checks need) → `checks`
//! (judge whether it can) → `report` (tables and JSON). Each subcommand lives in `commands`, and
//! `exit_codes` is the contract every command ends with.

mod capacity;
mod checks;
mod claims;
mod cli;
mod commands;
mod config;
mod drain;
mod error;
mod exit_codes;
mod facts;
mod fleet;
#[cfg(test)]
mod fuzz_config;
mod hypervisor;
mod inventory;
mod maintenance;
mod metrics;
mod migrate;
pub(crate) mod plan;
mod policy;
mod preflight;
mod ps;
mod report;
mod scheduler;
mod signals;
mod ssh;
mod state;
mod testpoint;
mod transport;
mod vm;

/// What the lab tests call directly (the CPU comparison on real hosts).
/// Not an API: everything else is private to the crate, so the compiler
/// reports what nothing uses.
#[doc(hidden)]
pub mod testing {
    pub use crate::drain::place::{Placement, Unplaceable};
    pub use crate::drain::room::Need;
    pub use crate::drain::{place, Ask, Leaving, Plan};
    pub use crate::facts::HostFacts;
    pub use crate::fleet::HostLink;
    pub use crate::hypervisor::{GuestTarget, Host};
    pub use crate::inventory::{load, parse as parse_inventory, Group};
    pub use crate::preflight::cpu::compare_on;
    pub use crate::vm::cpu::Verdict;
    pub use crate::vm::spec::{parse, CpuSpec};
}

use clap::Parser;

use crate::cli::Cli;
use crate::config::Config;
use crate::exit_codes::ExitCode;

/// Parses the command line, runs the command, prints a failure as one line
/// and returns the documented exit code.
pub fn run() -> std::process::ExitCode {
    // First: a shell asking for completions (`COMPLETE=bash vmigrate …`)
    // gets its answer on stdout before anything else could write there.
    if let Some(code) = commands::complete::from_env() {
        return code.into();
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::Ok.into();
            }
            // `-o json` was not parsed, but a runbook that asked for it
            // still gets the failure as a document on stdout.
            if cli::wants_json(std::env::args_os().skip(1)) {
                let err = error::Error::Usage(cli::usage_message(&e));
                let printer = report::Printer::new(report::OutputFormat::Json, true);
                let _ = printer.json(&err.document());
            }
            return ExitCode::Usage.into();
        }
    };
    install_diagnostics(cli.verbose);
    let config = Config::from_cli(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report::printer::error(&format!("cannot start the async runtime: {e}"));
            return ExitCode::Internal.into();
        }
    };
    let result = runtime.block_on(commands::execute(cli.command, &config));
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            report::printer::error(&e.to_string());
            if config.json() {
                // A runbook parsing stdout gets the failure there too.
                let _ = config.printer.json(&e.document());
            }
            e.exit_code()
        }
    };
    exit_cleanly(runtime, code)
}

/// Ends the run: every libvirt connection closed (their closes run on the
/// runtime's blocking threads and travel through SSH tunnels the runtime
/// carries, so the runtime keeps going meanwhile), libvirt's event loop
/// joined, then the runtime shut down. Only then may `exit()` run the C
/// libraries' atexit clean-up (see `hypervisor::lifecycle`). When a thread
/// is stuck in libvirt on a dead host, the process leaves with `_exit`
/// instead, after flushing its output: no clean-up races with that thread.
fn exit_cleanly(runtime: tokio::runtime::Runtime, code: ExitCode) -> std::process::ExitCode {
    use std::io::Write;
    let clean = hypervisor::lifecycle::shutdown(std::time::Duration::from_secs(5));
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    if !clean {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: _exit ends the process at once; nothing after it runs.
        unsafe { libc::_exit(i32::from(code.code())) }
    }
    code.into()
}

/// Error reports without colour when not on a terminal; tracing to stderr at the chosen verbosity.
fn install_diagnostics(verbose: u8) {
    use std::io::IsTerminal;
    let mut hook = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .capture_span_trace_by_default(false);
    if !std::io::stderr().is_terminal() || config::no_color_env() {
        hook = hook.theme(color_eyre::config::Theme::new());
    }
    let _ = hook.install();
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("VMIGRATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("vmigrate={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
