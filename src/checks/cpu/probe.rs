//! The libvirt calls behind `cpu.compatible` (blocking): comparing a CPU
//! definition on a destination (virConnectCompareHypervisorCPU, which the
//! `virt` crate does not wrap), and reading what a host's hypervisor offers
//! a guest (the host-model CPU of its domain capabilities).

use std::ffi::CString;

use crate::hypervisor::Libvirt;
use crate::vm::spec::VmSpec;

/// What a destination said about one CPU definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compared {
    /// Identical or superset: it provides every feature.
    Runs(&'static str),
    /// Incompatible, with libvirt's reason (the missing features) when it gives one.
    Lacks(Option<String>),
}

/// Compares `cpu_xml` with what `dest`'s hypervisor provides for a guest of
/// `vm`'s arch, machine and domain type. `Err` is libvirt's message.
pub fn compare(dest: &Libvirt, vm: &VmSpec, cpu_xml: &str) -> Result<Compared, String> {
    let cstr = |s: Option<&str>| s.map(|v| CString::new(v).unwrap_or_default());
    let arch = cstr(vm.arch.as_deref());
    let machine = cstr(vm.machine.as_deref());
    let virttype = cstr(Some(vm.domain_type.as_str()).filter(|t| !t.is_empty()));
    let xml = CString::new(cpu_xml).map_err(|_| "the CPU XML contains a NUL byte".to_string())?;
    let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // FAIL_INCOMPATIBLE makes libvirt say which features are missing (as an
    // error) instead of a bare "incompatible".
    // SAFETY: the connection pointer is valid for the life of `dest`; every
    // string is a NUL-terminated CString that outlives the call; libvirt
    // does not keep the pointers.
    let r = unsafe {
        virt::sys::virConnectCompareHypervisorCPU(
            dest.conn().as_ptr(),
            std::ptr::null(),
            ptr(&arch),
            ptr(&machine),
            ptr(&virttype),
            xml.as_ptr(),
            virt::sys::VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE,
        )
    };
    match r {
        virt::sys::VIR_CPU_COMPARE_IDENTICAL => Ok(Compared::Runs("identical")),
        virt::sys::VIR_CPU_COMPARE_SUPERSET => Ok(Compared::Runs("superset")),
        virt::sys::VIR_CPU_COMPARE_INCOMPATIBLE => Ok(Compared::Lacks(None)),
        _ => {
            let e = virt::error::Error::last_error();
            if e.code().to_raw() == virt::sys::VIR_ERR_CPU_INCOMPATIBLE {
                Ok(Compared::Lacks(Some(reason(e.message()))))
            } else {
                Err(one_line(e.message()))
            }
        }
    }
}

/// libvirt's "the CPU is incompatible with host CPU: Host CPU does not
/// provide required features: pni, svm" without its generic prefix.
pub fn reason(message: &str) -> String {
    let detail = message
        .split_once("incompatible with host CPU: ")
        .map_or(message, |(_, d)| d);
    one_line(detail)
}

/// libvirt's messages can span lines; a check message is one.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The CPU `src`'s hypervisor offers a guest like `vm` (its host-model), as
/// a `<cpu>` definition another host's libvirt can compare.
pub fn host_model(src: &Libvirt, vm: &VmSpec) -> Result<String, String> {
    let virttype = Some(vm.domain_type.as_str()).filter(|t| !t.is_empty());
    let caps = src
        .conn()
        .domain_capabilities(None, vm.arch.as_deref(), vm.machine.as_deref(), virttype, 0)
        .map_err(|e| one_line(e.message()))?;
    host_model_cpu(&caps)
}

/// The host-model mode of a domain capabilities document, turned into a
/// custom `<cpu>` with the same model, vendor and features.
pub fn host_model_cpu(domcaps: &str) -> Result<String, String> {
    let doc = roxmltree::Document::parse(domcaps)
        .map_err(|e| format!("bad domain capabilities XML: {e}"))?;
    let mode = doc
        .descendants()
        .find(|n| n.has_tag_name("mode") && n.attribute("name") == Some("host-model"))
        .filter(|n| n.parent().is_some_and(|p| p.has_tag_name("cpu")))
        .ok_or("the domain capabilities have no host-model CPU")?;
    if mode.attribute("supported") != Some("yes") {
        return Err("the hypervisor does not support the host-model CPU".into());
    }
    let parts: Vec<&str> = mode
        .children()
        .filter(|n| {
            n.has_tag_name("model") || n.has_tag_name("vendor") || n.has_tag_name("feature")
        })
        .map(|n| &domcaps[n.range()])
        .collect();
    if !mode.children().any(|n| n.has_tag_name("model")) {
        return Err("the host-model CPU names no model".into());
    }
    Ok(format!(
        "<cpu mode='custom' match='exact'>{}</cpu>",
        parts.join("")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMCAPS: &str = include_str!("../../../tests/fixtures/cpu/domcapabilities.lab1.xml");

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
            .contains("does not support"));
        let none = "<domainCapabilities><cpu><mode name='host-passthrough' supported='yes'/></cpu></domainCapabilities>";
        assert!(host_model_cpu(none).unwrap_err().contains("no host-model"));
        assert!(host_model_cpu("<nope").is_err());
    }

    #[test]
    fn reason_keeps_the_missing_features() {
        // As libvirt 9.0 said it on the lab (hypervisor-cpu-compare --error).
        let m = "the CPU is incompatible with host CPU: Host CPU does not provide required features: pni, svm";
        assert_eq!(
            reason(m),
            "Host CPU does not provide required features: pni, svm"
        );
        assert_eq!(reason("something else"), "something else");
    }
}
