//! Reading the journal back. It is read as bytes and split into lines here:
//! one damaged line (a byte that is not UTF-8, a record cut short by a
//! crash or a full disk) must cost that line only — with a warning naming
//! it — and never the records around it, which `recover` and `live` need.
//! A line whose step this version does not know was written by a newer
//! vmigrate: it is skipped without a warning (it is not damaged).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::Value;

use super::record::{Entry, Envelope, STEPS};

/// What one line of the journal holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    /// A record of a step this version knows.
    Known(Box<Entry>),
    /// A record of a step it does not know (a newer vmigrate's).
    Unknown(Envelope),
    /// Not a record; why.
    Damaged(String),
}

/// Whose record a line is, whatever its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Who<'a> {
    pub ts_ms: u64,
    pub run: &'a str,
    pub vm: &'a str,
    pub step: &'a str,
}

impl Parsed {
    /// The envelope of a record, known or not; `None` for a damaged line.
    pub(crate) fn who(&self) -> Option<Who<'_>> {
        match self {
            Parsed::Known(e) => Some(Who {
                ts_ms: e.ts_ms,
                run: &e.run,
                vm: &e.vm,
                step: e.record.step(),
            }),
            Parsed::Unknown(e) => Some(Who {
                ts_ms: e.ts_ms,
                run: &e.run,
                vm: &e.vm,
                step: &e.step,
            }),
            Parsed::Damaged(_) => None,
        }
    }
}

/// One non-blank line of the journal.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    /// 1-based line number, when the read started at the file's beginning.
    pub number: Option<usize>,
    /// Byte offset of the line in the file.
    pub offset: u64,
    /// The line as it is on disk, without its newline: rotation copies
    /// it byte for byte, so that a newer version's record survives whole.
    pub raw: &'a [u8],
    pub parsed: Parsed,
}

fn parse_line(raw: &[u8]) -> Parsed {
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t,
        Err(e) => {
            return Parsed::Damaged(format!("not UTF-8 at byte {} of the line", e.valid_up_to()))
        }
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return Parsed::Damaged("not a JSON object".into()),
        Err(e) => return Parsed::Damaged(format!("not a JSON record: {e}")),
    };
    let envelope = match Envelope::deserialize(&value) {
        Ok(e) => e,
        Err(e) => return Parsed::Damaged(format!("not a journal record: {e}")),
    };
    if !STEPS.contains(&envelope.step.as_str()) {
        return Parsed::Unknown(envelope);
    }
    match Entry::deserialize(&value) {
        Ok(entry) => Parsed::Known(Box::new(entry)),
        Err(e) => Parsed::Damaged(format!(
            "a {} record that does not read: {e}",
            envelope.step
        )),
    }
}

/// Splits `bytes` — read from byte `base` of the file — into lines, blank
/// ones left out. `numbered`: `bytes` starts at the file's first line, so
/// lines can be counted.
pub(crate) fn lines(bytes: &[u8], base: u64, numbered: bool) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut offset = base;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let at = offset;
        offset += raw.len() as u64 + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.push(Line {
            number: numbered.then_some(i + 1),
            offset: at,
            raw,
            parsed: parse_line(raw),
        });
    }
    out
}

/// A line that could not be read as a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damaged {
    /// 1-based line number, when the read started at the file's beginning.
    pub line: Option<usize>,
    /// Byte offset of the line in the file.
    pub offset: u64,
    pub why: String,
}

/// The records of a stretch of the journal, and the lines skipped.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub entries: Vec<Entry>,
    pub damaged: Vec<Damaged>,
}

/// The records in `bytes` (see [`lines`]); unknown steps are left out.
pub(crate) fn records(bytes: &[u8], base: u64, numbered: bool) -> Records {
    let mut out = Records::default();
    for line in lines(bytes, base, numbered) {
        match line.parsed {
            Parsed::Known(entry) => out.entries.push(*entry),
            Parsed::Unknown(e) => tracing::debug!(
                "journal: skipped a {:?} record at byte {} (a newer vmigrate's step)",
                e.step,
                line.offset
            ),
            Parsed::Damaged(why) => out.damaged.push(Damaged {
                line: line.number,
                offset: line.offset,
                why,
            }),
        }
    }
    out
}

/// Every record of the journal at `path`; `Ok(None)` when there is none yet.
pub(crate) fn read_all(path: &Path) -> std::io::Result<Option<Vec<Entry>>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let records = records(&bytes, 0, true);
    warn(path, &records.damaged);
    Ok(Some(records.entries))
}

/// Where a reader of the lines appended to the journal has got to: each
/// [`Cursor::read_new`] reads only what was appended since the last, so
/// that `live` can ask often whether another process recorded something
/// (an abort, a switch) for the price of a `stat` when nothing was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The file read (device, inode): a rotation replaces it.
    file: Option<(u64, u64)>,
    offset: u64,
    /// `offset` is known to be at the start of a line.
    aligned: bool,
}

impl Cursor {
    /// At the journal's end now: only lines appended later are new.
    pub(crate) fn at_end(path: &Path) -> Cursor {
        match std::fs::metadata(path) {
            // A writer may be inside a line right now: not known aligned.
            Ok(m) => Cursor {
                file: Some((m.dev(), m.ino())),
                offset: m.len(),
                aligned: false,
            },
            Err(_) => Cursor {
                file: None,
                offset: 0,
                aligned: true,
            },
        }
    }

    /// At `offset` in the file at `path`, not known to start a line.
    #[cfg(test)]
    pub(crate) fn at(path: &Path, offset: u64) -> Cursor {
        let m = std::fs::metadata(path).unwrap();
        Cursor {
            file: Some((m.dev(), m.ino())),
            offset,
            aligned: false,
        }
    }

    /// The records of the whole lines appended since the last read (a line
    /// still being written is left for the next). After a rotation the file
    /// is a new one and all of it is read: it holds the records of runs
    /// still going, including those appended since.
    pub(crate) fn read_new(&mut self, path: &Path) -> std::io::Result<Vec<Entry>> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let id = (meta.dev(), meta.ino());
        if self.file != Some(id) || meta.len() < self.offset {
            *self = Cursor {
                file: Some(id),
                offset: 0,
                aligned: true,
            };
        }
        // One byte before the offset, so that a line starting exactly
        // there is recognised as whole (the byte before it is a '\n').
        let realign = !self.aligned && self.offset > 0;
        let from = self.offset - u64::from(realign);
        file.seek(SeekFrom::Start(from))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let skip = match (realign, bytes.iter().position(|b| *b == b'\n')) {
            (false, _) => 0,
            (true, Some(nl)) => nl + 1,
            // Still inside the line the cursor started in.
            (true, None) => return Ok(Vec::new()),
        };
        let end = bytes
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(skip, |nl| nl + 1);
        let at = from + skip as u64;
        let records = records(&bytes[skip..end], at, at == 0);
        warn(path, &records.damaged);
        self.offset = from + end as u64;
        self.aligned = true;
        Ok(records.entries)
    }
}

/// One warning per damaged line and process: `live` reads the journal
/// several times, and the operator needs to hear about a line once. Through
/// the printer, which sanitises it and keeps it quiet under `-q`.
fn warn(path: &Path, damaged: &[Damaged]) {
    static WARNED: Mutex<BTreeSet<(PathBuf, u64)>> = Mutex::new(BTreeSet::new());
    let mut warned = WARNED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for m in warnings(path, damaged, &mut warned) {
        crate::report::printer::warn(&m);
    }
}

/// How many damaged lines of one journal are named one by one: a journal
/// full of garbage must not bury the run's output under thousands of lines.
const LISTED: usize = 5;

/// The warnings for `damaged` lines not yet in `warned` (which they join):
/// up to [`LISTED`] per journal named one by one, then one line counting
/// the rest.
fn warnings(
    path: &Path,
    damaged: &[Damaged],
    warned: &mut BTreeSet<(PathBuf, u64)>,
) -> Vec<String> {
    let mut listed = warned.iter().filter(|(p, _)| p == path).count();
    let (mut out, mut unlisted) = (Vec::new(), 0);
    for d in damaged {
        if !warned.insert((path.to_path_buf(), d.offset)) {
            continue;
        }
        if listed >= LISTED {
            unlisted += 1;
            continue;
        }
        listed += 1;
        let which = match d.line {
            Some(n) => format!("line {n}"),
            None => format!("the line at byte {}", d.offset),
        };
        out.push(format!(
            "journal {}: {which} is damaged ({}); skipped it and used the records around it",
            path.display(),
            d.why
        ));
    }
    if unlisted > 0 {
        out.push(format!(
            "journal {}: {unlisted} more damaged lines skipped (not listed one by one)",
            path.display()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Record;

    #[test]
    fn a_journal_full_of_garbage_is_warned_about_in_a_few_lines() {
        let damaged = |from: u64, n: u64| -> Vec<Damaged> {
            (from..from + n)
                .map(|i| Damaged {
                    line: usize::try_from(i + 1).ok(),
                    offset: i * 10,
                    why: "not a JSON record".into(),
                })
                .collect()
        };
        let (path, mut warned) = (Path::new("/s/journal.jsonl"), BTreeSet::new());
        let first = warnings(path, &damaged(0, 100), &mut warned);
        assert_eq!(first.len(), LISTED + 1, "{first:#?}");
        assert!(first[0].contains("line 1 is damaged"), "{}", first[0]);
        assert!(
            first[LISTED].contains("95 more damaged lines"),
            "{}",
            first[LISTED]
        );
        // Read again (live reads several times): nothing new to say; new
        // damage past the cap is only counted.
        assert!(warnings(path, &damaged(0, 100), &mut warned).is_empty());
        let later = warnings(path, &damaged(100, 2), &mut warned);
        assert_eq!(
            later,
            ["journal /s/journal.jsonl: 2 more damaged lines skipped (not listed one by one)"]
        );
        // Another journal has its own count.
        assert_eq!(
            warnings(Path::new("/t/j"), &damaged(0, 1), &mut warned).len(),
            1
        );
    }

    fn line(run: &str, step: &str, details: &str) -> String {
        format!(r#"{{"ts_ms":1,"run":"{run}","vm":"web1","step":"{step}","details":{details}}}"#)
    }

    #[test]
    fn damaged_lines_are_named_and_the_rest_kept() {
        let a = line("r1", "policy_pause", "{}");
        let c = line("r1", "abort", r#"{"host":"kvm1"}"#);
        let mut bytes = format!("{a}\n").into_bytes();
        bytes.extend_from_slice(b"{\"b\":\"\xff\"}\n\n");
        bytes.extend_from_slice(format!("{c}\n{{\"d\":").as_bytes());
        let r = records(&bytes, 0, true);
        assert_eq!(r.entries.len(), 2);
        assert_eq!(
            r.entries[1].record,
            Record::Abort {
                host: "kvm1".into()
            }
        );
        let at = |n: usize| (a.len() + 1 + n) as u64;
        let lines: Vec<_> = r.damaged.iter().map(|d| (d.line, d.offset)).collect();
        // Line 5 is a record cut short (no newline): a crash mid-write.
        assert_eq!(
            lines,
            vec![(Some(2), at(0)), (Some(5), at(11 + c.len() + 1))]
        );
        assert!(r.damaged[0].why.contains("not UTF-8"), "{:?}", r.damaged);
    }

    #[test]
    fn a_known_step_whose_details_do_not_read_is_damaged() {
        let bad = line("r1", "abort", r#"{"hots":"kvm1"}"#);
        let r = records(bad.as_bytes(), 0, true);
        assert!(r.entries.is_empty());
        assert!(r.damaged[0].why.contains("abort record"), "{:?}", r.damaged);
        let no_step = r#"{"ts_ms":1,"run":"r","vm":"v"}"#;
        let r = records(no_step.as_bytes(), 0, true);
        assert!(r.damaged[0].why.contains("not a journal record"), "{r:?}");
    }

    #[test]
    fn an_unknown_step_is_skipped_quietly() {
        let new = line("r1", "teleport", r#"{"to":"mars","warp":9}"#);
        let old = line("r1", "policy_abort", "{}");
        let bytes = format!("{new}\n{old}\n");
        let r = records(bytes.as_bytes(), 0, true);
        assert_eq!(r.entries.len(), 1);
        assert!(r.damaged.is_empty(), "not damaged: {:?}", r.damaged);
        let all = lines(bytes.as_bytes(), 0, true);
        let who = all[0].parsed.who().unwrap();
        assert_eq!((who.run, who.vm, who.step), ("r1", "web1", "teleport"));
        assert_eq!(all[0].raw, new.as_bytes(), "kept byte for byte");
    }

    #[test]
    fn a_cursor_reads_whole_new_lines_only() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        let (a, b) = (
            line("r1", "policy_pause", "{}"),
            line("r2", "policy_abort", "{}"),
        );
        std::fs::write(&p, format!("{a}\n")).unwrap();
        let mut cursor = Cursor::at_end(&p);
        assert!(cursor.read_new(&p).unwrap().is_empty());
        // A line being written is left for the next read.
        let half = b.len() / 2;
        let mut writer = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        std::io::Write::write_all(&mut writer, &b.as_bytes()[..half]).unwrap();
        assert!(cursor.read_new(&p).unwrap().is_empty());
        std::io::Write::write_all(&mut writer, format!("{}\n", &b[half..]).as_bytes()).unwrap();
        let new = cursor.read_new(&p).unwrap();
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].run, "r2");
        assert!(cursor.read_new(&p).unwrap().is_empty(), "read once");
        // A new file (rotation) is read whole.
        let tmp = d.path().join("j.new");
        std::fs::write(&tmp, format!("{a}\n{b}\n")).unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        assert_eq!(cursor.read_new(&p).unwrap().len(), 2);
    }

    #[test]
    fn a_cursor_started_inside_a_line_skips_to_the_next() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        let (a, b) = (
            line("r1", "policy_pause", "{}"),
            line("r2", "policy_abort", "{}"),
        );
        std::fs::write(&p, format!("{a}\n{b}\n")).unwrap();
        let start = (a.len() + 1) as u64;
        // Right at the start of line 2 keeps line 2; one byte later drops it.
        assert_eq!(Cursor::at(&p, start).read_new(&p).unwrap().len(), 1);
        assert_eq!(Cursor::at(&p, start + 1).read_new(&p).unwrap().len(), 0);
        assert_eq!(Cursor::at(&p, 0).read_new(&p).unwrap().len(), 2);
    }
}
