//! Device checks: the networks the guest's interfaces plug into exist on
//! the destination, no passthrough device pins it to the source, and
//! attached CD-ROM/floppy images exist on the destination.
//!
//! A missing bridge is the case libvirt reports worst (an opaque "End of
//! file while reading data" at the client, the real reason only in the
//! destination's libvirtd log), so it is caught here, before migrating.

use std::sync::Arc;

use super::Check;
use crate::hypervisor::Libvirt;
use crate::ssh::SshSession;
use crate::vm::spec::VmSpec;

/// One interface's attachment and whether the destination has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub what: String,
    pub found: Result<(), String>,
}

/// Kernel interface names: 1–15 characters, no '/' (also keeps the sysfs
/// path below from going anywhere else).
fn valid_ifname(n: &str) -> bool {
    !n.is_empty() && n.len() <= 15 && !n.contains('/') && n != "." && n != ".."
}

/// Looks up every interface's network, bridge or device on the destination.
pub async fn probe_networks(
    vm: &VmSpec,
    dest_lv: &Arc<Libvirt>,
    dest_ssh: &Arc<SshSession>,
) -> Vec<Attachment> {
    let mut out = Vec::new();
    for iface in &vm.interfaces {
        let src = iface.source.clone().unwrap_or_default();
        let (what, found) = match iface.kind.as_str() {
            "network" => {
                let lv = dest_lv.clone();
                let name = src.clone();
                let found = tokio::task::spawn_blocking(move || {
                    let active = lv
                        .conn()
                        .lookup_network_by_name(&name)
                        .and_then(|n| n.is_active());
                    match active {
                        Ok(true) => Ok(()),
                        Ok(false) => Err(format!(
                            "libvirt network {name} exists but is not active (virsh net-start {name})"
                        )),
                        Err(e) => Err(format!("no libvirt network {name}: {}", e.message())),
                    }
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
                (format!("network {src}"), found)
            }
            "bridge" | "direct" => {
                let kind = if iface.kind == "bridge" {
                    "bridge"
                } else {
                    "device"
                };
                let found = if valid_ifname(&src) {
                    // A bridge has /sys/class/net/NAME/bridge; any device has /sys/class/net/NAME.
                    let path = if kind == "bridge" {
                        format!("/sys/class/net/{src}/bridge")
                    } else {
                        format!("/sys/class/net/{src}")
                    };
                    match dest_ssh.run(&["test", "-e", &path]).await {
                        Ok(o) if o.status == 0 => Ok(()),
                        Ok(_) => Err(format!("no {kind} {src}")),
                        Err(e) => Err(e.to_string()),
                    }
                } else {
                    Err(format!("{src:?} is not a valid interface name"))
                };
                (format!("{kind} {src}"), found)
            }
            "hostdev" => (
                format!("SR-IOV device {src}"),
                Err("passthrough network devices cannot be live-migrated; detach it first".into()),
            ),
            other => (format!("{other} interface"), Ok(())),
        };
        out.push(Attachment { what, found });
    }
    out
}

/// `devices.networks`.
pub fn networks(dest: &str, found: &[Attachment]) -> Check {
    if found.is_empty() {
        return Check::pass("devices.networks", "the VM has no network interfaces");
    }
    let missing: Vec<String> = found
        .iter()
        .filter_map(|a| a.found.as_ref().err().map(|e| format!("{}: {e}", a.what)))
        .collect();
    if missing.is_empty() {
        let all: Vec<&str> = found.iter().map(|a| a.what.as_str()).collect();
        Check::pass("devices.networks", format!("{dest} has {}", all.join(", ")))
    } else {
        Check::fail(
            "devices.networks",
            format!(
                "{dest} lacks what the VM's interfaces attach to: {}; create it there first or choose another host",
                missing.join("; ")
            ),
        )
    }
}

/// `devices.hostdev`: PCI/USB passthrough is not live-migratable.
pub fn hostdev(vm: &VmSpec) -> Check {
    if vm.hostdevs.is_empty() {
        Check::pass("devices.hostdev", "no passthrough devices")
    } else {
        Check::fail(
            "devices.hostdev",
            format!(
                "{} has passthrough devices ({}), which cannot be live-migrated; detach them (virsh detach-device) or shut the VM down and move it cold",
                vm.name,
                vm.hostdevs.join("; ")
            ),
        )
    }
}

/// Which inserted media images are missing on the destination.
pub async fn probe_media(vm: &VmSpec, dest_ssh: &Arc<SshSession>) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for d in vm.disks.iter().filter(|d| d.is_media()) {
        let path = d.source.clone().unwrap_or_default();
        let present = if d.kind == "file" || d.kind == "block" {
            matches!(dest_ssh.run(&["test", "-r", &path]).await, Ok(o) if o.status == 0)
        } else {
            true
        };
        out.push((d.target.clone(), path, present));
    }
    out
}

/// `devices.media`.
pub fn media(vm: &VmSpec, dest: &str, found: &[(String, String, bool)]) -> Check {
    if found.is_empty() {
        return Check::pass("devices.media", "no CD-ROM or floppy image attached");
    }
    let missing: Vec<&(String, String, bool)> = found.iter().filter(|m| !m.2).collect();
    match missing.first() {
        None => Check::pass("devices.media", format!("attached images exist on {dest}")),
        Some((target, path, _)) => Check::fail(
            "devices.media",
            format!(
                "{path} (attached as {target}) does not exist on {dest}; copy it there or eject it: virsh change-media {} {target} --eject",
                vm.name
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

    #[test]
    fn missing_bridge_fails_with_what_to_do() {
        let found = [Attachment {
            what: "bridge br-it".into(),
            found: Err("no bridge br-it".into()),
        }];
        let c = networks("lab2", &found);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("br-it") && c.message.contains("create it there"));
        assert!(!valid_ifname("../../etc"));
        assert!(valid_ifname("br0"));
    }

    #[test]
    fn hostdev_blocks() {
        let vm = VmSpec {
            name: "v".into(),
            hostdevs: vec!["pci bus=0x01".into()],
            ..Default::default()
        };
        assert_eq!(hostdev(&vm).status, Status::Fail);
        assert_eq!(hostdev(&VmSpec::default()).status, Status::Pass);
    }
}
