//! Maintenance marks: "this host is in maintenance, since when, set by
//! whom, why", kept on the host itself so that every operator's `check`,
//! `live` and `evacuate`, from any machine, treats it as disabled.
//!
//! The mark is one JSON file, [`FILE`], persistent (a host that reboots
//! during its maintenance stays in it). It is written and removed under
//! the claims' host lock (`crate::claims::DIR`'s `.lock`) in one exec over
//! the run's SSH session ([`client`]), and the claim script refuses to
//! claim on a marked host under that same lock: a run either claimed
//! before the mark (and `on` names it) or sees the mark and chooses again.
//! Every run's facts read the mark in the facts exec (no extra round trip).

pub mod client;
pub mod mark;
pub mod protocol;
#[cfg(test)]
mod script_tests;

pub use client::{clear, read, set, Set};
pub use mark::Mark;

/// The directory of vmigrate's persistent state on a host: under
/// `/var/lib/libvirt`, which every host vmigrate can use has, on its
/// persistent filesystem (and which the lab gives each host its own copy of).
pub const DIR: &str = "/var/lib/libvirt/vmigrate";

/// The mark's file (see [`DIR`]).
pub const FILE: &str = "/var/lib/libvirt/vmigrate/maintenance.json";

/// The host lock the mark is written under: the claims' own, so that
/// setting the mark and claiming capacity exclude each other.
pub const LOCK_DIR: &str = crate::claims::DIR;

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_is_in_the_directory() {
        assert_eq!(super::FILE, format!("{}/maintenance.json", super::DIR));
    }
}
