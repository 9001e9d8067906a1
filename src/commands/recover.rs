//! `vmigrate recover VM [--dry-run]`: after a run that died or ended in an
//! unknown state, reads the journal and the real state of the VM on every
//! inventory host, and reconciles towards "runs on exactly one host, defined
//! on exactly one host":
//! - paused on the source with no job, running nowhere else → resume it;
//! - running on one host and an inactive copy still defined on the other
//!   host of the run → undefine that copy;
//! - a paused incoming copy left on the destination while the VM runs on
//!   the source → remove it;
//! - disks the run pre-created on the destination that no domain uses → delete.
//!
//! Anything it cannot decide safely (running nowhere, running twice) is
//! reported with exit 5 and left alone.

use serde::Serialize;
use serde_json::json;

use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::facts::HostFacts;
use crate::fleet::{self, HostLink};
use crate::hypervisor::jobs;
use crate::inventory;
use crate::report::sanitize::sanitize;
use crate::state::{self, Journal};

/// The VM as found on one host.
#[derive(Debug, Clone, Serialize)]
struct Copy {
    host: String,
    state: String,
    persistent: bool,
}

#[derive(Debug, Clone, Serialize)]
struct RecoverReport {
    vm: String,
    /// The journal's last run on the VM: source → destination and its outcome.
    journal: Option<serde_json::Value>,
    found: Vec<Copy>,
    actions: Vec<String>,
    dry_run: bool,
    consistent: bool,
    running_on: Option<String>,
    message: String,
}

enum Action {
    Resume(String),
    Undefine(String),
    RemoveLeftover(String),
    RemoveDisk(String, String),
}

impl Action {
    fn describe(&self, vm: &str) -> String {
        match self {
            Action::Resume(h) => format!("resume {vm} on {h} (paused, no job)"),
            Action::Undefine(h) => format!("undefine the inactive copy of {vm} on {h}"),
            Action::RemoveLeftover(h) => {
                format!("remove the leftover incoming copy of {vm} on {h}")
            }
            Action::RemoveDisk(h, p) => format!("delete unused pre-created disk {p} on {h}"),
        }
    }
}

/// Runs recovery.
pub async fn run(config: &Config, vm: &str, dry_run: bool) -> Result<ExitCode, Error> {
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    let last = state::last_run(vm)?;
    let gathered = fleet::gather(inv.hosts.clone()).await;
    let facts: Vec<_> = gathered.iter().map(|(_, f)| f.clone()).collect();
    fleet::refuse_same_host_twice(&facts)?;
    let unreachable: Vec<String> = gathered
        .iter()
        .filter(|(_, f)| !f.libvirt.reachable)
        .map(|(_, f)| f.name.clone())
        .collect();
    let found = copies(vm, gathered.iter().map(|(_, f)| f));
    let running: Vec<&Copy> = found.iter().filter(|c| c.state == "running").collect();
    let paused: Vec<&Copy> = found.iter().filter(|c| c.state == "paused").collect();
    let in_run = |h: &str| {
        last.as_ref()
            .is_some_and(|l| l.source.as_deref() == Some(h) || l.destination.as_deref() == Some(h))
    };

    let mut actions = Vec::new();
    let mut message = String::new();
    // Never act under a running job (a migration still copying, or
    // switching over): whatever it does next would race with us.
    let mut busy = Vec::new();
    for c in found
        .iter()
        .filter(|c| c.state == "running" || c.state == "paused")
    {
        if has_job(link_of(&gathered, &c.host), vm).await {
            busy.push(c.host.clone());
        }
    }
    if !busy.is_empty() {
        message = format!(
            "{vm} has a libvirt job running on {}; wait for it to end or `vmigrate abort {vm}`, then recover again",
            busy.join(", ")
        );
    }
    match (running.len(), paused.len()) {
        _ if !busy.is_empty() => {}
        (1, _) => {
            let home = running[0].host.clone();
            for c in found.iter().filter(|c| c.host != home) {
                if c.state == "paused" && in_run(&c.host) {
                    actions.push(Action::RemoveLeftover(c.host.clone()));
                } else if c.state == "shutoff" && c.persistent && in_run(&c.host) {
                    actions.push(Action::Undefine(c.host.clone()));
                }
            }
        }
        (0, 1) if last.as_ref().is_some_and(|l| l.postcopy) => {
            message = format!(
                "{vm} is paused on {} and its last migration had switched to post-copy: that copy's memory may be incomplete, so vmigrate will not resume it; if the destination is reachable, libvirt can finish the post-copy (virsh migrate --postcopy --postcopy-resume), otherwise decide by hand",
                paused[0].host
            );
        }
        (0, 1) => {
            let h = paused[0].host.clone();
            actions.push(Action::Resume(h.clone()));
            for c in found
                .iter()
                .filter(|c| c.host != h && c.state == "shutoff" && c.persistent && in_run(&c.host))
            {
                actions.push(Action::Undefine(c.host.clone()));
            }
        }
        (0, 0) => {
            message = format!(
                "{vm} runs nowhere{}; start it where its disks are current (virsh start) — vmigrate will not guess",
                if unreachable.is_empty() { String::new() } else { format!(" reachable (unreachable: {})", unreachable.join(", ")) }
            );
        }
        _ => {
            message = format!(
                "{vm} is active on {} at once; decide which copy is current and stop the other — vmigrate will not guess",
                found.iter().filter(|c| c.state == "running" || c.state == "paused").map(|c| c.host.as_str()).collect::<Vec<_>>().join(" and ")
            );
        }
    }
    // Disks the run pre-created on a host where the VM will not be.
    if let (Some(l), true) = (&last, message.is_empty()) {
        let home = running
            .first()
            .map(|c| c.host.clone())
            .or_else(|| paused.first().map(|c| c.host.clone()));
        let cleared: Vec<String> = actions
            .iter()
            .filter_map(|a| match a {
                Action::RemoveLeftover(h) | Action::Undefine(h) => Some(h.clone()),
                _ => None,
            })
            .collect();
        for (h, p) in &l.precreated {
            let no_copy_left = !found.iter().any(|c| &c.host == h) || cleared.contains(h);
            if home.as_deref() != Some(h) && no_copy_left {
                actions.push(Action::RemoveDisk(h.clone(), p.clone()));
            }
        }
    }

    let mut done = Vec::new();
    if !dry_run && !actions.is_empty() {
        let mut journal = Journal::open(vm)?;
        for a in &actions {
            let what = a.describe(vm);
            match a {
                // The same record `live` writes, so the journal knows the disk is gone.
                Action::RemoveDisk(h, p) => {
                    journal.record("remove_disk", json!({"host": h, "path": p}))?
                }
                _ => journal.record("recover", json!({"action": what}))?,
            }
            match apply(a, vm, &gathered).await {
                Ok(()) => done.push(what),
                Err(e) => done.push(format!("FAILED to {what}: {e}")),
            }
        }
    } else {
        done = actions
            .iter()
            .map(|a| format!("would {}", a.describe(vm)))
            .collect();
    }

    // Look again: consistent means running on exactly one host, defined on one.
    let after = if dry_run || actions.is_empty() {
        found.clone()
    } else {
        let again = fleet::gather(inv.hosts.clone()).await;
        copies(vm, again.iter().map(|(_, f)| f))
    };
    let active: Vec<&Copy> = after.iter().filter(|c| c.state == "running").collect();
    let defined = after.iter().filter(|c| c.persistent).count();
    let consistent = message.is_empty() && active.len() == 1 && defined == 1 && after.len() == 1;
    let running_on = (active.len() == 1).then(|| active[0].host.clone());
    if message.is_empty() {
        message = match (&running_on, consistent, dry_run) {
            (Some(h), true, _) => format!("{vm} runs on {h} and is defined there only"),
            (Some(h), false, true) => {
                format!("{vm} runs on {h}; the actions above would make it consistent")
            }
            _ => format!("{vm} is still not consistent: {:?}", after),
        };
    }
    let report = RecoverReport {
        vm: vm.to_string(),
        journal: last.as_ref().map(|l| {
            json!({"run": l.run, "source": l.source, "destination": l.destination, "outcome": l.finished})
        }),
        found,
        actions: done,
        dry_run,
        consistent,
        running_on,
        message,
    };
    if config.json() {
        config.printer.json(&report)?;
    } else {
        let mut s = String::new();
        for c in &report.found {
            s.push_str(&format!(
                "found: {} on {} ({})\n",
                sanitize(vm),
                c.host,
                if c.persistent {
                    format!("{}, defined", c.state)
                } else {
                    format!("{}, transient", c.state)
                }
            ));
        }
        if report.found.is_empty() {
            s.push_str(&format!("found: {} on no host\n", sanitize(vm)));
        }
        for a in &report.actions {
            s.push_str(&format!("{}\n", sanitize(a)));
        }
        s.push_str(&sanitize(&report.message));
        config.printer.text(&s)?;
    }
    Ok(if report.consistent {
        ExitCode::Ok
    } else {
        ExitCode::NeedsAttention
    })
}

fn copies<'a>(vm: &str, facts: impl Iterator<Item = &'a HostFacts>) -> Vec<Copy> {
    facts
        .flat_map(|f| {
            f.vms.iter().filter(|v| v.name == vm).map(|v| Copy {
                host: f.name.clone(),
                state: v.state.clone(),
                persistent: v.persistent,
            })
        })
        .collect()
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
            .and_then(|d| jobs::job_stats(&d, 0))
            .map(|s| s.r#type != virt::sys::VIR_DOMAIN_JOB_NONE as i32)
            .unwrap_or(true)
    })
    .await
    .unwrap_or(true)
}

async fn apply(a: &Action, vm: &str, g: &[(HostLink, HostFacts)]) -> Result<(), String> {
    let host = match a {
        Action::Resume(h)
        | Action::Undefine(h)
        | Action::RemoveLeftover(h)
        | Action::RemoveDisk(h, _) => h,
    };
    let link = link_of(g, host);
    if let Action::RemoveDisk(_, p) = a {
        let ssh = link.ssh.as_ref().map_err(|e| e.to_string())?;
        return ssh
            .check(&["rm", "-f", "--", p])
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let lv = link.libvirt.as_ref().map_err(|e| e.to_string())?.clone();
    let (vm, kind) = (
        vm.to_string(),
        match a {
            Action::Resume(_) => 0,
            Action::Undefine(_) => 1,
            _ => 2,
        },
    );
    tokio::task::spawn_blocking(move || {
        let d = lv.conn().lookup_domain_by_name(&vm)?;
        match kind {
            0 => d.resume(),
            1 => d.undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM),
            _ => {
                d.destroy()?;
                if d.is_persistent().unwrap_or(false) {
                    d.undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM)?;
                }
                Ok(())
            }
        }
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.message().to_string())
}
