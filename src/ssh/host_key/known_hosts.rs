//! `known_hosts` read the way OpenSSH reads it (sshd(8), "`SSH_KNOWN_HOSTS` FILE
//! FORMAT"; hostfile.c), for a plain host key or a host certificate:
//! - lines are numbered as in the file, comments and blank lines included;
//! - `@revoked` lines whose hosts match refuse that key, whatever else says;
//! - `@cert-authority` lines only vouch for certificates: a certificate is
//!   trusted when one of them for the host holds its signing key, it is a
//!   host certificate, valid now, and lists the host among its principals
//!   (as OpenSSH's `check_host_cert`); without such a line the
//!   certificate's key is checked as a plain key, as OpenSSH falls back;
//! - of the plain lines whose hosts match, one with the same key is enough
//!   (a host listed with its old and its new key is known); otherwise the
//!   last one that differs is the "changed" key OpenSSH cites;
//! - host fields: comma-separated patterns with `*` and `?`, `!` negating the
//!   whole line, compared in lower case; or one hashed name `|1|salt|hash`;
//! - a non-22 port is looked up as `[host]:port`, then as the bare host if
//!   that found nothing ("checking without port identifier").
//!
//! russh's own matcher has none of the markers and stops at the first line
//! with another key of the same type, which is why this exists.

use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_encoding::base64::{Base64, Encoding};
use russh::keys::ssh_key::certificate::CertType;
use russh::keys::{Certificate, HashAlg, PublicKey};
use sha1::Sha1;

/// What `known_hosts` says about the key a host presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A plain line for the host has this key (1-based line number).
    Known { line: usize },
    /// No plain line for the host; `ca_line` is a `@cert-authority` line
    /// for it, which cannot vouch for a plain key.
    Unknown { ca_line: Option<usize> },
    /// Lines for the host exist, none with this key; `line` is the last.
    Changed { line: usize },
    /// A `@revoked` line for the host lists this key.
    Revoked { line: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    CertAuthority,
    Revoked,
}

/// One parsed line.
struct Entry {
    line: usize,
    marker: Marker,
    hosts: String,
    key: PublicKey,
}

/// A `known_hosts` file, parsed once: a run consults it for every
/// connection, and on a fleet it holds a line per host. The default is
/// an empty file (every key unknown).
#[derive(Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

impl KnownHosts {
    /// Every line that parses; the others are skipped, as OpenSSH does.
    pub fn parse(text: &str) -> KnownHosts {
        KnownHosts {
            entries: text
                .split('\n')
                .enumerate()
                .filter_map(|(i, l)| parse_line(i + 1, l))
                .collect(),
        }
    }
}

/// What `known_hosts` says about a host certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertStatus {
    /// Signed by the authority on this `@cert-authority` line, and valid.
    Trusted { line: usize },
    /// An authority line for the host exists, but the certificate fails it.
    Invalid { line: usize, reason: String },
    /// A `@revoked` line for the host lists the certificate's key or its CA.
    Revoked { line: usize },
    /// No `@cert-authority` line for the host.
    NoAuthority,
}

/// Checks a host certificate presented by `addr:port` at `now` (Unix seconds).
pub fn verify_certificate(
    known: &KnownHosts,
    addr: &str,
    port: u16,
    cert: &Certificate,
    now: u64,
) -> CertStatus {
    let entries = &known.entries;
    let addr = addr.to_ascii_lowercase();
    let mut name = known_name(&addr, port);
    let authorities = |name: &str| -> Vec<&Entry> {
        entries
            .iter()
            .filter(|e| e.marker == Marker::CertAuthority && hosts_match(&e.hosts, name))
            .collect()
    };
    let mut cas = authorities(&name);
    if cas.is_empty() && port != 22 {
        name.clone_from(&addr);
        cas = authorities(&name);
    }
    let Some(first) = cas.first() else {
        return CertStatus::NoAuthority;
    };
    let revoked = entries.iter().find(|e| {
        e.marker == Marker::Revoked
            && hosts_match(&e.hosts, &name)
            && (e.key.key_data() == cert.public_key() || e.key.key_data() == cert.signature_key())
    });
    if let Some(e) = revoked {
        return CertStatus::Revoked { line: e.line };
    }
    let Some(ca) = cas
        .iter()
        .find(|e| e.key.key_data() == cert.signature_key())
    else {
        let signer = cert.signature_key().fingerprint(HashAlg::Sha256);
        return CertStatus::Invalid {
            line: first.line,
            reason: format!(
                "it is signed by {signer}, which no @cert-authority line for the host lists"
            ),
        };
    };
    let invalid = |reason: String| CertStatus::Invalid {
        line: ca.line,
        reason,
    };
    let ca_fingerprint = ca.key.fingerprint(HashAlg::Sha256);
    if let Err(e) = cert.validate_at(now, [&ca_fingerprint]) {
        return invalid(format!(
            "it does not validate: {e} (expired, not yet valid, or a bad signature)"
        ));
    }
    if cert.cert_type() != CertType::Host {
        return invalid("it is a user certificate, not a host certificate".into());
    }
    let principals = cert.valid_principals();
    if !principals.iter().any(|p| p.eq_ignore_ascii_case(&addr)) {
        return invalid(format!(
            "it is valid for {} only, not for {addr}",
            if principals.is_empty() {
                "no host name (it lists no principals)".to_string()
            } else {
                principals.join(", ")
            }
        ));
    }
    CertStatus::Trusted { line: ca.line }
}

/// Whether a `@cert-authority` line names `addr:port` (then host
/// certificates are asked for, as OpenSSH does).
pub fn has_authority(known: &KnownHosts, addr: &str, port: u16) -> bool {
    let addr = addr.to_ascii_lowercase();
    let names = [known_name(&addr, port), addr.clone()];
    known.entries.iter().any(|e| {
        e.marker == Marker::CertAuthority && names.iter().any(|n| hosts_match(&e.hosts, n))
    })
}

/// Checks `key` presented by `addr:port` against `known_hosts` `text`.
pub fn verify(known: &KnownHosts, addr: &str, port: u16, key: &PublicKey) -> Status {
    let entries = &known.entries;
    let addr = addr.to_ascii_lowercase();
    let status = check(entries, &known_name(&addr, port), key);
    if port != 22 && matches!(status, Status::Unknown { .. }) {
        if let known @ Status::Known { .. } = check(entries, &addr, key) {
            return known;
        }
    }
    status
}

/// The name OpenSSH writes in `known_hosts` for this address and port.
pub fn known_name(addr: &str, port: u16) -> String {
    if port == 22 {
        addr.to_string()
    } else {
        format!("[{addr}]:{port}")
    }
}

/// The keys recorded for `addr:port` on plain lines (for ordering the
/// host-key algorithms offered), with the same port fallback.
pub fn recorded_keys(known: &KnownHosts, addr: &str, port: u16) -> Vec<PublicKey> {
    let addr = addr.to_ascii_lowercase();
    let plain_for = |name: &str| -> Vec<PublicKey> {
        known
            .entries
            .iter()
            .filter(|e| e.marker == Marker::None && hosts_match(&e.hosts, name))
            .map(|e| e.key.clone())
            .collect()
    };
    let keys = plain_for(&known_name(&addr, port));
    if keys.is_empty() && port != 22 {
        plain_for(&addr)
    } else {
        keys
    }
}

/// OpenSSH's `check_key_in_hostkeys` for a plain key and one lookup name.
fn check(entries: &[Entry], name: &str, key: &PublicKey) -> Status {
    // Matched once: a hashed line costs an HMAC per lookup.
    let for_host: Vec<&Entry> = entries
        .iter()
        .filter(|e| hosts_match(&e.hosts, name))
        .collect();
    let same = |e: &&&Entry| e.key.key_data() == key.key_data();
    let marked = |m: Marker| move |e: &&&Entry| e.marker == m;
    if let Some(e) = for_host.iter().filter(marked(Marker::Revoked)).find(same) {
        return Status::Revoked { line: e.line };
    }
    if let Some(e) = for_host.iter().filter(marked(Marker::None)).find(same) {
        return Status::Known { line: e.line };
    }
    match for_host.iter().rfind(marked(Marker::None)) {
        Some(e) => Status::Changed { line: e.line },
        None => Status::Unknown {
            ca_line: for_host
                .iter()
                .find(marked(Marker::CertAuthority))
                .map(|e| e.line),
        },
    }
}

fn parse_line(line: usize, text: &str) -> Option<Entry> {
    let mut fields = text.split([' ', '\t', '\r']).filter(|f| !f.is_empty());
    let first = fields.next()?;
    if first.starts_with('#') {
        return None;
    }
    let (marker, hosts) = match first {
        "@cert-authority" => (Marker::CertAuthority, fields.next()?),
        "@revoked" => (Marker::Revoked, fields.next()?),
        m if m.starts_with('@') => return None,
        hosts => (Marker::None, hosts),
    };
    // Only one marker is allowed.
    if hosts.starts_with('@') {
        return None;
    }
    let (kind, blob) = (fields.next()?, fields.next()?);
    let key = PublicKey::from_openssh(&format!("{kind} {blob}")).ok()?;
    Some(Entry {
        line,
        marker,
        hosts: hosts.to_string(),
        key,
    })
}

/// Whether a line's host field matches `name` (lower case).
fn hosts_match(hosts: &str, name: &str) -> bool {
    if hosts.starts_with('|') {
        return hashed_match(hosts, name);
    }
    let mut matched = false;
    for pattern in hosts.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        if glob(&pattern.to_ascii_lowercase(), name) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
fn hashed_match(field: &str, name: &str) -> bool {
    let Some((salt, hash)) = field.strip_prefix("|1|").and_then(|r| r.split_once('|')) else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (Base64::decode_vec(salt), Base64::decode_vec(hash)) else {
        return false;
    };
    let Ok(mac) = Hmac::<Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(name.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

/// OpenSSH's `match_pattern`: `*` any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it is trying to cover.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    /// A fresh key pair made by ssh-keygen in `dir`: the public key and its
    /// `TYPE BASE64` form for `known_hosts` lines.
    fn keygen(dir: &Path, name: &str, kind: &str) -> (PublicKey, String) {
        let path = dir.join(name);
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-C", "", "-f"])
            .arg(&path)
            .status()
            .expect("ssh-keygen runs");
        assert!(st.success());
        let text = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        let line = text
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        (PublicKey::from_openssh(&line).unwrap(), line)
    }

    struct Keys {
        key: PublicKey,
        k: String,
        other: String,
        rsa: String,
    }

    /// Made once for all the tests (RSA generation takes a while).
    fn keys() -> &'static Keys {
        static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
        KEYS.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let (key, k) = keygen(dir.path(), "key", "ed25519");
            let (_, other) = keygen(dir.path(), "other", "ed25519");
            let (_, rsa) = keygen(dir.path(), "rsa", "rsa");
            Keys { key, k, other, rsa }
        })
    }

    fn at(text: &str, addr: &str, port: u16, key: &PublicKey) -> Status {
        verify(&KnownHosts::parse(text), addr, port, key)
    }

    #[test]
    fn every_line_counts_comments_and_blank_ones_too() {
        let t = keys();
        let text = format!("# lab\n\n10.0.0.1 {}\n", t.other);
        assert_eq!(
            at(&text, "10.0.0.1", 22, &t.key),
            Status::Changed { line: 3 }
        );
        let text = format!("# lab\n\n10.0.0.1 {}\n", t.k);
        assert_eq!(at(&text, "10.0.0.1", 22, &t.key), Status::Known { line: 3 });
    }

    #[test]
    fn one_matching_line_is_enough() {
        let t = keys();
        let old_new = format!("10.0.0.1 {}\n10.0.0.1 {}\n", t.other, t.k);
        assert_eq!(
            at(&old_new, "10.0.0.1", 22, &t.key),
            Status::Known { line: 2 }
        );
        let new_old = format!("10.0.0.1 {}\n10.0.0.1 {}\n", t.k, t.other);
        assert_eq!(
            at(&new_old, "10.0.0.1", 22, &t.key),
            Status::Known { line: 1 }
        );
        // Two other keys: the last one is cited, as OpenSSH does.
        let two = format!("10.0.0.1 {}\n# x\n10.0.0.1 {}\n", t.other, t.rsa);
        assert_eq!(
            at(&two, "10.0.0.1", 22, &t.key),
            Status::Changed { line: 3 }
        );
        // Only a key of another type: OpenSSH 9.2 calls that changed too.
        let rsa = format!("10.0.0.1 {}\n", t.rsa);
        assert_eq!(
            at(&rsa, "10.0.0.1", 22, &t.key),
            Status::Changed { line: 1 }
        );
    }

    #[test]
    fn revoked_keys_are_refused_whatever_else_says() {
        let t = keys();
        let both = format!("@revoked * {}\n10.0.0.1 {}\n", t.k, t.k);
        assert_eq!(
            at(&both, "10.0.0.1", 22, &t.key),
            Status::Revoked { line: 1 }
        );
        let alone = format!("10.0.0.2 {}\n@revoked 10.0.0.1 {}\n", t.k, t.k);
        assert_eq!(
            at(&alone, "10.0.0.1", 22, &t.key),
            Status::Revoked { line: 2 }
        );
        let ca = format!("@cert-authority * {}\n@revoked 10.0.0.* {}\n", t.k, t.k);
        assert_eq!(at(&ca, "10.0.0.1", 22, &t.key), Status::Revoked { line: 2 });
        // Revoked for another host, or another key revoked: not this one.
        let elsewhere = format!("@revoked 10.0.0.9 {}\n10.0.0.1 {}\n", t.k, t.k);
        assert_eq!(
            at(&elsewhere, "10.0.0.1", 22, &t.key),
            Status::Known { line: 2 }
        );
        let other = format!("@revoked * {}\n10.0.0.1 {}\n", t.other, t.k);
        assert_eq!(
            at(&other, "10.0.0.1", 22, &t.key),
            Status::Known { line: 2 }
        );
    }

    #[test]
    fn cert_authority_lines_vouch_for_no_plain_key() {
        let t = keys();
        let only = format!("# ca\n@cert-authority * {}\n", t.k);
        assert_eq!(
            at(&only, "10.0.0.1", 22, &t.key),
            Status::Unknown { ca_line: Some(2) }
        );
        let mismatch = format!("@cert-authority * {}\n10.0.0.1 {}\n", t.k, t.other);
        assert_eq!(
            at(&mismatch, "10.0.0.1", 22, &t.key),
            Status::Changed { line: 2 }
        );
        assert_eq!(
            at("", "10.0.0.1", 22, &t.key),
            Status::Unknown { ca_line: None }
        );
    }

    #[test]
    fn ports_and_the_bare_host_fallback() {
        let t = keys();
        let bracket = format!("[10.0.0.1]:2222 {}\n", t.k);
        assert_eq!(
            at(&bracket, "10.0.0.1", 2222, &t.key),
            Status::Known { line: 1 }
        );
        assert_eq!(
            at(&bracket, "10.0.0.1", 22, &t.key),
            Status::Unknown { ca_line: None }
        );
        assert_eq!(
            at(&format!("[10.0.0.1]:22 {}\n", t.k), "10.0.0.1", 22, &t.key),
            Status::Unknown { ca_line: None },
            "port 22 is looked up as the bare host only"
        );
        // Nothing for [host]:port: the bare host's line is used...
        let bare = format!("10.0.0.1 {}\n", t.k);
        assert_eq!(
            at(&bare, "10.0.0.1", 2222, &t.key),
            Status::Known { line: 1 }
        );
        // ...but a different key recorded for [host]:port stays a change.
        let changed = format!("[10.0.0.1]:2222 {}\n10.0.0.1 {}\n", t.other, t.k);
        assert_eq!(
            at(&changed, "10.0.0.1", 2222, &t.key),
            Status::Changed { line: 1 }
        );
        // And a revoked bare-host key does not come back through the fallback.
        let revoked = format!("@revoked 10.0.0.1 {}\n10.0.0.1 {}\n", t.k, t.k);
        assert_eq!(
            at(&revoked, "10.0.0.1", 2222, &t.key),
            Status::Unknown { ca_line: None }
        );
    }

    #[test]
    fn hashed_names_as_ssh_keygen_writes_them() {
        let t = keys();
        let dir = tempfile::tempdir().unwrap();
        let (key2, k2) = keygen(dir.path(), "key2", "ecdsa");
        let file = dir.path().join("known_hosts");
        std::fs::write(
            &file,
            format!("10.0.0.1 {}\n[kvm1.example]:2222 {k2}\n", t.k),
        )
        .unwrap();
        let st = Command::new("ssh-keygen")
            .args(["-q", "-H", "-f"])
            .arg(&file)
            .status()
            .unwrap();
        assert!(st.success());
        let hashed = std::fs::read_to_string(&file).unwrap();
        assert!(
            hashed.starts_with("|1|") && !hashed.contains("10.0.0.1"),
            "{hashed}"
        );
        assert_eq!(
            at(&hashed, "10.0.0.1", 22, &t.key),
            Status::Known { line: 1 }
        );
        assert_eq!(
            at(&hashed, "KVM1.example", 2222, &key2),
            Status::Known { line: 2 }
        );
        assert_eq!(
            at(&hashed, "10.0.0.2", 22, &t.key),
            Status::Unknown { ca_line: None }
        );
        let first = hashed.lines().next().unwrap().split(' ').next().unwrap();
        let changed = format!("{first} {}\n", t.other);
        assert_eq!(
            at(&changed, "10.0.0.1", 22, &t.key),
            Status::Changed { line: 1 }
        );
    }

    #[test]
    fn patterns_negation_and_case() {
        let t = keys();
        let line = |hosts: &str| format!("{hosts} {}\n", t.k);
        let known = Status::Known { line: 1 };
        let unknown = Status::Unknown { ca_line: None };
        assert_eq!(at(&line("10.0.0.*"), "10.0.0.1", 22, &t.key), known);
        assert_eq!(at(&line("kvm?,10.9.9.9"), "kvm1", 22, &t.key), known);
        assert_eq!(at(&line("KVM1.Example"), "kvm1.EXAMPLE", 22, &t.key), known);
        assert_eq!(
            at(&line("!10.0.0.1,10.0.0.*"), "10.0.0.1", 22, &t.key),
            unknown
        );
        assert_eq!(
            at(&line("10.0.0.*,!10.0.0.1"), "10.0.0.1", 22, &t.key),
            unknown
        );
        assert_eq!(
            at(&line("!10.0.0.2,10.0.0.*"), "10.0.0.1", 22, &t.key),
            known
        );
        assert_eq!(at(&line("10.0.0.10"), "10.0.0.1", 22, &t.key), unknown);
        assert_eq!(
            at(&line("[10.0.0.*]:2222"), "10.0.0.1", 2222, &t.key),
            known
        );
    }

    #[test]
    fn malformed_lines_are_skipped_not_fatal() {
        let t = keys();
        let text = format!(
            "@foo 10.0.0.1 {o}\n@revoked @revoked 10.0.0.1 {k}\n@REVOKED 10.0.0.1 {k}\n10.0.0.1 ssh-ed25519 !!!\n10.0.0.1\n|1|bad|hash {o}\n \t10.0.0.1\t{k}\r\n",
            o = t.other,
            k = t.k
        );
        assert_eq!(at(&text, "10.0.0.1", 22, &t.key), Status::Known { line: 7 });
    }

    #[test]
    fn recorded_keys_for_algorithm_order() {
        let t = keys();
        let text = format!(
            "@revoked 10.0.0.1 {}\n@cert-authority * {}\n10.0.0.1 {}\n",
            t.other, t.k, t.rsa
        );
        let keys = recorded_keys(&KnownHosts::parse(&text), "10.0.0.1", 22);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].algorithm().as_str(), "ssh-rsa");
        assert_eq!(
            recorded_keys(&KnownHosts::parse(&text), "10.0.0.1", 2222).len(),
            1,
            "bare-host fallback"
        );
        assert!(recorded_keys(&KnownHosts::parse(&text), "10.0.0.2", 22).is_empty());
    }

    #[test]
    fn glob_is_openssh_match_pattern() {
        for (p, s, want) in [
            ("*", "", true),
            ("*", "abc", true),
            ("a*c", "abbbc", true),
            ("a*b*c", "abxbc", true),
            ("a*c", "abcd", false),
            ("?", "", false),
            ("a?c", "abc", true),
            ("**a", "ba", true),
            ("", "", true),
            ("abc", "ab", false),
        ] {
            assert_eq!(glob(p, s), want, "{p:?} vs {s:?}");
        }
    }

    /// A host key signed by a fresh CA with `ssh-keygen -s`, plus the CA's
    /// `TYPE BASE64`. `extra` goes to ssh-keygen (principals, validity, -h).
    fn certificate(dir: &Path, name: &str, extra: &[&str]) -> (Certificate, String) {
        let (_, ca) = keygen(dir, &format!("{name}_ca"), "ed25519");
        keygen(dir, name, "ed25519");
        let st = Command::new("ssh-keygen")
            .args(["-q", "-s"])
            .arg(dir.join(format!("{name}_ca")))
            .args(["-I", name])
            .args(extra)
            .arg(dir.join(format!("{name}.pub")))
            .status()
            .expect("ssh-keygen runs");
        assert!(st.success());
        let text = std::fs::read_to_string(dir.join(format!("{name}-cert.pub"))).unwrap();
        (Certificate::from_openssh(text.trim()).unwrap(), ca)
    }

    #[test]
    fn host_certificates_are_checked_against_their_authority() {
        let d = tempfile::tempdir().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let (cert, ca) = certificate(
            d.path(),
            "good",
            &["-h", "-n", "10.0.0.1,kvm1", "-V", "-1d:+1d"],
        );
        let verify = |text: &str, c: &Certificate| {
            verify_certificate(&KnownHosts::parse(text), "10.0.0.1", 22, c, now)
        };
        // Trusted by a wildcard authority line; comments count in line numbers.
        let text = format!("# fleet CA\n@cert-authority 10.0.0.* {ca}\n");
        assert_eq!(verify(&text, &cert), CertStatus::Trusted { line: 2 });
        assert!(has_authority(&KnownHosts::parse(&text), "10.0.0.1", 22));
        assert!(!has_authority(&KnownHosts::parse(&text), "10.9.0.1", 22));
        // No authority line for the host: the caller checks the plain key.
        assert_eq!(
            verify(&format!("@cert-authority 10.9.* {ca}\n"), &cert),
            CertStatus::NoAuthority
        );
        // Another CA listed for the host: not trusted, and why.
        let (_, other) = keygen(d.path(), "other_ca", "ed25519");
        let CertStatus::Invalid { line: 1, reason } =
            verify(&format!("@cert-authority * {other}\n"), &cert)
        else {
            panic!("another CA accepted");
        };
        assert!(reason.contains("no @cert-authority line"), "{reason}");
        // The CA revoked.
        let text = format!("@cert-authority * {ca}\n@revoked 10.0.0.1 {ca}\n");
        assert_eq!(verify(&text, &cert), CertStatus::Revoked { line: 2 });
        // Signed for another host.
        let CertStatus::Invalid { reason, .. } = verify_certificate(
            &KnownHosts::parse(&format!("@cert-authority * {ca}\n")),
            "10.0.0.2",
            22,
            &cert,
            now,
        ) else {
            panic!("wrong principal accepted");
        };
        assert!(reason.contains("valid for 10.0.0.1, kvm1 only"), "{reason}");
        // Expired.
        let (old, ca_old) = certificate(
            d.path(),
            "old",
            &["-h", "-n", "10.0.0.1", "-V", "20200101:20200102"],
        );
        let CertStatus::Invalid { reason, .. } =
            verify(&format!("@cert-authority * {ca_old}\n"), &old)
        else {
            panic!("expired accepted");
        };
        assert!(reason.contains("does not validate"), "{reason}");
        // A user certificate (no -h).
        let (user, ca_user) = certificate(d.path(), "user", &["-n", "10.0.0.1"]);
        let CertStatus::Invalid { reason, .. } =
            verify(&format!("@cert-authority * {ca_user}\n"), &user)
        else {
            panic!("user certificate accepted");
        };
        assert!(reason.contains("user certificate"), "{reason}");
    }
}
