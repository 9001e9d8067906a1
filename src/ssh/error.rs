//! What can go wrong talking SSH to a host, worded for the operator.
//!
//! Each variant names the host and says what to do; host-key problems carry
//! the fingerprint the server presented so the operator can verify it out of
//! band before trusting it.

use std::path::PathBuf;
use std::time::Duration;

/// An SSH failure on one host. `Display` is one line.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// TCP connect failed (refused, no route, DNS).
    #[error("ssh to {host} ({addr}): cannot connect: {source}")]
    Connect {
        host: String,
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// No answer within the configured timeout.
    #[error("ssh to {host} ({addr}): no answer within {}s; check the address and that sshd runs (connect_timeout_secs raises the limit)", after.as_secs())]
    Timeout {
        host: String,
        addr: String,
        after: Duration,
    },
    /// The host key is not in `known_hosts`: refused, never learned silently.
    #[error("ssh to {host} ({addr}): host key {fingerprint} is not in {}{note}; refused. Verify the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then add it: ssh-keyscan {keyscan} >> {}", known_hosts.display(), known_hosts.display())]
    UnknownHostKey {
        host: String,
        addr: String,
        fingerprint: String,
        known_hosts: PathBuf,
        keyscan: String,
        /// Why a line that names the host did not count, or empty.
        note: String,
    },
    /// The host presented a different key than the recorded one.
    #[error("ssh to {host} ({addr}): HOST KEY CHANGED: the host presented {fingerprint}, which does not match {}:{line}; refused (possible man-in-the-middle). If the host was reinstalled, verify the new key and remove the old line: ssh-keygen -f {} -R {known_name}", known_hosts.display(), known_hosts.display())]
    ChangedHostKey {
        host: String,
        addr: String,
        fingerprint: String,
        known_hosts: PathBuf,
        line: usize,
        known_name: String,
    },
    /// `known_hosts` marks the presented key `@revoked`.
    #[error("ssh to {host} ({addr}): host key {fingerprint} is marked @revoked in {}:{line}; refused (a revoked key may be a stolen one). The host needs a new key: once it has one, verify it on the host and record it in {}", known_hosts.display(), known_hosts.display())]
    RevokedHostKey {
        host: String,
        addr: String,
        fingerprint: String,
        known_hosts: PathBuf,
        line: usize,
    },
    /// A host certificate that a `@cert-authority` line does not vouch for.
    #[error("ssh to {host} ({addr}): the host certificate (key {fingerprint}) is refused by the @cert-authority line {}:{line}: {reason}. Re-sign the host key (ssh-keygen -s CA_KEY -h -n {addr} …) or fix that line", known_hosts.display())]
    HostCertificate {
        host: String,
        addr: String,
        fingerprint: String,
        known_hosts: PathBuf,
        line: usize,
        reason: String,
    },
    /// `known_hosts` could not be read or parsed.
    #[error("ssh to {host}: cannot check the host key against {}: {reason}", known_hosts.display())]
    KnownHosts {
        host: String,
        known_hosts: PathBuf,
        reason: String,
    },
    /// Neither the identity file nor the agent got us in.
    #[error("ssh to {host}: authentication as {user} failed ({tried}); check identity_file / ssh-agent and the host's authorized_keys")]
    Auth {
        host: String,
        user: String,
        tried: String,
    },
    /// The identity file could not be loaded.
    #[error("ssh to {host}: cannot load identity_file {}: {reason}", path.display())]
    Identity {
        host: String,
        path: PathBuf,
        reason: String,
    },
    /// Anything else from the SSH layer.
    #[error("ssh to {host}: {reason}")]
    Protocol { host: String, reason: String },
    /// A remote command failed.
    #[error("ssh to {host}: `{command}` failed (exit {status}): {stderr}")]
    Command {
        host: String,
        command: String,
        status: u32,
        stderr: String,
    },
}

impl SshError {
    /// True when the host's identity could not be established; then nothing
    /// else (libvirt included) should be trusted to talk to that host.
    pub fn is_host_key(&self) -> bool {
        matches!(
            self,
            SshError::UnknownHostKey { .. }
                | SshError::ChangedHostKey { .. }
                | SshError::RevokedHostKey { .. }
                | SshError::HostCertificate { .. }
                | SshError::KnownHosts { .. }
        )
    }
}
