//! `transport.supported`: whether the source's and the destination's
//! libvirt and QEMU can do what the transport asks, decided before
//! anything starts — each feature against the versions that brought it,
//! and for `--tls` the certificates QEMU reads on each side (the source
//! is the TLS client, the destination the server), looked up over the SSH
//! session where qemu.conf says they are.

use std::sync::Arc;

use super::{Compress, Transport};
use crate::checks::Check;
use crate::facts::HostFacts;
use crate::ssh::SshSession;

/// Prints the directory QEMU's migration TLS reads (qemu.conf's
/// `migrate_tls_x509_cert_dir`, else `default_tls_x509_cert_dir`, else
/// libvirt's default), then "FILE yes|no" for each file it may need. A
/// fixed script: nothing of the run's input goes into it.
const CERTS_SCRIPT: &str = r#"conf=/etc/libvirt/qemu.conf
key() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$conf" 2>/dev/null | tail -n 1; }
dir=$(key migrate_tls_x509_cert_dir)
[ -n "$dir" ] || dir=$(key default_tls_x509_cert_dir)
[ -n "$dir" ] || dir=/etc/pki/qemu
printf '%s\n' "$dir"
for f in ca-cert.pem server-cert.pem server-key.pem client-cert.pem client-key.pem; do
  if [ -r "$dir/$f" ]; then echo "$f yes"; else echo "$f no"; fi
done"#;

/// The TLS files one host has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certs {
    pub dir: String,
    pub present: Vec<String>,
}

impl Certs {
    /// Parses [`CERTS_SCRIPT`]'s output.
    pub(crate) fn parse(out: &str) -> Option<Certs> {
        let mut lines = out.lines();
        let dir = lines.next()?.trim().to_string();
        if dir.is_empty() {
            return None;
        }
        let present = lines
            .filter_map(|l| l.strip_suffix(" yes"))
            .map(str::to_string)
            .collect();
        Some(Certs { dir, present })
    }

    /// The files of `wanted` this host lacks.
    fn missing<'w>(&self, wanted: &[&'w str]) -> Vec<&'w str> {
        wanted
            .iter()
            .filter(|w| !self.present.iter().any(|p| p == *w))
            .copied()
            .collect()
    }
}

/// Looks up a host's TLS files over `ssh`.
pub(crate) async fn probe_certs(ssh: &Arc<SshSession>) -> Result<Certs, String> {
    match ssh.run(&["sh", "-c", CERTS_SCRIPT]).await {
        Ok(o) if o.status == 0 => Certs::parse(&o.stdout)
            .ok_or_else(|| format!("{}: unexpected answer {:?}", ssh.host(), o.stdout)),
        Ok(o) => Err(format!("{}: {}", ssh.host(), o.stderr.trim())),
        Err(e) => Err(e.to_string()),
    }
}

/// What TLS needs on each side: the CA, and the source's client or the
/// destination's server certificate and key.
const CLIENT: [&str; 3] = ["ca-cert.pem", "client-cert.pem", "client-key.pem"];
const SERVER: [&str; 3] = ["ca-cert.pem", "server-cert.pem", "server-key.pem"];

/// A feature and the libvirt version (major·1,000,000 + minor·1,000 +
/// micro) that brought it.
fn needs_libvirt(t: &Transport) -> Vec<(String, u32)> {
    let mut v = Vec::new();
    if t.tls {
        v.push(("--tls".to_string(), 3_002_000));
    }
    if t.parallel.is_some() {
        v.push(("--parallel".to_string(), 5_002_000));
    }
    if t.compress.multifd() {
        v.push((format!("--compress {}", t.compress.as_str()), 9_004_000));
    }
    if t.postcopy_bandwidth_mib.is_some() {
        v.push(("--postcopy-bandwidth".to_string(), 5_001_000));
    }
    v
}

/// The QEMU versions the same features need.
fn needs_qemu(t: &Transport) -> Vec<(String, u32)> {
    let mut v = Vec::new();
    if t.parallel.is_some() {
        v.push(("--parallel".to_string(), 4_000_000));
    }
    if t.compress.multifd() {
        v.push((format!("--compress {}", t.compress.as_str()), 5_000_000));
    }
    v
}

/// "9.4.0" from 9004000.
fn version(n: u32) -> String {
    format!("{}.{}.{}", n / 1_000_000, n / 1_000 % 1_000, n % 1_000)
}

/// The first feature a host's versions lack, said with what to change.
fn too_old(t: &Transport, f: &HostFacts) -> Option<String> {
    let lv = f.libvirt_version_number;
    let qemu = f.hypervisor.as_ref().map(|h| h.version_number);
    for (what, need, have, name) in needs_libvirt(t)
        .into_iter()
        .map(|(w, n)| (w, n, lv, "libvirt"))
        .chain(needs_qemu(t).into_iter().map(|(w, n)| (w, n, qemu, "QEMU")))
    {
        if let Some(have) = have.filter(|h| *h < need) {
            return Some(format!(
                "{what} needs {name} ≥ {} on both hosts; {} has {}",
                version(need),
                f.name,
                version(have)
            ));
        }
    }
    None
}

/// TLS files per side: `(source, destination)` lookups.
pub type TlsProbe = (Result<Certs, String>, Result<Certs, String>);

/// `transport.supported` for `t` from `src` to `dst`; `tls`: the
/// certificate lookups (when `--tls`).
pub fn check(t: &Transport, src: &HostFacts, dst: &HostFacts, tls: Option<&TlsProbe>) -> Check {
    const ID: &str = "transport.supported";
    if let Some(why) = too_old(t, src).or_else(|| too_old(t, dst)) {
        let hint = match t.compress {
            Compress::Zlib | Compress::Zstd => {
                "; without it: --compress xbzrle (no --parallel) or none"
            }
            _ => "",
        };
        return Check::fail(ID, format!("{why}{hint}"));
    }
    let mut found = Vec::new();
    if t.tls {
        let Some((s, d)) = tls else {
            return Check::fail(ID, "--tls: the certificates could not be looked for");
        };
        for (side, host, lookup, wanted) in [
            ("source", &src.name, s, &CLIENT),
            ("destination", &dst.name, d, &SERVER),
        ] {
            match lookup {
                Err(e) => {
                    return Check::fail(
                        ID,
                        format!("--tls: cannot look for the {side}'s certificates on {host}: {e}"),
                    )
                }
                Ok(c) => {
                    let missing = c.missing(wanted);
                    if !missing.is_empty() {
                        return Check::fail(
                            ID,
                            format!(
                                "--tls: {host} (the {side}) lacks {} in {} (QEMU's migration TLS directory, from qemu.conf): install them (see docs/tls.md), or migrate without --tls",
                                missing
                                    .iter()
                                    .map(|m| format!("{}/{m}", c.dir))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                c.dir
                            ),
                        );
                    }
                    found.push(format!("{host}: {}", c.dir));
                }
            }
        }
    }
    let mut msg = t.describe();
    if !found.is_empty() {
        msg.push_str(&format!(" (certificates in {})", found.join(", ")));
    }
    Check::pass(ID, msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::lab_facts;

    fn certs(files: &[&str]) -> Certs {
        Certs {
            dir: "/etc/pki/qemu".into(),
            present: files.iter().map(|f| (*f).to_string()).collect(),
        }
    }

    #[test]
    fn the_script_output_is_read() {
        let c = Certs::parse("/etc/pki/qemu\nca-cert.pem yes\nserver-cert.pem no\n").unwrap();
        assert_eq!(c.dir, "/etc/pki/qemu");
        assert_eq!(c.present, ["ca-cert.pem"]);
        assert_eq!(Certs::parse(""), None);
    }

    #[test]
    fn tls_names_the_missing_file_and_its_host() {
        let (src, dst) = (lab_facts("lab1"), lab_facts("lab2"));
        let t = Transport {
            tls: true,
            ..Transport::default()
        };
        let probe = (
            Ok(certs(&CLIENT)),
            Ok(certs(&["ca-cert.pem", "server-key.pem"])),
        );
        let c = check(&t, &src, &dst, Some(&probe));
        assert!(c.failed(), "{c:?}");
        assert!(
            c.message
                .contains("lab2 (the destination) lacks /etc/pki/qemu/server-cert.pem"),
            "{}",
            c.message
        );
        let probe = (Ok(certs(&CLIENT)), Ok(certs(&SERVER)));
        let c = check(&t, &src, &dst, Some(&probe));
        assert!(!c.failed(), "{c:?}");
        assert!(c
            .message
            .starts_with("tls (certificates in lab1: /etc/pki/qemu"));
    }

    #[test]
    fn versions_are_checked_on_both_hosts() {
        // The lab: libvirt 9.0, QEMU 7.2 — multifd yes, its compression no.
        let (src, dst) = (lab_facts("lab1"), lab_facts("lab2"));
        let zstd = Transport {
            parallel: Some(4),
            compress: Compress::Zstd,
            ..Transport::default()
        };
        let c = check(&zstd, &src, &dst, None);
        assert!(c.failed());
        assert!(
            c.message
                .starts_with("--compress zstd needs libvirt ≥ 9.4.0 on both hosts; lab1 has 9.0.0"),
            "{}",
            c.message
        );
        let multifd = Transport {
            parallel: Some(4),
            ..Transport::default()
        };
        assert!(!check(&multifd, &src, &dst, None).failed());
    }
}
