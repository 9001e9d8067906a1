//! `vmigrate attach VM`: takes over a migration whose `live` process died
//! (kill -9, a closed laptop). The source's libvirtd drives the migration
//! by itself, so the job may still run: with the VM's lock taken and the
//! takeover journalled, it is watched exactly as `live` watches it — the
//! run's own policy from the journal, its completion timeout counted from
//! the job's start, Ctrl-C aborting unless in post-copy — then verified or
//! rolled back by the same conclusion, with `live`'s report and exit codes.
//! A job that ended while nobody watched goes straight to the conclusion.
//!
//! Refused (exit 3, nothing changed) when the journal has no unfinished
//! migration of the VM, or another vmigrate holds its lock (watching it):
//! as `live` refuses a VM another run holds.

mod decide;

use self::decide::{decide, Plan, Verdict};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::fleet::HostLink;
use crate::inventory::{self, Inventory};
use crate::migrate::attach::attach;
use crate::migrate::monitor::Display;
use crate::migrate::run::Settings;
use crate::policy::Policy;
use crate::preflight::Preflight;
use crate::report::printer;
use crate::signals::Interrupt;
use crate::state::{self, Journal, Record, VmLock};

/// Attaches to the VM's unfinished migration and reports its end.
pub async fn run(config: &Config, vm: &str) -> Result<ExitCode, Error> {
    let mut interrupt = Interrupt::install();
    // Taken before the journal is read: no other run can start or finish
    // in between. Held by another process, it refuses below.
    let lock = match VmLock::acquire(vm) {
        Ok(lock) => Some(lock),
        Err(Error::NotMigratable(_)) => None,
        Err(e) => return Err(e),
    };
    let last = state::last_run_async(vm).await?;
    let plan = match decide(vm, last.as_ref(), lock.is_some(), alive) {
        Verdict::Refuse(why) => return Err(Error::NotMigratable(why)),
        Verdict::Attach(plan) => *plan,
    };
    let inv = inventory::load(&inventory::locate(config.inventory.as_deref())?)?;
    let (src, dst) = tokio::join!(
        HostLink::open(host(&inv, &plan.source, "source")?),
        HostLink::open(host(&inv, &plan.destination, "destination")?)
    );
    let mut journal = Journal::open(vm)?;
    // Before anything is asked of a host: `recover` and `attach` learn
    // that this process now watches the run.
    let pid = std::process::id();
    journal.commit(Record::Attach { pid }).await?;
    let settings = Settings {
        policy: policy(&plan),
        unsafe_: false,
        guard: None,
    };
    let pre = preflight(vm, &plan, &settings.policy);
    let mut display = Display::new(
        config.printer.progress,
        config.printer.quiet,
        None,
        &printer::shown(&format!("{vm} {} → {}", plan.source, plan.destination)),
    );
    let report = attach(
        &pre,
        (&src, &dst),
        &settings,
        &plan.takeover,
        &mut display,
        &mut interrupt,
        &mut journal,
    )
    .await;
    drop(lock);
    if config.json() {
        config.printer.json(&report)?;
    } else {
        let summary = super::live::summary(&report);
        config.printer.text(&format!(
            "{summary}\n  (attached to a run whose vmigrate had died)"
        ))?;
    }
    Ok(report.outcome.exit_code())
}

/// Whether process `pid` lives (on this machine, as the lock's holder does).
fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The inventory's host `name`, the run's `role`.
fn host(inv: &Inventory, name: &str, role: &str) -> Result<crate::inventory::Host, Error> {
    inv.host(name).cloned().ok_or_else(|| {
        Error::Usage(format!(
            "the run's {role} {name} is not in the inventory; attach with the inventory the run used (-i FILE)"
        ))
    })
}

/// The run's policy; a journal an older vmigrate wrote does not say it:
/// then the migration is only watched (no ladder, no timeout), which
/// changes nothing the run did not ask for.
fn policy(plan: &Plan) -> Policy {
    plan.policy.clone().unwrap_or_else(|| {
        printer::warn(
            "the journal does not say which policy the run applied (an older vmigrate wrote it): watching without the ladder or a completion timeout",
        );
        Policy {
            ladder: false,
            completion_timeout_secs_per_gib: 0,
            ..Policy::default()
        }
    })
}

/// The run's plan as the report and the conclusion take it: no checks
/// were run here.
fn preflight(vm: &str, plan: &Plan, policy: &Policy) -> Preflight {
    Preflight {
        vm: vm.to_string(),
        source: plan.source.clone(),
        destination: Some(plan.destination.clone()),
        migratable: true,
        block_migration: plan.block_migration,
        checks: Vec::new(),
        candidates: Vec::new(),
        policy: policy.clone(),
        convergence: None,
        disks: Vec::new(),
        data_bytes: plan.data_bytes,
    }
}
