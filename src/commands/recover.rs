//! `vmigrate recover VM [--dry-run]`: after a run that died or ended in an
//! unknown state, reads the journal and the real state of the VM on every
//! inventory host, and reconciles towards "runs on exactly one host,
//! defined on exactly one host" (the rules are in `plan`). A migration
//! caught in post-copy is only described, with what the operator can do
//! (`postcopy`); the source's stale copies of a block migration's disks
//! are removed once the VM runs on the destination (`disks`).
//!
//! Exit 0 when consistent, 5 with what it found when an operator must
//! decide, 3 when the VM is on no host at all.

mod apply;
mod disks;
mod output;
mod plan;
mod postcopy;

use serde::Serialize;

use self::output::{NotAsked, RecoverReport};
use self::plan::{Action, Plan};
use crate::commands::find::{self, Postcopy};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::facts::HostFacts;
use crate::fleet::{self, HostLink};
use crate::hypervisor::jobs;
use crate::inventory;
use crate::state::{self, LastRun};

/// The VM as found on one host.
#[derive(Debug, Clone, Serialize)]
pub struct Copy {
    host: String,
    state: String,
    persistent: bool,
    /// libvirt's state with its reason, e.g. "paused (post-copy failed)"
    /// (active copies).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip)]
    postcopy: Option<Postcopy>,
}

/// Runs recovery.
pub async fn run(config: &Config, vm: &str, dry_run: bool) -> Result<ExitCode, Error> {
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    let last = state::last_run(vm)?;
    let gathered = fleet::gather(inv.hosts.clone()).await;
    let facts: Vec<_> = gathered.iter().map(|(_, f)| f.clone()).collect();
    fleet::refuse_same_host_twice(&facts)?;
    let unreachable: Vec<NotAsked> = gathered
        .iter()
        .filter(|(_, f)| !f.libvirt.reachable)
        .map(|(_, f)| NotAsked {
            host: f.name.clone(),
            // The first failure (SSH, when libvirt is carried over it).
            error: f
                .error
                .clone()
                .or(f.libvirt.error.clone())
                .unwrap_or_else(|| "unreachable".into()),
        })
        .collect();
    let names: Vec<String> = unreachable.iter().map(|u| u.host.clone()).collect();
    let mut found = copies(vm, gathered.iter().map(|(_, f)| f));
    if found.is_empty() {
        nowhere(vm, &gathered, last.as_ref(), &names)?;
    }
    add_reasons(&mut found, &gathered, vm).await;
    let mut report = RecoverReport {
        vm: vm.to_string(),
        journal: output::journal(last.as_ref()),
        found: found.clone(),
        unreachable,
        actions: Vec::new(),
        notes: Vec::new(),
        dry_run,
        consistent: false,
        running_on: None,
        message: String::new(),
        postcopy: None,
    };
    let pairs: Vec<(String, String)> = report
        .unreachable
        .iter()
        .map(|u| (u.host.clone(), u.error.clone()))
        .collect();
    if let Some(stuck) = postcopy::assess(vm, &found, last.as_ref(), &inv.hosts, &pairs) {
        report.message = stuck.summary.clone();
        report.postcopy = Some(stuck);
        output::print(config, &report)?;
        return Ok(ExitCode::NeedsAttention);
    }
    let mut plan = decide(vm, &found, last.as_ref(), &names, &gathered).await;
    if let (Some(l), None) = (&last, &plan.message) {
        report.notes = stale_copies(vm, &found, l, &gathered, &mut plan.actions).await;
    }
    report.actions = if dry_run || plan.actions.is_empty() {
        plan.actions
            .iter()
            .map(|a| format!("would {}", a.describe(vm)))
            .collect()
    } else {
        apply::execute(&plan.actions, vm, &gathered).await?
    };
    // Look again: consistent means running on exactly one host, defined on one.
    let after = if dry_run || plan.actions.is_empty() {
        found
    } else {
        let again = fleet::gather(inv.hosts.clone()).await;
        copies(vm, again.iter().map(|(_, f)| f))
    };
    conclude(&mut report, plan.message, &after);
    output::print(config, &report)?;
    Ok(if report.consistent {
        ExitCode::Ok
    } else {
        ExitCode::NeedsAttention
    })
}

/// The VM is on no reachable host. Exit 3 (as `check`), unless a host of
/// its last run could not be asked: it may be there, and that needs an
/// operator (exit 5, through the normal report).
fn nowhere(
    vm: &str,
    g: &[(HostLink, HostFacts)],
    last: Option<&LastRun>,
    unreachable: &[String],
) -> Result<(), Error> {
    let of_run = |h: &String| {
        last.is_some_and(|l| l.source.as_ref() == Some(h) || l.destination.as_ref() == Some(h))
    };
    if unreachable.iter().any(of_run) {
        return Ok(());
    }
    let searched: Vec<&str> = g
        .iter()
        .filter(|(_, f)| f.libvirt.reachable)
        .map(|(_, f)| f.name.as_str())
        .collect();
    let skipped = if unreachable.is_empty() {
        String::new()
    } else {
        format!(" (not searched, unreachable: {})", unreachable.join(", "))
    };
    let on = if searched.is_empty() {
        "any host".to_string()
    } else {
        searched.join(", ")
    };
    Err(Error::NotFound(format!(
        "VM {vm} not found on {on}{skipped}"
    )))
}

/// The plan, unless a libvirt job runs on the VM: whatever the job does
/// next would race with us.
async fn decide(
    vm: &str,
    found: &[Copy],
    last: Option<&LastRun>,
    unreachable: &[String],
    g: &[(HostLink, HostFacts)],
) -> Plan {
    let mut busy = Vec::new();
    for c in found
        .iter()
        .filter(|c| c.state == "running" || c.state == "paused")
    {
        if has_job(link_of(g, &c.host), vm).await {
            busy.push(c.host.clone());
        }
    }
    if busy.is_empty() {
        return plan::plan(vm, found, last, unreachable);
    }
    Plan {
        actions: Vec::new(),
        message: Some(format!(
            "{vm} has a libvirt job running on {}; wait for it to end or `vmigrate abort {vm}`, then recover again",
            busy.join(", ")
        )),
    }
}

/// Adds the removal of the source's stale disk copies after a completed
/// block migration; returns notes on the ones kept.
async fn stale_copies(
    vm: &str,
    found: &[Copy],
    last: &LastRun,
    g: &[(HostLink, HostFacts)],
    actions: &mut Vec<Action>,
) -> Vec<String> {
    let Some(src) = plan::stale_source(found, last, actions) else {
        return Vec::new();
    };
    let Some((link, _)) = g.iter().find(|(l, _)| l.host.name == src) else {
        return Vec::new();
    };
    let leaving = found.iter().any(|c| c.host == src);
    let (gone, notes) = disks::removable(link, vm, &last.source_copies, leaving).await;
    actions.extend(
        gone.into_iter()
            .map(|p| Action::RemoveStaleCopy(src.to_string(), p)),
    );
    notes
}

/// Consistent: no message, running on exactly one host, defined there only.
fn conclude(r: &mut RecoverReport, message: Option<String>, after: &[Copy]) {
    let active: Vec<&Copy> = after.iter().filter(|c| c.state == "running").collect();
    let defined = after.iter().filter(|c| c.persistent).count();
    r.consistent = message.is_none() && active.len() == 1 && defined == 1 && after.len() == 1;
    r.running_on = (active.len() == 1).then(|| active[0].host.clone());
    r.message = match (message, &r.running_on, r.consistent, r.dry_run) {
        (Some(m), ..) => m,
        (None, Some(h), true, _) => format!("{} runs on {h} and is defined there only", r.vm),
        (None, Some(h), false, true) => {
            format!(
                "{} runs on {h}; the actions above would make it consistent",
                r.vm
            )
        }
        _ => format!("{} is still not consistent: {:?}", r.vm, after),
    };
}

fn copies<'a>(vm: &str, facts: impl Iterator<Item = &'a HostFacts>) -> Vec<Copy> {
    facts
        .flat_map(|f| {
            f.vms.iter().filter(|v| v.name == vm).map(|v| Copy {
                host: f.name.clone(),
                state: v.state.name().to_string(),
                persistent: v.persistent,
                reason: None,
                postcopy: None,
            })
        })
        .collect()
}

/// libvirt's state reason of each active copy: it tells a post-copy
/// source or destination from an ordinary paused or running VM.
async fn add_reasons(found: &mut [Copy], g: &[(HostLink, HostFacts)], vm: &str) {
    for c in found
        .iter_mut()
        .filter(|c| c.state == "running" || c.state == "paused")
    {
        let Ok(lv) = &link_of(g, &c.host).libvirt else {
            continue;
        };
        let (lv, name) = (lv.clone(), vm.to_string());
        let probed = tokio::task::spawn_blocking(move || {
            let d = lv.conn().lookup_domain_by_name(&name).ok()?;
            jobs::state_reason(&d).ok()
        })
        .await;
        if let Ok(Some((state, reason))) = probed {
            c.reason = Some(find::state_words(state, reason));
            c.postcopy = find::postcopy_of(state, reason);
        }
    }
}

fn link_of<'a>(g: &'a [(HostLink, HostFacts)], host: &str) -> &'a HostLink {
    &g.iter()
        .find(|(l, _)| l.host.name == host)
        .expect("host from the fleet")
        .0
}

async fn has_job(link: &HostLink, vm: &str) -> bool {
    let Ok(lv) = &link.libvirt else { return true };
    let (lv, vm) = (lv.clone(), vm.to_string());
    tokio::task::spawn_blocking(move || {
        lv.conn()
            .lookup_domain_by_name(&vm)
            .and_then(|d| jobs::job_running(&d))
            // Not knowing is reason enough not to act.
            .unwrap_or(true)
    })
    .await
    .unwrap_or(true)
}
