//! The remote scripts run by a local `sh` against a temporary directory,
//! under a hostile umask: the same shell code the hosts run, so locking,
//! atomic writes and modes are tested for real, without SSH.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::protocol::{self, Answer};
use super::Mark;

/// A host's two directories in a temporary one.
struct Host {
    _tmp: tempfile::TempDir,
    lock_dir: PathBuf,
    dir: PathBuf,
    file: PathBuf,
}

impl Host {
    fn new() -> Host {
        let tmp = tempfile::tempdir().unwrap();
        let lock_dir = tmp.path().join("run/vmigrate/claims");
        let dir = tmp.path().join("lib/vmigrate");
        let file = dir.join("maintenance.json");
        Host {
            _tmp: tmp,
            lock_dir,
            dir,
            file,
        }
    }

    fn sh(script: &str, args: &[&Path]) -> Answer {
        let out = Command::new("sh")
            .args(["-c", &format!("umask 000\n{script}"), "t"])
            .args(args)
            .output()
            .unwrap();
        protocol::parse(&String::from_utf8_lossy(&out.stdout))
    }

    fn on(&self, m: &Mark) -> Answer {
        let line = m.to_line();
        let args = [&self.lock_dir, &self.dir, &self.file, Path::new(&line)];
        Host::sh(&protocol::set_script(), &args.map(AsRef::as_ref))
    }

    fn off(&self) -> Answer {
        Host::sh(&protocol::clear_script(), &[&self.lock_dir, &self.file])
    }

    fn status(&self) -> Answer {
        Host::sh(&protocol::read_script(), &[&self.file])
    }
}

fn have_flock() -> bool {
    Command::new("flock").arg("--version").output().is_ok()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn on_keeps_the_first_mark_and_off_clears_it() {
    if !have_flock() {
        eprintln!("no flock here: skipped");
        return;
    }
    let h = Host::new();
    assert_eq!(h.status().mark, None);
    let first = Mark::new("kernel 'update' $(reboot) `x` \"y\" \\ é");
    let a = h.on(&first);
    assert_eq!(
        (a.word.as_deref(), a.mark.as_ref()),
        (Some("set"), Some(&first)),
        "{a:?}"
    );
    assert_eq!(mode(&h.dir), 0o700);
    assert_eq!(mode(&h.file), 0o600);
    assert_eq!(mode(&h.lock_dir), 0o700);
    assert_eq!(mode(&h.lock_dir.join(".lock")), 0o600);
    assert_eq!(
        std::fs::read_to_string(&h.file).unwrap(),
        first.to_line() + "\n"
    );

    let a = h.on(&Mark::new("second"));
    assert_eq!(
        (a.word.as_deref(), a.mark.as_ref()),
        (Some("kept"), Some(&first))
    );
    assert_eq!(h.status().mark.as_ref(), Some(&first));

    let a = h.off();
    assert_eq!(
        (a.word.as_deref(), a.mark.as_ref()),
        (Some("cleared"), Some(&first))
    );
    assert!(!h.file.exists());
    let a = h.off();
    assert_eq!((a.word.as_deref(), a.mark), (Some("cleared"), None));
    assert_eq!(h.status().mark, None);
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(&h.dir).unwrap().count(), 0);
}

#[test]
fn concurrent_ons_leave_one_valid_mark() {
    if !have_flock() {
        return;
    }
    let h = std::sync::Arc::new(Host::new());
    let marks: Vec<Mark> = (0..6).map(|i| Mark::new(&format!("op {i}"))).collect();
    let answers: Vec<Answer> = std::thread::scope(|s| {
        let hs: Vec<_> = marks
            .iter()
            .map(|m| {
                let h = &h;
                s.spawn(move || h.on(m))
            })
            .collect();
        hs.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let set: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.word.as_deref() == Some("set"))
        .collect();
    assert_eq!(set.len(), 1, "{answers:?}");
    let winner = set[0].mark.clone().unwrap();
    assert!(
        answers.iter().all(|a| a.mark.as_ref() == Some(&winner)),
        "{answers:?}"
    );
    let text = std::fs::read_to_string(&h.file).unwrap();
    assert_eq!(serde_json::from_str::<Mark>(&text).unwrap(), winner);
}

#[test]
fn on_lists_the_runs_already_admitted() {
    if !have_flock() {
        return;
    }
    let h = Host::new();
    // A claim file held by a live process: a run bringing a VM here.
    std::fs::create_dir_all(&h.lock_dir).unwrap();
    let c = crate::claims::Claim::new("run-a", "web1", "u-a", 128, 1, 0);
    let path = h.lock_dir.join(c.file_name().unwrap());
    std::fs::write(&path, serde_json::to_string(&c).unwrap() + "\n").unwrap();
    let mut holder = Command::new("flock")
        .arg("-x")
        .arg(&path)
        .args(["sleep", "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let a = h.on(&Mark::new("x"));
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(a.word.as_deref(), Some("set"));
    assert_eq!(a.claims, vec![c]);
}

#[test]
fn a_mark_that_cannot_be_written_is_an_error() {
    if !have_flock() {
        return;
    }
    let h = Host::new();
    // The mark's directory is a file: mkdir fails, nothing is claimed set.
    std::fs::create_dir_all(h.dir.parent().unwrap()).unwrap();
    std::fs::write(&h.dir, "").unwrap();
    let a = h.on(&Mark::new("x"));
    assert_eq!(a.word, None);
    assert!(a.other.iter().any(|o| o.contains("cannot create")), "{a:?}");
}
