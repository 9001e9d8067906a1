//! The report's `error` after a failed migration: what failed, on which
//! side, and what to do. libvirt says "End of file" for most failures of a
//! peer-to-peer migration, so the side that failed is found by asking the
//! hosts (the planner's findings), not by parsing; the words of libvirt's
//! message only choose a hint.

use super::disks::Full;
use super::run::Report;
use super::Outcome;

/// What is known about a failed migration, for its message.
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent findings, each choosing a message"
)]
pub(super) struct Why<'a> {
    /// libvirt's own words.
    pub reason: &'a str,
    /// libvirt cancelled the job (an abort, by anyone).
    pub cancelled: bool,
    /// The policy aborted it at the completion timeout.
    pub timed_out: bool,
    pub timeout_secs: Option<u64>,
    /// The source's libvirtd could not be asked afterwards.
    pub source_unreachable: bool,
    /// A block migration's destination filesystem is (nearly) full.
    pub dest_full: Option<&'a Full>,
    pub unsafe_: bool,
}

/// The message for `r`, which failed as `w` says.
pub(super) fn message(r: &Report, w: &Why) -> String {
    let reason = w.reason;
    if w.timed_out && r.outcome == Outcome::RolledBack {
        format!(
            "the migration did not finish within the completion timeout ({} s) and the policy aborted it (--on-timeout abort); predict with `vmigrate check --bandwidth …`, or allow --postcopy / --on-timeout pause",
            w.timeout_secs.unwrap_or(0)
        )
    } else if r.outcome == Outcome::Aborted {
        format!("aborted on request (libvirt: {reason})")
    } else if w.source_unreachable {
        // The notes say what was found on each side and what to do.
        format!(
            "the source {}'s libvirtd stopped answering during the migration (libvirt: {reason})",
            r.source
        )
    } else if let Some(full) = w.dest_full {
        format!(
            "the destination's disk at {} filled up ({} MiB free) during the block migration; free space on {} or choose another host (libvirt: {reason})",
            full.dir, full.free_mib, r.destination
        )
    } else {
        with_hint(w)
    }
}

/// libvirt's reason plus what to try.
fn with_hint(w: &Why) -> String {
    let reason = w.reason;
    let hint = if reason.contains("Unsafe migration") && !w.unsafe_ {
        " (libvirt cannot tell this file storage is shared; if `check` found it shared, pass --unsafe)"
    } else if w.cancelled {
        " (the job was aborted)"
    } else if reason.contains("End of file") || reason.contains("Unable to resolve") {
        " (the destination's libvirtd or its migration address is unreachable from the source; check peer_uri/migration_address and the destination's libvirtd log)"
    } else {
        ""
    };
    format!("{reason}{hint}")
}
