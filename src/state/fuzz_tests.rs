//! The journal reader fuzzed (G2 §5): whatever bytes the journal holds —
//! garbage, records cut short, flipped bytes, unknown steps, numbers out
//! of range — reading it never panics, and a damaged line costs that line
//! only: every record around it is read back exactly as it was written.
//! Bounded (a few hundred cases each) so that it runs in a second or two.

use crate::fuzz_config::config;
use proptest::prelude::*;

use super::read::{lines, records, Cursor};
use super::record::Entry;
use super::{last_run, last_run_in, Record};
use crate::claims::Claim;
use crate::migrate::Outcome;

/// Short strings, any characters (controls, quotes, newlines, unicode).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..12).prop_map(|c| c.into_iter().collect()),
        "[a-z0-9/._-]{0,12}",
    ]
}

const OUTCOMES: [Outcome; 5] = [
    Outcome::Migrated,
    Outcome::RolledBack,
    Outcome::Aborted,
    Outcome::Unknown,
    Outcome::NotMigratable,
];

/// A record of the step `which` (modulo the number of steps), its fields
/// taken from `s`, `n` and `flag`.
fn record(which: u8, s: &[String; 3], n: u64, flag: bool) -> Record {
    let [one, two, three] = s.clone();
    let some = |v: String| flag.then_some(v);
    match which % 18 {
        0 => Record::Claim {
            host: one,
            path: two,
            claim: Claim {
                run: three.clone(),
                vm: three.clone(),
                vm_uuid: three.clone(),
                ram_mb: n,
                vcpus: u32::try_from(n >> 32).unwrap_or(u32::MAX),
                disk_mb: n / 3,
                since_ms: n,
                client: three,
            },
        },
        1 => Record::Start {
            source: one,
            destination: two,
            block_migration: flag,
            policy: None,
            data_bytes: None,
        },
        2 => Record::PrecreateDisk {
            host: one,
            path: two,
            format: some(three),
            bytes: flag.then_some(n),
        },
        3 => Record::RemoveDisk {
            host: one,
            path: two,
            stale_copy: flag,
        },
        4 => Record::MigrateStart {
            source: some(one.clone()),
            destination: some(two.clone()),
            peer_uri: some(three.clone()),
            migration_uri: Some(three),
            flags: u32::try_from(n).ok(),
            copy_disks: vec![one, two],
        },
        5 => Record::AbortRequested { before_start: flag },
        6 => Record::PostcopyStarted {
            by: one,
            host: some(two),
        },
        7 => Record::PostcopyNotStarted { error: some(one) },
        8 => Record::PolicyPause {},
        9 => Record::PolicyAbort {},
        10 => Record::ForcePause { host: one },
        11 => Record::Abort { host: one },
        12 => Record::MigrateDone {
            ok: flag,
            error: some(one),
        },
        13 => Record::ResumeSource { host: one },
        14 => Record::ResumeDestination { host: one },
        15 => Record::RemoveDestLeftover {
            host: one,
            state: two,
        },
        16 => Record::Finish {
            outcome: OUTCOMES[usize::try_from(n % 5).unwrap()],
            running_on: some(one),
        },
        _ => Record::Recover { action: one },
    }
}

/// A journal entry for one of a few VMs and runs (so that `last_run`
/// finds runs with several records), any step, any field values.
fn entry() -> impl Strategy<Value = Entry> {
    (
        any::<u64>(),
        0..3u8,
        0..3u8,
        any::<u8>(),
        [text(), text(), text()],
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(ts_ms, vm, run, which, s, n, b)| Entry {
            ts_ms,
            run: format!("r{run}"),
            vm: format!("vm{vm}"),
            record: record(which, &s, n, b),
        })
}

/// How one line is damaged.
#[derive(Debug, Clone)]
enum Damage {
    /// Cut short after `at` bytes (a crash mid-write), as a fraction of its length.
    Truncate(prop::sample::Index),
    /// One byte replaced (a torn write, a disk error).
    Flip(prop::sample::Index, u8),
    /// Replaced by garbage.
    Replace(Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Damage::Truncate),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
        proptest::collection::vec(any::<u8>(), 1..64).prop_map(Damage::Replace),
    ]
}

fn apply(line: &[u8], damage: &Damage) -> Vec<u8> {
    match damage {
        // At least one byte kept: an empty line is blank, not damaged.
        Damage::Truncate(i) => line[..=i.index(line.len() - 1)].to_vec(),
        Damage::Flip(i, b) => {
            let mut out = line.to_vec();
            out[i.index(line.len())] = *b;
            out
        }
        Damage::Replace(garbage) => garbage.clone(),
    }
}

/// Lines that are not records of this version: never counted, never a panic.
fn odd_line() -> impl Strategy<Value = String> {
    let big = prop_oneof![
        Just("18446744073709551616".to_string()),
        Just("-1".to_string()),
        Just("1e400".to_string()),
        Just("99999999999999999999999999999999".to_string()),
        Just("1.5".to_string()),
        Just("null".to_string()),
        Just("\"7\"".to_string()),
    ];
    prop_oneof![
        // An unknown step (a newer vmigrate's): skipped quietly.
        ("[a-z_]{1,12}", text()).prop_map(|(step, s)| format!(
            r#"{{"ts_ms":1,"run":"r0","vm":"vm0","step":"zz_{step}","details":{{"x":{}}}}}"#,
            serde_json::to_string(&s).unwrap()
        )),
        // ts_ms out of range or of the wrong type.
        big.prop_map(|ts| format!(
            r#"{{"ts_ms":{ts},"run":"r0","vm":"vm0","step":"abort","details":{{"host":"h"}}}}"#
        )),
        // A known step whose details have the wrong shape.
        (0..18usize, text()).prop_map(|(i, s)| format!(
            r#"{{"ts_ms":1,"run":"r0","vm":"vm0","step":"{}","details":{}}}"#,
            super::record::STEPS[i],
            serde_json::to_string(&s).unwrap()
        )),
        // JSON that is not an object, and deep nesting.
        Just("[1,2,3]".to_string()),
        (1..200usize).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d))),
        (1..200usize).prop_map(|d| format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d))),
    ]
}

fn to_line(e: &Entry) -> Vec<u8> {
    serde_json::to_vec(e).unwrap()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// `serde_json`'s recursion limit makes a line nested a hundred thousand
/// deep a damaged line, not a stack overflow; the records around it stay.
#[test]
fn a_line_nested_a_hundred_thousand_deep_is_damaged() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let good = r#"{"ts_ms":1,"run":"r0","vm":"vm0","step":"abort","details":{"host":"h"}}"#;
    let bytes = format!("{good}\n{deep}\n{good}\n");
    let r = records(bytes.as_bytes(), 0, true);
    assert_eq!(r.entries.len(), 2);
    assert_eq!(r.damaged.len(), 1);
    assert!(r.damaged[0].why.contains("recursion"), "{:?}", r.damaged);
}

proptest! {
    #![proptest_config(config(256))]

    /// Any bytes at all: no panic, and every line is either a record, an
    /// unknown step or named as damaged.
    #[test]
    fn any_bytes_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let r = records(&bytes, 0, true);
        let non_blank = lines(&bytes, 0, true).len();
        prop_assert!(r.entries.len() + r.damaged.len() <= non_blank);
        for vm in ["vm0", "", "\u{0}"] {
            let _ = last_run_in(&bytes, vm);
        }
    }

    /// Every record survives its round trip through a journal line.
    #[test]
    fn valid_lines_read_back_exactly(entries in proptest::collection::vec(entry(), 0..12)) {
        let bytes = join(&entries.iter().map(to_line).collect::<Vec<_>>());
        let r = records(&bytes, 0, true);
        prop_assert!(r.damaged.is_empty(), "{:?}", r.damaged);
        prop_assert_eq!(&r.entries, &entries);
        for vm in ["vm0", "vm1", "vm2"] {
            prop_assert_eq!(last_run_in(&bytes, vm), last_run::parse(&entries, vm));
        }
    }

    /// One line damaged among valid ones: at most that line is lost, every
    /// other record reads back exactly, and so `last_run` sees them all.
    #[test]
    fn one_damaged_line_costs_that_line_only(
        entries in proptest::collection::vec(entry(), 1..10),
        which in any::<prop::sample::Index>(),
        how in damage(),
    ) {
        let k = which.index(entries.len());
        let mut written: Vec<Vec<u8>> = entries.iter().map(to_line).collect();
        written[k] = apply(&written[k], &how);
        let bytes = join(&written);
        let got = records(&bytes, 0, true).entries;
        let mut others = entries.clone();
        others.remove(k);
        if got.len() == entries.len() {
            // The damage left a record that still reads (a flipped byte
            // inside a string, say): it is whatever the line now says.
            let mut got_others = got.clone();
            got_others.remove(k);
            prop_assert_eq!(got_others, others);
        } else {
            prop_assert_eq!(&got, &others);
            for vm in ["vm0", "vm1", "vm2"] {
                prop_assert_eq!(last_run_in(&bytes, vm), last_run::parse(&others, vm));
            }
        }
    }

    /// Valid records mixed with lines that are not records of this version
    /// (unknown steps, ts_ms out of range, wrong shapes, deep nesting):
    /// exactly the valid ones are read, in order.
    #[test]
    fn odd_lines_between_records_are_skipped(
        entries in proptest::collection::vec(entry(), 0..8),
        odd in proptest::collection::vec((odd_line(), any::<prop::sample::Index>()), 0..8),
    ) {
        let mut written: Vec<Vec<u8>> = entries.iter().map(to_line).collect();
        for (line, at) in odd {
            let at = at.index(written.len() + 1);
            written.insert(at, line.into_bytes());
        }
        let bytes = join(&written);
        prop_assert_eq!(records(&bytes, 0, true).entries, entries);
    }

    /// The journal cut at any byte (a crash mid-write, a full disk): the
    /// whole lines before the cut are all read.
    #[test]
    fn a_journal_cut_anywhere_keeps_its_whole_lines(
        entries in proptest::collection::vec(entry(), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = join(&entries.iter().map(to_line).collect::<Vec<_>>());
        let cut = cut.index(bytes.len() + 1);
        let whole = bytes[..cut].split(|b| *b == b'\n').count() - 1;
        let got = records(&bytes[..cut], 0, true).entries;
        // A line cut short is never a whole JSON object: it is lost, alone
        // (unless the cut fell just before its newline: then it is whole).
        let kept = whole + usize::from(bytes.get(cut) == Some(&b'\n'));
        prop_assert_eq!(&got[..], &entries[..kept]);
    }
}

proptest! {
    // Each case writes a file: fewer of them.
    #![proptest_config(config(64))]

    /// A cursor started anywhere in a damaged journal reads without panic
    /// and never returns a line it did not read whole.
    #[test]
    fn a_cursor_anywhere_in_any_journal_reads_without_panic(
        entries in proptest::collection::vec(entry(), 0..6),
        garbage in proptest::collection::vec(any::<u8>(), 0..64),
        at in any::<prop::sample::Index>(),
    ) {
        let mut bytes = join(&entries.iter().map(to_line).collect::<Vec<_>>());
        bytes.extend_from_slice(&garbage);
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("journal");
        std::fs::write(&p, &bytes).unwrap();
        let offset = at.index(bytes.len() + 1) as u64;
        let got = Cursor::at(&p, offset).read_new(&p).unwrap();
        prop_assert!(got.len() <= entries.len() + garbage.len());
    }
}
