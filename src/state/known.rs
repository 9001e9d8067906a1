//! The VMs the journal names, for shell completion (`vmigrate live <TAB>`):
//! the only VM names known on this machine without asking a host.
//!
//! Unlike every other reader of the state directory this one must cost a
//! TAB nothing: it creates nothing (a completion is no reason to make
//! `~/.local/state/vmigrate`), warns about nothing (damaged lines are the
//! business of the commands that need them) and reads at most the
//! journal's last [`TAIL_BYTES`].

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::record::{Entry, Envelope, Record};
use super::rotate::JOURNAL;

/// Twice the size at which the journal is rotated: all of a healthy one.
/// A journal that could not be rotated keeps growing; its end holds the
/// recent VMs, and reading further would slow every TAB.
const TAIL_BYTES: u64 = 8 << 20;

/// Every VM the journal names, once each and sorted; none when there is no
/// journal or it cannot be read.
pub(crate) fn journalled_vms() -> Vec<String> {
    let Ok((dir, _)) = super::location() else {
        return Vec::new();
    };
    match tail(&dir.join(JOURNAL)) {
        Ok(bytes) => vms_in(&bytes),
        Err(_) => Vec::new(),
    }
}

/// The last [`TAIL_BYTES`] of the file at `path`. A first line cut in the
/// middle does not read and is skipped like any other. Anything but a
/// regular file is refused at once: opening a FIFO put there would wait
/// for a writer, and the TAB with it.
fn tail(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let len = meta.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
    let mut bytes = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The VM names in journal `bytes`. Each line is read only as far as its
/// envelope (`vm`, `step`) — under half the work of reading it whole,
/// which a TAB on a full journal notices — except a drain's: its records
/// are kept under the drain's key (`/drain/HOST`, never a VM, as libvirt
/// refuses `/` in names) and name their VMs in the plan. Lines that do not
/// read are skipped, as everywhere.
fn vms_in(bytes: &[u8]) -> Vec<String> {
    let mut vms = BTreeSet::new();
    for line in bytes.split(|b| *b == b'\n') {
        let Ok(envelope) = serde_json::from_slice::<Envelope>(line) else {
            continue;
        };
        if envelope.vm.starts_with('/') {
            if let Ok(entry) = serde_json::from_slice::<Entry>(line) {
                if let Record::Drain { plan: moves, .. } | Record::Drained { moved: moves, .. } =
                    entry.record
                {
                    vms.extend(moves.into_iter().map(|m| m.vm));
                }
            }
        } else {
            vms.insert(envelope.vm);
        }
    }
    vms.into_iter().filter(|vm| !vm.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vms_come_from_runs_and_drains_but_not_drain_keys() {
        let journal = concat!(
            r#"{"ts_ms":1,"run":"r1","vm":"web2","step":"finish","details":{"outcome":"rolled_back","running_on":"kvm1"}}"#,
            "\n",
            "not json\n",
            r#"{"ts_ms":2,"run":"r2","vm":"/drain/kvm1","step":"drain","details":{"host":"kvm1","plan":[{"vm":"db1","destination":"kvm2"}]}}"#,
            "\n",
            r#"{"ts_ms":3,"run":"r3","vm":"app1","step":"a_step_from_the_future","details":{}}"#,
            "\n",
            r#"{"ts_ms":4,"run":"r1","vm":"web2","step":"finish","details":{"outcome":"rolled_back","running_on":"kvm1"}}"#,
            "\n",
        );
        assert_eq!(vms_in(journal.as_bytes()), ["app1", "db1", "web2"]);
    }

    #[test]
    fn no_journal_no_vms() {
        let dir = tempfile::tempdir().unwrap();
        assert!(tail(&dir.path().join(JOURNAL)).is_err());
        assert!(vms_in(b"").is_empty());
    }

    #[test]
    fn a_fifo_for_a_journal_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join(JOURNAL);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        assert!(tail(&fifo).is_err());
    }
}
