//! Host-key verification against the inventory's known_hosts file.
//!
//! russh asks the client handler whether to trust the server's key; this
//! handler answers from known_hosts only. Unknown and changed keys are both
//! refused — vmigrate never learns a key silently — and the reason is kept so
//! the connect error can say which, with the fingerprint the operator needs.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use russh::keys::{self, Algorithm, HashAlg, PublicKey, PublicKeyOrCertificate};

use super::SshError;

/// The russh client handler: verifies the server key, records why it refused.
pub struct Verifier {
    host: String,
    addr: String,
    port: u16,
    known_hosts: PathBuf,
    refusal: Arc<Mutex<Option<SshError>>>,
}

impl Verifier {
    /// A verifier for `addr:port` (the name looked up in known_hosts is the
    /// inventory address, as OpenSSH would), plus the slot where a refusal lands.
    pub fn new(
        host: &str,
        addr: &str,
        port: u16,
        known_hosts: PathBuf,
    ) -> (Self, Arc<Mutex<Option<SshError>>>) {
        let refusal = Arc::new(Mutex::new(None));
        let v = Verifier {
            host: host.to_string(),
            addr: addr.to_string(),
            port,
            known_hosts,
            refusal: refusal.clone(),
        };
        (v, refusal)
    }

    fn refuse(&self, err: SshError) -> Result<bool, russh::Error> {
        *self.refusal.lock().expect("refusal lock") = Some(err);
        Ok(false)
    }

    /// The name OpenSSH writes in known_hosts for this address and port.
    fn known_name(&self) -> String {
        if self.port == 22 {
            self.addr.clone()
        } else {
            format!("[{}]:{}", self.addr, self.port)
        }
    }

    fn check_key(&self, key: &PublicKey) -> Result<bool, russh::Error> {
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        match keys::check_known_hosts_path(&self.addr, self.port, key, &self.known_hosts) {
            Ok(true) => Ok(true),
            Ok(false) => self.refuse(SshError::UnknownHostKey {
                host: self.host.clone(),
                addr: self.addr.clone(),
                fingerprint,
                known_hosts: self.known_hosts.clone(),
                keyscan: if self.port == 22 {
                    self.addr.clone()
                } else {
                    format!("-p {} {}", self.port, self.addr)
                },
            }),
            Err(keys::Error::KeyChanged { line }) => self.refuse(SshError::ChangedHostKey {
                host: self.host.clone(),
                addr: self.addr.clone(),
                fingerprint,
                known_hosts: self.known_hosts.clone(),
                line,
                known_name: self.known_name(),
            }),
            Err(e) => self.refuse(SshError::KnownHosts {
                host: self.host.clone(),
                known_hosts: self.known_hosts.clone(),
                reason: e.to_string(),
            }),
        }
    }
}

impl russh::client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.check_key(key),
            // Certificates are never advertised (see Preferred::host_key_certificates),
            // so a server sending one is misbehaving: refuse like an unknown key.
            PublicKeyOrCertificate::Certificate(cert) => {
                self.check_key(&PublicKey::new(cert.public_key().clone(), ""))
            }
        }
    }
}

/// Host-key algorithms ordered so those already recorded for this host come
/// first. Without this, a server with several host keys may present one
/// that known_hosts lacks (say ed25519 when only ecdsa was recorded) and be
/// refused as unknown; OpenSSH orders its offer the same way.
pub fn preferred_algorithms(
    addr: &str,
    port: u16,
    known_hosts: &std::path::Path,
    defaults: &[Algorithm],
) -> Vec<Algorithm> {
    let recorded: Vec<String> = keys::known_hosts::known_host_keys_path(addr, port, known_hosts)
        .map(|v| v.into_iter().map(|(_, k)| family(&k.algorithm())).collect())
        .unwrap_or_default();
    let mut algs = defaults.to_vec();
    // Stable sort: recorded families first, the library's order otherwise.
    algs.sort_by_key(|a| !recorded.contains(&family(a)));
    algs
}

/// RSA keys sign with several hashes; they are one family for ordering.
fn family(a: &Algorithm) -> String {
    match a {
        Algorithm::Rsa { .. } => "rsa".to_string(),
        other => other.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIPb6cd6N2e21IAMt+MRZcVFMbRytwaMshFlPNo5lBu8o";

    fn write(lines: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), lines).unwrap();
        f
    }

    #[test]
    fn recorded_family_goes_first() {
        let f = write(&format!("10.0.0.1 ssh-ed25519 {ED25519}\n"));
        let defaults = vec![
            Algorithm::Ecdsa {
                curve: keys::EcdsaCurve::NistP256,
            },
            Algorithm::Ed25519,
        ];
        let algs = preferred_algorithms("10.0.0.1", 22, f.path(), &defaults);
        assert_eq!(algs[0], Algorithm::Ed25519);
        let other = preferred_algorithms("10.0.0.2", 22, f.path(), &defaults);
        assert_eq!(other, defaults);
    }

    #[test]
    fn unknown_and_changed_are_refused_with_reason() {
        let key = PublicKey::from_openssh(&format!("ssh-ed25519 {ED25519}")).unwrap();
        // Unknown: empty file.
        let f = write("");
        let (v, slot) = Verifier::new("h", "10.0.0.1", 22, f.path().to_path_buf());
        assert!(!v.check_key(&key).unwrap());
        let err = slot.lock().unwrap().take().unwrap();
        assert!(matches!(err, SshError::UnknownHostKey { .. }), "{err}");
        assert!(err.to_string().contains("SHA256:"));
        // Changed: same algorithm, different key, on line 2.
        let other = "AAAAC3NzaC1lZDI1NTE5AAAAICaS4C9OSTalMrUnttA9Ww0OOFhkRfnYdMEONLIw2/v3";
        let f = write(&format!("# c\n10.0.0.1 ssh-ed25519 {other}\n"));
        let (v, slot) = Verifier::new("h", "10.0.0.1", 22, f.path().to_path_buf());
        assert!(!v.check_key(&key).unwrap());
        let err = slot.lock().unwrap().take().unwrap();
        assert!(err.to_string().contains("HOST KEY CHANGED"), "{err}");
        // Known: accepted, non-standard port uses the [addr]:port form.
        let f = write(&format!("[10.0.0.1]:2222 ssh-ed25519 {ED25519}\n"));
        let (v, _) = Verifier::new("h", "10.0.0.1", 2222, f.path().to_path_buf());
        assert!(v.check_key(&key).unwrap());
    }
}
