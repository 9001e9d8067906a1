//! Capacity claims: "run R brings VM X (uuid) to host H and needs N MiB
//! RAM, V vCPUs, D MiB disk", held on H for as long as the run lives.
//!
//! Runs started together all see the same free capacity in their facts; a
//! claim is what lets the second one see the first. It is a small file in
//! [`DIR`] on the destination, checked and written under a lock in one
//! exec over the run's existing SSH session ([`take`]), and held by that
//! exec's shell until [`Held::release`] — or until vmigrate dies and the
//! SSH connection closes, when the host drops it by itself. No daemon.
//!
//! Every run's facts include the live claims of each host (read by the
//! facts command itself, no extra round trip), so `check` and the
//! scheduler count other runs' claims; [`fit`] is the arithmetic.

mod claim;
mod client;
pub mod fit;
mod list;
pub mod protocol;
#[cfg(test)]
mod script_tests;

pub use claim::{new_run_id, now_ms, operator_host, Claim};
pub use client::{take, Held, Taken};
pub use fit::{counted, decide, Capacity, Counted, Fit};
pub use list::list;

/// Where claims live on a host: runtime state (gone at reboot, as are the
/// processes holding them), private to root.
pub const DIR: &str = "/run/vmigrate/claims";
