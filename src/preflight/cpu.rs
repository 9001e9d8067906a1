//! The probes behind `cpu.compatible`: asking a destination's libvirt
//! whether it can run the guest's CPU, as libvirt will judge it during the
//! migration (see `vm::cpu`). For an unchecked guest CPU that is the CPU
//! the source's hypervisor offers (its host-model), compared on the
//! destination.

use std::collections::HashMap;

use super::Fleet;
use crate::hypervisor::{CpuComparison, GuestTarget, Host, LibvirtError};
use crate::vm::cpu::{classify, GuestCpu, Verdict};
use crate::vm::spec::VmSpec;

/// Asks `dest` whether it can run `vm`'s guest CPU. `src` is the source,
/// needed for unchecked guest CPUs only.
pub async fn compare_on(src: Option<&Host>, dest: &Host, vm: &VmSpec) -> Verdict {
    let guest = target(vm);
    match classify(vm) {
        GuestCpu::Passthrough => Verdict::Passthrough,
        GuestCpu::Checked(xml) => match dest.compare_cpu(&guest, xml).await {
            Ok(CpuComparison::Runs(how)) => Verdict::Compatible(how),
            Ok(CpuComparison::Lacks(r)) => Verdict::Incompatible(r),
            Err(e) => Verdict::Error(e.detail()),
        },
        GuestCpu::Unchecked { xml, .. } => {
            let xml = xml.map(str::to_string);
            unchecked(src, dest, &guest, xml.as_deref()).await
        }
    }
}

/// An unchecked guest CPU: its own model when the destination fully
/// provides it, else the source host's CPU.
async fn unchecked(
    src: Option<&Host>,
    dest: &Host,
    guest: &GuestTarget,
    xml: Option<&str>,
) -> Verdict {
    if let Some(xml) = xml {
        if let Ok(CpuComparison::Runs(how)) = dest.compare_cpu(guest, xml).await {
            return Verdict::Compatible(how);
        }
    }
    let Some(src) = src else {
        return Verdict::Error("the source's libvirt is not connected".into());
    };
    let offer = match host_model(src, guest).await {
        Ok(x) => x,
        Err(e) => return Verdict::Error(format!("reading {}'s host CPU: {e}", src.name())),
    };
    match dest.compare_cpu(guest, &offer).await {
        Ok(CpuComparison::Runs(how)) => Verdict::HostsCompatible(how),
        Ok(CpuComparison::Lacks(r)) => Verdict::HostsIncompatible(r),
        Err(e) => Verdict::Error(e.detail()),
    }
}

/// Asks every other reachable host, concurrently, whether it can run the
/// guest's CPU (one libvirt call each, a few for an unchecked guest CPU).
pub(super) async fn verdicts(
    fleet: &Fleet<'_>,
    si: usize,
    vm: &VmSpec,
) -> HashMap<String, Verdict> {
    let src = fleet.links[si]
        .libvirt
        .as_ref()
        .ok()
        .map(|l| Host::new(l.clone()));
    let tasks: Vec<_> = fleet
        .links
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != si)
        .filter_map(|(_, l)| l.libvirt.as_ref().ok().map(|lv| (l.host.name.clone(), lv)))
        .map(|(name, lv)| {
            let (dest, src, vm) = (Host::new(lv.clone()), src.clone(), vm.clone());
            let task = tokio::spawn(async move { compare_on(src.as_ref(), &dest, &vm).await });
            (name, task)
        })
        .collect();
    let mut out = HashMap::new();
    for (name, t) in tasks {
        let v = t.await.unwrap_or_else(|e| Verdict::Error(e.to_string()));
        out.insert(name, v);
    }
    out
}

/// What libvirt is asked about: the guest's arch, machine and domain type.
fn target(vm: &VmSpec) -> GuestTarget {
    GuestTarget {
        arch: vm.arch.clone(),
        machine: vm.machine.clone(),
        virt_type: Some(vm.domain_type.clone()).filter(|t| !t.is_empty()),
    }
}

/// Why the CPU a host offers a guest could not be told.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HostModelError {
    #[error("{}", .0.detail())]
    Libvirt(#[from] LibvirtError),
    #[error("bad domain capabilities XML: {0}")]
    Xml(String),
    #[error("the domain capabilities have no host-model CPU")]
    NoHostModel,
    #[error("the hypervisor does not support the host-model CPU")]
    Unsupported,
    #[error("the host-model CPU names no model")]
    NoModel,
}

/// The CPU `src`'s hypervisor offers a guest like `guest` (its
/// host-model), as a `<cpu>` definition another host's libvirt can compare.
pub(crate) async fn host_model(src: &Host, guest: &GuestTarget) -> Result<String, HostModelError> {
    host_model_cpu(&src.domain_capabilities(guest).await?)
}

/// The host-model mode of a domain capabilities document, turned into a
/// custom `<cpu>` with the same model, vendor and features.
fn host_model_cpu(domcaps: &str) -> Result<String, HostModelError> {
    let doc =
        roxmltree::Document::parse(domcaps).map_err(|e| HostModelError::Xml(e.to_string()))?;
    let mode = doc
        .descendants()
        .find(|n| n.has_tag_name("mode") && n.attribute("name") == Some("host-model"))
        .filter(|n| n.parent().is_some_and(|p| p.has_tag_name("cpu")))
        .ok_or(HostModelError::NoHostModel)?;
    if mode.attribute("supported") != Some("yes") {
        return Err(HostModelError::Unsupported);
    }
    let parts: Vec<&str> = mode
        .children()
        .filter(|n| {
            n.has_tag_name("model") || n.has_tag_name("vendor") || n.has_tag_name("feature")
        })
        .map(|n| &domcaps[n.range()])
        .collect();
    if !mode.children().any(|n| n.has_tag_name("model")) {
        return Err(HostModelError::NoModel);
    }
    Ok(format!(
        "<cpu mode='custom' match='exact'>{}</cpu>",
        parts.join("")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMCAPS: &str = include_str!("../../tests/fixtures/cpu/domcapabilities.lab1.xml");

    #[test]
    fn host_model_becomes_a_comparable_custom_cpu() {
        let cpu = host_model_cpu(DOMCAPS).unwrap();
        assert!(cpu.starts_with("<cpu mode='custom' match='exact'><model fallback='forbid'>kvm64</model><vendor>AMD</vendor>"), "{cpu}");
        assert!(cpu.contains("<feature policy='require' name='x2apic'/>"));
        assert!(cpu.contains("<feature policy='disable' name='pni'/>"));
        assert!(cpu.ends_with("</cpu>"));
        // Nothing from the other modes (host-passthrough's enums, custom's model list).
        assert!(!cpu.contains("usable") && !cpu.contains("<enum"), "{cpu}");
        roxmltree::Document::parse(&cpu).expect("well-formed");
    }

    #[test]
    fn host_model_missing_or_unsupported_is_an_error() {
        let unsupported = "<domainCapabilities><cpu><mode name='host-model' supported='no'/></cpu></domainCapabilities>";
        assert!(host_model_cpu(unsupported)
            .unwrap_err()
            .to_string()
            .contains("does not support"));
        let none = "<domainCapabilities><cpu><mode name='host-passthrough' supported='yes'/></cpu></domainCapabilities>";
        assert!(matches!(
            host_model_cpu(none),
            Err(HostModelError::NoHostModel)
        ));
        let nameless = "<domainCapabilities><cpu><mode name='host-model' supported='yes'><vendor>AMD</vendor></mode></cpu></domainCapabilities>";
        assert!(matches!(
            host_model_cpu(nameless),
            Err(HostModelError::NoModel)
        ));
        assert!(matches!(
            host_model_cpu("<nope"),
            Err(HostModelError::Xml(_))
        ));
    }

    #[test]
    fn the_guest_target_leaves_an_unknown_domain_type_to_libvirt() {
        let vm = VmSpec {
            arch: Some("x86_64".into()),
            ..Default::default()
        };
        let t = target(&vm);
        assert_eq!((t.arch.as_deref(), t.virt_type), (Some("x86_64"), None));
    }
}
