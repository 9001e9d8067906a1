//! vmigrate's own state on the operator's machine: the journal and the
//! per-VM locks, under `$VMIGRATE_STATE_DIR`, else `$XDG_STATE_HOME/vmigrate`,
//! else `~/.local/state/vmigrate`. Files are created mode 0600, the
//! directory 0700: they name hosts and VMs.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::error::Error;

mod last_run;
mod read;
mod record;

pub use last_run::{LastRun, MigrateStart, Switch};
pub use record::{Entry, Record};

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
/// (Nova's `expected_task_state`). Released when dropped, or by the kernel
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

/// The append-only journal: one JSON line per [`Record`], written and
/// synced to disk *before* each step that changes a host, so that after a
/// crash `vmigrate recover` knows what may have happened. A step whose
/// record cannot be written is not taken.
pub struct Journal {
    file: Arc<File>,
    path: PathBuf,
    run: String,
    vm: String,
    opened_ms: u64,
}

/// The journal could not be written: the step it was for must not be taken.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the journal {path}: {message}")]
pub struct JournalError {
    pub path: PathBuf,
    pub message: String,
}

fn now_ms() -> u64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX)
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
        let opened_ms = now_ms();
        Ok(Journal {
            file: Arc::new(file),
            path,
            run: format!("{}-{opened_ms}", std::process::id()),
            vm: vm.to_string(),
            opened_ms,
        })
    }

    /// This run's id in the journal.
    pub fn run_id(&self) -> &str {
        &self.run
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
        others_recorded(&self.path, &self.run, &self.vm, self.opened_ms, step)
    }

    /// Appends `record` and returns once it is on disk (`fdatasync`), on a
    /// blocking thread so that a slow disk never stalls the async workers
    /// that carry the SSH tunnels. `Err`: the step must not be taken.
    pub async fn commit(&mut self, record: Record) -> Result<(), JournalError> {
        let entry = Entry {
            ts_ms: now_ms(),
            run: self.run.clone(),
            vm: self.vm.clone(),
            record,
        };
        let fail = |message: String| JournalError {
            path: self.path.clone(),
            message,
        };
        let mut line = serde_json::to_string(&entry).map_err(|e| fail(e.to_string()))?;
        line.push('\n');
        let file = self.file.clone();
        // One write(2) per line: with O_APPEND, records of processes writing
        // at the same time (`live` and `force-complete`) never interleave.
        let write = move || {
            (&*file)
                .write_all(line.as_bytes())
                .and_then(|()| file.sync_data())
        };
        let done = match tokio::runtime::Handle::try_current() {
            Ok(_) => tokio::task::spawn_blocking(write)
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string()))),
            Err(_) => write(),
        };
        done.map_err(|e| fail(e.to_string()))
    }
}

/// How much of the journal's end `live` reads for other processes'
/// records: only records since its run began can matter.
const TAIL_BYTES: u64 = 256 * 1024;

fn others_recorded(path: &Path, run: &str, vm: &str, since_ms: u64, step: &str) -> bool {
    let Ok(records) = read::read_tail(path, TAIL_BYTES) else {
        return false;
    };
    records.iter().any(|v| {
        v["step"] == step
            && v["run"] != run
            && v["vm"] == vm
            && v["ts_ms"].as_u64().unwrap_or(0) >= since_ms
    })
}

/// Reads the journal's last run on `vm` (`None`: vmigrate never migrated it here).
pub fn last_run(vm: &str) -> Result<Option<LastRun>, Error> {
    last_run::read(&dir()?.join("journal.jsonl"), vm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(run: &str, step: &str, details: &str) -> String {
        format!(r#"{{"vm":"web1","run":"{run}","step":"{step}","ts_ms":1,"details":{details}}}"#)
    }

    /// A journal file in a fresh directory holding `bytes`.
    fn journal_with(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("journal.jsonl");
        std::fs::write(&p, bytes).unwrap();
        (d, p)
    }

    #[test]
    fn a_damaged_line_in_the_middle_loses_nothing_around_it() {
        let mut bytes = Vec::new();
        let start = line("r1", "start", r#"{"source":"kvm1","destination":"kvm2"}"#);
        bytes.extend_from_slice(start.as_bytes());
        // Not UTF-8 (a torn write, a disk error): byte 0xff inside a record.
        bytes.extend_from_slice(b"\n{\"vm\":\"web1\",\"step\":\"x\xff\"}\n");
        let pre = line(
            "r1",
            "precreate_disk",
            r#"{"host":"kvm2","path":"/i/web1.qcow2"}"#,
        );
        let post = line("r2", "postcopy_started", "{}");
        bytes.extend_from_slice(format!("{pre}\n{post}\n").as_bytes());
        let (_d, path) = journal_with(&bytes);
        let last = last_run::read(&path, "web1").unwrap().unwrap();
        assert_eq!(last.source.as_deref(), Some("kvm1"), "before the damage");
        assert_eq!(
            last.precreated,
            vec![("kvm2".into(), "/i/web1.qcow2".into())]
        );
        assert!(last.postcopy, "after the damage");
        // The tail read (what `live` asks) sees the record after it too.
        assert!(others_recorded(&path, "r1", "web1", 0, "postcopy_started"));
    }

    #[test]
    fn the_tail_read_may_start_inside_a_multibyte_character() {
        const TAIL: usize = TAIL_BYTES as usize;
        let wanted = format!("{}\n", line("r2", "abort", "{}"));
        let head = r#"{"vm":"web1","pad":""#;
        let n = TAIL; // 2 bytes each: the tail starts inside this run of 'é'
        let mut end = format!("\"}}\n{wanted}");
        // The tail starts at len - TAIL: make that an odd offset into the run.
        let len = head.len() + 2 * n + end.len();
        if (len - TAIL - head.len()).is_multiple_of(2) {
            end.insert(2, ' ');
        }
        let text = format!("{head}{}{end}", "é".repeat(n));
        let (_d, path) = journal_with(text.as_bytes());
        assert!(others_recorded(&path, "r1", "web1", 0, "abort"));
        assert!(!others_recorded(&path, "r2", "web1", 0, "abort"), "own run");
    }
}
