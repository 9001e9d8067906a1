//! Starting a migration: `virDomainMigrateToURI3`'s flags and parameters
//! from a typed request, and the call itself, which blocks for the whole
//! migration; and resuming one that failed in post-copy (the same call
//! with `VIR_MIGRATE_POSTCOPY_RESUME`). A cancelled job
//! (`virDomainAbortJob`, by anyone) is told from a failure by libvirt's
//! error code, never by its words.

use std::time::Instant;

use virt::domain::MigrateParameters;
use virt::sys;

use super::Domain;
use crate::hypervisor::LibvirtError;

/// What the migration does besides LIVE | PEER2PEER | `PERSIST_DEST` |
/// `UNDEFINE_SOURCE` | `ABORT_ON_ERROR`, which it always does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each is one of libvirt's independent flags"
)]
pub struct MigrateFlags {
    /// Copy the local disks (`NON_SHARED_DISK`).
    pub block: bool,
    /// Skip libvirt's safety check of the storage (`UNSAFE`).
    pub unsafe_: bool,
    /// Throttle the guest's vCPUs when it does not converge.
    pub auto_converge: bool,
    /// Allow the switch to post-copy (it must be set at start).
    pub postcopy: bool,
    /// The transport's flags (TLS, PARALLEL, COMPRESSED: `Transport::flag_bits`).
    pub transport: u32,
}

impl MigrateFlags {
    /// libvirt's flag bits (also what the journal records).
    pub fn bits(self) -> u32 {
        let mut f = sys::VIR_MIGRATE_LIVE
            | sys::VIR_MIGRATE_PEER2PEER
            | sys::VIR_MIGRATE_PERSIST_DEST
            | sys::VIR_MIGRATE_UNDEFINE_SOURCE
            | sys::VIR_MIGRATE_ABORT_ON_ERROR
            | self.transport;
        for (on, bit) in [
            (self.block, sys::VIR_MIGRATE_NON_SHARED_DISK),
            (self.unsafe_, sys::VIR_MIGRATE_UNSAFE),
            (self.auto_converge, sys::VIR_MIGRATE_AUTO_CONVERGE),
            (self.postcopy, sys::VIR_MIGRATE_POSTCOPY),
        ] {
            if on {
                f |= bit;
            }
        }
        f
    }

    /// The flags that resume a post-copy migration started with `bits`:
    /// libvirt wants the original migration's flags again, with
    /// `POSTCOPY` and `POSTCOPY_RESUME` (libvirt >= 8.5).
    pub fn postcopy_resume(bits: u32) -> u32 {
        bits | sys::VIR_MIGRATE_POSTCOPY | sys::VIR_MIGRATE_POSTCOPY_RESUME
    }
}

/// `virsh migrate`'s options for migrateToURI3 flag `bits`, with
/// `--postcopy` always: libvirt resumes only a post-copy migration.
pub fn virsh_options(bits: u32) -> Vec<&'static str> {
    use sys as s;
    const MAP: [(u32, &str); 14] = [
        (s::VIR_MIGRATE_LIVE, "--live"),
        (s::VIR_MIGRATE_PEER2PEER, "--p2p"),
        (s::VIR_MIGRATE_TUNNELLED, "--tunnelled"),
        (s::VIR_MIGRATE_PERSIST_DEST, "--persistent"),
        (s::VIR_MIGRATE_UNDEFINE_SOURCE, "--undefinesource"),
        (s::VIR_MIGRATE_NON_SHARED_DISK, "--copy-storage-all"),
        (s::VIR_MIGRATE_CHANGE_PROTECTION, "--change-protection"),
        (s::VIR_MIGRATE_UNSAFE, "--unsafe"),
        (s::VIR_MIGRATE_ABORT_ON_ERROR, "--abort-on-error"),
        (s::VIR_MIGRATE_AUTO_CONVERGE, "--auto-converge"),
        (s::VIR_MIGRATE_TLS, "--tls"),
        (s::VIR_MIGRATE_PARALLEL, "--parallel"),
        (s::VIR_MIGRATE_COMPRESSED, "--compressed"),
        (s::VIR_MIGRATE_POSTCOPY, "--postcopy"),
    ];
    let bits = bits | s::VIR_MIGRATE_POSTCOPY;
    MAP.iter()
        .filter(|(f, _)| bits & f != 0)
        .map(|(_, o)| *o)
        .collect()
}

/// One migration to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateRequest {
    /// The destination's libvirt, as the source's libvirtd reaches it.
    pub peer_uri: String,
    /// Where the migration stream goes (the destination's
    /// `migration_address`: without it the destination advertises its
    /// hostname, which may not resolve).
    pub migration_uri: String,
    /// The cap, MiB/s.
    pub bandwidth_mib: Option<u64>,
    /// Block migration: the guest's disks (vda, …) to copy.
    pub copy_disks: Vec<String>,
    pub flags: MigrateFlags,
    /// TLS name, connections, compression, post-copy bandwidth,
    /// auto-converge steps (its flags are in `flags.transport`).
    pub transport: crate::transport::Transport,
}

/// Resuming a migration that failed after the switch to post-copy, from
/// its source: what the original migration was started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeRequest {
    /// The destination's libvirt, as the source's libvirtd reaches it.
    pub peer_uri: String,
    /// Where the migration stream goes (`VIR_MIGRATE_PARAM_URI`).
    pub migration_uri: String,
    /// The original migration's flag bits (without the resume flags).
    pub flags: u32,
}

/// Why the migrate call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MigrateError {
    /// The job was cancelled (`virDomainAbortJob`, by whoever asked).
    #[error(transparent)]
    Cancelled(LibvirtError),
    /// Anything else.
    #[error(transparent)]
    Failed(LibvirtError),
}

impl MigrateError {
    /// The libvirt failure either way.
    pub fn libvirt(&self) -> &LibvirtError {
        match self {
            MigrateError::Cancelled(e) | MigrateError::Failed(e) => e,
        }
    }
}

impl Domain {
    /// Migrates the domain peer-to-peer (`virDomainMigrateToURI3`); returns
    /// when libvirt is done, with the instant it returned (before this
    /// task was scheduled again).
    pub async fn migrate(&self, req: &MigrateRequest) -> (Result<(), MigrateError>, Instant) {
        let mut params = MigrateParameters {
            uri: Some(req.migration_uri.clone()),
            bandwidth: req.bandwidth_mib,
            migrate_disks: req.copy_disks.clone(),
            ..Default::default()
        };
        req.transport
            .apply(&mut params, req.flags.postcopy, req.flags.auto_converge);
        self.migrate_to_uri3("migrate", &req.peer_uri, params, req.flags.bits())
            .await
    }

    /// Resumes the migration that failed after the switch to post-copy,
    /// from the source (this domain). In peer-to-peer mode libvirt's call
    /// returns once the resumed migration is over: `Ok` means the guest
    /// now runs whole on the destination. Both halves must show "post-copy
    /// failed" first, or libvirt refuses.
    pub async fn resume_postcopy(&self, req: &ResumeRequest) -> Result<(), MigrateError> {
        let params = MigrateParameters {
            uri: Some(req.migration_uri.clone()),
            ..Default::default()
        };
        let bits = MigrateFlags::postcopy_resume(req.flags);
        self.migrate_to_uri3(
            "resume the post-copy migration",
            &req.peer_uri,
            params,
            bits,
        )
        .await
        .0
    }

    async fn migrate_to_uri3(
        &self,
        what: &'static str,
        peer: &str,
        params: MigrateParameters,
        bits: u32,
    ) -> (Result<(), MigrateError>, Instant) {
        let peer = peer.to_string();
        let called = self
            .call(what, move |d| {
                Ok((d.migrate_to_uri3(Some(&peer), params, bits), Instant::now()))
            })
            .await;
        match called {
            Ok((Ok(()), at)) => (Ok(()), at),
            Ok((Err(e), at)) => {
                let cancelled = e.code().to_raw() == sys::VIR_ERR_OPERATION_ABORTED;
                let e = self.lv.call_error(what, e);
                let e = if cancelled {
                    MigrateError::Cancelled(e)
                } else {
                    MigrateError::Failed(e)
                };
                (Err(e), at)
            }
            Err(e) => (Err(MigrateError::Failed(e)), Instant::now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_the_request() {
        let base = MigrateFlags::default().bits();
        for always in [
            sys::VIR_MIGRATE_LIVE,
            sys::VIR_MIGRATE_PEER2PEER,
            sys::VIR_MIGRATE_PERSIST_DEST,
            sys::VIR_MIGRATE_UNDEFINE_SOURCE,
            sys::VIR_MIGRATE_ABORT_ON_ERROR,
        ] {
            assert_ne!(base & always, 0);
        }
        let none = sys::VIR_MIGRATE_NON_SHARED_DISK
            | sys::VIR_MIGRATE_UNSAFE
            | sys::VIR_MIGRATE_AUTO_CONVERGE
            | sys::VIR_MIGRATE_POSTCOPY;
        assert_eq!(base & none, 0);
        let all = MigrateFlags {
            block: true,
            unsafe_: true,
            auto_converge: true,
            postcopy: true,
            transport: 0,
        };
        assert_eq!(all.bits() & none, none);
    }

    #[test]
    fn a_resume_keeps_the_original_flags_and_adds_postcopy_resume() {
        let plain = MigrateFlags {
            auto_converge: true,
            ..Default::default()
        }
        .bits();
        let resume = MigrateFlags::postcopy_resume(plain);
        assert_eq!(resume & plain, plain);
        assert_eq!(
            resume & !plain,
            sys::VIR_MIGRATE_POSTCOPY | sys::VIR_MIGRATE_POSTCOPY_RESUME
        );
    }

    #[test]
    fn virsh_options_name_each_flag_and_always_postcopy() {
        let plain = MigrateFlags {
            auto_converge: true,
            ..Default::default()
        };
        assert_eq!(
            virsh_options(plain.bits()),
            [
                "--live",
                "--p2p",
                "--persistent",
                "--undefinesource",
                "--abort-on-error",
                "--auto-converge",
                "--postcopy"
            ]
        );
    }
}
