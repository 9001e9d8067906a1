//! Block migration needs each local disk to exist on the destination
//! before the copy starts (libvirt fails with "Storage pool not found"
//! otherwise); Nova's `pre_live_migration` creates them. Here too: same
//! path, format and virtual size, created over SSH, never over an
//! existing file, each one journalled before it is made.

use std::sync::Arc;
use std::time::Duration;

use crate::checks::storage::DiskPlacement;
use crate::ssh::{SshError, SshSession};
use crate::state::{Journal, JournalError, Record};

/// Why a disk could not be created on the destination.
#[derive(Debug, thiserror::Error)]
pub(super) enum PrecreateError {
    #[error("disk {0} has no path or size to create on the destination")]
    NoPathOrSize(String),
    #[error("disk {target} is a {kind} disk; only file disks can be created for block migration")]
    NotFile { target: String, kind: String },
    /// Its record could not be written, so it was not created.
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Ssh(#[from] SshError),
    #[error(
        "{path} already exists on {host}; it is not overwritten: remove it if it is a leftover"
    )]
    Exists { path: String, host: String },
    #[error("creating {path} on {host} failed: {stderr}")]
    Failed {
        path: String,
        host: String,
        stderr: String,
    },
}

/// Creates the local file disks on the destination, each journalled
/// first. The paths created so far are in `created`, also on failure (the
/// rollback removes them).
pub(super) async fn precreate(
    dest: &Arc<SshSession>,
    disks: &[DiskPlacement],
    journal: &mut Journal,
    created: &mut Vec<String>,
) -> Result<(), PrecreateError> {
    // exit 17: the file exists; it is never overwritten.
    const CREATE: &str =
        "test -e \"$1\" && exit 17; exec qemu-img create -q -f \"$2\" \"$1\" \"$3\"";
    for d in disks.iter().filter(|d| d.placement.is_local()) {
        let (Some(path), Some(size)) = (d.disk.source.as_deref(), d.capacity) else {
            return Err(PrecreateError::NoPathOrSize(d.disk.target.clone()));
        };
        if d.disk.kind != "file" {
            return Err(PrecreateError::NotFile {
                target: d.disk.target.clone(),
                kind: d.disk.kind.clone(),
            });
        }
        let format = d.disk.format.clone().unwrap_or_else(|| "raw".into());
        journal
            .commit(Record::PrecreateDisk {
                host: dest.host().to_string(),
                path: path.to_string(),
                format: Some(format.clone()),
                bytes: Some(size),
            })
            .await?;
        let size = size.to_string();
        let argv = [
            "sh",
            "-c",
            CREATE,
            "vmigrate-precreate",
            path,
            &format,
            &size,
        ];
        let out = dest.run(&argv).await?;
        let (path, host) = (path.to_string(), dest.host().to_string());
        match out.status {
            0 => created.push(path),
            17 => return Err(PrecreateError::Exists { path, host }),
            _ => {
                let stderr = out.stderr.trim().to_string();
                return Err(PrecreateError::Failed { path, host, stderr });
            }
        }
    }
    Ok(())
}

/// A destination filesystem found (nearly) full after a failed block
/// migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Full {
    /// The directory of the disk being written.
    pub dir: String,
    pub free_mib: u64,
}

/// After a failed block migration, and before rollback deletes the partial
/// copies that filled it: is the filesystem under a disk being copied
/// (nearly) full? libvirt reports a full destination disk only as the
/// migration connection's "End of file", which reads like an unreachable
/// destination.
pub(super) async fn filled_up(dest: &Arc<SshSession>, paths: &[String]) -> Option<Full> {
    for p in paths {
        // Briefly: rollback waits for this, and a destination that does
        // not answer at all is not full, it is gone.
        let argv = ["df", "-Pk", "--", p];
        let df = tokio::time::timeout(Duration::from_secs(5), dest.run(&argv));
        let Ok(Ok(out)) = df.await else {
            continue;
        };
        let Some((size_kib, free_kib)) = parse_df(&out.stdout) else {
            continue;
        };
        if nearly_full(size_kib, free_kib) {
            let dir = match p.rfind('/') {
                Some(0) => "/".to_string(),
                Some(i) => p[..i].to_string(),
                None => p.clone(),
            };
            return Some(Full {
                dir,
                free_mib: free_kib / 1024,
            });
        }
    }
    None
}

/// (size, available) in KiB from `df -Pk` for one file. The numeric
/// columns are counted from the end: a filesystem name may hold spaces.
fn parse_df(out: &str) -> Option<(u64, u64)> {
    let fields: Vec<&str> = out.lines().nth(1)?.split_whitespace().collect();
    let n = fields.len();
    if n < 6 {
        return None;
    }
    Some((fields[n - 5].parse().ok()?, fields[n - 3].parse().ok()?))
}

/// Less than 1 % of the filesystem free, counting at least 1 MiB and at
/// most 64 MiB as "nearly": a write that failed for space leaves about
/// nothing, and a big filesystem with 1 % free (gigabytes) is not full.
fn nearly_full(size_kib: u64, free_kib: u64) -> bool {
    free_kib < (size_kib / 100).clamp(1024, 64 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_filesystem_is_recognised_from_df() {
        let full = "Filesystem     1024-blocks  Used Available Capacity Mounted on\n\
                    run-tmpfs            49152 49152         0     100% /var/lib/libvirt/images\n";
        assert_eq!(parse_df(full), Some((49152, 0)));
        assert!(nearly_full(49152, 0));
        // 1 % of a small filesystem is below the 1 MiB floor.
        assert!(nearly_full(49152, 1000));
        assert!(!nearly_full(49152, 16644));
        // A large filesystem: 64 MiB at most counts as full.
        assert!(nearly_full(1 << 30, 60 * 1024));
        assert!(!nearly_full(1 << 30, 10 << 20));
        assert_eq!(parse_df("df: /x: No such file or directory\n"), None);
    }
}
