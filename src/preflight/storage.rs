//! Nova's shared-storage test, and the other storage probes the checks
//! need: a file created in a disk's directory on the destination and seen
//! from the source means the directory is shared. The test file is always
//! removed (see [`Cleanup`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::cleanup::Cleanup;
use crate::checks::storage::{parent, DiskPlacement, Placement};
use crate::ssh::SshSession;
use crate::vm::spec::Disk;

/// A name no other run (or other file) will have.
fn unique_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    format!(".vmigrate-shared-check-{:016x}", h.finish())
}

/// Nova's shared-storage test for one directory: create a file there on the
/// destination, look for it from the source, remove it.
pub(crate) async fn probe_dir(
    dest: &Arc<SshSession>,
    src: &Arc<SshSession>,
    dir: &str,
    cleanup: &Cleanup,
) -> Placement {
    // `set -C` makes the create exclusive, so a file that is not ours is
    // never truncated and never deleted.
    const CREATE: &str = "test -d \"$1\" || exit 3; set -C; : > \"$2\"";
    let path = format!("{}/{}", dir.trim_end_matches('/'), unique_name());
    // Recorded before it exists: an interrupt right after the remote create
    // must still remove it.
    cleanup.add(dest, &path);
    let created = dest
        .run(&["sh", "-c", CREATE, "vmigrate-check", dir, &path])
        .await;
    match created {
        Ok(o) if o.status == 0 => {}
        Ok(o) if o.status == 3 => {
            cleanup.forget(&path);
            return Placement::MissingDir;
        }
        Ok(o) => {
            cleanup.forget(&path);
            return Placement::Unknown(format!(
                "cannot create a test file in {dir} on {}: {}",
                dest.host(),
                o.stderr.trim()
            ));
        }
        Err(e) => {
            cleanup.forget(&path);
            return Placement::Unknown(e.to_string());
        }
    }
    let seen = src.run(&["test", "-e", &path]).await;
    let placement = match seen {
        Ok(o) if o.status == 0 => Placement::Shared,
        Ok(o) if o.status == 1 => Placement::Local,
        Ok(o) => Placement::Unknown(format!(
            "test on {} failed: {}",
            src.host(),
            o.stderr.trim()
        )),
        Err(e) => Placement::Unknown(e.to_string()),
    };
    if dest.check(&["rm", "-f", "--", &path]).await.is_ok() {
        cleanup.forget(&path);
    }
    placement
}

/// Places every data disk: network disks directly, file disks by probing
/// each distinct directory once.
pub(super) async fn place_disks(
    disks: Vec<(Disk, Option<u64>, Option<u64>)>,
    dest: &Arc<SshSession>,
    src: &Arc<SshSession>,
    cleanup: &Cleanup,
) -> Vec<DiskPlacement> {
    let mut dirs = BTreeMap::new();
    for dir in file_dirs(&disks) {
        let placement = probe_dir(dest, src, &dir, cleanup).await;
        dirs.insert(dir, placement);
    }
    place(disks, &dirs)
}

/// The distinct directories of the file disks, in order.
fn file_dirs(disks: &[(Disk, Option<u64>, Option<u64>)]) -> BTreeSet<String> {
    disks
        .iter()
        .filter(|(d, _, _)| d.kind == "file")
        .filter_map(|(d, _, _)| d.source.as_deref().map(parent))
        .collect()
}

/// Each disk's placement, file disks by their directory's test.
pub(crate) fn place(
    disks: Vec<(Disk, Option<u64>, Option<u64>)>,
    dirs: &BTreeMap<String, Placement>,
) -> Vec<DiskPlacement> {
    disks
        .into_iter()
        .map(|(disk, allocation, capacity)| {
            let placement = match disk.kind.as_str() {
                "network" => {
                    Placement::Network(disk.protocol.clone().unwrap_or_else(|| "network".into()))
                }
                "file" => disk
                    .source
                    .as_deref()
                    .and_then(|p| dirs.get(&parent(p)).cloned())
                    .unwrap_or(Placement::Unknown("file disk without a path".into())),
                "block" => Placement::Unknown(
                    "block device: vmigrate cannot tell whether it is shared; treated as local"
                        .into(),
                ),
                other => Placement::Unknown(format!("{other} disk: treated as local")),
            };
            DiskPlacement {
                disk,
                allocation,
                capacity,
                placement,
            }
        })
        .collect()
}

/// The local disks' paths that already exist on the destination (block
/// migration creates them there and never overwrites a file).
pub(super) async fn existing_on_dest(
    dest: &Arc<SshSession>,
    disks: &[DiskPlacement],
) -> Vec<String> {
    let mut found = Vec::new();
    for d in disks
        .iter()
        .filter(|d| d.placement.is_local() && d.disk.kind == "file")
    {
        if let Some(p) = &d.disk.source {
            if matches!(dest.run(&["test", "-e", p]).await, Ok(o) if o.status == 0) {
                found.push(p.clone());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(kind: &str, source: Option<&str>) -> (Disk, Option<u64>, Option<u64>) {
        let d = Disk {
            device: "disk".into(),
            kind: kind.into(),
            source: source.map(str::to_string),
            protocol: (kind == "network").then(|| "nbd".to_string()),
            format: None,
            target: "vda".into(),
            readonly: false,
            shareable: false,
        };
        (d, Some(1), Some(2))
    }

    #[test]
    fn each_directory_is_tested_once_and_decides_its_disks() {
        let disks = vec![
            disk("file", Some("/a/x.qcow2")),
            disk("file", Some("/a/y.qcow2")),
            disk("file", Some("/b/z.qcow2")),
            disk("network", Some("img")),
            disk("block", Some("/dev/sdb")),
            disk("file", None),
        ];
        let dirs = file_dirs(&disks);
        assert_eq!(dirs.into_iter().collect::<Vec<_>>(), vec!["/a", "/b"]);
        let tested = BTreeMap::from([
            ("/a".to_string(), Placement::Shared),
            ("/b".to_string(), Placement::MissingDir),
        ]);
        let placed: Vec<Placement> = place(disks, &tested)
            .into_iter()
            .map(|p| p.placement)
            .collect();
        assert_eq!(
            placed[..4],
            [
                Placement::Shared,
                Placement::Shared,
                Placement::MissingDir,
                Placement::Network("nbd".into()),
            ]
        );
        assert!(matches!(&placed[4], Placement::Unknown(w) if w.starts_with("block device")));
        assert!(matches!(&placed[5], Placement::Unknown(w) if w == "file disk without a path"));
    }
}
