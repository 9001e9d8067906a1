//! What a leaving VM's disks ask of one candidate host, decided by the
//! storage checks' own rules (`crate::checks::storage`) for every
//! candidate at once: the room block migration takes there (its local
//! disks' allocation), or why that host cannot take the VM — a disk's
//! directory missing there, local disks under `--block-migration no`,
//! nothing to copy under `--block-migration yes`, or a stopped VM whose
//! disks are not shared with it (moving a definition copies no disk).
//! Pure: the placements come from one shared-storage test per directory
//! and host (`commands::evacuate::disks`).

use super::place::Leaving;
use crate::checks::storage::{parent, BlockMode, DiskPlacement, Placement};

/// What the VM takes from the host's disk room, MiB (0: nothing copied).
pub type DiskMb = u64;

/// The VM's disks against one host: the MiB block migration copies
/// there, or why the host cannot take it.
pub fn on_host(
    disks: &[DiskPlacement],
    mode: BlockMode,
    stopped: bool,
    host: &str,
) -> Result<DiskMb, String> {
    let name = |d: &DiskPlacement| {
        format!(
            "{} ({})",
            d.disk.target,
            d.disk.source.as_deref().unwrap_or("?")
        )
    };
    if let Some(d) = disks.iter().find(|d| d.placement == Placement::MissingDir) {
        let dir = d.disk.source.as_deref().map(parent).unwrap_or_default();
        return Err(format!(
            "storage: {dir} (of {}) does not exist on {host}",
            d.disk.target
        ));
    }
    let local: Vec<&DiskPlacement> = disks.iter().filter(|d| d.placement.is_local()).collect();
    let names = || local.iter().map(|d| name(d)).collect::<Vec<_>>().join(", ");
    if stopped {
        return if local.is_empty() {
            Ok(0)
        } else {
            Err(format!(
                "storage: {} not shared with {host}, and a stopped VM's move copies no disk (start it to live-migrate it)",
                names()
            ))
        };
    }
    match (mode, local.is_empty()) {
        (BlockMode::No, false) => Err(format!(
            "storage: {} local and --block-migration no",
            names()
        )),
        (BlockMode::Yes, true) if !disks.is_empty() => Err(format!(
            "storage: every disk is shared with {host}; --block-migration yes would copy none"
        )),
        _ => {
            let mib = |b: u64| b.div_ceil(1 << 20);
            Ok(local
                .iter()
                .map(|d| mib(d.allocation.or(d.capacity).unwrap_or(0)))
                .sum())
        }
    }
}

impl Leaving {
    /// Adds what the VM's disks ask of each host (`on_host`'s verdicts, by
    /// host name): the room most hosts would give becomes its need, the
    /// other hosts' exceptions, and the hosts that cannot take it are
    /// refused with why.
    #[must_use]
    pub fn with_disks(mut self, verdicts: Vec<(String, Result<DiskMb, String>)>) -> Leaving {
        let mut counts: Vec<(DiskMb, usize)> = Vec::new();
        for mb in verdicts.iter().filter_map(|(_, v)| v.as_ref().ok()) {
            match counts.iter_mut().find(|(m, _)| m == mb) {
                Some((_, n)) => *n += 1,
                None => counts.push((*mb, 1)),
            }
        }
        let usual = counts
            .iter()
            .max_by_key(|(mb, n)| (*n, std::cmp::Reverse(*mb)))
            .map_or(0, |(mb, _)| *mb);
        self.need.disk_mb = usual;
        for (host, v) in verdicts {
            match v {
                Ok(mb) if mb != usual => self.disk_on.push((host, mb)),
                Ok(_) => {}
                Err(why) => self.refused.push((host, why)),
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::spec::Disk;

    fn disk(target: &str, path: &str, placement: Placement, mib: u64) -> DiskPlacement {
        DiskPlacement {
            disk: Disk {
                device: "disk".into(),
                kind: "file".into(),
                source: Some(path.into()),
                protocol: None,
                format: Some("qcow2".into()),
                target: target.into(),
                readonly: false,
                shareable: false,
            },
            allocation: Some(mib << 20),
            capacity: Some(10 << 30),
            placement,
        }
    }

    #[test]
    fn local_disks_take_their_allocation_shared_ones_nothing() {
        let disks = [
            disk("vda", "/i/a.qcow2", Placement::Local, 300),
            disk("vdb", "/s/b.qcow2", Placement::Shared, 900),
            disk("vdc", "/i/c.qcow2", Placement::Unknown("?".into()), 5),
        ];
        assert_eq!(on_host(&disks, BlockMode::Auto, false, "h"), Ok(305));
        assert_eq!(on_host(&disks[1..2], BlockMode::Auto, false, "h"), Ok(0));
        assert_eq!(on_host(&[], BlockMode::Yes, false, "h"), Ok(0));
    }

    #[test]
    fn each_refusal_says_what_to_change() {
        let local = [disk("vda", "/i/a.qcow2", Placement::Local, 1)];
        let shared = [disk("vda", "/s/a.qcow2", Placement::Shared, 1)];
        let missing = [disk("vda", "/i/a.qcow2", Placement::MissingDir, 1)];
        let no = on_host(&local, BlockMode::No, false, "h").unwrap_err();
        assert!(
            no.contains("vda (/i/a.qcow2) local and --block-migration no"),
            "{no}"
        );
        let yes = on_host(&shared, BlockMode::Yes, false, "h").unwrap_err();
        assert!(yes.contains("every disk is shared with h"), "{yes}");
        let gone = on_host(&missing, BlockMode::Auto, false, "h").unwrap_err();
        assert_eq!(gone, "storage: /i (of vda) does not exist on h");
    }

    #[test]
    fn the_usual_room_is_the_need_and_the_rest_exceptions() {
        let vm = crate::facts::VmFacts {
            name: "v".into(),
            uuid: "u".into(),
            state: crate::hypervisor::DomainState::Running,
            memory_mb: 512,
            vcpus: 1,
            persistent: true,
        };
        let l = Leaving::of(&vm).with_disks(vec![
            ("a".into(), Ok(300)),
            ("b".into(), Ok(0)),
            ("c".into(), Ok(300)),
            ("d".into(), Err("storage: no".into())),
        ]);
        assert_eq!(l.need.disk_mb, 300);
        assert_eq!(l.disk_on, vec![("b".to_string(), 0)]);
        assert_eq!(
            l.refused,
            vec![("d".to_string(), "storage: no".to_string())]
        );
    }

    #[test]
    fn a_stopped_vm_goes_only_where_its_disks_are_shared() {
        let local = [disk("vda", "/i/a.qcow2", Placement::Local, 1)];
        let shared = [disk("vda", "/s/a.qcow2", Placement::Shared, 1)];
        assert_eq!(on_host(&shared, BlockMode::Auto, true, "h"), Ok(0));
        let why = on_host(&local, BlockMode::Yes, true, "h").unwrap_err();
        assert!(why.contains("copies no disk"), "{why}");
    }
}
