//! `cpu.compatible`: the guest's CPU, as the migration stream will carry
//! it, is runnable on the destination.
//!
//! For custom and host-model guests the migratable XML's `<cpu>` is handed
//! to the destination's libvirt (virConnectCompareHypervisorCPU, which the
//! `virt` crate does not wrap). A host-passthrough guest sees the source
//! host's CPU itself, so it needs an identical host CPU on the destination.

use std::ffi::CString;

use super::Check;
use crate::facts::HostFacts;
use crate::hypervisor::Libvirt;
use crate::vm::spec::VmSpec;

/// What the destination said about the guest CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Identical or superset: runnable.
    Compatible(&'static str),
    Incompatible,
    /// The comparison itself failed (message from libvirt).
    Error(String),
    /// Nothing to compare (no `<cpu>` element: the hypervisor default model).
    NoGuestCpu,
    /// host-passthrough: decided from the host CPUs, not by libvirt.
    Passthrough,
}

/// Asks `dest` whether it can run `vm`'s guest CPU (blocking).
pub fn compare_on(dest: &Libvirt, vm: &VmSpec) -> Verdict {
    let Some(cpu) = &vm.cpu else {
        return Verdict::NoGuestCpu;
    };
    if cpu.mode == "host-passthrough" || cpu.mode == "maximum" {
        return Verdict::Passthrough;
    }
    let cstr = |s: Option<&str>| s.map(|v| CString::new(v).unwrap_or_default());
    let arch = cstr(vm.arch.as_deref());
    let machine = cstr(vm.machine.as_deref());
    let virttype = cstr(Some(vm.domain_type.as_str()).filter(|t| !t.is_empty()));
    let Ok(xml) = CString::new(cpu.xml.as_str()) else {
        return Verdict::Error("guest CPU XML contains a NUL byte".into());
    };
    let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
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
            0,
        )
    };
    match r {
        virt::sys::VIR_CPU_COMPARE_IDENTICAL => Verdict::Compatible("identical"),
        virt::sys::VIR_CPU_COMPARE_SUPERSET => Verdict::Compatible("superset"),
        virt::sys::VIR_CPU_COMPARE_INCOMPATIBLE => Verdict::Incompatible,
        _ => Verdict::Error(virt::error::Error::last_error().message().to_string()),
    }
}

/// The check from the verdict (and, for passthrough, the two host CPUs).
pub fn decide(vm: &VmSpec, verdict: &Verdict, src: &HostFacts, dst: &HostFacts) -> Check {
    let model = vm
        .cpu
        .as_ref()
        .map(|c| c.mode.clone())
        .unwrap_or_else(|| "default".into());
    match verdict {
        Verdict::Compatible(how) => Check::pass(
            "cpu.compatible",
            format!("{} can run the guest's {model} CPU ({how})", dst.name),
        ),
        Verdict::Incompatible => Check::fail(
            "cpu.compatible",
            format!(
                "{} cannot run the guest's CPU (libvirt: incompatible); choose a host with the same or a newer CPU, or give the guest a CPU model all hosts share",
                dst.name
            ),
        ),
        Verdict::Error(e) => Check::fail(
            "cpu.compatible",
            format!("comparing the guest CPU on {} failed: {e}", dst.name),
        ),
        Verdict::NoGuestCpu => Check::pass(
            "cpu.compatible",
            "the guest has no CPU definition: the hypervisor's default model, available everywhere",
        ),
        Verdict::Passthrough => identical_hosts(src, dst),
    }
}

/// host-passthrough: same vendor, model and feature set.
fn identical_hosts(src: &HostFacts, dst: &HostFacts) -> Check {
    let same = src.cpu_model == dst.cpu_model
        && src.cpu_vendor == dst.cpu_vendor
        && src.cpu_features == dst.cpu_features;
    if same && src.cpu_model.is_some() {
        Check::pass(
            "cpu.compatible",
            format!(
                "host-passthrough guest: {} has the same host CPU as {}",
                dst.name, src.name
            ),
        )
    } else {
        let missing: Vec<&String> = src
            .cpu_features
            .iter()
            .filter(|f| !dst.cpu_features.contains(f))
            .collect();
        Check::fail(
            "cpu.compatible",
            format!(
                "host-passthrough guest needs an identical host CPU: {} has {} but {} has {}{}; use a host with the same CPU or switch the guest to host-model",
                src.name,
                src.cpu_model.as_deref().unwrap_or("?"),
                dst.name,
                dst.cpu_model.as_deref().unwrap_or("?"),
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(" (missing features: {})", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                }
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::facts::testdata::lab_facts;
    use crate::vm::spec::CpuSpec;

    fn vm(mode: &str) -> VmSpec {
        VmSpec {
            cpu: Some(CpuSpec {
                mode: mode.into(),
                xml: String::new(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn verdicts() {
        let (a, b) = (lab_facts("lab1"), lab_facts("lab2"));
        assert_eq!(
            decide(&vm("custom"), &Verdict::Compatible("superset"), &a, &b).status,
            Status::Pass
        );
        assert_eq!(
            decide(&vm("custom"), &Verdict::Incompatible, &a, &b).status,
            Status::Fail
        );
        assert_eq!(
            decide(&vm("custom"), &Verdict::NoGuestCpu, &a, &b).status,
            Status::Pass
        );
    }

    #[test]
    fn passthrough_needs_identical_hosts() {
        let (mut a, mut b) = (lab_facts("lab1"), lab_facts("lab2"));
        a.cpu_features = vec!["avx2".into(), "vmx".into()];
        b.cpu_features = a.cpu_features.clone();
        assert_eq!(
            decide(&vm("host-passthrough"), &Verdict::Passthrough, &a, &b).status,
            Status::Pass
        );
        b.cpu_features = vec!["vmx".into()];
        let c = decide(&vm("host-passthrough"), &Verdict::Passthrough, &a, &b);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.contains("missing features: avx2"),
            "{}",
            c.message
        );
    }
}
