//! The journal as its users meet it: damage, records of newer versions,
//! rotation (also while other journals append), and private modes under
//! any umask.

use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::read::Cursor;
use super::rotate::{Bounds, JOURNAL, LOCK, PREVIOUS};
use super::*;

fn line(ts: u64, vm: &str, run: &str, step: &str, details: &str) -> String {
    format!(r#"{{"ts_ms":{ts},"run":"{run}","vm":"{vm}","step":"{step}","details":{details}}}"#)
}

const START: &str = r#"{"source":"kvm1","destination":"kvm2"}"#;

fn disk(path: &str) -> String {
    format!(r#"{{"host":"kvm2","path":"{path}"}}"#)
}

/// A state directory whose journal holds `lines`.
fn state_with(lines: &[String]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    prepare(d.path(), false).unwrap();
    let text: String = lines.iter().map(|l| l.clone() + "\n").collect();
    std::fs::write(d.path().join(JOURNAL), text).unwrap();
    d
}

fn last(dir: &Path, vm: &str) -> Option<LastRun> {
    last_run::read(&dir.join(JOURNAL), vm).unwrap()
}

/// Runs a future that completes at its first poll: a commit outside any
/// runtime, which writes on the calling thread.
fn at_once<F: Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("no runtime: the commit must not wait"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

const NO_ROTATION: Bounds = Bounds::DEFAULT;

#[test]
fn a_damaged_line_in_the_middle_loses_nothing_around_it() {
    let d = state_with(&[line(1, "web1", "r1", "start", START)]);
    let path = d.path().join(JOURNAL);
    let live = Journal::open_in(d.path(), "web1", NO_ROTATION).unwrap();
    // Then another process writes: a record, a damaged line (a byte that
    // is not UTF-8: a torn write, a disk error), then its switch.
    let mut bytes = format!(
        "{}\n",
        line(
            u64::MAX,
            "web1",
            "r1",
            "precreate_disk",
            &disk("/i/web1.qcow2")
        )
    )
    .into_bytes();
    bytes.extend_from_slice(b"{\"vm\":\"web1\",\"step\":\"x\xff\"}\n");
    bytes.extend_from_slice(
        format!(
            "{}\n",
            line(
                u64::MAX,
                "web1",
                "r2",
                "postcopy_started",
                r#"{"by":"force-complete"}"#
            )
        )
        .as_bytes(),
    );
    append(&path, &bytes);
    let last = last(d.path(), "web1").unwrap();
    assert_eq!(last.source.as_deref(), Some("kvm1"), "before the damage");
    assert_eq!(
        last.precreated,
        vec![("kvm2".into(), "/i/web1.qcow2".into())]
    );
    assert!(last.postcopy, "after the damage");
    // What `live` asks sees the record after it too.
    assert!(live.others_recorded(|r| r.step() == "postcopy_started"));
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn a_journal_that_ends_mid_line_loses_only_that_line() {
    let cut = line(3, "web1", "r1", "precreate_disk", &disk("/i/b.qcow2"));
    let d = state_with(&[
        line(1, "web1", "r1", "start", START),
        line(2, "web1", "r1", "precreate_disk", &disk("/i/a.qcow2")),
    ]);
    let path = d.path().join(JOURNAL);
    // The crash came in the middle of the third record.
    append(&path, &cut.as_bytes()[..cut.len() / 2]);
    let before = last(d.path(), "web1").unwrap();
    assert_eq!(
        before.precreated,
        vec![("kvm2".into(), "/i/a.qcow2".into())]
    );
    // The next record is not swallowed by the unfinished line.
    let mut j = Journal::open_in(d.path(), "web1", NO_ROTATION).unwrap();
    let remove = Record::RemoveDisk {
        host: "kvm2".into(),
        path: "/i/a.qcow2".into(),
        stale_copy: false,
    };
    at_once(j.commit(remove)).unwrap();
    let after = last(d.path(), "web1").unwrap();
    assert!(after.precreated.is_empty(), "{after:?}");
    let text = std::fs::read(&path).unwrap();
    let damaged = read::records(&text, 0, true).damaged;
    assert_eq!(damaged.len(), 1, "only the cut line: {damaged:?}");
    assert_eq!(damaged[0].line, Some(3));
}

#[test]
fn an_unknown_step_is_ignored() {
    let d = state_with(&[
        line(1, "web1", "r1", "start", START),
        line(
            2,
            "web1",
            "r1",
            "teleport",
            r#"{"to":"mars","speed":[1,2]}"#,
        ),
        line(3, "web1", "r1", "precreate_disk", &disk("/i/a.qcow2")),
        line(4, "web1", "r1", "finish", r#"{"outcome":"migrated"}"#),
    ]);
    let last = last(d.path(), "web1").unwrap();
    assert_eq!(last.precreated.len(), 1);
    assert_eq!(last.finished.as_deref(), Some("migrated"));
    let live = Journal::open_in(d.path(), "web1", NO_ROTATION).unwrap();
    append(
        &d.path().join(JOURNAL),
        format!("{}\n", line(u64::MAX, "web1", "r9", "teleport", "{}")).as_bytes(),
    );
    assert!(!live.others_recorded(|r| r.step() == "abort"));
    assert!(
        !live.others_recorded(|_| true),
        "not a record this version reads"
    );
}

#[test]
fn a_read_may_start_inside_a_multibyte_character() {
    let wanted = line(5, "web1", "r2", "abort", r#"{"host":"kvm1"}"#);
    let d = state_with(&[
        line(1, "web1", "r1", "recover", r#"{"action":"ééééééééé"}"#),
        wanted.clone(),
    ]);
    let path = d.path().join(JOURNAL);
    let text = std::fs::read_to_string(&path).unwrap();
    let e = text.find('é').unwrap() as u64;
    for start in [e + 1, e + 2, e + 3] {
        let got = Cursor::at(&path, start).read_new(&path).unwrap();
        assert_eq!(got.len(), 1, "from byte {start}");
        assert_eq!(got[0].run, "r2");
    }
}

#[test]
fn records_committed_together_are_whole_lines_in_order() {
    let d = state_with(&[line(1, "web1", "r1", "start", START)]);
    let path = d.path().join(JOURNAL);
    // Even after a line a crash cut short.
    append(&path, br#"{"ts_ms":2,"run":"r1","vm":"web1","step":"ab"#);
    let mut j = Journal::open_in(d.path(), "web1", NO_ROTATION).unwrap();
    let abort = |host: &str| Record::Abort { host: host.into() };
    at_once(j.commit_all([abort("kvm1"), abort("kvm2")])).unwrap();
    let text = std::fs::read(&path).unwrap();
    let read = read::records(&text, 0, true);
    assert_eq!(
        read.damaged.len(),
        1,
        "only the cut line: {:?}",
        read.damaged
    );
    let mine: Vec<&Record> = read
        .entries
        .iter()
        .filter(|e| e.run == j.run())
        .map(|e| &e.record)
        .collect();
    assert_eq!(mine, [&abort("kvm1"), &abort("kvm2")]);
}

#[test]
fn others_records_count_from_the_open_and_for_this_vm_only() {
    let d = state_with(&[line(1, "web1", "old", "abort", r#"{"host":"kvm1"}"#)]);
    let mut live = Journal::open_in(d.path(), "web1", NO_ROTATION).unwrap();
    assert!(
        !live.others_recorded(|r| r.step() == "abort"),
        "before this run"
    );
    let abort = || Record::Abort {
        host: "kvm1".into(),
    };
    at_once(live.commit(abort())).unwrap();
    let mut other_vm = Journal::open_in(d.path(), "web2", NO_ROTATION).unwrap();
    at_once(other_vm.commit(abort())).unwrap();
    assert!(
        !live.others_recorded(|r| r.step() == "abort"),
        "its own, and another VM's"
    );
    let mut abort_cmd = Journal::open_in(d.path(), "web1", NO_ROTATION).unwrap();
    at_once(abort_cmd.commit(abort())).unwrap();
    assert!(live.others_recorded(|r| r.step() == "abort"));
    assert!(!live.others_recorded(|r| r.step() == "force_pause"));
}

/// A journal of `n` finished runs on `filler` VMs, then what readers need:
/// the last run of web1 (finished), web2's killed run, a newer version's
/// record, a damaged line.
fn busy_journal(n: usize) -> Vec<String> {
    let mut j = Vec::new();
    for i in 0..n {
        let (vm, run) = (format!("filler{}", i % 7), format!("f{i}"));
        j.push(line(1, &vm, &run, "start", START));
        j.push(line(1, &vm, &run, "finish", r#"{"outcome":"migrated"}"#));
    }
    j.extend([
        line(2, "web1", "r1", "start", START),
        line(2, "web1", "r1", "precreate_disk", &disk("/i/a.qcow2")),
        line(2, "web2", "r2", "start", START),
        line(3, "web2", "r2", "teleport", r#"{"to":"mars"}"#),
        "{\"ts_ms\":3,\"vm\":\"web1\",\"st".to_string(),
        line(
            3,
            "web1",
            "x1",
            "postcopy_started",
            r#"{"by":"force-complete"}"#,
        ),
        line(4, "web1", "r1", "finish", r#"{"outcome":"unknown"}"#),
        line(5, "web2", "r2", "precreate_disk", &disk("/i/b.qcow2")),
    ]);
    j
}

#[test]
fn rotation_keeps_every_last_run_and_moves_the_rest_aside() {
    let lines = busy_journal(50);
    let d = state_with(&lines);
    let path = d.path().join(JOURNAL);
    let vms = ["web1", "web2", "filler3"];
    let before: Vec<_> = vms.iter().map(|vm| last(d.path(), vm)).collect();
    let size = std::fs::metadata(&path).unwrap().len();
    let small = Bounds {
        limit: size / 2,
        recent_ms: 0,
    };
    drop(Journal::open_in(d.path(), "web3", small).unwrap());
    let after: Vec<_> = vms.iter().map(|vm| last(d.path(), vm)).collect();
    assert_eq!(before, after, "recover reads the same");
    assert!(after[0].as_ref().unwrap().postcopy && after[1].is_some());
    let kept = std::fs::read_to_string(&path).unwrap();
    let moved = std::fs::read_to_string(d.path().join(PREVIOUS)).unwrap();
    // Byte for byte, in order: a newer version's record too.
    let original = lines.iter().map(|l| format!("{l}\n"));
    let (k, m): (Vec<String>, Vec<String>) = original.partition(|l| kept.contains(l.as_str()));
    assert_eq!(k.concat(), kept);
    assert_eq!(m.concat(), moved, "all the rest, the damaged line too");
    assert_eq!(
        kept.lines().count(),
        7 * 2 + 7,
        "the last run of each filler VM, web1's and web2's"
    );
    assert!(kept.contains("teleport") && moved.contains("\"st\n"));
    for f in [JOURNAL, PREVIOUS, LOCK] {
        assert_eq!(mode(&d.path().join(f)), 0o600, "{f}");
    }
    // Under the limit now: the next open leaves it alone.
    drop(Journal::open_in(d.path(), "web3", small).unwrap());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), kept);
}

#[test]
fn rotation_in_the_runtime_is_done_before_the_first_record() {
    let d = state_with(&busy_journal(50));
    let path = d.path().join(JOURNAL);
    let small = Bounds {
        limit: 1024,
        recent_ms: 0,
    };
    runtime().block_on(async {
        let mut j = Journal::open_in(d.path(), "web3", small).unwrap();
        j.commit(Record::PolicyPause {}).await.unwrap();
    });
    let kept = std::fs::read_to_string(&path).unwrap();
    assert!(!kept.contains("\"f0\""), "rotated");
    assert!(
        kept.ends_with("\"step\":\"policy_pause\",\"details\":{}}\n"),
        "{kept}"
    );
}

#[test]
fn appends_survive_rotations_by_other_journals() {
    const N: usize = 150;
    let d = state_with(&[]);
    let dir = d.path();
    let small = Bounds {
        limit: 2048,
        recent_ms: 0,
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let rotations = std::thread::scope(|s| {
        for vm in ["a", "b"] {
            let done = &done;
            s.spawn(move || {
                runtime().block_on(async {
                    let mut j = Journal::open_in(dir, vm, small).unwrap();
                    j.commit(Record::Start {
                        source: "kvm1".into(),
                        destination: "kvm2".into(),
                        block_migration: true,
                        policy: None,
                        data_bytes: None,
                    })
                    .await
                    .unwrap();
                    for i in 0..N {
                        let record = Record::PrecreateDisk {
                            host: "kvm2".into(),
                            path: format!("/i/{i}"),
                            format: None,
                            bytes: None,
                        };
                        j.commit(record).await.unwrap();
                    }
                });
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        // Meanwhile finished runs of another VM, each open rotating.
        let mut rotations = 0;
        while done.load(std::sync::atomic::Ordering::SeqCst) < 2 {
            let before = std::fs::metadata(dir.join(JOURNAL)).map_or(0, |m| m.len());
            let mut j = Journal::open_in(dir, "filler", small).unwrap();
            rotations += usize::from(before > small.limit);
            at_once(j.commit(Record::PolicyAbort {})).unwrap();
            let finish = Record::Finish {
                outcome: crate::migrate::Outcome::Migrated,
                running_on: None,
            };
            at_once(j.commit(finish)).unwrap();
        }
        rotations
    });
    assert!(rotations > 0, "no rotation happened");
    let text = std::fs::read(dir.join(JOURNAL)).unwrap();
    assert!(read::records(&text, 0, true).damaged.is_empty());
    for vm in ["a", "b"] {
        let last = last(dir, vm).unwrap();
        let want: Vec<_> = (0..N)
            .map(|i| ("kvm2".to_string(), format!("/i/{i}")))
            .collect();
        assert_eq!(last.precreated, want, "every record of {vm}, in order");
    }
}

const UMASK_CHILD: &str = "VMIGRATE_TEST_UMASK_CHILD";

#[test]
fn state_is_private_whatever_the_umask() {
    // The umask is the whole process's: the checks run in a process of
    // their own (this test binary, that one test), so that no other test
    // creates files under umask 000.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "state::tests::umask_000_child",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(UMASK_CHILD, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child ran the test: {text}");
}

#[test]
#[ignore = "run in a process of its own by state_is_private_whatever_the_umask"]
fn umask_000_child() {
    if std::env::var_os(UMASK_CHILD).is_none() {
        return;
    }
    // SAFETY: umask(2) cannot fail, and this process runs this test alone.
    unsafe { libc::umask(0) };
    let top = tempfile::tempdir().unwrap();
    let d = top.path().join("new/state");
    prepare(&d, true).unwrap();
    assert_eq!((mode(&d), mode(&d.join("locks"))), (0o700, 0o700));
    // Left wide by an older version: fixed when vmigrate's own by name,
    // only warned about when the operator named it (it may be shared).
    for (name, named, want) in [("own", false, 0o700), ("named", true, 0o777)] {
        let p = top.path().join(name);
        std::fs::create_dir_all(p.join("locks")).unwrap();
        for q in [&p, &p.join("locks")] {
            std::fs::set_permissions(q, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        prepare(&p, named).unwrap();
        assert_eq!((mode(&p), mode(&p.join("locks"))), (want, 0o700), "{name}");
    }
    // An older version's journal, readable by all (umask 000: 0666).
    std::fs::write(d.join(JOURNAL), busy_journal(20).join("\n") + "\n").unwrap();
    assert_eq!(mode(&d.join(JOURNAL)), 0o666);
    let _lock = VmLock::acquire_in(&d, "web1").unwrap();
    let small = Bounds {
        limit: 100,
        recent_ms: 0,
    };
    let mut j = Journal::open_in(&d, "web1", small).unwrap();
    at_once(j.commit(Record::PolicyPause {})).unwrap();
    for f in [JOURNAL, PREVIOUS, LOCK, "locks/77656231.lock"] {
        assert_eq!(mode(&d.join(f)), 0o600, "{f}");
    }
}

#[test]
fn a_vm_name_of_any_length_has_a_lock_file_name_the_kernel_takes() {
    let d = tempfile::tempdir().unwrap();
    crate::state::prepare(d.path(), true).unwrap();
    let long = "v".repeat(255);
    let _a = VmLock::acquire_in(d.path(), &long).unwrap();
    // A name sharing the first 100 bytes is another VM, another lock.
    let other = format!("{}w", "v".repeat(254));
    let _b = VmLock::acquire_in(d.path(), &other).unwrap();
    assert!(VmLock::acquire_in(d.path(), &long).is_err(), "held");
    for e in std::fs::read_dir(d.path().join("locks")).unwrap() {
        assert!(e.unwrap().file_name().len() <= 255);
    }
}
