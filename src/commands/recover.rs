//! `vmigrate recover VM [--dry-run]`: after a run that died or ended in an
//! unknown state, reads the journal and the real state of the VM on every
//! inventory host into one snapshot (`read`, `snapshot`), decides from it
//! alone (`plan`: pure, its scenarios are the specification), carries the
//! actions out through the one executor (`crate::plan`), reads the hosts
//! again, and reports. A migration that failed after the switch to
//! post-copy is resumed when both hosts hold their half; otherwise a
//! migration caught in post-copy is only described, with what the operator
//! can do (`postcopy`, `resumed`).
//!
//! Exit 0 when consistent, 5 with what it found when an operator must
//! decide, 3 when the VM is on no host at all.

mod disks;
mod output;
mod plan;
mod postcopy;
mod read;
mod resumed;
mod snapshot;

use self::output::{NotAsked, RecoverReport};
use self::plan::{Decision, Verdict};
use self::snapshot::{Copy, Snapshot};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::facts::HostFacts;
use crate::fleet::{self, HostLink};
use crate::hypervisor::DomainState;
use crate::inventory;
use crate::plan::{execute, By};
use crate::state::{self, Journal};

/// Runs recovery.
pub async fn run(config: &Config, vm: &str, dry_run: bool) -> Result<ExitCode, Error> {
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    let last = state::last_run_async(vm).await?;
    let gathered = fleet::gather(inv.hosts.clone()).await;
    let facts: Vec<_> = gathered.iter().map(|(_, f)| f.clone()).collect();
    fleet::refuse_same_host_twice(&facts)?;
    let snap = read::snapshot(vm, &gathered, last).await;
    let decision = plan::decide(&snap, &inv.hosts);
    let mut report = report_of(&snap, dry_run);
    match &decision.verdict {
        Verdict::NotFound(m) => return Err(Error::NotFound(m.clone())),
        Verdict::Postcopy(stuck) => {
            report.message.clone_from(&stuck.summary);
            report.postcopy = Some((**stuck).clone());
            output::print(config, &report)?;
            return Ok(ExitCode::NeedsAttention);
        }
        Verdict::Resume(stuck) => report.postcopy = Some((**stuck).clone()),
        _ => {}
    }
    report.notes.clone_from(&decision.notes);
    let after = act(&decision, &snap, &gathered, &mut report).await?;
    conclude(&mut report, &decision.verdict, &after);
    if let Verdict::Resume(_) = decision.verdict {
        if let Some(m) = resumed::message(&report, &describe(&after)) {
            report.message = m;
        }
    }
    output::print(config, &report)?;
    Ok(if report.consistent {
        ExitCode::Ok
    } else {
        ExitCode::NeedsAttention
    })
}

/// The report of what was found, before anything is done.
fn report_of(s: &Snapshot, dry_run: bool) -> RecoverReport {
    RecoverReport {
        vm: s.vm.clone(),
        journal: output::journal(s.last.as_ref()),
        found: s.copies(),
        unreachable: s
            .unreachable()
            .into_iter()
            .map(|(host, error)| NotAsked { host, error })
            .collect(),
        actions: Vec::new(),
        notes: Vec::new(),
        dry_run,
        consistent: false,
        running_on: None,
        message: String::new(),
        postcopy: None,
    }
}

/// Carries the decision out (or, with `--dry-run`, says what it would
/// do); returns the VM's copies afterwards. A record that cannot be
/// written stops it (exit 1: nothing further was done).
async fn act(
    d: &Decision,
    s: &Snapshot,
    gathered: &[(HostLink, HostFacts)],
    report: &mut RecoverReport,
) -> Result<Vec<Copy>, Error> {
    let vm = &s.vm;
    if report.dry_run || d.actions.is_empty() {
        report.actions = d
            .actions
            .iter()
            .map(|a| format!("would {}", a.describe(vm)))
            .collect();
        return Ok(s.copies());
    }
    let mut journal = Journal::open(vm)?;
    let links: Vec<&HostLink> = gathered.iter().map(|(l, _)| l).collect();
    let ex = execute(&d.actions, vm, By::Recover, &links, &mut journal).await;
    if let Some(e) = ex.stopped {
        return Err(Error::Journal(e));
    }
    report.actions = ex
        .done
        .iter()
        .map(|done| {
            let what = done.action.describe(vm);
            match (&done.result, done.tries) {
                (Ok(()), 0 | 1) => what,
                (Ok(()), n) => format!("{what} (attempt {n})"),
                (Err(e), _) => format!("FAILED to {what}: {e}"),
            }
        })
        .collect();
    for done in &ex.done {
        resumed::note(report, done);
    }
    // Look again: consistent means running on exactly one host, defined on one.
    let again = Snapshot {
        hosts: ex.after,
        ..s.clone()
    };
    Ok(again.copies())
}

/// Consistent: no operator needed, running on exactly one host, defined
/// there only.
fn conclude(r: &mut RecoverReport, verdict: &Verdict, after: &[Copy]) {
    let running: Vec<&Copy> = after
        .iter()
        .filter(|c| c.is(DomainState::Running))
        .collect();
    let defined = after.iter().filter(|c| c.persistent()).count();
    let operator = match verdict {
        Verdict::Operator(m) => Some(m.clone()),
        _ => None,
    };
    r.consistent = operator.is_none() && running.len() == 1 && defined == 1 && after.len() == 1;
    r.running_on = (running.len() == 1).then(|| running[0].host.clone());
    let vm = &r.vm;
    r.message = match (operator, &r.running_on, r.consistent, r.dry_run, verdict) {
        (Some(m), ..) => m,
        (None, Some(h), true, ..) => format!("{vm} runs on {h} and is defined there only"),
        (None, Some(h), false, true, Verdict::Settles(_)) => {
            format!("{vm} runs on {h}; the actions above would make it consistent")
        }
        (None, None, false, true, Verdict::Settles(h)) => {
            format!("{vm} is paused on {h}; the actions above would make it consistent")
        }
        _ => format!("{vm} is still not consistent: {}", describe(after)),
    };
}

/// "on kvm1: running (booted), defined; on kvm2: …".
fn describe(copies: &[Copy]) -> String {
    if copies.is_empty() {
        return "it is on no host that answered".into();
    }
    let each: Vec<String> = copies
        .iter()
        .map(|c| {
            let kind = if c.persistent() {
                "defined"
            } else {
                "transient"
            };
            format!("on {}: {}, {kind}", c.host, c.state_words())
        })
        .collect();
    each.join("; ")
}
