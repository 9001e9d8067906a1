//! The migration's outcome, decided. From how the migrate call ended, the
//! run's own facts and what the two hosts report for the VM afterwards, a
//! pure function says how the run ended, where the VM runs, what was
//! found, and which actions settle the hosts: after a failure, resume the
//! source, remove the destination's incoming copy and the disks the run
//! created; after success, resume a guest that arrived paused and delete
//! the source's stale disk copies. No VM is lost: once post-copy has
//! started nothing is resumed or removed, and a source that could not be
//! asked is not guessed at. The scenarios in `outcome/tests.rs` are the
//! specification.

use super::Outcome;
use crate::hypervisor::DomainState;
use crate::plan::{Action, Seen};

/// How the migrate call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// It was never made (the set-up failed, the journal refused the
    /// `migrate_start` record, or an interrupt came first).
    NotStarted { interrupted: bool },
    /// libvirt reported success.
    Completed,
    /// libvirt reported a failure; `aborted`: on an operator's request
    /// (not the policy's completion timeout).
    Failed { aborted: bool },
}

/// What the run itself knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Facts {
    pub vm: String,
    pub source: String,
    pub destination: String,
    /// Disks this run created on the destination.
    pub created: Vec<String>,
    /// Block migration: the source's copies of the disks it copies.
    pub source_copies: Vec<String>,
    /// The migration switched to post-copy (as far as the run or the
    /// journal knows).
    pub postcopy: bool,
    /// The run (its policy or `force-complete`) paused the guest.
    pub guest_paused: bool,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conclusion {
    pub outcome: Outcome,
    /// Where the VM runs, when known.
    pub running_on: Option<String>,
    /// What settles the hosts, in order.
    pub actions: Vec<Action>,
    /// What was found, for the report.
    pub notes: Vec<String>,
    /// The source could not be asked afterwards (its error): the failure
    /// was the source's, whatever libvirt's message says.
    pub source_unreachable: Option<String>,
}

impl Conclusion {
    fn new(outcome: Outcome, running_on: Option<&str>) -> Conclusion {
        Conclusion {
            outcome,
            running_on: running_on.map(str::to_string),
            actions: Vec::new(),
            notes: Vec::new(),
            source_unreachable: None,
        }
    }

    fn note(mut self, note: String) -> Conclusion {
        self.notes.push(note);
        self
    }
}

/// Decides the run's end from `ended`, `run` and the VM as the source
/// (`src`) and the destination (`dst`) report it.
pub(crate) fn plan(run: &Facts, ended: Ended, src: &Seen, dst: &Seen) -> Conclusion {
    match ended {
        Ended::NotStarted { interrupted } => not_started(run, interrupted),
        Ended::Completed => completed(run, src, dst),
        Ended::Failed { aborted } => {
            // A switch the run did not see still counts: libvirt shows it.
            let postcopy = run.postcopy || src.postcopy().is_some() || dst.postcopy().is_some();
            let mut c = if postcopy {
                after_postcopy(run, src, dst)
            } else if let Seen::Unknown(e) = src {
                source_lost(run, e, dst)
            } else {
                restore(run, src, dst)
            };
            if aborted && c.outcome == Outcome::RolledBack {
                c.outcome = Outcome::Aborted;
            }
            if let Seen::Unknown(e) = src {
                c.source_unreachable = Some(e.clone());
            }
            c
        }
    }
}

/// Nothing reached libvirt: only the disks this run created go.
fn not_started(run: &Facts, interrupted: bool) -> Conclusion {
    let outcome = if interrupted {
        Outcome::Aborted
    } else {
        Outcome::RolledBack
    };
    let mut c = Conclusion::new(outcome, Some(&run.source));
    c.actions = remove_created(run);
    c
}

/// libvirt said done: verified (running and persistent on the
/// destination, gone from the source), then the guest resumed if it
/// arrived paused and the source's stale copies deleted.
fn completed(run: &Facts, src: &Seen, dst: &Seen) -> Conclusion {
    match (src, dst.info()) {
        (Seen::Absent, Some(d)) if d.active && d.persistent => {
            let mut c = Conclusion::new(Outcome::Migrated, Some(&run.destination));
            if run.guest_paused && d.state.state == DomainState::Paused {
                c.actions.push(Action::Resume {
                    host: run.destination.clone(),
                });
            }
            c.actions
                .extend(run.source_copies.iter().map(|p| Action::RemoveStaleCopy {
                    host: run.source.clone(),
                    path: p.clone(),
                }));
            c
        }
        _ => Conclusion::new(Outcome::Unknown, None).note(format!(
            "libvirt reported success but verification found: on {}: {}; on {}: {}",
            run.source,
            src.describe(),
            run.destination,
            dst.describe()
        )),
    }
}

/// After the switch to post-copy the guest's newest memory is on the
/// destination: resuming the source would run stale memory, and removing
/// the destination's copy would lose the guest.
fn after_postcopy(run: &Facts, src: &Seen, dst: &Seen) -> Conclusion {
    let (vm, dst_host) = (&run.vm, &run.destination);
    let whole = dst
        .info()
        .is_some_and(|d| d.active && d.persistent && d.state.state == DomainState::Running);
    if matches!(src, Seen::Absent) && whole {
        return Conclusion::new(Outcome::Migrated, Some(dst_host))
            .note(format!("{vm} runs on {dst_host} (post-copy completed)"));
    }
    Conclusion::new(Outcome::Unknown, None).note(format!(
        "post-copy had started, so neither copy is whole on its own; nothing was resumed or removed (on {}: {}; on {dst_host}: {}); run `vmigrate recover {vm}`",
        run.source,
        src.describe(),
        dst.describe()
    ))
}

/// The source's libvirtd stopped answering (it died, or the link to it
/// broke). QEMU does not stop with libvirtd, so in pre-copy the guest went
/// on running on the source; an incoming copy on the destination is paused
/// and is not the VM running. Nothing is touched: only the source's
/// libvirtd, once back, can settle its side of the job.
fn source_lost(run: &Facts, err: &str, dst: &Seen) -> Conclusion {
    let (vm, src, dst_host) = (&run.vm, &run.source, &run.destination);
    let kept =
        format!("{vm} was running on {src} when it did (QEMU keeps running without libvirtd)");
    let there = match dst {
        Seen::Present(d) if d.state.state == DomainState::Running => format!(
            "yet {vm} runs on {dst_host} ({}): the migration may have completed as it stopped",
            crate::plan::kind(d)
        ),
        Seen::Present(d) => format!(
            "{kept}; the copy on {dst_host} is the incoming one, {} ({}), not running",
            d.state.state,
            crate::plan::kind(d)
        ),
        Seen::Absent => format!("{kept}; {dst_host} holds no copy"),
        Seen::Unknown(e) => format!("{kept}; {dst_host} could not be asked either ({e})"),
    };
    Conclusion::new(Outcome::Unknown, None).note(format!(
        "{src}'s libvirtd stopped answering during the migration ({err}); {there}. Nothing was resumed or removed: restart libvirtd on {src}, then run `vmigrate recover {vm}`"
    ))
}

/// The source answered: put the VM back on it (resume, remove the
/// destination's copy and disks), or say where it is if it is not there.
fn restore(run: &Facts, src: &Seen, dst: &Seen) -> Conclusion {
    let (vm, dst_host) = (&run.vm, &run.destination);
    if src.active() && dst.is(DomainState::Running) {
        // Two guests run: whichever is stopped may be the current one.
        return Conclusion::new(Outcome::Unknown, None).note(format!(
            "{vm} is active on {} and runs on {dst_host} at once; nothing was resumed or removed: decide which copy is current and stop the other, then run `vmigrate recover {vm}`",
            run.source
        ));
    }
    if src.active() {
        let mut c = Conclusion::new(Outcome::RolledBack, Some(&run.source));
        if src.is(DomainState::Paused) {
            c.actions.push(Action::Resume {
                host: run.source.clone(),
            });
        }
        // It was not there before the run: `dest.no_clash` saw to that.
        if let Some(d) = dst.info() {
            c.actions.push(Action::DestroyIncoming {
                host: dst_host.clone(),
                state: d.state.state,
            });
        }
        c.actions.extend(remove_created(run));
        if let Seen::Unknown(e) = dst {
            // Not asked, so not removed: said, since the run cannot vouch
            // for that host until it answers.
            c.notes.push(format!(
                "{dst_host} could not be asked ({e}); an incoming copy of {vm} left there is paused, not the VM: its libvirtd removes it once its connection from {} fails, or `vmigrate recover {vm}` does when {dst_host} answers",
                run.source
            ));
        }
        return c;
    }
    // A paused copy on the destination is an incoming one, not the VM
    // running: only a running one counts.
    if let Some(d) = dst.info().filter(|d| d.state.state == DomainState::Running) {
        let migrated = d.persistent && matches!(src, Seen::Absent);
        let outcome = if migrated {
            Outcome::Migrated
        } else {
            Outcome::Unknown
        };
        return Conclusion::new(outcome, Some(dst_host)).note(format!(
            "{vm} runs on {dst_host} ({}persistent) although the migration call failed",
            if d.persistent { "" } else { "not " }
        ));
    }
    Conclusion::new(Outcome::Unknown, None).note(format!(
        "on {}: {}; on {dst_host}: {}",
        run.source,
        src.describe(),
        dst.describe()
    ))
}

fn remove_created(run: &Facts) -> Vec<Action> {
    run.created
        .iter()
        .map(|p| Action::RemoveDisk {
            host: run.destination.clone(),
            path: p.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
