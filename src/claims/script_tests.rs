//! The remote scripts run by a local `sh` against a temporary directory:
//! the same shell code the hosts run (dash/bash, util-linux `flock`), so
//! locking, stale removal and modes are tested for real, without SSH.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::protocol::{parse_line, parse_listing, Line, LIST_FN, TAKE};
use super::Claim;
use crate::maintenance::protocol::READ_FN;
use crate::maintenance::Mark;

/// A running TAKE: its stdin, and its stdout line by line.
struct Taker {
    child: Child,
    stdin: Option<ChildStdin>,
    out: BufReader<ChildStdout>,
}

impl Taker {
    /// Starts TAKE under a hostile umask (the script must not care).
    fn start(dir: &Path, file: &str) -> Taker {
        Taker::start_marked(dir, file, Path::new(""))
    }

    /// Starts TAKE on a host whose maintenance mark would be `mark`.
    fn start_marked(dir: &Path, file: &str, mark: &Path) -> Taker {
        let script = format!("umask 000\n{READ_FN}{TAKE}");
        let mut child = Command::new("sh")
            .args(["-c", &script, "vmigrate-claim"])
            .arg(dir)
            .arg(file)
            .arg(mark)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh");
        let stdin = child.stdin.take();
        let out = BufReader::new(child.stdout.take().unwrap());
        Taker { child, stdin, out }
    }

    /// Lines up to and including the first protocol word.
    fn until_word(&mut self) -> Vec<Line> {
        let mut got = Vec::new();
        loop {
            let mut l = String::new();
            if self.out.read_line(&mut l).unwrap() == 0 {
                return got;
            }
            let line = parse_line(&l);
            let word = matches!(line, Line::Listed | Line::Held | Line::Released);
            got.push(line);
            if word {
                return got;
            }
        }
    }

    fn send(&mut self, s: &str) {
        let w = self.stdin.as_mut().unwrap();
        w.write_all(s.as_bytes()).unwrap();
        w.flush().unwrap();
    }
}

fn have_flock() -> bool {
    Command::new("flock").arg("--version").output().is_ok()
}

fn list(dir: &Path) -> Vec<Claim> {
    let out = Command::new("sh")
        .args(["-c", &format!("{LIST_FN}vmigrate_claims \"$1\""), "t"])
        .arg(dir)
        .output()
        .unwrap();
    parse_listing(&String::from_utf8_lossy(&out.stdout))
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn take_hold_list_and_release() {
    if !have_flock() {
        eprintln!("no flock here: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("claims");
    let a = Claim::new("run-a", "web'1 $(x)", "u-a", 128, 1, 0);
    let fa = a.file_name().unwrap();
    let mut t = Taker::start(&dir, &fa);
    assert_eq!(t.until_word(), vec![Line::Listed]);
    t.send(&format!("take {}\n", serde_json::to_string(&a).unwrap()));
    assert_eq!(t.until_word(), vec![Line::Held]);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(&fa)), 0o600);
    assert_eq!(mode(&dir.join(".lock")), 0o600);
    assert_eq!(list(&dir), vec![a.clone()]);

    // A second claimer sees the first, and writes nothing when told no.
    let b = Claim::new("run-b", "web2", "u-b", 64, 1, 0);
    let mut t2 = Taker::start(&dir, &b.file_name().unwrap());
    assert_eq!(t2.until_word(), vec![Line::Claim(a.clone()), Line::Listed]);
    t2.send("cancel\n");
    assert!(t2.child.wait().unwrap().success());
    assert_eq!(list(&dir), vec![a]);

    t.send("release\n");
    assert_eq!(t.until_word(), vec![Line::Released]);
    assert!(t.child.wait().unwrap().success());
    assert!(!dir.join(&fa).exists());
    assert!(list(&dir).is_empty());
}

#[test]
fn a_holder_gone_leaves_nothing_that_counts() {
    if !have_flock() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let a = Claim::new("run-a", "web1", "u-a", 128, 1, 0);
    let fa = a.file_name().unwrap();
    let mut t = Taker::start(&dir, &fa);
    t.until_word();
    t.send(&format!("take {}\n", serde_json::to_string(&a).unwrap()));
    t.until_word();
    // The channel closes (vmigrate died): the host removes the claim.
    drop(t.stdin.take());
    t.child.wait().unwrap();
    assert!(!dir.join(&fa).exists());

    // A file nobody holds (its holder was killed outright) is stale: the
    // listing ignores it without touching it, the next claimer removes it.
    let stale = dir.join("run-x.u-x.json");
    std::fs::write(&stale, serde_json::to_string(&a).unwrap() + "\n").unwrap();
    assert!(list(&dir).is_empty());
    assert!(stale.exists());
    let mut t2 = Taker::start(&dir, "run-b.u-b.json");
    assert_eq!(t2.until_word(), vec![Line::Listed]);
    drop(t2.stdin.take());
    t2.child.wait().unwrap();
    assert!(!stale.exists());
}

#[test]
fn refuses_names_that_are_not_plain_file_names() {
    if !have_flock() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["../x.json", ".lock", "a b.json", ""] {
        let mut t = Taker::start(tmp.path(), bad);
        let lines = t.until_word();
        assert_eq!(
            lines,
            vec![Line::Other("invalid claim file name".into())],
            "{bad:?}"
        );
        assert!(!t.child.wait().unwrap().success());
    }
}

#[test]
fn a_host_in_maintenance_says_so_under_the_lock() {
    if !have_flock() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("claims");
    let mark_file = tmp.path().join("maintenance.json");
    let mut t = Taker::start_marked(&dir, "run-a.u-a.json", &mark_file);
    assert_eq!(t.until_word(), vec![Line::Listed]);
    t.send("cancel\n");
    assert!(t.child.wait().unwrap().success());

    let m = Mark::new("kernel update");
    std::fs::write(&mark_file, m.to_line() + "\n").unwrap();
    let mut t = Taker::start_marked(&dir, "run-a.u-a.json", &mark_file);
    let lines = t.until_word();
    assert_eq!(lines, vec![Line::Maintenance(m.to_line()), Line::Listed]);
    t.send("cancel\n");
    assert!(t.child.wait().unwrap().success());
    assert!(list(&dir).is_empty());
}
