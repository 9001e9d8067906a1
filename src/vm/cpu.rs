//! The guest's CPU: how libvirt will treat it on a destination (from the
//! `<cpu>` of the migratable XML), and what a destination said of it.
//!
//! - checked (`partial`/`full`, custom or host-model): the destination's
//!   libvirt verifies that definition before starting the guest, so it is
//!   compared there (virConnectCompareHypervisorCPU);
//! - unchecked (`check='none'` — libvirt's default qemu64 for a guest
//!   defined without `<cpu>` — or no `<cpu>`/model at all): libvirt leaves
//!   the CPU to QEMU, which silently drops the features a host lacks, so the
//!   source host's CPU is compared instead (see `checks::cpu`);
//! - host-passthrough sees the source host's CPU itself: it needs an
//!   identical host CPU on the destination.
//!
//! The live XML is no guide: once the guest runs, libvirt shows an
//! unchecked CPU expanded with `check='full'` (and the "inactive" XML of a
//! transient guest is that live one); see tests/fixtures/cpu.

use super::spec::VmSpec;

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
    pub(crate) fn refusal(&self) -> Option<String> {
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
pub(crate) enum GuestCpu<'a> {
    /// Verified by the destination's libvirt: this `<cpu>` is compared.
    Checked(&'a str),
    /// Left to QEMU: `why` for messages, `xml` the definition if any.
    Unchecked { why: String, xml: Option<&'a str> },
    /// host-passthrough or maximum.
    Passthrough,
}

/// Classifies `vm`'s CPU from its migratable XML's `<cpu>`.
pub(crate) fn classify(vm: &VmSpec) -> GuestCpu<'_> {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::vm::spec::CpuSpec;

    pub(crate) fn vm(mode: &str) -> VmSpec {
        VmSpec {
            cpu: Some(CpuSpec {
                mode: mode.into(),
                xml: String::new(),
            }),
            ..Default::default()
        }
    }

    /// A fixture captured on the lab (tests/fixtures/cpu), parsed as the
    /// checks read it.
    pub(crate) fn captured(file: &str) -> VmSpec {
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
}
