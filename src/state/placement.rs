//! The placement hint: where each VM was last seen, by any run that saw its
//! host's domains (`hosts`, `check`, `live`, `evacuate`, `ps`…), kept in
//! the state directory as `placement.json` (0600, replaced by rename under
//! `placement.lock`, so concurrent runs merge rather than overwrite).
//!
//! It is only ever a hint: `check`/`live` without `--from` connect to the
//! hinted host first and verify the VM there; a hint that is missing, names
//! a host the inventory no longer has (or has at another address), or is
//! wrong, sends them to the fleet-wide search, as before. A damaged file is
//! the same as no file.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::perms;
use crate::facts::HostFacts;
use crate::inventory::{Host, Inventory};

const FILE: &str = "placement.json";
const LOCK: &str = "placement.lock";
/// Beyond this many VMs the oldest sightings are dropped (the file is read
/// by every run; a fleet this large still reads it in milliseconds).
const MAX_VMS: usize = 200_000;

/// Where a VM was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// Inventory name of the host.
    pub host: String,
    /// Its address then: a host renamed or re-addressed since is not
    /// trusted.
    pub address: String,
    /// When (Unix seconds).
    pub at: u64,
}

/// The file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Hints {
    version: u32,
    vms: BTreeMap<String, Seen>,
}

/// The inventory host `vm` was last seen on, when the hint still fits the
/// inventory (same name, same address).
pub fn hint<'a>(inventory: &'a Inventory, vm: &str) -> Option<&'a Host> {
    let dir = super::dir().ok()?;
    let seen = read(&dir).vms.remove(vm)?;
    inventory
        .hosts
        .iter()
        .find(|h| h.name == seen.host && h.address == seen.address)
}

/// Records what `facts` show: each VM on the host it runs on (or, when it
/// runs nowhere in `facts`, the one host it is defined on). Hosts whose
/// domains were not read teach nothing. Failures are only logged: the hint
/// is an optimisation, never a reason to fail a run.
pub fn learn<'a>(facts: impl IntoIterator<Item = &'a HostFacts>) {
    let now = now();
    let mut seen: BTreeMap<&str, (&HostFacts, bool)> = BTreeMap::new();
    for f in facts.into_iter().filter(|f| f.libvirt.reachable) {
        for v in &f.vms {
            let active = v.is_active();
            match seen.get(v.name.as_str()) {
                Some((_, true)) => {}
                Some((_, false)) if !active => {}
                _ => {
                    seen.insert(&v.name, (f, active));
                }
            }
        }
    }
    record(seen.into_iter().map(|(vm, (f, _))| {
        (
            vm.to_string(),
            Seen {
                host: f.name.clone(),
                address: f.address.clone(),
                at: now,
            },
        )
    }));
}

/// Records that `vm` is now on `host` (a migration's end).
pub fn moved(vm: &str, host: &Host) {
    record(std::iter::once((
        vm.to_string(),
        Seen {
            host: host.name.clone(),
            address: host.address.clone(),
            at: now(),
        },
    )));
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Merges `sightings` into the file.
fn record(sightings: impl Iterator<Item = (String, Seen)>) {
    let Ok(dir) = super::dir() else {
        return;
    };
    if let Err(e) = merge(&dir, sightings) {
        tracing::debug!(error = %e, "placement hint not written");
    }
}

fn merge(dir: &Path, sightings: impl Iterator<Item = (String, Seen)>) -> std::io::Result<()> {
    let lock = perms::open_file(&dir.join(LOCK), OpenOptions::new().write(true))?;
    lock.lock()?;
    let mut hints = read(dir);
    let mut changed = false;
    for (vm, s) in sightings {
        let same = hints
            .vms
            .get(&vm)
            .is_some_and(|old| old.host == s.host && old.address == s.address);
        // The same place, seen again: no need to rewrite the file for it.
        if !same {
            hints.vms.insert(vm, s);
            changed = true;
        }
    }
    if !changed {
        return Ok(());
    }
    if hints.vms.len() > MAX_VMS {
        let mut ages: Vec<u64> = hints.vms.values().map(|s| s.at).collect();
        ages.sort_unstable();
        let cut = ages[hints.vms.len() - MAX_VMS];
        hints.vms.retain(|_, s| s.at >= cut);
    }
    hints.version = 1;
    let tmp = dir.join(format!(".{FILE}.{}", std::process::id()));
    let mut f = perms::open_file(&tmp, OpenOptions::new().write(true).truncate(true))?;
    let json = serde_json::to_vec(&hints).map_err(std::io::Error::other)?;
    f.write_all(&json)?;
    f.sync_data()?;
    std::fs::rename(&tmp, dir.join(FILE))
}

/// The file's content; nothing when it is missing or damaged.
fn read(dir: &Path) -> Hints {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::lab_facts;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn learns_where_each_vm_runs_and_merges() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = lab_facts("lab1");
        let b = lab_facts("lab2");
        let vm = a.vms[0].name.clone();
        merge(
            dir.path(),
            std::iter::once((
                "old".into(),
                Seen {
                    host: "lab3".into(),
                    address: "x".into(),
                    at: 1,
                },
            )),
        )
        .unwrap();
        let sightings = |facts: &[HostFacts]| {
            let mut out = Vec::new();
            for f in facts {
                for v in &f.vms {
                    out.push((
                        v.name.clone(),
                        Seen {
                            host: f.name.clone(),
                            address: f.address.clone(),
                            at: 2,
                        },
                    ));
                }
            }
            out
        };
        merge(dir.path(), sightings(&[a.clone(), b]).into_iter()).unwrap();
        let h = read(dir.path());
        assert_eq!(h.vms["old"].host, "lab3", "kept");
        assert_eq!(h.vms[&vm].host, "lab1");
        // Damaged: read as empty, then rewritten whole.
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        assert!(read(dir.path()).vms.is_empty());
        a.name = "lab9".into();
        merge(dir.path(), sightings(&[a]).into_iter()).unwrap();
        assert_eq!(read(dir.path()).vms[&vm].host, "lab9");
        let mode = std::fs::metadata(dir.path().join(FILE)).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
