//! Reading the journal back. It is read as bytes and split into lines here:
//! one damaged line (a byte that is not UTF-8, a record cut short by a
//! crash or a full disk) must cost that line only — with a warning naming
//! it — and never the records around it, which `recover` and `live` need.

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

/// A line that could not be read as a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// 1-based line number, when the read started at the file's beginning.
    pub line: Option<usize>,
    /// Byte offset of the line in the file.
    pub offset: u64,
    pub why: String,
}

/// The records of a stretch of the journal, and the lines skipped.
#[derive(Debug, Default)]
pub struct Records {
    pub values: Vec<Value>,
    pub damaged: Vec<Damaged>,
}

/// Splits `bytes` — read from byte `base` of the file — into JSON records.
/// `numbered`: `bytes` starts at the file's first line, so lines can be
/// counted.
pub fn parse(bytes: &[u8], base: u64, numbered: bool) -> Records {
    let mut out = Records::default();
    let mut offset = base;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let at = offset;
        offset += raw.len() as u64 + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let why = match std::str::from_utf8(raw) {
            Err(e) => format!("not UTF-8 at byte {} of the line", e.valid_up_to()),
            Ok(text) => match serde_json::from_str::<Value>(text) {
                Ok(v) if v.is_object() => {
                    out.values.push(v);
                    continue;
                }
                Ok(_) => "not a JSON object".to_string(),
                Err(e) => format!("not a JSON record: {e}"),
            },
        };
        out.damaged.push(Damaged {
            line: numbered.then_some(i + 1),
            offset: at,
            why,
        });
    }
    out
}

/// Every record of the journal at `path`; `Ok(None)` when there is none yet.
pub fn read_all(path: &Path) -> std::io::Result<Option<Vec<Value>>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let records = parse(&bytes, 0, true);
    warn(path, &records.damaged);
    Ok(Some(records.values))
}

/// The records in the last `tail` bytes of the journal (whole lines only:
/// the cut may fall inside a line, even inside a UTF-8 character).
pub fn read_tail(path: &Path, tail: u64) -> std::io::Result<Vec<Value>> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    // One byte before the cut, so that a line starting exactly there is
    // recognised as whole (the byte before it is the previous '\n').
    let from = len.saturating_sub(tail.saturating_add(1));
    file.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let skip = match (from, bytes.iter().position(|b| *b == b'\n')) {
        (0, _) => 0,
        (_, Some(nl)) => nl + 1,
        (_, None) => bytes.len(),
    };
    let records = parse(&bytes[skip..], from + skip as u64, from == 0);
    warn(path, &records.damaged);
    Ok(records.values)
}

/// One warning per damaged line and process: `live` reads the journal's
/// tail several times, and the operator needs to hear about a line once.
fn warn(path: &Path, damaged: &[Damaged]) {
    static WARNED: Mutex<BTreeSet<(PathBuf, u64)>> = Mutex::new(BTreeSet::new());
    let mut warned = WARNED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for d in damaged {
        if !warned.insert((path.to_path_buf(), d.offset)) {
            continue;
        }
        let which = match d.line {
            Some(n) => format!("line {n}"),
            None => format!("the line at byte {}", d.offset),
        };
        eprintln!(
            "vmigrate: warning: journal {}: {which} is damaged ({}); skipped it and used the records around it",
            path.display(),
            crate::report::sanitize::sanitize(&d.why)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_lines_are_named_and_the_rest_kept() {
        let bytes = b"{\"a\":1}\n{\"b\":\"\xff\"}\n\n{\"c\":3}\n{\"d\":";
        let r = parse(bytes, 0, true);
        assert_eq!(r.values.len(), 2);
        assert_eq!(r.values[1]["c"], 3);
        let lines: Vec<_> = r.damaged.iter().map(|d| (d.line, d.offset)).collect();
        // Line 5 is a record cut short (no newline): a crash mid-write.
        assert_eq!(lines, vec![(Some(2), 8), (Some(5), 27)]);
        assert!(r.damaged[0].why.contains("not UTF-8"), "{:?}", r.damaged);
    }

    #[test]
    fn a_tail_keeps_whole_lines_only() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        std::fs::write(&p, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n").unwrap();
        // The cut right at the start of line 2 keeps line 2; one byte
        // later it drops it.
        assert_eq!(read_tail(&p, 16).unwrap().len(), 2);
        assert_eq!(read_tail(&p, 15).unwrap().len(), 1);
        assert_eq!(read_tail(&p, 1000).unwrap().len(), 3);
    }
}
