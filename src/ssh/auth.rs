//! Logging in, the way `ssh` does: the agent's keys first, then each
//! identity file in order (the inventory's `identity_file`, or the SSH
//! configuration's `IdentityFile` lines). `IdentitiesOnly yes` leaves the
//! agent out when identity files are given.

use std::path::Path;
use std::sync::Arc;

use russh::client::Handle;
use russh::keys::{self, PrivateKeyWithHashAlg};

use super::endpoint::Endpoint;
use super::host_key::Verifier;
use super::SshError;

/// Logs in as the endpoint's user, or says everything that was tried.
pub async fn authenticate(
    handle: &mut Handle<Verifier>,
    ep: &Endpoint<'_>,
) -> Result<(), SshError> {
    let proto = |e: russh::Error| SshError::Protocol {
        host: ep.label.clone(),
        reason: e.to_string(),
    };
    let rsa_hash = handle
        .best_supported_rsa_hash()
        .await
        .map_err(proto)?
        .flatten();
    let mut tried = Vec::new();
    if !ep.identities_only || ep.identity_files.is_empty() {
        match with_agent(handle, ep, rsa_hash).await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(why) => tried.push(why),
        }
    }
    // A key file that does not load is the error to show when nothing
    // else got in: it is the one the operator asked for.
    let mut unloadable = None;
    for path in ep.identity_files {
        let key = match load_identity(&ep.label, path) {
            Ok(k) => k,
            Err(e) => {
                tried.push(format!("key {} (does not load)", path.display()));
                unloadable.get_or_insert(e);
                continue;
            }
        };
        let hash = if matches!(key.algorithm(), keys::Algorithm::Rsa { .. }) {
            rsa_hash
        } else {
            None
        };
        let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
        let res = handle
            .authenticate_publickey(ep.user, key)
            .await
            .map_err(proto)?;
        if res.success() {
            return Ok(());
        }
        tried.push(format!("key {}", path.display()));
    }
    if let Some(e) = unloadable {
        return Err(e);
    }
    if tried.is_empty() {
        tried.push("no identity_file and no ssh-agent (SSH_AUTH_SOCK is not set)".into());
    }
    Err(SshError::Auth {
        host: ep.label.clone(),
        user: ep.user.to_owned(),
        tried: tried.join("; "),
    })
}

/// The agent's keys, one by one: `Ok(true)` when one got in, `Ok(false)`
/// when there is no agent, `Err` (what was tried) when none was accepted.
async fn with_agent(
    handle: &mut Handle<Verifier>,
    ep: &Endpoint<'_>,
    rsa_hash: Option<keys::HashAlg>,
) -> Result<bool, String> {
    if std::env::var_os("SSH_AUTH_SOCK").is_none_or(|s| s.is_empty()) {
        return Ok(false);
    }
    let mut agent = keys::agent::client::AgentClient::connect_env()
        .await
        .map_err(|e| format!("ssh-agent: {e}"))?;
    let identities = agent
        .request_identities()
        .await
        .map_err(|e| format!("ssh-agent: {e}"))?;
    let count = identities.len();
    for id in identities {
        let keys::agent::AgentIdentity::PublicKey { key, .. } = id else {
            continue;
        };
        let hash = if matches!(key.algorithm(), keys::Algorithm::Rsa { .. }) {
            rsa_hash
        } else {
            None
        };
        if let Ok(res) = handle
            .authenticate_publickey_with(ep.user, key, hash, &mut agent)
            .await
        {
            if res.success() {
                return Ok(true);
            }
        }
    }
    Err(format!("{count} ssh-agent keys"))
}

/// The private key in `path`. Its error names the file and russh's
/// reason, never the file's content (see the tests: russh's reasons are
/// about the format, and the key itself is never formatted).
#[allow(
    clippy::result_large_err,
    reason = "built once, when a connection fails; its callers return the same error"
)]
fn load_identity(host: &str, path: &Path) -> Result<keys::PrivateKey, SshError> {
    keys::load_secret_key(path, None).map_err(|e| SshError::Identity {
        host: host.to_owned(),
        path: path.to_path_buf(),
        reason: format!("{e} (passphrase-protected keys must be loaded into ssh-agent instead)"),
    })
}

#[cfg(test)]
mod tests {
    use super::load_identity;

    const MARKER: &str = "SECRETMARKERc2VjcmV0IGtleSBtYXRlcmlhbA";

    /// Identity files that do not load — garbage under each header russh
    /// knows, binary, a public key, a real key damaged or encrypted — give
    /// an error that names the file and never quotes a line of its body.
    #[test]
    fn an_identity_file_that_does_not_load_is_named_not_quoted() {
        let d = tempfile::tempdir().unwrap();
        let body = format!("{MARKER}\n{MARKER}{MARKER}==\n");
        let mut files: Vec<(String, Vec<u8>)> = [
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----",
        ]
        .iter()
        .map(|begin| {
            let end = begin.replace("BEGIN", "END");
            (
                begin.to_string(),
                format!("{begin}\n{body}{end}\n").into_bytes(),
            )
        })
        .collect();
        files.push((
            "openssh, not base64".into(),
            format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{MARKER} {MARKER}!\n").into_bytes(),
        ));
        files.push((
            "putty".into(),
            format!(
                "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: {MARKER}\n\
                 Public-Lines: 1\n{MARKER}\nPrivate-Lines: 1\n{MARKER}\nPrivate-MAC: {MARKER}\n"
            )
            .into_bytes(),
        ));
        files.push(("no header".into(), format!("{MARKER}\n").into_bytes()));
        let mut binary = b"-----BEGIN OPENSSH PRIVATE KEY-----\n\xff\xfe".to_vec();
        binary.extend_from_slice(MARKER.as_bytes());
        files.push(("binary".into(), binary));
        files.extend(keygen_files(d.path()));

        for (i, (what, content)) in files.iter().enumerate() {
            let path = d.path().join(format!("id_{i}"));
            std::fs::write(&path, content).unwrap();
            let Err(e) = load_identity("kvm1", &path) else {
                panic!("{what}: loaded");
            };
            eprintln!("{what}: {e}");
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(shown.contains(&format!("id_{i}")), "{what}: {shown}");
                assert!(!shown.contains("SECRETMARKER"), "{what}: {shown}");
                for line in String::from_utf8_lossy(content).lines() {
                    let line = line.trim();
                    if line.len() >= 16 && !line.starts_with("-----") {
                        assert!(!shown.contains(line), "{what}: quotes {line:?}: {shown}");
                    }
                }
            }
        }
    }

    /// With ssh-keygen: a real key encrypted with a passphrase (vmigrate
    /// has none to give), and a real key with a byte of its body changed.
    fn keygen_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for (name, passphrase) in [("encrypted", "correct horse"), ("plain", "")] {
            let path = dir.join(format!("keygen_{name}"));
            let made = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-C", "", "-N", passphrase, "-f"])
                .arg(&path)
                .output();
            if !made.is_ok_and(|o| o.status.success()) {
                eprintln!("skipped: ssh-keygen is not available for the {name} key");
                continue;
            }
            let mut content = std::fs::read(&path).unwrap();
            if passphrase.is_empty() {
                // A character in the middle of the body made not base64:
                // russh then reads the key without that line, which fails.
                let at = content.len() / 2;
                content[at] = b'!';
                out.push(("keygen, damaged".into(), content));
            } else {
                out.push(("keygen, encrypted".into(), content));
            }
        }
        out
    }
}
