//! Device checks: the networks the guest's interfaces plug into exist on
//! the destination, no passthrough device pins it to the source, and
//! attached CD-ROM/floppy images exist on the destination.
//!
//! A missing bridge is the case libvirt reports worst (an opaque "End of
//! file while reading data" at the client, the real reason only in the
//! destination's libvirtd log), so it is caught here, before migrating.

use super::Check;
use crate::vm::spec::VmSpec;

/// One interface's attachment and whether the destination has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attachment {
    /// "bridge br0", "network default", …
    pub what: String,
    /// Why the destination cannot attach it; `None`: it can.
    pub missing: Option<String>,
}

/// An inserted CD-ROM or floppy image and whether the destination has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Media {
    /// The guest's device (hdc, …).
    pub target: String,
    pub path: String,
    pub present: bool,
}

/// `devices.networks`.
pub(crate) fn networks(dest: &str, found: &[Attachment]) -> Check {
    if found.is_empty() {
        return Check::pass("devices.networks", "the VM has no network interfaces");
    }
    let missing: Vec<String> = found
        .iter()
        .filter_map(|a| a.missing.as_ref().map(|e| format!("{}: {e}", a.what)))
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
pub(crate) fn hostdev(vm: &VmSpec) -> Check {
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

/// `devices.media`.
pub(crate) fn media(vm: &VmSpec, dest: &str, found: &[Media]) -> Check {
    if found.is_empty() {
        return Check::pass("devices.media", "no CD-ROM or floppy image attached");
    }
    match found.iter().find(|m| !m.present) {
        None => Check::pass("devices.media", format!("attached images exist on {dest}")),
        Some(Media { target, path, .. }) => Check::fail(
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
        let found = [
            Attachment {
                what: "network default".into(),
                missing: None,
            },
            Attachment {
                what: "bridge br-it".into(),
                missing: Some("no bridge br-it".into()),
            },
        ];
        let c = networks("lab2", &found);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("br-it") && c.message.contains("create it there"));
        assert!(!c.message.contains("default"), "{}", c.message);
        let c = networks("lab2", &found[..1]);
        assert_eq!(c.status, Status::Pass);
        assert_eq!(c.message, "lab2 has network default");
        assert_eq!(networks("lab2", &[]).status, Status::Pass);
    }

    #[test]
    fn missing_media_names_the_eject_command() {
        let vm = VmSpec {
            name: "v".into(),
            ..Default::default()
        };
        let iso = |present| Media {
            target: "hdc".into(),
            path: "/iso/d.iso".into(),
            present,
        };
        assert_eq!(media(&vm, "lab2", &[iso(true)]).status, Status::Pass);
        let c = media(&vm, "lab2", &[iso(true), iso(false)]);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message
                .starts_with("/iso/d.iso (attached as hdc) does not exist on lab2")
                && c.message.ends_with("virsh change-media v hdc --eject"),
            "{}",
            c.message
        );
        assert_eq!(media(&vm, "lab2", &[]).status, Status::Pass);
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
