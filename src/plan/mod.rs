//! Deciding and acting, kept apart. The planners — the migration's
//! outcome (`migrate::outcome`) and `recover` (`commands::recover::plan`) —
//! are pure functions over what the hosts reported for the VM ([`Seen`]),
//! the journal and the run's own facts; they return a list of
//! [`Action`]s. One executor ([`execute`]) carries the list out: each
//! action journalled before it touches a host (none taken once a record
//! cannot be written), applied through the typed libvirt and SSH doors,
//! and the hosts read again afterwards.

mod action;
mod disks;
mod execute;
mod resume;
mod seen;
#[cfg(test)]
pub(crate) mod testkit;

pub(crate) use action::Action;
pub(crate) use disks::users_of;
pub(crate) use execute::{execute, ActionError, By, Done, Executed};
pub(crate) use seen::{kind, Seen};
