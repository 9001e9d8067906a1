//! A cell's guest and workspace: a fresh, uniquely named dirtying guest
//! (small, so that it boots and moves fast), given a local data disk when
//! the cell needs a block migration; an inventory naming only the cell's
//! two hosts (so that vmigrate never waits on a host another cell has
//! damaged); its own state and hold directories. The guest is removed from
//! every host when the workspace is dropped, however the cell ended.

use std::path::PathBuf;

use super::sched::Pair;
use crate::util::{lab_out, lab_sh, lab_state_dir, lab_try, Lab, Vm};

/// Guest memory and the range it dirties, MiB: the smallest that keeps the
/// pattern check meaningful (3,840 pages) and boots in seconds.
const MEMORY: &str = "32";
const DIRTY: &str = "16";
/// The data disk of a block-migrated guest, MiB, and how much is written.
const DATA_DISK: &str = "16M";
const DATA_FILL: &str = "write -P 0x5a 0 8M";
pub const IMAGES: &str = "/var/lib/libvirt/images";

/// One cell's guest, directories and inventory.
pub struct Workspace {
    pub name: String,
    pub pair: Pair,
    /// Whether the guest has a local disk (migrated by block migration).
    pub block: bool,
    pub inventory: PathBuf,
    dir: tempfile::TempDir,
}

impl Workspace {
    /// Creates the guest `name` on `pair.src`.
    pub fn new(lab: &Lab, name: &str, pair: &Pair, block: bool) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("vmigrate-matrix")
            .tempdir()
            .unwrap();
        std::fs::create_dir(dir.path().join("state")).unwrap();
        std::fs::create_dir(dir.path().join("hold")).unwrap();
        let inventory = lab.all_hosts_inventory(dir.path(), |text| two_hosts(&text, pair));
        let ws = Workspace {
            name: name.to_string(),
            pair: pair.clone(),
            block,
            inventory,
            dir,
        };
        remove(&lab.hosts(), name);
        let create = [
            "vm", "create", &pair.src, name, "--disk", "net", "--memory", MEMORY, "--dirty", DIRTY,
        ];
        lab_sh(&create);
        if block {
            ws.add_data_disk();
        }
        ws
    }

    /// A local qcow2 with data, hot-plugged: the dirtying guest boots from
    /// a network disk (shared), so this is the disk a block migration
    /// copies. Named like a `--disk local` guest's, so that the lab's
    /// `vm destroy` removes it from every host.
    fn add_data_disk(&self) {
        let path = self.disk();
        let src = self.pair.src.as_str();
        lab_sh(&[
            "exec", src, "qemu-img", "create", "-q", "-f", "qcow2", &path, DATA_DISK,
        ]);
        lab_sh(&[
            "exec", src, "qemu-io", "-f", "qcow2", "-c", DATA_FILL, &path,
        ]);
        lab_sh(&[
            "virsh",
            src,
            "attach-disk",
            &self.name,
            &path,
            "vdb",
            "--driver",
            "qemu",
            "--subdriver",
            "qcow2",
            "--persistent",
        ]);
    }

    /// The guest's local disk path (on whichever host holds it).
    pub fn disk(&self) -> String {
        format!("{IMAGES}/{}.qcow2", self.name)
    }

    pub fn inv(&self) -> &str {
        self.inventory.to_str().unwrap()
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn hold_dir(&self) -> PathBuf {
        self.dir.path().join("hold")
    }

    /// A `vmigrate` run with this cell's inventory and state directory.
    pub fn vmigrate(&self) -> Vm {
        Vm::cmd().inventory(self.inv()).json().state(self.state())
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        remove(&[self.pair.src.clone(), self.pair.dst.clone()], &self.name);
    }
}

/// Removes the guest `name` from `hosts`, its storage with it: `vm destroy`
/// only where libvirt knows it (each takes the lab's lock and asks every
/// host), and once more if the lab still has its record (its disks).
fn remove(hosts: &[String], name: &str) {
    for h in hosts {
        if lab_out(&["virsh", h, "domstate", name]).is_some() {
            lab_try(&["vm", "destroy", h, name]);
        }
    }
    let meta = lab_state_dir().join("vms").join(format!("{name}.meta"));
    if meta.exists() {
        lab_try(&["vm", "destroy", &hosts[0], name]);
    }
}

/// The lab inventory with only `pair`'s hosts.
fn two_hosts(text: &str, pair: &Pair) -> String {
    let mut blocks = text.split("[[hosts]]");
    let mut out = blocks.next().unwrap_or_default().to_string();
    for b in blocks {
        let keep = [&pair.src, &pair.dst]
            .iter()
            .any(|h| b.contains(&format!("name = \"{h}\"")));
        if keep {
            out.push_str("[[hosts]]");
            out.push_str(b);
        }
    }
    out
}
