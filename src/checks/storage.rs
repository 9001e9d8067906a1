//! Storage checks: which disks are shared with the destination, whether
//! that calls for block migration, and whether the destination has room.
//!
//! Network disks (nbd, rbd, iscsi, gluster, …) are shared by nature; a file
//! disk's placement comes from Nova's shared-storage test, run by
//! `preflight::storage`.

use super::Check;
use crate::capacity::{disk_capacity, signed};
use crate::facts::HostFacts;
use crate::inventory::Host;
use crate::vm::spec::Disk;

/// `--block-migration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockMode {
    /// Block-migrate exactly when some disk is on local storage.
    Auto,
    /// Always copy the disks (fails when all storage is shared).
    Yes,
    /// Never copy disks (fails when some disk is local).
    No,
}

/// Where one disk lives, as seen from the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A network disk: shared.
    Network(String),
    /// A file in a directory both hosts see.
    Shared,
    /// A file in a directory only the source sees.
    Local,
    /// The disk's directory does not exist on the destination.
    MissingDir,
    /// Could not tell; treated as local.
    Unknown(String),
}

impl Placement {
    /// Must be copied for the VM to run on the destination.
    pub(crate) fn is_local(&self) -> bool {
        !matches!(self, Placement::Network(_) | Placement::Shared)
    }
}

/// A data disk, its size on the source and its placement.
#[derive(Debug, Clone)]
pub struct DiskPlacement {
    pub disk: Disk,
    /// Bytes the image occupies on the source (virDomainGetBlockInfo).
    pub allocation: Option<u64>,
    /// Virtual size in bytes.
    pub capacity: Option<u64>,
    pub placement: Placement,
}

/// The directory of a file path.
pub(crate) fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => path[..i].to_string(),
        None => ".".into(),
    }
}

fn describe(p: &DiskPlacement) -> String {
    let what = p.disk.source.as_deref().unwrap_or("?");
    let verdict = match &p.placement {
        Placement::Network(proto) => format!("{proto} network disk, shared"),
        Placement::Shared => "shared (test file seen from the source)".into(),
        Placement::Local => "local (test file not seen from the source)".into(),
        Placement::MissingDir => "local (its directory does not exist on the destination)".into(),
        Placement::Unknown(why) => format!("local? {why}"),
    };
    format!("{} ({what}): {verdict}", p.disk.target)
}

/// `storage.shared`: how each data disk was classified.
pub(crate) fn shared(disks: &[DiskPlacement]) -> Check {
    if disks.is_empty() {
        return Check::pass("storage.shared", "the VM has no data disks");
    }
    let text = disks.iter().map(describe).collect::<Vec<_>>().join("; ");
    if disks
        .iter()
        .any(|d| matches!(d.placement, Placement::Unknown(_)))
    {
        Check::warn("storage.shared", text)
    } else {
        Check::pass("storage.shared", text)
    }
}

/// `storage.shared` when the test could not run: SSH to the source failed
/// (`why`).
pub(crate) fn untested(why: &str) -> Check {
    Check::fail(
        "storage.shared",
        format!("cannot test shared storage: SSH to the source failed: {why}"),
    )
}

/// `--disks`: the operator names the local disks to copy. A disk vmigrate
/// could not place (a block device, …) and not named is taken as shared
/// on the operator's word; a named disk that is shared (copying it would
/// write it onto itself), a name the VM has no data disk for, or a local
/// disk not named is refused. Returns `storage.disks`'s message.
pub(crate) fn name_disks(disks: &mut [DiskPlacement], named: &[String]) -> Result<String, String> {
    let has = |t: &str| disks.iter().any(|d| d.disk.target == t);
    if let Some(n) = named.iter().find(|n| !has(n)) {
        let all: Vec<&str> = disks.iter().map(|d| d.disk.target.as_str()).collect();
        return Err(format!(
            "--disks {n}: the VM has no data disk {n} (it has {})",
            if all.is_empty() {
                "none".to_string()
            } else {
                all.join(", ")
            }
        ));
    }
    let mut taken = Vec::new();
    for d in disks.iter_mut() {
        let is_named = named.contains(&d.disk.target);
        match (&d.placement, is_named) {
            (Placement::Network(_) | Placement::Shared, true) => {
                return Err(format!(
                    "--disks {}: {} is shared with the destination; copying it would write it onto itself: leave it out",
                    d.disk.target,
                    d.disk.source.as_deref().unwrap_or("?")
                ))
            }
            (Placement::Local | Placement::MissingDir, false) => {
                return Err(format!(
                    "{} ({}) is local and not in --disks: the destination could not use it; name it too",
                    d.disk.target,
                    d.disk.source.as_deref().unwrap_or("?")
                ))
            }
            (Placement::Unknown(_), false) => {
                taken.push(d.disk.target.clone());
                d.placement = Placement::Shared;
            }
            _ => {}
        }
    }
    let mut msg = format!("copies {} only, as --disks asks", named.join(", "));
    if !taken.is_empty() {
        msg.push_str(&format!(
            "; {} taken as shared (not named, and its placement could not be tested)",
            taken.join(", ")
        ));
    }
    Ok(msg)
}

/// `storage.disks`, from [`name_disks`]'s answer.
pub(crate) fn disks_check(named: &Result<String, String>) -> Check {
    match named {
        Ok(m) => Check::pass("storage.disks", m.clone()),
        Err(m) => Check::fail("storage.disks", m.clone()),
    }
}

/// Whether the disks are copied: `--block-migration`, or in `auto` mode
/// whether some disk is local.
pub(crate) fn block_wanted(requested: BlockMode, disks: &[DiskPlacement]) -> bool {
    match requested {
        BlockMode::Auto => disks.iter().any(|d| d.placement.is_local()),
        BlockMode::Yes => true,
        BlockMode::No => false,
    }
}

/// `storage.mode`: whether the disks call for block migration, against
/// `--block-migration`. Returns the check and whether to block-migrate.
pub(crate) fn mode(requested: BlockMode, disks: &[DiskPlacement], source: &str) -> (Check, bool) {
    let local: Vec<&DiskPlacement> = disks.iter().filter(|d| d.placement.is_local()).collect();
    let names = |v: &[&DiskPlacement]| {
        v.iter()
            .map(|d| {
                format!(
                    "{} ({})",
                    d.disk.target,
                    d.disk.source.as_deref().unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let block = block_wanted(requested, disks);
    let check = match (requested, local.is_empty()) {
        (BlockMode::Yes, true) => Check::fail(
            "storage.mode",
            "block migration can not be used with shared storage: every disk is shared with the destination; use --block-migration auto or no",
        ),
        (BlockMode::No, false) => Check::fail(
            "storage.mode",
            format!(
                "{} on local storage of {source}; they must be copied: use --block-migration auto or yes",
                names(&local)
            ),
        ),
        (_, true) => Check::pass("storage.mode", "all disks on shared storage: no block migration"),
        (_, false) => Check::pass(
            "storage.mode",
            format!("block migration: local disks {} are copied", names(&local)),
        ),
    };
    (check, block)
}

/// `storage.dest_space`: room on the destination for the disks block
/// migration copies; their directories must exist there and the files
/// must not (`existing`, from [`existing_on_dest`]).
pub(crate) fn dest_space(
    block: bool,
    disks: &[DiskPlacement],
    existing: &[String],
    host: &Host,
    f: &HostFacts,
) -> Check {
    if !block {
        return Check::skip(
            "storage.dest_space",
            "no block migration: no disk is copied",
        );
    }
    if let Some(p) = existing.first() {
        return Check::fail(
            "storage.dest_space",
            format!(
                "{p} already exists on {}; block migration does not overwrite it: if it is a leftover of an earlier migration, remove it there",
                host.name
            ),
        );
    }
    let local: Vec<&DiskPlacement> = disks.iter().filter(|d| d.placement.is_local()).collect();
    if let Some(d) = local.iter().find(|d| d.placement == Placement::MissingDir) {
        let dir = d.disk.source.as_deref().map(parent).unwrap_or_default();
        return Check::fail(
            "storage.dest_space",
            format!("{dir} does not exist on {}; create it there (block migration copies {} to the same path)", host.name, d.disk.target),
        );
    }
    let mib = |b: u64| b.div_ceil(1024 * 1024);
    let needed: u64 = local
        .iter()
        .map(|d| mib(d.allocation.or(d.capacity).unwrap_or(0)))
        .sum();
    let virtual_size: u64 = local.iter().map(|d| mib(d.capacity.unwrap_or(0))).sum();
    let Some(room) = disk_capacity(host, f) else {
        return Check::fail(
            "storage.dest_space",
            format!(
                "free space at {} on {} is unknown: {}",
                host.instances_path,
                host.name,
                f.error.as_deref().unwrap_or("not reported")
            ),
        );
    };
    if signed(needed) > room {
        Check::fail(
            "storage.dest_space",
            format!(
                "{} lacks disk space: block migration needs {needed} MiB, has {} MiB free at {} after the {} MiB reserve; free space or choose another host",
                host.name,
                room.max(0),
                host.instances_path,
                host.reserved_host_disk_mb
            ),
        )
    } else if signed(virtual_size) > room {
        Check::warn(
            "storage.dest_space",
            format!(
                "{} has {room} MiB for {needed} MiB of disk data, but the disks may grow to {virtual_size} MiB",
                host.name
            ),
        )
    } else {
        Check::pass(
            "storage.dest_space",
            format!("{} has {room} MiB free for {needed} MiB of disk data (virtual size {virtual_size} MiB)", host.name),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::facts::testdata::{lab_facts, lab_host};

    fn placed(target: &str, kind: &str, placement: Placement) -> DiskPlacement {
        DiskPlacement {
            disk: Disk {
                device: "disk".into(),
                kind: kind.into(),
                source: Some(format!("/var/lib/libvirt/images/{target}.qcow2")),
                protocol: None,
                format: Some("qcow2".into()),
                target: target.into(),
                readonly: false,
                shareable: false,
            },
            allocation: Some(200 * 1024),
            capacity: Some(64 * 1024 * 1024),
            placement,
        }
    }

    #[test]
    fn auto_follows_the_disks() {
        let shared = [placed("vda", "network", Placement::Network("nbd".into()))];
        let local = [placed("vda", "file", Placement::Local)];
        assert!(!mode(BlockMode::Auto, &shared, "lab1").1);
        assert!(mode(BlockMode::Auto, &local, "lab1").1);
    }

    #[test]
    fn yes_with_shared_and_no_with_local_fail() {
        let shared = [placed("vda", "file", Placement::Shared)];
        let (c, _) = mode(BlockMode::Yes, &shared, "lab1");
        assert_eq!(c.status, Status::Fail);
        assert!(c
            .message
            .starts_with("block migration can not be used with shared storage"));
        let local = [placed("vda", "file", Placement::Local)];
        let (c, _) = mode(BlockMode::No, &local, "lab1");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("--block-migration auto or yes"));
    }

    #[test]
    fn space_against_free_minus_reserve() {
        let mut h = lab_host("lab2");
        let f = lab_facts("lab2");
        let local = [placed("vda", "file", Placement::Local)];
        assert_eq!(dest_space(true, &local, &[], &h, &f).status, Status::Pass);
        h.reserved_host_disk_mb = f.disk_free_mb.unwrap();
        let c = dest_space(true, &local, &[], &h, &f);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.contains("needs 1 MiB, has 0 MiB"),
            "{}",
            c.message
        );
        assert_eq!(dest_space(false, &local, &[], &h, &f).status, Status::Skip);
        let exists = ["/var/lib/libvirt/images/vda.qcow2".to_string()];
        let c = dest_space(true, &local, &exists, &lab_host("lab2"), &f);
        assert!(
            c.message.contains("already exists on lab2"),
            "{}",
            c.message
        );
        let missing = [placed("vda", "file", Placement::MissingDir)];
        let c = dest_space(true, &missing, &[], &lab_host("lab2"), &f);
        assert!(
            c.message.contains("does not exist on lab2"),
            "{}",
            c.message
        );
    }

    #[test]
    fn parent_dirs() {
        assert_eq!(parent("/a/b/c.qcow2"), "/a/b");
        assert_eq!(parent("/c.qcow2"), "/");
    }
}
