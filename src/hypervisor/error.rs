//! libvirt failures, worded for the operator.

/// A libvirt failure on one host. `Display` is one line.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LibvirtError {
    /// Opening the connection failed.
    #[error(
        "libvirt on {host} ({uri}): cannot connect: {message}{}",
        hint_for(message)
    )]
    Connect {
        host: String,
        uri: String,
        message: String,
    },
    /// The connection did not open within the host's connect timeout.
    #[error("libvirt on {host} ({uri}): no answer within {secs}s; is libvirtd running there?")]
    Timeout {
        host: String,
        uri: String,
        secs: u64,
    },
    /// A call on an open connection failed.
    #[error("libvirt on {host}: {what}: {message}")]
    Call {
        host: String,
        what: String,
        message: String,
    },
    /// The domain is not (any more) on the host.
    #[error("libvirt on {host}: {what}: no such domain")]
    NoDomain { host: String, what: String },
    /// Not attempted, and why.
    #[error("libvirt on {host}: not contacted: {reason}")]
    Skipped { host: String, reason: String },
}

/// Adds what to do for the errors operators meet most.
fn hint_for(message: &str) -> &'static str {
    if message.contains("libvirt-sock") || message.contains("End of file while reading data") {
        "; is libvirtd running on that host (systemctl status libvirtd)?"
    } else if message.contains("Host key verification failed") {
        "; the host key is not in ~/.ssh/known_hosts or changed (libvirt's ssh transport uses OpenSSH's known_hosts)"
    } else if message.contains("Permission denied") {
        "; check the SSH key (identity_file / ssh-agent) and authorized_keys on the host"
    } else {
        ""
    }
}

impl LibvirtError {
    /// libvirt's own words, without the host and the call: for a message
    /// that already names them (a check's, say).
    pub fn detail(&self) -> String {
        match self {
            LibvirtError::Connect { message, .. } | LibvirtError::Call { message, .. } => {
                message.clone()
            }
            LibvirtError::NoDomain { .. } => "no such domain".into(),
            LibvirtError::Skipped { reason, .. } => format!("not contacted: {reason}"),
            LibvirtError::Timeout { .. } => self.to_string(),
        }
    }
}
