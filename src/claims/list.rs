//! Reading a host's live claims alone (the facts command reads them along
//! with everything else): for `vmigrate ps`, which needs nothing more.

use super::{protocol, Claim, DIR};
use crate::ssh::{SshError, SshSession};

/// The live claims on the host behind `ssh`; changes nothing there.
pub async fn list(ssh: &SshSession) -> Result<Vec<Claim>, SshError> {
    let script = format!("{}vmigrate_claims \"$1\"", protocol::LIST_FN);
    let out = ssh
        .check(&["sh", "-c", &script, "vmigrate-ps", DIR])
        .await?;
    Ok(protocol::parse_listing(&out))
}
