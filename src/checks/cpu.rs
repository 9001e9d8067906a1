//! `cpu.compatible`: the guest's CPU, as the migration stream will carry
//! it, is runnable on the destination — judged as libvirt will judge it.
//!
//! What libvirt does depends on the guest's `<cpu check=…>` in the
//! migratable XML (the definition the migration sends):
//! - checked (`partial`/`full`, custom or host-model): the destination's
//!   libvirt verifies that definition before starting the guest, so it is
//!   compared there (virConnectCompareHypervisorCPU);
//! - unchecked (`check='none'` — libvirt's default qemu64 for a guest
//!   defined without `<cpu>` — or no `<cpu>`/model at all): libvirt leaves
//!   the CPU to QEMU, which silently drops the features a host lacks. Its
//!   model may list features no host here has (qemu64's AMD-only ones on an
//!   Intel host) and libvirt still migrates it, so comparing it is no test.
//!   Such a guest has whatever the source's hypervisor gave it; as Nova does
//!   for a guest that names no CPU, the source host's CPU (its hypervisor's
//!   host-model) is compared on the destination. A model the destination
//!   fully provides also passes: the guest then gets at least what it had;
//! - host-passthrough sees the source host's CPU itself: it needs an
//!   identical host CPU on the destination.
//!
//! The live XML is no guide: once the guest runs, libvirt shows an
//! unchecked CPU expanded with `check='full'` (and the "inactive" XML of a
//! transient guest is that live one); see tests/fixtures/cpu.

mod probe;

use super::Check;
use crate::facts::HostFacts;
use crate::hypervisor::Libvirt;
use crate::vm::spec::VmSpec;
use probe::Compared;

/// What the destination said about the guest CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The guest's CPU definition is identical or a subset of what the
    /// destination provides.
    Compatible(&'static str),
    /// It is not; libvirt's reason (the missing features) when it gives one.
    Incompatible(Option<String>),
    /// An unchecked guest CPU: the destination offers every feature the
    /// source's hypervisor offers (identical or superset).
    HostsCompatible(&'static str),
    /// An unchecked guest CPU, and the destination lacks features the
    /// source offers; libvirt's reason when it gives one.
    HostsIncompatible(Option<String>),
    /// The comparison itself failed (message from libvirt).
    Error(String),
    /// host-passthrough: decided from the host CPUs, not by libvirt.
    Passthrough,
}

impl Verdict {
    /// Why a destination cannot take the guest, for the scheduler's CPU
    /// filter; `None` when it can (passthrough is left to the check).
    pub fn refusal(&self) -> Option<String> {
        let why = |r: &Option<String>| r.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
        match self {
            Verdict::Incompatible(r) => Some(format!("cannot run the guest's CPU{}", why(r))),
            Verdict::HostsIncompatible(r) => {
                Some(format!("lacks CPU features the source offers{}", why(r)))
            }
            Verdict::Error(e) => Some(format!("comparison failed: {e}")),
            _ => None,
        }
    }
}

/// How libvirt treats the guest CPU on the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestCpu<'a> {
    /// Verified by the destination's libvirt: this `<cpu>` is compared.
    Checked(&'a str),
    /// Left to QEMU: `why` for messages, `xml` the definition if any.
    Unchecked { why: String, xml: Option<&'a str> },
    /// host-passthrough or maximum.
    Passthrough,
}

/// Classifies `vm`'s CPU from its migratable XML's `<cpu>`.
pub fn classify(vm: &VmSpec) -> GuestCpu<'_> {
    let Some(cpu) = &vm.cpu else {
        return GuestCpu::Unchecked {
            why: "no <cpu> element".into(),
            xml: None,
        };
    };
    if cpu.mode == "host-passthrough" || cpu.mode == "maximum" {
        return GuestCpu::Passthrough;
    }
    // Unparsable: let libvirt's comparison say what is wrong with it.
    let Ok(doc) = roxmltree::Document::parse(&cpu.xml) else {
        return GuestCpu::Checked(&cpu.xml);
    };
    let el = doc.root_element();
    let model = el
        .children()
        .find(|n| n.has_tag_name("model"))
        .and_then(|m| m.text())
        .map(str::trim);
    match (el.attribute("check"), model) {
        (Some("none"), Some(m)) => GuestCpu::Unchecked {
            why: if m == "qemu64" {
                "qemu64 with check='none', libvirt's default for a guest defined without <cpu>"
                    .into()
            } else {
                format!("{m} with check='none'")
            },
            xml: Some(&cpu.xml),
        },
        (Some("none"), None) => GuestCpu::Unchecked {
            why: "check='none', no model".into(),
            xml: None,
        },
        (_, None) if cpu.mode == "custom" => GuestCpu::Unchecked {
            why: "no CPU model: the hypervisor's default".into(),
            xml: None,
        },
        _ => GuestCpu::Checked(&cpu.xml),
    }
}

/// Asks `dest` whether it can run `vm`'s guest CPU (blocking). `src` is
/// the source's connection, needed for unchecked guest CPUs only.
pub fn compare_on(src: Option<&Libvirt>, dest: &Libvirt, vm: &VmSpec) -> Verdict {
    match classify(vm) {
        GuestCpu::Passthrough => Verdict::Passthrough,
        GuestCpu::Checked(xml) => match probe::compare(dest, vm, xml) {
            Ok(Compared::Runs(how)) => Verdict::Compatible(how),
            Ok(Compared::Lacks(r)) => Verdict::Incompatible(r),
            Err(e) => Verdict::Error(e),
        },
        GuestCpu::Unchecked { xml, .. } => unchecked(src, dest, vm, xml),
    }
}

fn unchecked(src: Option<&Libvirt>, dest: &Libvirt, vm: &VmSpec, xml: Option<&str>) -> Verdict {
    if let Some(xml) = xml {
        if let Ok(Compared::Runs(how)) = probe::compare(dest, vm, xml) {
            return Verdict::Compatible(how);
        }
    }
    let Some(src) = src else {
        return Verdict::Error("the source's libvirt is not connected".into());
    };
    let offer = match probe::host_model(src, vm) {
        Ok(x) => x,
        Err(e) => return Verdict::Error(format!("reading {}'s host CPU: {e}", src.host)),
    };
    match probe::compare(dest, vm, &offer) {
        Ok(Compared::Runs(how)) => Verdict::HostsCompatible(how),
        Ok(Compared::Lacks(r)) => Verdict::HostsIncompatible(r),
        Err(e) => Verdict::Error(e),
    }
}

/// The check from the verdict (and, for passthrough, the two host CPUs).
pub fn decide(vm: &VmSpec, verdict: &Verdict, src: &HostFacts, dst: &HostFacts) -> Check {
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

    /// A fixture captured on the lab (tests/fixtures/cpu), parsed as the
    /// check reads it.
    fn captured(file: &str) -> VmSpec {
        let path = format!("{}/tests/fixtures/cpu/{file}", env!("CARGO_MANIFEST_DIR"));
        crate::vm::spec::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn unchecked_guests_are_told_apart_on_captured_xml() {
        // Defined without <cpu>: libvirt 9.0 adds qemu64 with check='none'.
        let g = captured("no-cpu.migratable.xml");
        match classify(&g) {
            GuestCpu::Unchecked { why, xml } => {
                assert!(
                    why.contains("qemu64") && why.contains("without <cpu>"),
                    "{why}"
                );
                assert!(xml.unwrap().contains("qemu64"));
            }
            other => panic!("{other:?}"),
        }
        // A transient one: its migratable XML says the same.
        let g = captured("no-cpu-transient.migratable.xml");
        assert!(matches!(classify(&g), GuestCpu::Unchecked { .. }));
        // A model named with check='none' is left to QEMU as well.
        let g = captured("named-check-none.migratable.xml");
        match classify(&g) {
            GuestCpu::Unchecked { why, .. } => assert_eq!(why, "Skylake-Client with check='none'"),
            other => panic!("{other:?}"),
        }
        // No <cpu> at all (libvirt without a default model).
        assert!(matches!(
            classify(&VmSpec::default()),
            GuestCpu::Unchecked { xml: None, .. }
        ));
    }

    #[test]
    fn checked_guests_compare_their_own_cpu() {
        // check='partial' named model; a running host-model guest (custom kvm64, check='full').
        for f in [
            "named-check-partial.migratable.xml",
            "../lab/it-vm-migratable.xml",
        ] {
            let g = captured(f);
            let GuestCpu::Checked(xml) = classify(&g) else {
                panic!("{f}: {:?}", classify(&g));
            };
            assert!(xml.starts_with("<cpu mode='custom'"), "{f}: {xml}");
        }
        // The live XML of an unchecked guest shows check='full' with the
        // features QEMU kept: that is why the migratable XML is read.
        let live = captured("no-cpu.live.xml");
        assert!(matches!(classify(&live), GuestCpu::Checked(_)));
        let transient = captured("no-cpu-transient.inactive.xml");
        assert!(matches!(classify(&transient), GuestCpu::Checked(_)));
        // A host-model guest not started yet (its CPU is expanded at start).
        let g = captured("host-model.inactive.xml");
        assert_eq!(
            classify(&g),
            GuestCpu::Checked("<cpu mode='host-model' check='partial'/>")
        );
        assert_eq!(classify(&vm("host-passthrough")), GuestCpu::Passthrough);
    }

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
        let g = captured("no-cpu.migratable.xml");
        let c = decide(&g, &Verdict::HostsCompatible("identical"), &a, &b);
        assert_eq!(c.status, Status::Pass);
        assert!(
            c.message
                .contains("lab2 offers every CPU feature lab1 offers (identical)")
                && c.message.contains("qemu64"),
            "{}",
            c.message
        );
        let r = Some("Host CPU does not provide required features: avx2".into());
        let c = decide(&g, &Verdict::HostsIncompatible(r), &a, &b);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.contains("what lab2 lacks of lab1's CPU") && c.message.contains("avx2"),
            "{}",
            c.message
        );
    }

    #[test]
    fn scheduler_refusals() {
        assert_eq!(Verdict::Compatible("identical").refusal(), None);
        assert_eq!(Verdict::HostsCompatible("superset").refusal(), None);
        assert_eq!(Verdict::Passthrough.refusal(), None);
        assert_eq!(
            Verdict::Incompatible(Some("missing: x".into()))
                .refusal()
                .unwrap(),
            "cannot run the guest's CPU (missing: x)"
        );
        assert!(Verdict::HostsIncompatible(None)
            .refusal()
            .unwrap()
            .contains("lacks CPU features the source offers"));
        assert!(Verdict::Error("e".into())
            .refusal()
            .unwrap()
            .contains("failed: e"));
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
