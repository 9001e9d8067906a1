//! The faults, and their repair: every injection returns a [`Repair`]
//! that undoes it when dropped — also when the cell panics — so the lab is
//! left healthy whatever happens (libvirtd started, link up, SSH let
//! through, the small disk unmounted, the memory-taking guest removed).

use std::process::Command;

use super::cells::{Fault, Phase};
use super::guest::{Workspace, IMAGES};
use super::phase::Started;
use crate::util::{destroy_everywhere, host_row, lab_sh, lab_try};

/// Undoes a fault when dropped (last injected, first undone).
#[derive(Default)]
pub struct Repair(Vec<Vec<String>>);

impl Repair {
    /// `lab.sh ARGS` is run to repair.
    fn then(&mut self, args: &[&str]) {
        self.0.push(args.iter().map(ToString::to_string).collect());
    }

    /// Repairs now.
    pub fn now(&mut self) {
        while let Some(args) = self.0.pop() {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            lab_try(&a);
        }
    }
}

impl Drop for Repair {
    fn drop(&mut self) {
        self.now();
    }
}

/// The guest that takes the destination's memory.
fn taker(ws: &Workspace) -> String {
    format!("{}-taker", ws.name)
}

/// What must be in place before the run starts: the destination's small
/// disk (the fault fills it later), the inventory's memory room.
pub fn prepare(fault: Fault, phase: Phase, ws: &mut Workspace, repair: &mut Repair) {
    match (fault, phase) {
        (Fault::DiskFull, Phase::Disks | Phase::MemoryCopy) => {
            small_disk(&ws.pair.dst, 32, repair);
        }
        (Fault::MemoryTaken, _) => {
            let taker = taker(ws);
            destroy_everywhere(&taker);
            repair.0.insert(
                0,
                vec!["vm".into(), "destroy".into(), ws.pair.dst.clone(), taker],
            );
            room_for_one(ws, 48);
        }
        _ => {}
    }
}

/// A tmpfs of `mib` MiB over `host`'s images directory, inside that host's
/// own mount namespace.
fn small_disk(host: &str, mib: u32, repair: &mut Repair) {
    let size = format!("size={mib}m");
    lab_sh(&[
        "exec", host, "mount", "-t", "tmpfs", "-o", &size, "mx-tmpfs", IMAGES,
    ]);
    // Lazily: a guest that moved there still holds its disk open.
    repair.then(&["exec", host, "umount", "-l", IMAGES]);
}

/// Rewrites the cell's inventory so that its destination has room for
/// `mib` MiB more (its reserve is what its domains do not use now).
fn room_for_one(ws: &mut Workspace, mib: u64) {
    let doc = ws.vmigrate().args(["hosts"]).run().json();
    let row = host_row(&doc, &ws.pair.dst);
    let total = row["memory_total_mb"].as_u64().expect("total memory");
    let used = row["memory_allocated_mb"]
        .as_u64()
        .expect("allocated memory");
    let text = std::fs::read_to_string(&ws.inventory).unwrap();
    let name = format!("name = \"{}\"", ws.pair.dst);
    let reserve = format!("{name}\nreserved_host_memory_mb = {}", total - used - mib);
    std::fs::write(&ws.inventory, text.replace(&name, &reserve)).unwrap();
}

/// Injects `fault` into the running `started`.
pub fn inject(fault: Fault, phase: Phase, ws: &Workspace, started: &mut Started) -> Repair {
    let mut repair = Repair::default();
    let (src, dst) = (ws.pair.src.as_str(), ws.pair.dst.as_str());
    match fault {
        Fault::DestLibvirtd | Fault::SrcLibvirtd => {
            let host = if fault == Fault::DestLibvirtd {
                dst
            } else {
                src
            };
            repair.then(&["libvirtd", "start", host]);
            lab_sh(&["libvirtd", "stop", host]);
        }
        Fault::DestLink => {
            repair.then(&["link", dst, "up"]);
            lab_sh(&["link", dst, "down"]);
        }
        Fault::SrcSsh => {
            repair.then(&["ssh", src, "restore"]);
            lab_sh(&["ssh", src, "cut"]);
        }
        Fault::Sigint | Fault::Sigterm => {
            let sig = if fault == Fault::Sigint {
                "-INT"
            } else {
                "-TERM"
            };
            let pid = started.child.id().to_string();
            let ok = Command::new("kill").args([sig, &pid]).status();
            assert!(ok.is_ok_and(|s| s.success()), "kill {sig} {pid}");
        }
        Fault::Sigkill => {
            started.child.kill().unwrap();
        }
        Fault::DiskFull if phase == Phase::Checks => {
            // Smaller than the disk: the checks judge after the hold.
            small_disk(dst, 1, &mut repair);
        }
        Fault::DiskFull => {
            // Fills it to the last byte (dd fails at the end, as meant).
            let of = format!("of={IMAGES}/mx-filler");
            lab_try(&["exec", dst, "dd", "if=/dev/zero", &of, "bs=1M"]);
        }
        Fault::MemoryTaken => {
            let t = taker(ws);
            lab_sh(&["vm", "create", dst, &t, "--disk", "net", "--memory", "64"]);
        }
    }
    repair
}
