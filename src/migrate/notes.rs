//! What a `live` report says about each action its conclusion took: one
//! note per action on the VM, one per host for the disks.

use crate::plan::{Action, ActionError, Executed};

/// The disks removed from one host, of one kind.
struct Disks<'a> {
    /// The source's stale copies (else disks the run pre-created).
    stale: bool,
    host: &'a str,
    done: Vec<&'a str>,
    failed: Vec<String>,
}

impl Disks<'_> {
    fn note(&self, vm: &str) -> String {
        let host = self.host;
        if !self.failed.is_empty() {
            format!(
                "could not remove on {host}: {}; `vmigrate recover {vm}` removes them once {host} answers",
                self.failed.join("; ")
            )
        } else if self.stale {
            let paths = self.done.join(", ");
            format!("removed the source's copy of {paths} on {host}")
        } else {
            format!("removed {} pre-created disk(s) on {host}", self.done.len())
        }
    }
}

/// The notes for what `ex` did to `vm`; `source` is the run's source.
pub(super) fn of(ex: &Executed, vm: &str, source: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let mut disks: Vec<Disks> = Vec::new();
    for d in &ex.done {
        let (stale, host, path) = match &d.action {
            Action::RemoveDisk { host, path } => (false, host, path),
            Action::RemoveStaleCopy { host, path } => (true, host, path),
            a => {
                notes.push(on_domain(a, &d.result, vm, source));
                continue;
            }
        };
        let at = disks
            .iter()
            .position(|k| k.stale == stale && k.host == host);
        let at = at.unwrap_or_else(|| {
            disks.push(Disks {
                stale,
                host,
                done: Vec::new(),
                failed: Vec::new(),
            });
            disks.len() - 1
        });
        match &d.result {
            Ok(()) => disks[at].done.push(path),
            Err(e) => disks[at].failed.push(format!("{path}: {e}")),
        }
    }
    notes.extend(disks.iter().map(|d| d.note(vm)));
    notes
}

fn on_domain(a: &Action, r: &Result<(), ActionError>, vm: &str, source: &str) -> String {
    let host = a.host();
    match (a, r) {
        (Action::Resume { .. }, Ok(())) if host == source => format!("resumed {vm} on {host}"),
        (Action::Resume { .. }, Err(e)) if host == source => {
            format!("could not resume {vm} on {host} ({e}); it stays paused")
        }
        (Action::Resume { .. }, Ok(())) => format!("resumed {vm} on {host} (it arrived paused)"),
        (Action::Resume { .. }, Err(e)) => format!(
            "{vm} arrived paused on {host} and could not be resumed: {e}; run `virsh resume {vm}` there"
        ),
        (Action::DestroyIncoming { .. }, Ok(())) => {
            format!("removed the incoming copy left on {host}")
        }
        (Action::DestroyIncoming { .. }, Err(e)) => {
            format!("could not remove the copy on {host}: {e}")
        }
        (_, Ok(())) => a.describe(vm),
        (_, Err(e)) => format!("could not {}: {e}", a.describe(vm)),
    }
}
