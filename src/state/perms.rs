//! Private files and directories whatever the umask. A mode given at
//! creation is filtered by the umask (which can take the owner's own bits
//! away), and a file or directory that already exists keeps whatever mode
//! it has — an older vmigrate created them under the operator's umask — so
//! modes are checked, and set, after every open and create. The journal and
//! the lock files name hosts and VMs.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The mode of every file vmigrate keeps in its state directory.
pub(crate) const FILE_MODE: u32 = 0o600;
/// The mode of the state directory and `locks/`.
pub(crate) const DIR_MODE: u32 = 0o700;

/// Opens, creating it if needed, a file only its owner may read: `options`
/// say how (read, append, truncate…). A file left wider (by an older
/// version) is made 0600; if that fails — it is someone else's — the
/// operator is warned and the file used as it is, since refusing would
/// leave the migration without its journal.
pub(crate) fn open_file(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    let file = options.create(true).mode(FILE_MODE).open(path)?;
    let mode = file.metadata()?.mode() & 0o7777;
    if mode != FILE_MODE {
        if let Err(e) = file.set_permissions(Permissions::from_mode(FILE_MODE)) {
            warn_once(
                path,
                &format!("is mode {mode:o} and cannot be made {FILE_MODE:o} ({e})"),
            );
        }
    }
    Ok(file)
}

/// Whose a directory is, which says whether its mode may be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// This process has just created it.
    Created,
    /// vmigrate's by name (`…/vmigrate`, `locks/`): set to 0700 — an
    /// older version left it at the umask's mode; nothing for the operator
    /// to do, so no warning.
    Ours,
    /// Named by the operator (`VMIGRATE_STATE_DIR`) and already there: it
    /// may be shared on purpose (even `/tmp`), so its mode is left alone.
    /// Others listing it learn nothing (the VM names are in `locks/`, which
    /// is ours, and the files are 0600); others *writing* it could replace
    /// the journal, and that is warned about.
    Named,
}

/// Makes `dir` 0700 as far as `whose` allows (see [`Dir`]).
pub(crate) fn private_dir(dir: &Path, whose: Dir) -> io::Result<()> {
    let mode = std::fs::metadata(dir)?.mode() & 0o7777;
    if mode == DIR_MODE {
        return Ok(());
    }
    match whose {
        Dir::Created => std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE)),
        Dir::Ours => {
            tracing::info!("{} was mode {mode:o}; made it {DIR_MODE:o}", dir.display());
            std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
        }
        Dir::Named => {
            if mode & 0o022 != 0 {
                warn_once(
                    dir,
                    &format!(
                        "is writable by others (mode {mode:o}): they could replace the journal; `chmod {DIR_MODE:o}` it or choose another VMIGRATE_STATE_DIR"
                    ),
                );
            }
            Ok(())
        }
    }
}

/// One warning per path and process: every command opens the state
/// directory several times.
fn warn_once(path: &Path, what: &str) {
    static WARNED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    let mut warned = WARNED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if warned.insert(path.to_path_buf()) {
        crate::report::printer::warn(&format!("{} {what}", path.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o7777
    }

    #[test]
    fn a_wide_file_is_made_private() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("journal.jsonl");
        std::fs::write(&p, "").unwrap();
        std::fs::set_permissions(&p, Permissions::from_mode(0o644)).unwrap();
        open_file(&p, OpenOptions::new().append(true)).unwrap();
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn only_directories_that_are_ours_are_changed() {
        let d = tempfile::tempdir().unwrap();
        for (whose, want) in [
            (Dir::Created, 0o700),
            (Dir::Ours, 0o700),
            (Dir::Named, 0o755),
        ] {
            let p = d.path().join(format!("{whose:?}"));
            std::fs::create_dir(&p).unwrap();
            std::fs::set_permissions(&p, Permissions::from_mode(0o755)).unwrap();
            private_dir(&p, whose).unwrap();
            assert_eq!(mode(&p), want, "{whose:?}");
        }
    }
}
