//! What the journal says about the last run on a VM: the hosts, what it
//! created, how far it got, whether it switched to post-copy — everything
//! `recover` reconciles against.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;

/// The last run on a VM, as journalled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastRun {
    pub run: String,
    pub source: Option<String>,
    pub destination: Option<String>,
    /// (host, path) of each disk the run pre-created that is still there
    /// as far as the journal knows.
    pub precreated: Vec<(String, String)>,
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
pub fn read(path: &Path, vm: &str) -> Result<Option<LastRun>, Error> {
    let records = super::read::read_all(path)
        .map_err(|e| Error::Usage(format!("cannot read the journal {}: {e}", path.display())))?;
    Ok(records.and_then(|r| parse(&r, vm)))
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The last run on `vm` among the journal's `records`.
pub fn parse(records: &[Value], vm: &str) -> Option<LastRun> {
    let records: Vec<&Value> = records.iter().filter(|v| v["vm"] == vm).collect();
    let at = records.iter().rposition(|v| v["step"] == "start")?;
    let start = records[at];
    let run = start["run"].as_str().unwrap_or_default().to_string();
    let mut last = LastRun {
        run: run.clone(),
        source: text_of(&start["details"]["source"]),
        destination: text_of(&start["details"]["destination"]),
        ..Default::default()
    };
    // The run's own records, and later ones by `force-complete`, `abort`
    // and `recover`.
    for r in &records[at..] {
        apply(&mut last, r, r["run"] == run.as_str());
    }
    Some(last)
}

fn apply(last: &mut LastRun, r: &Value, own: bool) {
    let d = &r["details"];
    let (host, path) = (text_of(&d["host"]), text_of(&d["path"]));
    match r["step"].as_str() {
        Some("precreate_disk") if own => {
            if let (Some(h), Some(p)) = (host, path) {
                last.source_copies.push(p.clone());
                last.precreated.push((h, p));
            }
        }
        Some("remove_disk") => {
            let same =
                |h: &String, p: &String| Some(h) == host.as_ref() && Some(p) == path.as_ref();
            last.precreated.retain(|(h, p)| !same(h, p));
            if let Some(src) = last.source.clone() {
                last.source_copies.retain(|p| !same(&src, p));
            }
        }
        Some("migrate_start") if own => {
            last.started = Some(MigrateStart {
                flags: d["flags"].as_u64().and_then(|f| u32::try_from(f).ok()),
                peer_uri: text_of(&d["peer_uri"]),
                migration_uri: text_of(&d["migration_uri"]),
                copy_disks: d["copy_disks"]
                    .as_array()
                    .map(|a| a.iter().filter_map(text_of).collect())
                    .unwrap_or_default(),
            });
        }
        Some("finish") if own => last.finished = text_of(&d["outcome"]),
        Some("postcopy_started") => {
            last.postcopy = true;
            last.switch = Some(Switch {
                ts_ms: r["ts_ms"].as_u64().unwrap_or(0),
                by: text_of(&d["by"]).unwrap_or_else(|| "unknown".into()),
                run: text_of(&r["run"]).unwrap_or_default(),
            });
        }
        // Only the process that journalled a switch can take it back (its
        // attempt failed): another one's failure says nothing about it.
        Some("postcopy_not_started")
            if last.switch.as_ref().map(|s| s.run.as_str()) == r["run"].as_str() =>
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

    fn line(run: &str, step: &str, details: &str) -> Value {
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
