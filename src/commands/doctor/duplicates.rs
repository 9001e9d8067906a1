//! Duplicate hosts: two inventory entries that reach the same libvirt host
//! (the same host UUID). `check` would then see each of its VMs on two
//! hosts at once and call it a split brain.

use super::finding::Finding;
use crate::checks::Status;

/// One finding per pair of names sharing a UUID (unknown UUIDs, from hosts
/// that did not answer, are never compared); a pass when there is none.
pub fn find(hosts: &[(&str, Option<&str>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, (a, ua)) in hosts.iter().enumerate() {
        let Some(ua) = ua else { continue };
        // Only the first name of a group is paired with the later ones.
        if hosts[..i].iter().any(|(_, u)| u.as_ref() == Some(ua)) {
            continue;
        }
        for (b, _) in hosts[i + 1..]
            .iter()
            .filter(|(_, u)| u.as_ref() == Some(ua))
        {
            out.push(
                Finding::problem(
                    "fleet.duplicate",
                    Status::Fail,
                    Some(a),
                    format!("inventory entries {a} and {b} are the same host (libvirt host UUID {ua}): its VMs would look like split brains"),
                    format!("remove one of the entries {a} and {b}; if they are different machines, give each its own host_uuid in libvirtd.conf and restart libvirtd"),
                )
                .to(b),
            );
        }
    }
    if out.is_empty() {
        let known = hosts.iter().filter(|(_, u)| u.is_some()).count();
        out.push(Finding::pass(
            "fleet.duplicate",
            None,
            format!("{known} hosts answered, each with its own host UUID"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_uuid_under_two_names_fails_once_per_pair() {
        let u1 = "6a1d0c6e-0000-4000-8000-000000000001";
        let f = find(&[
            ("lab1", Some(u1)),
            ("lab2", Some("u2")),
            ("kvm-a", Some(u1)),
            ("down", None),
            ("also-down", None),
        ]);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].host.as_deref(), f[0].peer.as_deref()),
            (Some("lab1"), Some("kvm-a"))
        );
        assert!(f[0].failed());
        assert!(f[0]
            .fix
            .as_deref()
            .unwrap()
            .starts_with("remove one of the entries lab1 and kvm-a"));
        let three = find(&[("a", Some("u")), ("b", Some("u")), ("c", Some("u"))]);
        assert_eq!(three.len(), 2);
        let fine = find(&[("a", Some("u")), ("b", Some("v")), ("c", None)]);
        assert_eq!(fine[0].status, Status::Pass);
        assert_eq!(
            fine[0].message,
            "2 hosts answered, each with its own host UUID"
        );
    }
}
