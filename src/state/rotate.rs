//! Keeping the journal bounded. When `journal.jsonl` is over the limit as a
//! journal is opened, it is rewritten with only the records a reader may
//! still need ([`retain`](super::retain)); the rest goes to
//! `journal.jsonl.1` (one generation, for a human) — both written to a
//! temporary file, synced, then renamed over, and the directory synced.
//!
//! Other processes may have the journal open, appending. They must lose
//! nothing, so everything happens under `journal.lock` (flock, 0600):
//! rotation holds it exclusively, and every append holds it shared for its
//! write and fsync and first checks that its file is still the one the
//! path names, reopening it if a rotation replaced it (see
//! `journal::Appender`). So a rotation never copies a file with a line half
//! written, no line is appended to a file after it was copied, and two
//! processes never rotate at once. Readers need no lock: a rename is
//! atomic, and the old file they may be reading is complete.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::read::lines;
use super::{perms, retain};

/// The journal, in the state directory.
pub(crate) const JOURNAL: &str = "journal.jsonl";
/// The records the last rotation dropped.
pub(crate) const PREVIOUS: &str = "journal.jsonl.1";
/// Taken exclusively to rotate, shared to append.
pub(crate) const LOCK: &str = "journal.lock";

/// When the journal is rotated, and what it always keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// Rotate once the journal is larger (bytes).
    pub limit: u64,
    /// Records younger than this (ms) are always kept.
    pub recent_ms: u64,
}

impl Bounds {
    /// A few thousand runs: reading it all (`recover`) stays quick.
    pub(crate) const DEFAULT: Bounds = Bounds {
        limit: 4 << 20,
        recent_ms: 60 * 60 * 1000,
    };

    /// The bounds of this process. `VMIGRATE_TEST_JOURNAL_LIMIT` (bytes)
    /// exists only so that tests can rotate without writing megabytes.
    pub(crate) fn from_env() -> Bounds {
        let limit = std::env::var("VMIGRATE_TEST_JOURNAL_LIMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Bounds::DEFAULT.limit);
        Bounds {
            limit,
            ..Bounds::DEFAULT
        }
    }
}

/// What a rotation did: lines kept, and moved to `journal.jsonl.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rotated {
    pub kept: usize,
    pub dropped: usize,
}

/// Rotates the journal in `dir` if it is over `bounds.limit`, waiting for
/// the lock. `None`: not over the limit (any more: another process may have
/// rotated it while this one waited).
pub(crate) fn rotate_if_over(
    dir: &Path,
    bounds: Bounds,
    now_ms: u64,
) -> std::io::Result<Option<Rotated>> {
    let lock = perms::open_file(&dir.join(LOCK), OpenOptions::new().read(true).write(true))?;
    // Released when `lock` is closed, also on every early return.
    lock.lock()?;
    let bytes = match std::fs::read(dir.join(JOURNAL)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if bytes.len() as u64 <= bounds.limit {
        return Ok(None);
    }
    let all = lines(&bytes, 0, true);
    let keep = retain::retain(&all, now_ms, bounds.recent_ms);
    let (mut kept, mut dropped): (Vec<&[u8]>, Vec<&[u8]>) = (Vec::new(), Vec::new());
    for (line, k) in all.iter().zip(keep) {
        if k {
            kept.push(line.raw);
        } else {
            dropped.push(line.raw);
        }
    }
    let done = Rotated {
        kept: kept.len(),
        dropped: dropped.len(),
    };
    if dropped.is_empty() {
        // Everything is still needed: rewriting would change nothing.
        return Ok(Some(done));
    }
    // The dropped lines first: a crash between the two renames leaves
    // them in both files, never in neither.
    replace(dir, PREVIOUS, &dropped)?;
    replace(dir, JOURNAL, &kept)?;
    File::open(dir)?.sync_all()?;
    Ok(Some(done))
}

/// Replaces `dir/name` with `lines`, durably: a reader sees the old file or
/// the new one, whole.
fn replace(dir: &Path, name: &str, lines: &[&[u8]]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    // A left-over from a rotation killed midway is overwritten.
    let mut file = perms::open_file(&tmp, OpenOptions::new().write(true).truncate(true))?;
    let mut bytes = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    file.write_all(&bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))
}
