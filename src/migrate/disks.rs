//! Block migration needs each local disk to exist on the destination
//! before the copy starts (libvirt fails with "Storage pool not found"
//! otherwise); Nova's `pre_live_migration` creates them. Here too: same
//! path, format and virtual size, created over SSH, never over an
//! existing file, each one journalled before it is made.

use std::sync::Arc;
use std::time::Duration;

use crate::checks::storage::DiskPlacement;
use crate::ssh::SshSession;
use crate::state::{Journal, Record};

/// Creates the local file disks on the destination. Returns the paths
/// created; on failure, the ones created so far are in `created`.
pub async fn precreate(
    dest: &Arc<SshSession>,
    disks: &[DiskPlacement],
    journal: &mut Journal,
    created: &mut Vec<String>,
) -> Result<(), String> {
    // exit 17: the file exists; it is never overwritten.
    const CREATE: &str =
        "test -e \"$1\" && exit 17; exec qemu-img create -q -f \"$2\" \"$1\" \"$3\"";
    for d in disks.iter().filter(|d| d.placement.is_local()) {
        let (Some(path), Some(size)) = (d.disk.source.as_deref(), d.capacity) else {
            return Err(format!(
                "disk {} has no path or size to create on the destination",
                d.disk.target
            ));
        };
        if d.disk.kind != "file" {
            return Err(format!(
                "disk {} is a {} disk; only file disks can be created for block migration",
                d.disk.target, d.disk.kind
            ));
        }
        let format = d.disk.format.clone().unwrap_or_else(|| "raw".into());
        journal
            .commit(Record::PrecreateDisk {
                host: dest.host().to_string(),
                path: path.to_string(),
                format: Some(format.clone()),
                bytes: Some(size),
            })
            .await
            .map_err(|e| e.to_string())?;
        let out = dest
            .run(&[
                "sh",
                "-c",
                CREATE,
                "vmigrate-precreate",
                path,
                &format,
                &size.to_string(),
            ])
            .await
            .map_err(|e| e.to_string())?;
        match out.status {
            0 => created.push(path.to_string()),
            17 => {
                return Err(format!(
                "{path} already exists on {}; it is not overwritten: remove it if it is a leftover",
                dest.host()
            ))
            }
            _ => {
                return Err(format!(
                    "creating {path} on {} failed: {}",
                    dest.host(),
                    out.stderr.trim()
                ))
            }
        }
    }
    Ok(())
}

/// Removes disks this run created (rollback).
pub async fn remove(
    dest: &Arc<SshSession>,
    paths: &[String],
    journal: &mut Journal,
) -> Vec<String> {
    let mut errors = Vec::new();
    for p in paths {
        let record = Record::RemoveDisk {
            host: dest.host().to_string(),
            path: p.clone(),
            stale_copy: false,
        };
        if let Err(e) = journal.commit(record).await {
            errors.push(format!("{p}: kept: {e}"));
            continue;
        }
        if let Err(e) = dest.check(&["rm", "-f", "--", p]).await {
            errors.push(format!("{p}: {e}"));
        }
    }
    errors
}

/// A destination filesystem found (nearly) full after a failed block
/// migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Full {
    /// The directory of the disk being written.
    pub dir: String,
    pub free_mib: u64,
}

/// After a failed block migration, and before rollback deletes the partial
/// copies that filled it: is the filesystem under a disk being copied
/// (nearly) full? libvirt reports a full destination disk only as the
/// migration connection's "End of file", which reads like an unreachable
/// destination.
pub async fn filled_up(dest: &Arc<SshSession>, paths: &[String]) -> Option<Full> {
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
