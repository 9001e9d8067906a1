//! What the journal says about the last run on a VM: the hosts, what it
//! created, how far it got, whether it switched to post-copy — everything
//! `recover` reconciles against — and how it migrates (its policy) and who
//! watches it, for `attach`. A process that attached to the run (its own
//! died) writes the rest of the run's records under its own run id: they
//! count as the run's.

use std::path::Path;

use serde::Serialize;

use super::record::{Entry, Record};
use crate::error::Error;
use crate::migrate::Outcome;

/// The last run on a VM, as journalled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LastRun {
    pub run: String,
    /// The run ids of the processes that attached to it, in order.
    pub attached: Vec<String>,
    /// What its `start` record says.
    pub start: RunStart,
    pub source: Option<String>,
    pub destination: Option<String>,
    /// (host, path) of each disk the run pre-created that is still there
    /// as far as the journal knows.
    pub precreated: Vec<(String, String)>,
    /// Pre-created disks whose removal was journalled: removed unless the
    /// host could not be reached then (`recover` looks).
    pub removal_asked: Vec<(String, String)>,
    /// Block migration: the paths of the local disks the run copied (it
    /// pre-created each on the destination, at the same path) whose
    /// source copy no later record removed.
    pub source_copies: Vec<String>,
    /// The outcome it recorded, if it got that far.
    pub finished: Option<String>,
    /// The migration switched to post-copy (by the run's ladder or by
    /// `vmigrate force-complete`): the source's memory is no longer whole.
    pub postcopy: bool,
    /// The record of that switch.
    pub switch: Option<Switch>,
    /// What the run recorded as it started the migration.
    pub started: Option<MigrateStart>,
    /// When the guest was paused to finish (by the run's policy or by
    /// `force-complete`; Unix ms): it arrives paused and must be resumed.
    pub paused_ms: Option<u64>,
    /// The run's policy aborted the migration at its completion timeout.
    pub policy_aborted: bool,
    /// An abort was asked for (the run's Ctrl-C or `vmigrate abort`).
    pub abort_asked: bool,
}

/// The `start` record: when the run began and how it migrates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunStart {
    pub ts_ms: u64,
    pub block_migration: bool,
    /// The run's resolved policy (absent in older journals).
    pub policy: Option<crate::policy::Policy>,
    /// Guest RAM plus the disks copied, bytes (absent in older journals).
    pub data_bytes: Option<u64>,
}

impl LastRun {
    /// The process id of whoever watches the run now: the last process
    /// that attached to it, else the run's own (a run id begins with its
    /// process id).
    pub fn watcher_pid(&self) -> Option<u32> {
        let run = self.attached.last().unwrap_or(&self.run);
        run.split('-').next()?.parse().ok()
    }

    /// Whether `run` is this run's: its own id or an attached process's.
    fn owns(&self, run: &str) -> bool {
        self.run == run || self.attached.iter().any(|r| r == run)
    }
}

/// The journal's record of a switch to post-copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Switch {
    pub ts_ms: u64,
    /// `policy` (the run's ladder) or `force-complete`.
    pub by: String,
    /// The run id of the process that switched.
    pub run: String,
}

/// The `migrate_start` record: how the migration was started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrateStart {
    pub flags: Option<u32>,
    pub peer_uri: Option<String>,
    pub migration_uri: Option<String>,
    /// Guest devices copied by block migration.
    pub copy_disks: Vec<String>,
}

/// Reads the journal at `path` for the last run on `vm`.
pub(crate) fn read(path: &Path, vm: &str) -> Result<Option<LastRun>, Error> {
    let entries = super::read::read_all(path)
        .map_err(|e| Error::Usage(format!("cannot read the journal {}: {e}", path.display())))?;
    Ok(entries.and_then(|e| parse(&e, vm)))
}

/// The last run on `vm` among the journal's `entries`.
pub(crate) fn parse(entries: &[Entry], vm: &str) -> Option<LastRun> {
    let entries: Vec<&Entry> = entries.iter().filter(|e| e.vm == vm).collect();
    let (at, mut last) = entries
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, e)| Some((i, of_start(e)?)))?;
    // The run's own records (and its attached processes'), and later ones
    // by `force-complete`, `abort` and `recover`.
    for e in &entries[at..] {
        let own = last.owns(&e.run);
        apply(&mut last, e, own);
    }
    Some(last)
}

/// The run a `start` record begins.
fn of_start(e: &Entry) -> Option<LastRun> {
    match &e.record {
        Record::Start {
            source,
            destination,
            block_migration,
            policy,
            data_bytes,
        } => Some(LastRun {
            run: e.run.clone(),
            source: Some(source.clone()),
            destination: Some(destination.clone()),
            start: RunStart {
                ts_ms: e.ts_ms,
                block_migration: *block_migration,
                policy: policy.clone(),
                data_bytes: *data_bytes,
            },
            ..Default::default()
        }),
        _ => None,
    }
}

/// An outcome as the journal and `recover`'s output spell it.
fn outcome_name(o: Outcome) -> Option<String> {
    serde_json::to_value(o)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

fn apply(last: &mut LastRun, e: &Entry, own: bool) {
    match &e.record {
        Record::PrecreateDisk { host, path, .. } if own => {
            last.source_copies.push(path.clone());
            last.precreated.push((host.clone(), path.clone()));
        }
        Record::RemoveDisk { host, path, .. } => {
            // Journalled before the removal: whether it happened (the
            // host may have been cut off) only the host can say.
            let pair = (host.clone(), path.clone());
            if last.precreated.contains(&pair) && !last.removal_asked.contains(&pair) {
                last.removal_asked.push(pair);
            }
            last.precreated.retain(|(h, p)| (h, p) != (host, path));
            if last.source.as_ref() == Some(host) {
                last.source_copies.retain(|p| p != path);
            }
        }
        Record::MigrateStart {
            flags,
            peer_uri,
            migration_uri,
            copy_disks,
            ..
        } if own => {
            last.started = Some(MigrateStart {
                flags: *flags,
                peer_uri: peer_uri.clone(),
                migration_uri: migration_uri.clone(),
                copy_disks: copy_disks.clone(),
            });
        }
        Record::Finish { outcome, .. } if own => last.finished = outcome_name(*outcome),
        Record::Attach { .. } if !own => last.attached.push(e.run.clone()),
        Record::PolicyPause {} | Record::ForcePause { .. } => {
            last.paused_ms = last.paused_ms.or(Some(e.ts_ms));
        }
        Record::PolicyAbort {} if own => last.policy_aborted = true,
        Record::AbortRequested {
            before_start: false,
        }
        | Record::Abort { .. } => last.abort_asked = true,
        Record::PostcopyStarted { by, .. } => {
            last.postcopy = true;
            last.switch = Some(Switch {
                ts_ms: e.ts_ms,
                by: by.clone(),
                run: e.run.clone(),
            });
        }
        // Only the process that journalled a switch can take it back (its
        // attempt failed): another one's failure says nothing about it.
        Record::PostcopyNotStarted { .. }
            if last.switch.as_ref().is_some_and(|s| s.run == e.run) =>
        {
            last.postcopy = false;
            last.switch = None;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(run: &str, step: &str, details: &str) -> Entry {
        serde_json::from_str(&format!(
            r#"{{"vm":"web1","run":"{run}","step":"{step}","ts_ms":7,"details":{details}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn last_run_knows_a_switch_to_postcopy_by_anyone() {
        let start = line("r1", "start", r#"{"source":"kvm1","destination":"kvm2"}"#);
        let plain = vec![start, line("r1", "migrate_start", r#"{"flags":1}"#)];
        let last = parse(&plain, "web1").unwrap();
        assert!(!last.postcopy);
        assert_eq!(last.source.as_deref(), Some("kvm1"));
        assert_eq!(last.started.as_ref().unwrap().flags, Some(1));
        // `force-complete` writes with its own run id.
        let mut forced = plain.clone();
        forced.push(line("r2", "postcopy_started", r#"{"by":"force-complete"}"#));
        let last = parse(&forced, "web1").unwrap();
        assert!(last.postcopy);
        let by = Switch {
            ts_ms: 7,
            by: "force-complete".into(),
            run: "r2".into(),
        };
        assert_eq!(last.switch, Some(by));
        // A failed attempt by another process leaves the switch standing.
        let mut other = forced.clone();
        other.push(line("r3", "postcopy_not_started", "{}"));
        assert!(parse(&other, "web1").unwrap().postcopy);
        forced.push(line("r2", "postcopy_not_started", "{}"));
        assert!(!parse(&forced, "web1").unwrap().postcopy);
        assert!(parse(&plain, "other").is_none());
    }

    #[test]
    fn source_copies_of_a_block_migration_until_removed() {
        let mut j = vec![
            line("r1", "start", r#"{"source":"kvm1","destination":"kvm2"}"#),
            line(
                "r1",
                "precreate_disk",
                r#"{"host":"kvm2","path":"/i/a.qcow2"}"#,
            ),
            line(
                "r1",
                "precreate_disk",
                r#"{"host":"kvm2","path":"/i/b.qcow2"}"#,
            ),
            line("r1", "migrate_start", r#"{"copy_disks":["vda","vdb"]}"#),
        ];
        let last = parse(&j, "web1").unwrap();
        assert_eq!(last.source_copies, vec!["/i/a.qcow2", "/i/b.qcow2"]);
        assert_eq!(last.started.unwrap().copy_disks, vec!["vda", "vdb"]);
        // Removing the destination's copy (rollback) is not the source's.
        j.push(line(
            "r1",
            "remove_disk",
            r#"{"host":"kvm2","path":"/i/a.qcow2"}"#,
        ));
        j.push(line(
            "r3",
            "remove_disk",
            r#"{"host":"kvm1","path":"/i/b.qcow2"}"#,
        ));
        let last = parse(&j, "web1").unwrap();
        assert_eq!(last.source_copies, vec!["/i/a.qcow2"]);
        assert_eq!(last.precreated, vec![("kvm2".into(), "/i/b.qcow2".into())]);
    }
}
