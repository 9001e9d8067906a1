//! The journal's writer, and what a run asks of it while it goes on: the
//! records other processes (`abort`, `force-complete`) wrote for its VM.
//!
//! Nothing here blocks an async worker for long: an append (write and
//! fdatasync) and a rotation run on the runtime's blocking threads; asking
//! about other processes' records reads only the lines appended since the
//! last time it asked (a `stat` when there are none), and has async
//! variants for callers that would rather not touch the disk at all.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::perms;
use super::read::Cursor;
use super::record::{Entry, Record};
use super::rotate::{self, Bounds, JOURNAL, LOCK};
use crate::error::Error;

/// The append-only journal: one JSON line per [`Record`], written and
/// synced to disk *before* each step that changes a host, so that after a
/// crash `vmigrate recover` knows what may have happened. A step whose
/// record cannot be written is not taken.
pub struct Journal {
    appender: Arc<Appender>,
    others: Arc<Others>,
    run: String,
    vm: String,
    /// A rotation started by [`Journal::open`] on a blocking thread.
    rotation: Option<tokio::task::JoinHandle<()>>,
}

/// The journal could not be written: the step it was for must not be taken.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the journal {path}: {message}")]
pub struct JournalError {
    pub path: PathBuf,
    pub message: String,
}

pub(crate) fn now_ms() -> u64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// The time in a new journal's run id: `now`, but later than any this
/// process used already, so that two journals opened in one millisecond
/// (`recover` after `live`, tests) still tell their records apart. Only
/// an id: records are compared with the real time.
fn unique_ms(now: u64) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let prev = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(now);
    now.max(prev + 1)
}

impl Journal {
    /// Opens (creating) the journal for a run on `vm`; rotates it first
    /// when it has grown over its limit (see [`rotate`]).
    pub fn open(vm: &str) -> Result<Journal, Error> {
        Journal::open_in(&super::dir()?, vm, Bounds::from_env())
    }

    /// [`Journal::open`] in the state directory `dir`.
    pub(crate) fn open_in(dir: &Path, vm: &str, bounds: Bounds) -> Result<Journal, Error> {
        let path = dir.join(JOURNAL);
        let fail = |e: std::io::Error| {
            Error::Usage(format!(
                "cannot open the journal {}: {e}; it must be a regular file in a directory this user can write (VMIGRATE_STATE_DIR chooses the directory)",
                path.display()
            ))
        };
        let appender = Appender::open(dir).map_err(fail)?;
        let size = appender.size().map_err(fail)?;
        // Before the clock is read: every line past this point was written
        // after the journal was opened.
        let cursor = Cursor::at_end(&path);
        let opened_ms = now_ms();
        let run = format!("{}-{}", std::process::id(), unique_ms(opened_ms));
        let rotation = if size > bounds.limit {
            start_rotation(dir, bounds)
        } else {
            None
        };
        Ok(Journal {
            appender: Arc::new(appender),
            others: Arc::new(Others {
                path,
                run: run.clone(),
                vm: vm.to_string(),
                since_ms: opened_ms,
                seen: Mutex::new((cursor, Vec::new())),
            }),
            run,
            vm: vm.to_string(),
            rotation,
        })
    }

    /// The run's id (`<pid>-<ms>`), as in each of its records.
    pub fn run(&self) -> &str {
        &self.run
    }

    /// Whether another process recorded for this VM, since this journal was
    /// opened, a record that is `wanted`.
    pub(crate) fn others_recorded(&self, wanted: impl Fn(&Record) -> bool) -> bool {
        self.others.recorded(wanted)
    }

    /// Appends `record` and returns once it is on disk (`fdatasync`), on a
    /// blocking thread so that a slow disk never stalls the async workers
    /// that carry the SSH tunnels. `Err`: the step must not be taken.
    pub async fn commit(&mut self, record: Record) -> Result<(), JournalError> {
        self.commit_all([record]).await
    }

    /// [`Journal::commit`] for records that precede one step together: one
    /// write and one `fdatasync` for all of them.
    pub async fn commit_all(
        &mut self,
        records: impl IntoIterator<Item = Record>,
    ) -> Result<(), JournalError> {
        if let Some(rotation) = self.rotation.take() {
            // The lock orders it before this append anyway; waiting for it
            // here means no rotation outlives its journal.
            let _ = rotation.await;
        }
        let fail = |message: String| JournalError {
            path: self.appender.path.clone(),
            message,
        };
        let mut lines = String::new();
        for record in records {
            let entry = Entry {
                ts_ms: now_ms(),
                run: self.run.clone(),
                vm: self.vm.clone(),
                record,
            };
            lines.push_str(&serde_json::to_string(&entry).map_err(|e| fail(e.to_string()))?);
            lines.push('\n');
        }
        let appender = self.appender.clone();
        let write = move || appender.append(lines.as_bytes());
        let done = match tokio::runtime::Handle::try_current() {
            Ok(_) => tokio::task::spawn_blocking(write)
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string()))),
            Err(_) => write(),
        };
        done.map_err(|e| fail(e.to_string()))
    }
}

/// Rotates the journal in `dir`: on a blocking thread when called from the
/// runtime (the handle is awaited by the first commit), else right here.
fn start_rotation(dir: &Path, bounds: Bounds) -> Option<tokio::task::JoinHandle<()>> {
    let dir = dir.to_path_buf();
    let rotate = move || match rotate::rotate_if_over(&dir, bounds, now_ms()) {
        Ok(Some(r)) => tracing::info!(
            "journal rotated: kept {} records, moved {} to {}",
            r.kept,
            r.dropped,
            rotate::PREVIOUS
        ),
        Ok(None) => {}
        // The journal still works, only longer: the run goes on.
        Err(e) => crate::report::printer::warn(&format!(
            "cannot rotate the journal in {}: {e}; it keeps growing",
            dir.display()
        )),
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        Some(tokio::task::spawn_blocking(rotate))
    } else {
        rotate();
        None
    }
}

/// Appends lines to the journal, safe against a rotation by any process.
struct Appender {
    path: PathBuf,
    /// `journal.lock`, held shared during each append.
    lock: File,
    /// The journal as opened; reopened after a rotation replaced it.
    file: Mutex<File>,
}

fn open_journal(path: &Path) -> std::io::Result<File> {
    // Read too: the last byte is checked before each append.
    perms::open_file(path, OpenOptions::new().read(true).append(true))
}

impl Appender {
    fn open(dir: &Path) -> std::io::Result<Appender> {
        let lock = perms::open_file(&dir.join(LOCK), OpenOptions::new().read(true).write(true))?;
        let path = dir.join(JOURNAL);
        let file = open_journal(&path)?;
        Ok(Appender {
            path,
            lock,
            file: Mutex::new(file),
        })
    }

    fn size(&self) -> std::io::Result<u64> {
        let file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(file.metadata()?.len())
    }

    /// Appends `line` (one or more whole lines) and syncs it, holding the
    /// rotation lock shared: no rotation copies the file while the line is
    /// being written, nor renames it away between the check for a replaced
    /// file and the write.
    fn append(&self, line: &[u8]) -> std::io::Result<()> {
        self.lock.lock_shared()?;
        let done = self.append_locked(line);
        // Closing would release it too, but the file stays open for the
        // journal's next record.
        let unlocked = self.lock.unlock();
        done.and(unlocked)
    }

    fn append_locked(&self, line: &[u8]) -> std::io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if !same_file(&file, &self.path)? {
            *file = open_journal(&self.path)?;
        }
        // A line left unfinished (a crash mid-write, a full disk) would
        // swallow this record: end it first. If another process is writing
        // right now, this only adds a blank line, which readers skip.
        let len = file.metadata()?.len();
        let mut last = [b'\n'];
        if len > 0 {
            file.read_exact_at(&mut last, len - 1)?;
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        if last[0] != b'\n' {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(line);
        // One write(2) per line: with O_APPEND, records of processes writing
        // at the same time (`live` and `force-complete`) never interleave.
        (&*file).write_all(&bytes)?;
        file.sync_data()
    }
}

/// Whether `file` is still the file at `path` (a rotation renames a new one
/// over it).
fn same_file(file: &File, path: &Path) -> std::io::Result<bool> {
    let open = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(m) => Ok((m.dev(), m.ino()) == (open.dev(), open.ino())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Other processes' records for a run's VM since its journal was opened.
struct Others {
    path: PathBuf,
    run: String,
    vm: String,
    since_ms: u64,
    /// How far the journal was read, and what was found so far.
    seen: Mutex<(Cursor, Vec<Entry>)>,
}

impl Others {
    /// Reads what was appended since the last call, then asks `wanted`.
    fn recorded(&self, wanted: impl Fn(&Record) -> bool) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let (cursor, found) = &mut *seen;
        match cursor.read_new(&self.path) {
            Ok(entries) => {
                for e in entries {
                    let theirs = e.run != self.run && e.vm == self.vm && e.ts_ms >= self.since_ms;
                    // After a rotation the whole new file is read again.
                    if theirs && !found.contains(&e) {
                        found.push(e);
                    }
                }
            }
            // What was found before still holds; the next call tries again.
            Err(e) => tracing::debug!("cannot read the journal {}: {e}", self.path.display()),
        }
        found.iter().any(|e| wanted(&e.record))
    }
}
