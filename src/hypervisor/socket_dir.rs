//! The private directory that holds a libvirt tunnel's local socket.
//!
//! Whoever can connect to that socket talks to the host's libvirtd as the
//! SSH user — usually root — so the directory is created 0700 and the
//! socket made 0600 explicitly, whatever the umask (a `umask 000` once let
//! another local user list a fleet host's domains through it). It lives in
//! `$XDG_RUNTIME_DIR` when that is usable, else in the temporary directory.
//!
//! A run killed with `kill -9` cannot remove its directory, so each one
//! holds a lock file for the life of its process; the next run removes
//! every directory of ours whose lock nobody holds.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

const PREFIX: &str = "vmigrate-";
const LOCK: &str = "lock";

/// A directory only this process's user can enter; removed when dropped.
pub struct SocketDir {
    path: PathBuf,
    /// Held (flock) while the directory is in use.
    _lock: File,
}

impl SocketDir {
    /// Creates a fresh private directory under [`base`], first removing
    /// stale ones that killed runs left behind.
    pub fn create() -> io::Result<SocketDir> {
        static N: AtomicU32 = AtomicU32::new(0);
        static SWEPT: Once = Once::new();
        let base = base();
        // Once per process: a run opens a tunnel per host, and the
        // directory may hold thousands of other entries.
        SWEPT.call_once(|| remove_stale(&base));
        let path = loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos();
            let n = N.fetch_add(1, Ordering::Relaxed);
            let p = base.join(format!("{PREFIX}{}-{n}-{nanos:08x}", std::process::id()));
            // The mode is a ceiling the umask can only lower; set_permissions
            // below makes it exact. `create` fails on an existing path, so
            // nobody can hand us a directory prepared in advance.
            match DirBuilder::new().mode(0o700).create(&p) {
                Ok(()) => break p,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        };
        let made = (|| {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
            // Locked before it appears under its name, so a concurrent
            // run's clean-up never sees it free.
            let pending = path.join(format!("{LOCK}.new"));
            let lock = OpenOptions::new()
                .create_new(true)
                .write(true)
                .mode(0o600)
                .open(&pending)?;
            lock.try_lock().map_err(io::Error::other)?;
            std::fs::rename(&pending, path.join(LOCK))?;
            Ok(lock)
        })();
        match made {
            Ok(lock) => Ok(SocketDir { path, _lock: lock }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&path);
                Err(e)
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Restricts a socket bound in this directory to its owner (bind(2)
    /// creates it with the umask's mode).
    pub fn restrict(socket: &Path) -> io::Result<()> {
        std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `$XDG_RUNTIME_DIR` when it is an absolute directory owned by us whose
/// path is safe inside a libvirt URI (the socket path goes into its query
/// string unescaped), else the temporary directory.
fn base() -> PathBuf {
    let usable = |p: &Path| {
        p.is_absolute()
            && uri_safe(p)
            && std::fs::metadata(p).is_ok_and(|m| m.is_dir() && m.uid() == current_uid())
    };
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(p) if usable(&p) => p,
        _ => std::env::temp_dir(),
    }
}

/// Only characters that need no escaping in a URI's query.
pub(super) fn uri_safe(p: &Path) -> bool {
    p.to_str().is_some_and(|s| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-~".contains(&b))
    })
}

fn current_uid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() }
}

/// Removes directories of ours under `base` whose lock is free: their
/// process is gone. Ones without a lock file (made by an older vmigrate)
/// are removed when their socket accepts no connection.
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let uid = current_uid();
    for entry in entries.flatten() {
        let name = entry.file_name();
        // The name first: only our entries cost a stat.
        if !name.to_str().is_some_and(|n| n.starts_with(PREFIX)) {
            continue;
        }
        let path = entry.path();
        // symlink_metadata: never follow a link planted by someone else.
        let ours = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir() && m.uid() == uid);
        if ours && is_stale(&path) {
            tracing::debug!(dir = %path.display(), "removing a stale tunnel directory");
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn is_stale(dir: &Path) -> bool {
    match File::open(dir.join(LOCK)) {
        Ok(f) => f.try_lock_shared().is_ok(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let sock = dir.join("libvirt.sock");
            sock.exists() && std::os::unix::net::UnixStream::connect(&sock).is_err()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_whatever_the_umask_and_stale_ones_go() {
        let base = tempfile::tempdir().unwrap();
        // SAFETY: this test's process-wide changes are restored below; no
        // other test in this binary reads XDG_RUNTIME_DIR or the umask.
        let old = unsafe { libc::umask(0) };
        std::env::set_var("XDG_RUNTIME_DIR", base.path());
        let a = SocketDir::create().unwrap();
        let mode = std::fs::metadata(a.path()).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o700, "{}", a.path().display());
        assert!(a.path().starts_with(base.path()));
        // A live directory survives the next run's clean-up.
        let b = SocketDir::create().unwrap();
        remove_stale(base.path());
        assert!(a.path().exists());
        // One left by a killed process (its lock free) does not.
        let killed = base.path().join("vmigrate-1-0-dead");
        std::fs::create_dir(&killed).unwrap();
        File::create(killed.join(LOCK)).unwrap();
        // An older vmigrate's directory with a dead socket goes too.
        let old_kind = base.path().join("vmigrate-AbC123");
        std::fs::create_dir(&old_kind).unwrap();
        drop(std::os::unix::net::UnixListener::bind(old_kind.join("libvirt.sock")).unwrap());
        remove_stale(base.path());
        assert!(!killed.exists() && !old_kind.exists());
        assert!(a.path().exists() && b.path().exists());
        let (pa, pb) = (a.path().to_path_buf(), b.path().to_path_buf());
        drop((a, b));
        assert!(!pa.exists() && !pb.exists());
        unsafe { libc::umask(old) };
        std::env::remove_var("XDG_RUNTIME_DIR");
    }

    #[test]
    fn only_uri_safe_bases() {
        assert!(uri_safe(Path::new("/run/user/0")));
        assert!(!uri_safe(Path::new("/tmp/a b")));
        assert!(!uri_safe(Path::new("/tmp/a&socket=/x")));
    }
}
