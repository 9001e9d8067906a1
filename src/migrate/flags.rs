//! The migrateToURI3 flags and parameters, from the plan.

use virt::domain::MigrateParameters;
use virt::sys;

/// LIVE | PEER2PEER | `PERSIST_DEST` | `UNDEFINE_SOURCE` | `ABORT_ON_ERROR`, plus
/// `NON_SHARED_DISK` for block migration, UNSAFE only when asked for, and
/// the policy's `AUTO_CONVERGE` and POSTCOPY (both must be set at start).
pub fn flags(block: bool, unsafe_: bool, policy: &crate::policy::Policy) -> u32 {
    let mut f = sys::VIR_MIGRATE_LIVE
        | sys::VIR_MIGRATE_PEER2PEER
        | sys::VIR_MIGRATE_PERSIST_DEST
        | sys::VIR_MIGRATE_UNDEFINE_SOURCE
        | sys::VIR_MIGRATE_ABORT_ON_ERROR;
    if block {
        f |= sys::VIR_MIGRATE_NON_SHARED_DISK;
    }
    if unsafe_ {
        f |= sys::VIR_MIGRATE_UNSAFE;
    }
    if policy.auto_converge {
        f |= sys::VIR_MIGRATE_AUTO_CONVERGE;
    }
    if policy.postcopy {
        f |= sys::VIR_MIGRATE_POSTCOPY;
    }
    f
}

/// The migration URI (the destination's `migration_address`: without it
/// the destination advertises its hostname, which may not resolve), the
/// bandwidth cap in MiB/s, and for block migration the disks to copy.
pub fn params(
    migration_uri: &str,
    bandwidth: Option<u64>,
    copy_disks: &[String],
) -> MigrateParameters {
    MigrateParameters {
        uri: Some(migration_uri.to_string()),
        bandwidth,
        migrate_disks: copy_disks.to_vec(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_the_plan() {
        let p = crate::policy::Policy::default();
        let base = flags(false, false, &p);
        assert_eq!(base & sys::VIR_MIGRATE_NON_SHARED_DISK, 0);
        assert_ne!(base & sys::VIR_MIGRATE_AUTO_CONVERGE, 0);
        assert_eq!(base & sys::VIR_MIGRATE_POSTCOPY, 0);
        let post = crate::policy::Policy {
            postcopy: true,
            auto_converge: false,
            ..p.clone()
        };
        assert_ne!(flags(false, false, &post) & sys::VIR_MIGRATE_POSTCOPY, 0);
        assert_eq!(
            flags(false, false, &post) & sys::VIR_MIGRATE_AUTO_CONVERGE,
            0
        );
        assert_eq!(base & sys::VIR_MIGRATE_UNSAFE, 0);
        assert_ne!(base & sys::VIR_MIGRATE_PEER2PEER, 0);
        assert_ne!(base & sys::VIR_MIGRATE_ABORT_ON_ERROR, 0);
        assert_ne!(flags(true, false, &p) & sys::VIR_MIGRATE_NON_SHARED_DISK, 0);
        assert_ne!(flags(false, true, &p) & sys::VIR_MIGRATE_UNSAFE, 0);
    }

    #[test]
    fn params_carry_uri_bandwidth_disks() {
        let p = params("tcp://10.0.0.2", Some(50), &["vda".into()]);
        assert_eq!(p.uri.as_deref(), Some("tcp://10.0.0.2"));
        assert_eq!(p.bandwidth, Some(50));
        assert_eq!(p.migrate_disks, vec!["vda".to_string()]);
    }
}
