//! One SSH server on the way to a host: the host itself, or a jump host
//! of its `ProxyJump` chain. Connect and authenticate take this, so the
//! target and every hop are verified and logged into the same way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::inventory::{Host, Jump};

/// Where to connect and as whom, with the files that prove both sides.
#[derive(Debug, Clone)]
pub struct Endpoint<'a> {
    /// Names the server in every message: the inventory name, or
    /// "jump host SPEC for NAME".
    pub label: String,
    pub address: &'a str,
    pub port: u16,
    pub user: &'a str,
    pub identity_files: &'a [PathBuf],
    pub identities_only: bool,
    pub known_hosts: &'a Path,
}

impl<'a> Endpoint<'a> {
    /// The inventory host itself.
    pub fn target(host: &'a Host) -> Self {
        Endpoint {
            label: host.name.clone(),
            address: &host.address,
            port: host.port,
            user: &host.user,
            identity_files: &host.ssh.identity_files,
            identities_only: host.ssh.identities_only,
            known_hosts: &host.known_hosts,
        }
    }

    /// One hop of the host's `ProxyJump` chain.
    pub fn jump(host: &Host, jump: &'a Jump) -> Self {
        Endpoint {
            label: format!("jump host {} for {}", jump.spec, host.name),
            address: &jump.address,
            port: jump.port,
            user: &jump.user,
            identity_files: &jump.identity_files,
            identities_only: jump.identities_only,
            known_hosts: &jump.known_hosts,
        }
    }
}

/// The keepalive every connection gets: 5 s (a dead peer becomes an error
/// within 15 s instead of a hang, which the fault handling relies on), or
/// the SSH configuration's `ServerAliveInterval` when that is shorter.
pub fn keepalive(host: &Host) -> Duration {
    let ours = Duration::from_secs(5);
    host.ssh.keepalive.map_or(ours, |theirs| theirs.min(ours))
}
