//! vmigrate's own state on the operator's machine: the journal and the
//! per-VM locks, under `$VMIGRATE_STATE_DIR`, else `$XDG_STATE_HOME/vmigrate`,
//! else `~/.local/state/vmigrate`. They name hosts and VMs: the directory
//! and `locks/` are 0700, every file 0600, whatever the umask
//! ([`perms`]). The journal ([`Journal`]) is typed ([`Record`]), read
//! line by line so that damage costs one line ([`read`]), and bounded
//! ([`rotate`]).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::Error;

mod drains;
#[cfg(test)]
mod fuzz_tests;
mod journal;
mod known;
mod last_run;
mod perms;
pub mod placement;
mod read;
mod record;
mod retain;
mod rotate;
mod status;
#[cfg(test)]
mod tests;

pub(crate) use drains::last_drain;
pub use journal::{Journal, JournalError};
pub(crate) use known::journalled_vms;
#[cfg(test)]
pub use last_run::MigrateStart;
pub use last_run::{LastRun, Switch};
pub use record::{drain_key, DrainMove, Record};
pub use status::{live_runs, RunStatus, StatusFile};

/// The state directory (created on first use, made private).
pub fn dir() -> Result<PathBuf, Error> {
    let (d, named) = location()?;
    prepare(&d, named)?;
    Ok(d)
}

/// Where the state directory is, and whether the operator named it
/// (`VMIGRATE_STATE_DIR`) rather than it being vmigrate's own by name.
fn location() -> Result<(PathBuf, bool), Error> {
    if let Some(d) = std::env::var_os("VMIGRATE_STATE_DIR").filter(|v| !v.is_empty()) {
        return Ok((PathBuf::from(d), true));
    }
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return Ok((PathBuf::from(x).join("vmigrate"), false));
    }
    let home = std::env::var_os("HOME").ok_or_else(|| {
        Error::Usage("HOME is unset: set VMIGRATE_STATE_DIR for the journal".into())
    })?;
    Ok((PathBuf::from(home).join(".local/state/vmigrate"), false))
}

/// Creates the state directory `d` and its `locks/`, and makes them 0700
/// as far as they are vmigrate's to change (see [`perms::Dir`]).
pub(crate) fn prepare(d: &Path, named: bool) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    let locks = d.join("locks");
    let whose = |p: &Path, by_name: perms::Dir| {
        if p.exists() {
            by_name
        } else {
            perms::Dir::Created
        }
    };
    let d_whose = whose(
        d,
        if named {
            perms::Dir::Named
        } else {
            perms::Dir::Ours
        },
    );
    let locks_whose = whose(&locks, perms::Dir::Ours);
    let fail = |e: std::io::Error| {
        // Name what is in the way: the directory itself, or its `locks/`.
        let bad = if d.is_dir() { &locks } else { d };
        Error::Usage(format!(
            "cannot create the state directory {}: {e}; remove what is in the way or set VMIGRATE_STATE_DIR to a directory you can write",
            bad.display()
        ))
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(perms::DIR_MODE)
        .create(&locks)
        .map_err(fail)?;
    perms::private_dir(d, d_whose).map_err(fail)?;
    perms::private_dir(&locks, locks_whose).map_err(fail)
}

/// Held while a VM is being migrated: a second vmigrate refuses the VM
/// (Nova's `expected_task_state`). Released when dropped, or by the kernel
/// when the process dies, so a killed run never leaves a stale lock.
pub struct VmLock {
    _file: File,
}

impl VmLock {
    /// Takes the VM's lock without waiting.
    pub fn acquire(vm: &str) -> Result<VmLock, Error> {
        VmLock::acquire_in(&dir()?, vm)
    }

    /// [`VmLock::acquire`] in the state directory `dir`.
    pub(crate) fn acquire_in(dir: &Path, vm: &str) -> Result<VmLock, Error> {
        let path = dir.join("locks").join(format!("{}.lock", lock_key(vm)));
        let file = perms::open_file(&path, OpenOptions::new().truncate(false).write(true))
            .map_err(|e| Error::Usage(format!("cannot open the lock {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(VmLock { _file: file }),
            Err(_) => Err(Error::NotMigratable(format!(
                "another vmigrate is already migrating {vm} (lock {}); wait for it, or run `vmigrate abort {vm}`",
                path.display()
            ))),
        }
    }
}

/// The VM name as a lock file name: hex keeps any name safe. A name too
/// long for one file name (libvirt allows 255 bytes; the hex doubles them)
/// keeps the hex of its first [`LOCK_KEY_BYTES`] bytes and adds the SHA-1
/// of the whole name.
fn lock_key(vm: &str) -> String {
    use sha1::Digest as _;
    let hex = |bytes: &[u8]| {
        bytes.iter().fold(String::new(), |mut key, b| {
            let _ = write!(key, "{b:02x}");
            key
        })
    };
    if vm.len() <= LOCK_KEY_BYTES {
        return hex(vm.as_bytes());
    }
    let digest = sha1::Sha1::digest(vm.as_bytes());
    format!("{}-{}", hex(&vm.as_bytes()[..LOCK_KEY_BYTES]), hex(&digest))
}

/// Names up to this many bytes are their lock's name in full (in hex).
const LOCK_KEY_BYTES: usize = 100;

/// Reads the journal's last run on `vm` (`None`: vmigrate never migrated it here).
pub fn last_run(vm: &str) -> Result<Option<LastRun>, Error> {
    last_run::read(&dir()?.join(rotate::JOURNAL), vm)
}

/// [`last_run`] on a blocking thread: the journal may be megabytes, read
/// and parsed whole.
pub(crate) async fn last_run_async(vm: &str) -> Result<Option<LastRun>, Error> {
    let vm = vm.to_string();
    tokio::task::spawn_blocking(move || last_run(&vm))
        .await
        .map_err(|e| Error::Internal(color_eyre::eyre::eyre!("reading the journal: {e}")))?
}

/// The last run on `vm` in a journal's `bytes` (damaged lines skipped, as
/// when read from the file): the planners' scenarios feed it bytes.
#[cfg(test)]
pub(crate) fn last_run_in(bytes: &[u8], vm: &str) -> Option<LastRun> {
    last_run::parse(&read::records(bytes, 0, true).entries, vm)
}
