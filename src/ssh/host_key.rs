//! Host-key verification against the inventory's `known_hosts` file
//! (host certificates included, through its `@cert-authority` lines).
//!
//! russh asks the client handler whether to trust the server's key; this
//! handler answers from `known_hosts` only, read as OpenSSH reads it
//! ([`known_hosts`]). Unknown, changed and revoked keys are all refused —
//! vmigrate never learns a key silently — and the reason is kept so the
//! connect error can say which, with the fingerprint the operator needs.

mod known_hosts;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use russh::keys::{Algorithm, Certificate, HashAlg, PublicKey, PublicKeyOrCertificate};

use super::SshError;
use known_hosts::{CertStatus, KnownHosts, Status};

/// The russh client handler: verifies the server key, records why it refused.
pub struct Verifier {
    host: String,
    addr: String,
    port: u16,
    known_hosts: PathBuf,
    refusal: Arc<Mutex<Option<SshError>>>,
}

impl Verifier {
    /// A verifier for `addr:port` (the name looked up in `known_hosts` is the
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

    #[allow(
        clippy::unnecessary_wraps,
        reason = "returns what russh's check_server_key returns, so each refusal is one `return`"
    )]
    fn refuse(&self, err: SshError) -> Result<bool, russh::Error> {
        *self.refusal.lock().expect("refusal lock") = Some(err);
        Ok(false)
    }

    /// The parsed `known_hosts`; `None` (the refusal recorded) when it
    /// cannot be read.
    fn known_hosts(&self) -> Option<Arc<KnownHosts>> {
        match load(&self.known_hosts) {
            Ok(t) => Some(t),
            Err(e) => {
                let _ = self.refuse(SshError::KnownHosts {
                    host: self.host.clone(),
                    known_hosts: self.known_hosts.clone(),
                    reason: e.to_string(),
                });
                None
            }
        }
    }

    fn check_key(&self, key: &PublicKey) -> Result<bool, russh::Error> {
        let Some(known) = self.known_hosts() else {
            return Ok(false);
        };
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let (host, addr) = (self.host.clone(), self.addr.clone());
        let file = self.known_hosts.clone();
        match known_hosts::verify(&known, &self.addr, self.port, key) {
            Status::Known { .. } => Ok(true),
            Status::Unknown { ca_line } => self.refuse(SshError::UnknownHostKey {
                host,
                addr,
                fingerprint,
                known_hosts: file,
                keyscan: if self.port == 22 {
                    self.addr.clone()
                } else {
                    format!("-p {} {}", self.port, self.addr)
                },
                note: ca_line
                    .map(|l| format!(" (line {l} is a @cert-authority line, which vouches only for host certificates; vmigrate checks host keys)"))
                    .unwrap_or_default(),
            }),
            Status::Changed { line } => self.refuse(SshError::ChangedHostKey {
                host,
                addr,
                fingerprint,
                known_hosts: file,
                line,
                known_name: known_hosts::known_name(&self.addr, self.port),
            }),
            Status::Revoked { line } => self.refuse(SshError::RevokedHostKey {
                host,
                addr,
                fingerprint,
                known_hosts: file,
                line,
            }),
        }
    }
}

/// The file parsed; a missing file is an empty one (every key unknown).
/// Bytes that are not UTF-8 (in a comment, say) do not hide the other lines.
///
/// Parsed once per run and file version: every SSH connection (several per
/// host) consults the file, which on a fleet holds a line per host, hashed
/// ones costing an HMAC each — read afresh each time, the cost grew with
/// the square of the fleet. A file replaced or changed since (its inode,
/// size or modification time) is read again.
fn load(path: &Path) -> std::io::Result<Arc<KnownHosts>> {
    type Stamp = (u64, u64, u64, i64, i64);
    static PARSED: Mutex<Vec<(PathBuf, Stamp, Arc<KnownHosts>)>> = Mutex::new(Vec::new());
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Arc::default()),
        Err(e) => return Err(e),
    };
    let stamp: Stamp = (
        meta.dev(),
        meta.ino(),
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
    );
    let mut parsed = PARSED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, _, known)) = parsed.iter().find(|(p, s, _)| p == path && *s == stamp) {
        return Ok(known.clone());
    }
    // Stamped before the read: a change during it is read at the next use.
    let known = match std::fs::read(path) {
        Ok(bytes) => Arc::new(KnownHosts::parse(&String::from_utf8_lossy(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Arc::default(),
        Err(e) => return Err(e),
    };
    parsed.retain(|(p, _, _)| p != path);
    parsed.push((path.to_path_buf(), stamp, known.clone()));
    Ok(known)
}

impl russh::client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.check_key(key),
            // Asked for only when a @cert-authority line names the host
            // (see `certificate_algorithms`).
            PublicKeyOrCertificate::Certificate(cert) => self.check_certificate(cert),
        }
    }
}

impl Verifier {
    fn check_certificate(&self, cert: &Certificate) -> Result<bool, russh::Error> {
        let Some(known) = self.known_hosts() else {
            return Ok(false);
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let plain = PublicKey::new(cert.public_key().clone(), "");
        let fingerprint = plain.fingerprint(HashAlg::Sha256).to_string();
        match known_hosts::verify_certificate(&known, &self.addr, self.port, cert, now) {
            CertStatus::Trusted { .. } => Ok(true),
            // No authority for the host: the certificate's key as a plain key.
            CertStatus::NoAuthority => self.check_key(&plain),
            CertStatus::Revoked { line } => self.refuse(SshError::RevokedHostKey {
                host: self.host.clone(),
                addr: self.addr.clone(),
                fingerprint,
                known_hosts: self.known_hosts.clone(),
                line,
            }),
            CertStatus::Invalid { line, reason } => self.refuse(SshError::HostCertificate {
                host: self.host.clone(),
                addr: self.addr.clone(),
                fingerprint,
                known_hosts: self.known_hosts.clone(),
                line,
                reason,
            }),
        }
    }
}

/// The host-certificate algorithms to ask `addr:port` for: the key
/// algorithms when a `@cert-authority` line names it, else none (a server's
/// certificate would then only be checked as its plain key).
pub fn certificate_algorithms(
    addr: &str,
    port: u16,
    known_hosts: &Path,
    keys: &[Algorithm],
) -> Vec<Algorithm> {
    let known = load(known_hosts).unwrap_or_default();
    if known_hosts::has_authority(&known, addr, port) {
        keys.to_vec()
    } else {
        Vec::new()
    }
}

/// Host-key algorithms ordered so those already recorded for this host come
/// first. Without this, a server with several host keys may present one
/// that `known_hosts` lacks (say ed25519 when only ecdsa was recorded) and be
/// refused as unknown; OpenSSH orders its offer the same way.
pub fn preferred_algorithms(
    addr: &str,
    port: u16,
    known_hosts: &Path,
    defaults: &[Algorithm],
) -> Vec<Algorithm> {
    let known = load(known_hosts).unwrap_or_default();
    let recorded: Vec<String> = known_hosts::recorded_keys(&known, addr, port)
        .iter()
        .map(|k| family(&k.algorithm()))
        .collect();
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
                curve: russh::keys::EcdsaCurve::NistP256,
            },
            Algorithm::Ed25519,
        ];
        let algs = preferred_algorithms("10.0.0.1", 22, f.path(), &defaults);
        assert_eq!(algs[0], Algorithm::Ed25519);
        let other = preferred_algorithms("10.0.0.2", 22, f.path(), &defaults);
        assert_eq!(other, defaults);
    }

    /// The test key, a `known_hosts` file holding `lines`, and a verifier of
    /// 10.0.0.1:22 against it (with its refusal slot).
    fn verifier(lines: &str) -> (PublicKey, tempfile::NamedTempFile, Verifier, Slot) {
        let key = PublicKey::from_openssh(&format!("ssh-ed25519 {ED25519}")).unwrap();
        let f = write(lines);
        let (v, slot) = Verifier::new("h", "10.0.0.1", 22, f.path().to_path_buf());
        (key, f, v, slot)
    }

    type Slot = Arc<Mutex<Option<SshError>>>;

    #[test]
    fn a_file_changed_during_the_run_is_read_again() {
        let (key, f, v, _slot) = verifier("# nothing yet\n");
        assert!(!v.check_key(&key).unwrap());
        std::fs::write(f.path(), format!("10.0.0.1 ssh-ed25519 {ED25519}\n")).unwrap();
        assert!(v.check_key(&key).unwrap(), "the line added");
        // Replaced by a rename, as `ssh-keygen -R` does.
        let new = f.path().with_extension("new");
        std::fs::write(&new, "").unwrap();
        std::fs::rename(&new, f.path()).unwrap();
        assert!(!v.check_key(&key).unwrap(), "the file replaced");
    }

    #[test]
    fn unknown_and_changed_are_refused_with_reason() {
        // Unknown: empty file.
        let (key, _f, v, slot) = verifier("");
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
        let shown = err.to_string();
        assert!(shown.contains("HOST KEY CHANGED"), "{err}");
        assert!(
            shown.contains(&format!("{}:2;", f.path().display())),
            "the file's own line number: {err}"
        );
        // Known: accepted, non-standard port uses the [addr]:port form.
        let f = write(&format!("[10.0.0.1]:2222 ssh-ed25519 {ED25519}\n"));
        let (v, _) = Verifier::new("h", "10.0.0.1", 2222, f.path().to_path_buf());
        assert!(v.check_key(&key).unwrap());
    }

    #[test]
    fn revoked_and_unreadable_are_refused_with_reason() {
        let key = PublicKey::from_openssh(&format!("ssh-ed25519 {ED25519}")).unwrap();
        let f = write(&format!(
            "10.0.0.1 ssh-ed25519 {ED25519}\n@revoked * ssh-ed25519 {ED25519}\n"
        ));
        let (v, slot) = Verifier::new("h", "10.0.0.1", 22, f.path().to_path_buf());
        assert!(!v.check_key(&key).unwrap());
        let err = slot.lock().unwrap().take().unwrap();
        assert!(
            matches!(err, SshError::RevokedHostKey { line: 2, .. }),
            "{err}"
        );
        assert!(err.is_host_key());
        let shown = err.to_string();
        assert!(shown.contains("@revoked") && shown.contains("SHA256:") && !shown.contains('\n'));
        // A @cert-authority line alone: unknown, and the message says why it did not count.
        let f = write(&format!("@cert-authority 10.0.0.* ssh-ed25519 {ED25519}\n"));
        let (v, slot) = Verifier::new("h", "10.0.0.1", 22, f.path().to_path_buf());
        assert!(!v.check_key(&key).unwrap());
        let err = slot.lock().unwrap().take().unwrap().to_string();
        assert!(err.contains("line 1 is a @cert-authority line"), "{err}");
        // A known_hosts that cannot be read (a directory) is no empty file.
        let dir = tempfile::tempdir().unwrap();
        let (v, slot) = Verifier::new("h", "10.0.0.1", 22, dir.path().to_path_buf());
        assert!(!v.check_key(&key).unwrap());
        let err = slot.lock().unwrap().take().unwrap();
        assert!(matches!(err, SshError::KnownHosts { .. }), "{err}");
    }
}
