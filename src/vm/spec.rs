//! What a VM's domain XML says that migration cares about: its size, its
//! guest CPU, its disks, its network interfaces and passthrough devices.

use serde::Serialize;

/// The migration-relevant parts of a domain definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VmSpec {
    pub name: String,
    pub uuid: String,
    /// `<domain type=…>`: kvm or qemu (TCG).
    pub domain_type: String,
    /// `<os><type arch=… machine=…>`.
    pub arch: Option<String>,
    pub machine: Option<String>,
    /// Maximum memory, MiB.
    pub memory_mb: u64,
    pub vcpus: u32,
    /// The guest CPU definition, when the domain has one.
    pub cpu: Option<CpuSpec>,
    pub disks: Vec<Disk>,
    pub interfaces: Vec<Interface>,
    /// PCI/USB/… passthrough devices, described for messages.
    pub hostdevs: Vec<String>,
}

/// A guest CPU definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpuSpec {
    /// custom, host-model, host-passthrough or maximum.
    pub mode: String,
    /// The `<cpu>` element exactly as libvirt wrote it (input to CPU comparison).
    #[serde(skip)]
    pub xml: String,
}

/// One `<disk>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disk {
    /// disk, cdrom, floppy or lun.
    pub device: String,
    /// file, block, network, volume, dir or nvme.
    pub kind: String,
    /// File path, block device, or network image name; `None` for an empty drive.
    pub source: Option<String>,
    /// Network protocol (nbd, rbd, iscsi, gluster, …).
    pub protocol: Option<String>,
    /// Image format from `<driver type=…>` (qcow2, raw, …).
    pub format: Option<String>,
    /// Guest device name (vda, hdc, …).
    pub target: String,
    pub readonly: bool,
    pub shareable: bool,
}

impl Disk {
    /// A writable disk (not a CD-ROM/floppy or read-only image): the ones
    /// whose storage decides shared versus block migration.
    pub(crate) fn is_data_disk(&self) -> bool {
        matches!(self.device.as_str(), "disk" | "lun") && !self.readonly && self.source.is_some()
    }

    /// Removable media with an image inserted.
    pub(crate) fn is_media(&self) -> bool {
        matches!(self.device.as_str(), "cdrom" | "floppy") && self.source.is_some()
    }
}

/// One `<interface>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    /// network, bridge, direct, hostdev, user, ethernet, vhostuser, …
    pub kind: String,
    /// The libvirt network, bridge or host device it attaches to.
    pub source: Option<String>,
    pub mac: Option<String>,
}

/// The first child element named `tag`.
fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, tag: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(tag))
}

/// Why a document is not a domain definition vmigrate can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("bad domain XML: {0}")]
    Xml(String),
    #[error("not a <domain> document")]
    NotDomain,
}

/// Parses a domain XML document.
pub fn parse(xml: &str) -> Result<VmSpec, SpecError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| SpecError::Xml(e.to_string()))?;
    let dom = doc.root_element();
    if !dom.has_tag_name("domain") {
        return Err(SpecError::NotDomain);
    }
    let text = |n: Option<roxmltree::Node>| n.and_then(|n| n.text()).map(|t| t.trim().to_string());
    let os_type = child(dom, "os").and_then(|os| child(os, "type"));
    let memory_kib = child(dom, "memory").map_or(0, |m| {
        to_kib(
            m.text().unwrap_or("0"),
            m.attribute("unit").unwrap_or("KiB"),
        )
    });
    let vcpus = text(child(dom, "vcpu"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let cpu = child(dom, "cpu").map(|c| CpuSpec {
        mode: c.attribute("mode").unwrap_or("custom").to_string(),
        xml: xml[c.range()].to_string(),
    });
    let mut spec = VmSpec {
        name: text(child(dom, "name")).unwrap_or_default(),
        uuid: text(child(dom, "uuid")).unwrap_or_default(),
        domain_type: dom.attribute("type").unwrap_or("").to_string(),
        arch: os_type
            .and_then(|t| t.attribute("arch"))
            .map(str::to_string),
        machine: os_type
            .and_then(|t| t.attribute("machine"))
            .map(str::to_string),
        memory_mb: memory_kib / 1024,
        vcpus,
        cpu,
        ..Default::default()
    };
    let Some(devices) = child(dom, "devices") else {
        return Ok(spec);
    };
    for dev in devices.children().filter(roxmltree::Node::is_element) {
        match dev.tag_name().name() {
            "disk" => spec.disks.push(disk(dev)),
            "interface" => spec.interfaces.push(interface(dev)),
            "hostdev" => spec.hostdevs.push(hostdev(dev)),
            _ => {}
        }
    }
    Ok(spec)
}

fn disk(d: roxmltree::Node) -> Disk {
    let child = |tag: &str| d.children().find(|c| c.has_tag_name(tag));
    let src = child("source");
    let attr =
        |n: Option<roxmltree::Node>, a: &str| n.and_then(|n| n.attribute(a)).map(str::to_string);
    let kind = d.attribute("type").unwrap_or("file").to_string();
    let source = match kind.as_str() {
        "file" => attr(src, "file"),
        "block" => attr(src, "dev"),
        "dir" => attr(src, "dir"),
        "network" => attr(src, "name").or_else(|| attr(src, "protocol")),
        "volume" => src.map(|s| {
            format!(
                "{}/{}",
                s.attribute("pool").unwrap_or("?"),
                s.attribute("volume").unwrap_or("?")
            )
        }),
        _ => None,
    };
    Disk {
        device: d.attribute("device").unwrap_or("disk").to_string(),
        protocol: attr(src, "protocol"),
        format: attr(child("driver"), "type"),
        target: attr(child("target"), "dev").unwrap_or_default(),
        readonly: child("readonly").is_some(),
        shareable: child("shareable").is_some(),
        kind,
        source,
    }
}

fn interface(i: roxmltree::Node) -> Interface {
    let child = |tag: &str| i.children().find(|c| c.has_tag_name(tag));
    let kind = i.attribute("type").unwrap_or("").to_string();
    let src = child("source");
    let source = src.and_then(|s| {
        s.attribute("network")
            .or_else(|| s.attribute("bridge"))
            .or_else(|| s.attribute("dev"))
            .map(str::to_string)
    });
    Interface {
        kind,
        source,
        mac: child("mac")
            .and_then(|m| m.attribute("address"))
            .map(str::to_string),
    }
}

fn hostdev(h: roxmltree::Node) -> String {
    let kind = h.attribute("type").unwrap_or("device");
    let addr = h
        .descendants()
        .find(|n| n.has_tag_name("address"))
        .map(|a| {
            a.attributes()
                .filter(|at| at.name() != "type")
                .map(|at| format!("{}={}", at.name(), at.value()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    format!("{kind} {addr}").trim().to_string()
}

/// libvirt memory units to KiB.
fn to_kib(value: &str, unit: &str) -> u64 {
    let v: u64 = value.trim().parse().unwrap_or(0);
    match unit {
        "b" | "bytes" => v / 1024,
        "KB" => v * 1000 / 1024,
        "MB" => v * 1_000_000 / 1024,
        "M" | "MiB" => v * 1024,
        "GB" => v * 1_000_000_000 / 1024,
        "G" | "GiB" => v * 1024 * 1024,
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lab test VM's live XML (libvirt 9.0), trimmed to what matters.
    const LAB_VM: &str = r"<domain type='kvm' id='1'>
  <name>it-vm</name>
  <uuid>0f9a3a3e-1111-4222-8333-444455556666</uuid>
  <memory unit='KiB'>131072</memory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
  <cpu mode='custom' match='exact' check='full'>
    <model fallback='forbid'>Broadwell-IBRS</model>
    <feature policy='require' name='vmx'/>
  </cpu>
  <devices>
    <disk type='network' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source protocol='nbd'><host name='10.213.77.1' port='10809'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/it-vm.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/iso/debian.iso'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source bridge='br-it'/>
    </interface>
    <interface type='network'><source network='default'/></interface>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>";

    #[test]
    fn parses_what_migration_needs() {
        let s = parse(LAB_VM).unwrap();
        assert_eq!(s.name, "it-vm");
        assert_eq!(s.memory_mb, 128);
        assert_eq!(s.vcpus, 1);
        assert_eq!(s.domain_type, "kvm");
        assert_eq!(s.arch.as_deref(), Some("x86_64"));
        let cpu = s.cpu.unwrap();
        assert_eq!(cpu.mode, "custom");
        assert!(cpu.xml.starts_with("<cpu") && cpu.xml.ends_with("</cpu>"));
        assert_eq!(s.disks.len(), 3);
        assert_eq!(s.disks[0].kind, "network");
        assert_eq!(s.disks[0].protocol.as_deref(), Some("nbd"));
        assert!(s.disks[1].is_data_disk());
        assert_eq!(
            s.disks[1].source.as_deref(),
            Some("/var/lib/libvirt/images/it-vm.qcow2")
        );
        assert!(s.disks[2].is_media() && !s.disks[2].is_data_disk());
        assert_eq!(s.interfaces[0].source.as_deref(), Some("br-it"));
        assert_eq!(s.interfaces[1].kind, "network");
        assert_eq!(
            s.hostdevs,
            vec!["pci domain=0x0000,bus=0x01,slot=0x00,function=0x0"]
        );
    }

    #[test]
    fn not_a_domain_is_told_from_bad_xml() {
        assert_eq!(parse("<network/>"), Err(SpecError::NotDomain));
        assert!(matches!(parse("<domain"), Err(SpecError::Xml(_))));
    }

    #[test]
    fn memory_units() {
        assert_eq!(to_kib("1", "GiB"), 1024 * 1024);
        assert_eq!(to_kib("256", "MiB"), 256 * 1024);
        assert_eq!(to_kib("131072", "KiB"), 131_072);
    }
}
