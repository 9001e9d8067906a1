//! vmigrate's own state on the operator's machine: the journal and the
//! per-VM locks, under `$VMIGRATE_STATE_DIR`, else `$XDG_STATE_HOME/vmigrate`,
//! else `~/.local/state/vmigrate`. Files are created mode 0600, the
//! directory 0700: they name hosts and VMs.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::error::Error;

/// The state directory (created on first use).
pub fn dir() -> Result<PathBuf, Error> {
    let d = if let Some(d) = std::env::var_os("VMIGRATE_STATE_DIR").filter(|v| !v.is_empty()) {
        PathBuf::from(d)
    } else if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        PathBuf::from(x).join("vmigrate")
    } else {
        let home = std::env::var_os("HOME").ok_or_else(|| {
            Error::Usage("HOME is unset: set VMIGRATE_STATE_DIR for the journal".into())
        })?;
        PathBuf::from(home).join(".local/state/vmigrate")
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(d.join("locks"))
        .map_err(|e| {
            Error::Usage(format!(
                "cannot create the state directory {}: {e}",
                d.display()
            ))
        })?;
    Ok(d)
}

/// Held while a VM is being migrated: a second vmigrate refuses the VM
/// (Nova's expected_task_state). Released when dropped, or by the kernel
/// when the process dies, so a killed run never leaves a stale lock.
pub struct VmLock {
    _file: File,
}

impl VmLock {
    /// Takes the VM's lock without waiting.
    pub fn acquire(vm: &str) -> Result<VmLock, Error> {
        // The VM name is only used as a file name: hex keeps any name safe.
        let key: String = vm.bytes().map(|b| format!("{b:02x}")).collect();
        let path = dir()?.join("locks").join(format!("{key}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::Usage(format!("cannot open the lock {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(VmLock { _file: file }),
            Err(_) => Err(Error::NotMigratable(format!(
                "another vmigrate is already migrating {vm} (lock {}); wait for it, or run `vmigrate abort {vm}`",
                path.display()
            ))),
        }
    }
}

/// The append-only journal: one JSON object per line, written and flushed
/// to disk *before* each step that changes a host, so that after a crash
/// `vmigrate recover` knows what may have happened.
pub struct Journal {
    file: File,
    path: PathBuf,
    run: String,
    vm: String,
    opened_ms: u64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

impl Journal {
    /// Opens (creating) the journal for a run on `vm`.
    pub fn open(vm: &str) -> Result<Journal, Error> {
        let path = dir()?.join("journal.jsonl");
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                Error::Usage(format!("cannot open the journal {}: {e}", path.display()))
            })?;
        let run = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis()
        );
        Ok(Journal {
            file,
            path,
            run,
            vm: vm.to_string(),
            opened_ms: now_ms(),
        })
    }

    /// Whether another vmigrate (`vmigrate abort`) recorded an abort of this
    /// VM since this journal was opened. libvirt's error for an aborted
    /// peer-to-peer migration depends on the phase it hit (often a bare
    /// "End of file"), so this record is what tells an abort from a failure.
    pub fn abort_recorded(&self) -> bool {
        self.recorded_by_others("abort")
    }

    /// Whether any vmigrate recorded `step` for this VM since this journal
    /// was opened (e.g. `postcopy_started` by `force-complete`).
    pub fn recorded_by_others(&self, step: &str) -> bool {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return false;
        };
        // Only the recent end of the file can matter.
        let tail = &text[text.len().saturating_sub(256 * 1024)..];
        tail.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .any(|v| {
                v["step"] == step
                    && v["run"] != self.run.as_str()
                    && v["vm"] == self.vm.as_str()
                    && v["ts_ms"].as_u64().unwrap_or(0) >= self.opened_ms
            })
    }

    /// Appends `step` with `details` and syncs it to disk.
    pub fn record(&mut self, step: &str, details: Value) -> Result<(), Error> {
        let ts = now_ms();
        let line =
            json!({"ts_ms": ts, "run": self.run, "vm": self.vm, "step": step, "details": details});
        let write = writeln!(self.file, "{line}").and_then(|_| self.file.sync_data());
        write.map_err(|e| Error::Internal(color_eyre::eyre::eyre!("cannot write the journal: {e}")))
    }
}

/// What the journal says about the last run on a VM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastRun {
    pub run: String,
    pub source: Option<String>,
    pub destination: Option<String>,
    /// (host, path) of each disk the run pre-created.
    pub precreated: Vec<(String, String)>,
    /// The outcome it recorded, if it got that far.
    pub finished: Option<String>,
    /// The migration switched to post-copy (by the run's ladder or by
    /// `vmigrate force-complete`): the source's memory is no longer whole.
    pub postcopy: bool,
}

/// Reads the journal's last run on `vm` (`None`: vmigrate never migrated it here).
pub fn last_run(vm: &str) -> Result<Option<LastRun>, Error> {
    let path = dir()?.join("journal.jsonl");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Usage(format!(
                "cannot read the journal {}: {e}",
                path.display()
            )))
        }
    };
    Ok(parse_last_run(&text, vm))
}

/// The last run on `vm` in the journal's `text`.
fn parse_last_run(text: &str, vm: &str) -> Option<LastRun> {
    let records: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["vm"] == vm)
        .collect();
    let at = records.iter().rposition(|v| v["step"] == "start")?;
    let start = &records[at];
    let run = start["run"].as_str().unwrap_or_default().to_string();
    let text_of = |v: &Value| v.as_str().map(str::to_string);
    let mut last = LastRun {
        run: run.clone(),
        source: text_of(&start["details"]["source"]),
        destination: text_of(&start["details"]["destination"]),
        ..Default::default()
    };
    // The run's own records, and removals by later `recover` runs.
    for r in &records[at..] {
        let d = &r["details"];
        let own = r["run"] == run.as_str();
        match r["step"].as_str() {
            Some("precreate_disk") if own => {
                if let (Some(h), Some(p)) = (text_of(&d["host"]), text_of(&d["path"])) {
                    last.precreated.push((h, p));
                }
            }
            Some("remove_disk") => {
                let (h, p) = (text_of(&d["host"]), text_of(&d["path"]));
                last.precreated
                    .retain(|(hh, pp)| Some(hh) != h.as_ref() || Some(pp) != p.as_ref());
            }
            Some("finish") if own => last.finished = text_of(&d["outcome"]),
            Some("postcopy_started") => last.postcopy = true,
            Some("postcopy_not_started") => last.postcopy = false,
            _ => {}
        }
    }
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(run: &str, step: &str, details: &str) -> String {
        format!(r#"{{"vm":"web1","run":"{run}","step":"{step}","ts_ms":1,"details":{details}}}"#)
    }

    #[test]
    fn last_run_knows_a_switch_to_postcopy_by_anyone() {
        let start = line("r1", "start", r#"{"source":"kvm1","destination":"kvm2"}"#);
        let plain = [start.clone(), line("r1", "migrate_start", "{}")].join("\n");
        let last = parse_last_run(&plain, "web1").unwrap();
        assert!(!last.postcopy);
        assert_eq!(last.source.as_deref(), Some("kvm1"));
        // `force-complete` writes with its own run id.
        let forced = [plain.clone(), line("r2", "postcopy_started", "{}")].join("\n");
        assert!(parse_last_run(&forced, "web1").unwrap().postcopy);
        let refused = [forced, line("r2", "postcopy_not_started", "{}")].join("\n");
        assert!(!parse_last_run(&refused, "web1").unwrap().postcopy);
        assert!(parse_last_run(&plain, "other").is_none());
    }
}
