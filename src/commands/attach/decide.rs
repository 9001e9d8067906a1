//! What `attach` does, decided from the journal's last run and whether
//! the VM's lock was free: refuse (nothing to attach to, or another
//! vmigrate watches it), or take the run over with what the journal says
//! of it. Pure: the scenarios in `tests.rs` are the specification. Whether
//! the job still runs is asked of the source afterwards; both cases end
//! in the same conclusion.

use crate::migrate::attach::Takeover;
use crate::policy::Policy;
use crate::state::LastRun;

/// The decision.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Verdict {
    /// Nothing to attach to, or someone watches it: this line, exit 3
    /// (nothing was changed).
    Refuse(String),
    /// Take the run over.
    Attach(Box<Plan>),
}

/// The run to take over, from the journal.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plan {
    pub source: String,
    pub destination: String,
    pub block_migration: bool,
    /// The run's policy; `None` in a journal an older vmigrate wrote.
    pub policy: Option<Policy>,
    pub data_bytes: u64,
    pub takeover: Takeover,
}

/// Decides from `last` (the journal's last run on `vm`); `locked`: the
/// VM's lock was taken here (no other vmigrate holds it); `alive`: whether
/// a process id is a live process.
pub(super) fn decide(
    vm: &str,
    last: Option<&LastRun>,
    locked: bool,
    alive: impl Fn(u32) -> bool,
) -> Verdict {
    let unfinished = last.filter(|l| l.finished.is_none());
    if !locked {
        return Verdict::Refuse(match unfinished.and_then(LastRun::watcher_pid).filter(|&p| alive(p)) {
            Some(pid) => format!(
                "{vm} is being watched by vmigrate (pid {pid}); nothing to attach to while it lives (stop the migration with `vmigrate abort {vm}`)"
            ),
            None => format!(
                "another vmigrate is working on {vm} (it holds the VM's lock); wait for it, or stop its migration with `vmigrate abort {vm}`"
            ),
        });
    }
    let Some(last) = last else {
        return Verdict::Refuse(format!(
            "no unfinished migration of {vm} in the journal: nothing to attach to (`vmigrate live {vm}` starts one)"
        ));
    };
    if let Some(outcome) = &last.finished {
        return Verdict::Refuse(format!(
            "no unfinished migration of {vm} in the journal: its last one finished ({outcome}); `vmigrate recover {vm}` checks where it runs"
        ));
    }
    let (Some(source), Some(destination)) = (&last.source, &last.destination) else {
        return Verdict::Refuse(format!(
            "the journal's last run on {vm} names no source or destination; run `vmigrate recover {vm}`"
        ));
    };
    if last.started.is_none() {
        return Verdict::Refuse(format!(
            "the last run on {vm} died before it started the migration: there is no job to watch; `vmigrate recover {vm}` removes what it left"
        ));
    }
    Verdict::Attach(Box::new(plan(last, source, destination)))
}

/// The takeover of `last`, from `source` to `destination`.
fn plan(last: &LastRun, source: &str, destination: &str) -> Plan {
    let created = last
        .precreated
        .iter()
        .filter(|(h, _)| h == destination)
        .map(|(_, p)| p.clone())
        .collect();
    Plan {
        source: source.to_string(),
        destination: destination.to_string(),
        block_migration: last.start.block_migration,
        policy: last.start.policy.clone(),
        data_bytes: last.start.data_bytes.unwrap_or(0),
        takeover: Takeover {
            started_ms: last.start.ts_ms,
            created,
            source_copies: last.source_copies.clone(),
            postcopy: last.postcopy,
            paused_ms: last.paused_ms,
            policy_aborted: last.policy_aborted,
            abort_asked: last.abort_asked,
        },
    }
}

#[cfg(test)]
mod tests;
