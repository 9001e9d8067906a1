//! Block migration needs each local disk to exist on the destination
//! before the copy starts (libvirt fails with "Storage pool not found"
//! otherwise); Nova's pre_live_migration creates them. Here too: same
//! path, format and virtual size, created over SSH, never over an
//! existing file, each one journalled before it is made.

use std::sync::Arc;

use serde_json::json;

use crate::checks::storage::DiskPlacement;
use crate::error::Error;
use crate::ssh::SshSession;
use crate::state::Journal;

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
            .record(
                "precreate_disk",
                json!({"host": dest.host(), "path": path, "format": format, "bytes": size}),
            )
            .map_err(|e: Error| e.to_string())?;
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
        let _ = journal.record("remove_disk", json!({"host": dest.host(), "path": p}));
        if let Err(e) = dest.check(&["rm", "-f", "--", p]).await {
            errors.push(format!("{p}: {e}"));
        }
    }
    errors
}
