//! Checks on what source and destination must share: the hypervisor type,
//! and a destination hypervisor at least as new as the source's (QEMU can
//! load migration streams from older versions, not from newer ones).

use super::Check;
use crate::facts::HostFacts;

/// `hypervisor.type`.
pub(crate) fn hypervisor_type(src: &HostFacts, dst: &HostFacts) -> Check {
    match (&src.hypervisor, &dst.hypervisor) {
        (Some(s), Some(d)) if s.kind == d.kind => {
            Check::pass("hypervisor.type", format!("both run {}", s.kind))
        }
        (Some(s), Some(d)) => Check::fail(
            "hypervisor.type",
            format!(
                "{} runs {} but {} runs {}; live migration needs the same hypervisor",
                src.name, s.kind, dst.name, d.kind
            ),
        ),
        _ => Check::skip("hypervisor.type", "hypervisor unknown (host unreachable)"),
    }
}

/// `hypervisor.version`.
pub(crate) fn hypervisor_version(src: &HostFacts, dst: &HostFacts) -> Check {
    match (&src.hypervisor, &dst.hypervisor) {
        (Some(s), Some(d)) if d.version_number >= s.version_number => Check::pass(
            "hypervisor.version",
            format!("{} {} on {} ≥ {} on {}", d.kind, d.version, dst.name, s.version, src.name),
        ),
        (Some(s), Some(d)) => Check::fail(
            "hypervisor.version",
            format!(
                "{} has {} {}, older than {} on {}; a VM cannot move to an older hypervisor: upgrade {} or choose another host",
                dst.name, d.kind, d.version, s.version, src.name, dst.name
            ),
        ),
        _ => Check::skip("hypervisor.version", "hypervisor unknown (host unreachable)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::facts::testdata::lab_facts;

    #[test]
    fn same_and_newer_pass_older_fails() {
        let a = lab_facts("lab1");
        let mut b = lab_facts("lab2");
        assert_eq!(hypervisor_type(&a, &b).status, Status::Pass);
        assert_eq!(hypervisor_version(&a, &b).status, Status::Pass);
        let h = b.hypervisor.as_mut().unwrap();
        h.version_number -= 1;
        h.version = "older".into();
        let c = hypervisor_version(&a, &b);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("older than"));
        b.hypervisor.as_mut().unwrap().kind = "Xen".into();
        assert_eq!(hypervisor_type(&a, &b).status, Status::Fail);
    }
}
