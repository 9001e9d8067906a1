//! The device probes on a destination: does it have what each interface
//! attaches to, and each inserted CD-ROM/floppy image?

use std::sync::Arc;

use crate::checks::devices::{Attachment, Media};
use crate::hypervisor::{Host, Network};
use crate::ssh::SshSession;
use crate::vm::spec::{Interface, VmSpec};

/// Kernel interface names: 1–15 characters, no '/' (also keeps the sysfs
/// path below from going anywhere else).
fn valid_ifname(n: &str) -> bool {
    !n.is_empty() && n.len() <= 15 && !n.contains('/') && n != "." && n != ".."
}

/// Looks up every interface's network, bridge or device on the destination.
pub(super) async fn probe_networks(
    vm: &VmSpec,
    dest: &Host,
    dest_ssh: &Arc<SshSession>,
) -> Vec<Attachment> {
    let mut out = Vec::new();
    for iface in &vm.interfaces {
        out.push(probe_interface(iface, dest, dest_ssh).await);
    }
    out
}

async fn probe_interface(iface: &Interface, dest: &Host, ssh: &Arc<SshSession>) -> Attachment {
    let src = iface.source.clone().unwrap_or_default();
    let (what, missing) = match iface.kind.as_str() {
        "network" => (format!("network {src}"), network(dest, &src).await),
        "bridge" => (format!("bridge {src}"), device(ssh, "bridge", &src).await),
        "direct" => (format!("device {src}"), device(ssh, "device", &src).await),
        "hostdev" => (
            format!("SR-IOV device {src}"),
            Some("passthrough network devices cannot be live-migrated; detach it first".into()),
        ),
        other => (format!("{other} interface"), None),
    };
    Attachment { what, missing }
}

/// Why libvirt network `name` cannot take an interface, if it cannot.
async fn network(dest: &Host, name: &str) -> Option<String> {
    match dest.network(name).await {
        Ok(Network::Active) => None,
        Ok(Network::Inactive) => Some(format!(
            "libvirt network {name} exists but is not active (virsh net-start {name})"
        )),
        Ok(Network::Missing(why)) => Some(format!("no libvirt network {name}: {why}")),
        Err(e) => Some(format!(
            "cannot look up libvirt network {name}: {}",
            e.detail()
        )),
    }
}

/// Why there is no `kind` (bridge or any device) `name` on the host, if not.
async fn device(ssh: &Arc<SshSession>, kind: &str, name: &str) -> Option<String> {
    if !valid_ifname(name) {
        return Some(format!("{name:?} is not a valid interface name"));
    }
    // A bridge has /sys/class/net/NAME/bridge; any device has /sys/class/net/NAME.
    let path = if kind == "bridge" {
        format!("/sys/class/net/{name}/bridge")
    } else {
        format!("/sys/class/net/{name}")
    };
    match ssh.run(&["test", "-e", &path]).await {
        Ok(o) if o.status == 0 => None,
        Ok(_) => Some(format!("no {kind} {name}")),
        Err(e) => Some(e.to_string()),
    }
}

/// Whether each inserted media image exists on the destination.
pub(super) async fn probe_media(vm: &VmSpec, dest_ssh: &Arc<SshSession>) -> Vec<Media> {
    let mut out = Vec::new();
    for d in vm.disks.iter().filter(|d| d.is_media()) {
        let path = d.source.clone().unwrap_or_default();
        let present = if d.kind == "file" || d.kind == "block" {
            matches!(dest_ssh.run(&["test", "-r", &path]).await, Ok(o) if o.status == 0)
        } else {
            true
        };
        out.push(Media {
            target: d.target.clone(),
            path,
            present,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn interface_names_stay_in_sysfs() {
        assert!(!super::valid_ifname("../../etc"));
        assert!(!super::valid_ifname(""));
        assert!(!super::valid_ifname("a-very-long-name-x"));
        assert!(super::valid_ifname("br0"));
    }
}
