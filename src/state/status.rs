//! A running migration's status for `vmigrate ps`: one small file per run
//! in `runs/` of the state directory, naming the run, its process and
//! user, the VM, its hosts and the ladder's rung. The journal does not
//! carry the rung (a downtime step is no step a later `recover` needs),
//! and reading a journal to learn it would be slow.
//!
//! Written when the watch begins and again on each rung change only (not
//! every tick), atomically (a temporary file renamed over it, 0600 like
//! every file here), and removed when the watch ends. A file whose process
//! is gone — killed with -9 — is stale: readers skip it, and the next run
//! that writes one removes it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::perms;

/// The subdirectory of the state directory.
const DIR: &str = "runs";

/// One run's status, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStatus {
    /// The journal's run id (`<pid>-<ms>`).
    pub run: String,
    pub pid: u32,
    pub user: String,
    /// The operator's machine.
    pub machine: String,
    pub vm: String,
    pub source: String,
    pub destination: String,
    /// The ladder's rung in its words (`downtime 50 ms`, `post-copy`, …).
    pub rung: String,
    /// When the watch began, ms since the epoch.
    pub started_ms: u64,
    /// When the rung last changed.
    pub updated_ms: u64,
}

impl RunStatus {
    /// "user@machine pid N".
    pub fn by(&self) -> String {
        format!("{}@{} pid {}", self.user, self.machine, self.pid)
    }
}

/// A run's status file, removed when dropped.
pub struct StatusFile {
    path: PathBuf,
    status: RunStatus,
}

impl StatusFile {
    /// Writes the first status of run `run`. `None` (after a debug line)
    /// when it cannot be written: `ps` then shows the migration without
    /// its rung, and the migration goes on regardless.
    pub fn create(
        run: &str,
        vm: &str,
        source: &str,
        destination: &str,
        rung: String,
    ) -> Option<StatusFile> {
        let dir = super::dir().ok()?.join(DIR);
        StatusFile::create_in(&dir, run, vm, source, destination, rung)
    }

    pub(crate) fn create_in(
        dir: &Path,
        run: &str,
        vm: &str,
        source: &str,
        destination: &str,
        rung: String,
    ) -> Option<StatusFile> {
        use std::os::unix::fs::DirBuilderExt;
        if let Err(e) = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(perms::DIR_MODE)
            .create(dir)
        {
            tracing::debug!("cannot create {}: {e}", dir.display());
            return None;
        }
        remove_stale(dir);
        let now = super::journal::now_ms();
        let status = RunStatus {
            run: run.to_string(),
            pid: std::process::id(),
            user: user(),
            machine: crate::claims::operator_host(),
            vm: vm.to_string(),
            source: source.to_string(),
            destination: destination.to_string(),
            rung,
            started_ms: now,
            updated_ms: now,
        };
        // The run id is `<pid>-<ms>`: a safe file name.
        let file = StatusFile {
            path: dir.join(format!("{run}.json")),
            status,
        };
        file.save();
        Some(file)
    }

    /// Records a new rung; nothing is written when it is the same.
    pub fn rung(&mut self, rung: &str) {
        if self.status.rung != rung {
            self.status.rung = rung.to_string();
            self.status.updated_ms = super::journal::now_ms();
            self.save();
        }
    }

    /// Writes the status by rename: a reader never sees half a file. No
    /// fsync: after a crash the file is stale anyway.
    fn save(&self) {
        let tmp = self.path.with_extension("tmp");
        let written = serde_json::to_vec(&self.status)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                let mut f =
                    perms::open_file(&tmp, std::fs::OpenOptions::new().write(true).truncate(true))?;
                f.write_all(&bytes)?;
                std::fs::rename(&tmp, &self.path)
            });
        if let Err(e) = written {
            tracing::debug!("cannot write {}: {e}", self.path.display());
        }
    }
}

impl Drop for StatusFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The live runs' statuses on this machine (stale and unreadable files
/// skipped).
pub fn live_runs() -> Vec<RunStatus> {
    // Read where it would be, without creating the state directory: a
    // command that only looks changes nothing.
    match super::location() {
        Ok((d, _)) => live_runs_in(&d.join(DIR)),
        Err(_) => Vec::new(),
    }
}

pub(crate) fn live_runs_in(dir: &Path) -> Vec<RunStatus> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<RunStatus>(&b).ok())
        .filter(|s| alive(s.pid))
        .collect()
}

/// Removes the files of runs whose process is gone.
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let stale = match std::fs::read(&p)
            .ok()
            .and_then(|b| serde_json::from_slice::<RunStatus>(&b).ok())
        {
            Some(s) => !alive(s.pid),
            // A temporary file left by a crash, or junk: only old ones,
            // a writer may be between its write and its rename.
            None => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 60),
        };
        if stale {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// Whether `pid` is a running vmigrate: a pid reused by another program
/// after a kill -9 is not taken for the run.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|c| c.trim_end() == "vmigrate" || pid == std::process::id())
}

/// The operator's login name: the user database's for the effective uid
/// (what `sudo` makes of the operator), else the environment's, else the
/// uid itself.
fn user() -> String {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    account_name(uid)
        .or_else(|| {
            ["USER", "LOGNAME"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// `getpwuid_r`'s name for `uid`.
fn account_name(uid: libc::uid_t) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: an all-zero passwd is a valid value to be filled in.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and `buf.len()` bytes.
    let r = unsafe {
        libc::getpwuid_r(
            uid,
            &raw mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &raw mut found,
        )
    };
    if r != 0 || found.is_null() || pw.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points at a NUL-terminated string in `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pw.pw_name) };
    Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn written_on_rung_changes_read_while_alive_removed_at_the_end() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join(DIR);
        let mut f = StatusFile::create_in(
            &dir,
            "42-1",
            "web1",
            "lab1",
            "lab2",
            "downtime 50 ms".into(),
        )
        .unwrap();
        let path = dir.join("42-1.json");
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        let runs = live_runs_in(&dir);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].rung, "downtime 50 ms");
        assert_eq!(runs[0].pid, std::process::id());
        let ino = std::fs::metadata(&path).unwrap().ino();
        f.rung("downtime 50 ms");
        assert_eq!(
            std::fs::metadata(&path).unwrap().ino(),
            ino,
            "same rung: not rewritten"
        );
        f.rung("post-copy");
        assert_eq!(live_runs_in(&dir)[0].rung, "post-copy");
        drop(f);
        assert!(!path.exists());
        assert!(live_runs_in(&dir).is_empty());
    }

    #[test]
    fn a_dead_process_is_stale_and_removed_by_the_next_run() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join(DIR);
        std::fs::create_dir_all(&dir).unwrap();
        let dead = RunStatus {
            run: "999999999-1".into(),
            pid: 999_999_999,
            user: "ops".into(),
            machine: "m".into(),
            vm: "web1".into(),
            source: "lab1".into(),
            destination: "lab2".into(),
            rung: "paused".into(),
            started_ms: 1,
            updated_ms: 1,
        };
        let stale = dir.join("999999999-1.json");
        std::fs::write(&stale, serde_json::to_vec(&dead).unwrap()).unwrap();
        assert!(live_runs_in(&dir).is_empty());
        let _f = StatusFile::create_in(&dir, "1-2", "web2", "lab1", "lab3", "x".into()).unwrap();
        assert!(!stale.exists());
        assert_eq!(dead.by(), "ops@m pid 999999999");
    }
}
