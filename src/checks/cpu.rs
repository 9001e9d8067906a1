//! `cpu.compatible`: the guest's CPU, as the migration stream will carry
//! it, is runnable on the destination — judged as libvirt will judge it
//! (see `vm::cpu` for how libvirt treats each kind of guest CPU).
//!
//! A checked guest CPU passes when the destination's libvirt says it runs
//! it. An unchecked one has whatever the source's hypervisor gave it; as
//! Nova does for a guest that names no CPU, it passes when the destination
//! offers every feature the source offers (or fully provides the model
//! itself: the guest then gets at least what it had). host-passthrough
//! needs an identical host CPU.

use super::Check;
use crate::facts::HostFacts;
use crate::vm::cpu::{classify, GuestCpu, Verdict};
use crate::vm::spec::VmSpec;

/// The check from the verdict (and, for passthrough, the two host CPUs).
pub(crate) fn decide(vm: &VmSpec, verdict: &Verdict, src: &HostFacts, dst: &HostFacts) -> Check {
    const ID: &str = "cpu.compatible";
    const FIX: &str =
        "choose a host with the same or a newer CPU, or give the guest a CPU model all hosts share";
    let model = vm
        .cpu
        .as_ref()
        .map_or_else(|| "default".into(), |c| c.mode.clone());
    let unchecked = match classify(vm) {
        GuestCpu::Unchecked { why, .. } => why,
        _ => String::new(),
    };
    let why = |r: &Option<String>, default: &str| r.clone().unwrap_or_else(|| default.into());
    match verdict {
        Verdict::Compatible(how) => Check::pass(
            ID,
            format!("{} can run the guest's {model} CPU ({how})", dst.name),
        ),
        Verdict::Incompatible(r) => Check::fail(
            ID,
            format!(
                "{} cannot run the guest's CPU (libvirt: {}); {FIX}",
                dst.name,
                why(r, "incompatible")
            ),
        ),
        Verdict::HostsCompatible(how) => Check::pass(
            ID,
            format!(
                "the guest's CPU is left to QEMU ({unchecked}), as libvirt migrates it: {} offers every CPU feature {} offers ({how})",
                dst.name, src.name
            ),
        ),
        Verdict::HostsIncompatible(r) => Check::fail(
            ID,
            format!(
                "the guest's CPU is left to QEMU ({unchecked}), which would silently drop what {} lacks of {}'s CPU (libvirt: {}); {FIX}",
                dst.name,
                src.name,
                why(r, "incompatible")
            ),
        ),
        Verdict::Error(e) => Check::fail(
            ID,
            format!("comparing the guest CPU on {} failed: {e}", dst.name),
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
    use crate::vm::cpu::tests::{captured, vm};

    #[test]
    fn verdicts() {
        let (a, b) = (lab_facts("lab1"), lab_facts("lab2"));
        let checked = captured("../lab/it-vm-migratable.xml");
        let c = decide(&checked, &Verdict::Compatible("superset"), &a, &b);
        assert_eq!(c.status, Status::Pass);
        let reason = Some("Host CPU does not provide required features: avx512vnni".into());
        let c = decide(&checked, &Verdict::Incompatible(reason), &a, &b);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("features: avx512vnni"), "{}", c.message);
        let c = decide(&checked, &Verdict::Incompatible(None), &a, &b);
        assert!(
            c.message.contains("(libvirt: incompatible)"),
            "{}",
            c.message
        );
        let c = decide(&checked, &Verdict::Error("boom".into()), &a, &b);
        assert_eq!(c.status, Status::Fail);
    }

    #[test]
    fn unchecked_verdicts_name_both_hosts() {
        let (a, b) = (lab_facts("lab1"), lab_facts("lab2"));
        let guest = captured("no-cpu.migratable.xml");
        let c = decide(&guest, &Verdict::HostsCompatible("identical"), &a, &b);
        assert_eq!(c.status, Status::Pass);
        assert!(
            c.message
                .contains("lab2 offers every CPU feature lab1 offers (identical)")
                && c.message.contains("qemu64"),
            "{}",
            c.message
        );
        let reason = Some("Host CPU does not provide required features: avx2".into());
        let c = decide(&guest, &Verdict::HostsIncompatible(reason), &a, &b);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.contains("what lab2 lacks of lab1's CPU") && c.message.contains("avx2"),
            "{}",
            c.message
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
