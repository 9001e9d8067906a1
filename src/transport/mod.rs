//! How the migration stream travels: native TLS, multifd parallel
//! connections, compression (XBZRLE's delta cache, or zlib/zstd over
//! multifd), a separate post-copy bandwidth, auto-converge's throttle
//! steps, and which local disks are copied. The settings layer like the
//! convergence policy (built-in, `[defaults]`, the source host's entry,
//! then the run's flags) and travel inside it (`Policy::transport`, so the
//! journal's `start` record and `attach` see them too); this module turns
//! them into libvirt's flags and parameters, and rejects combinations that
//! cannot work before any host is asked (`supported` checks what the
//! hosts can do).

pub mod choice;
pub mod supported;

use serde::{Deserialize, Serialize};
use virt::domain::MigrateParameters;
use virt::sys;

/// `--compress`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Compress {
    /// Pages are sent as they are.
    #[default]
    None,
    /// XBZRLE: pages sent before are kept in a cache and resent as deltas
    /// (pays when the guest rewrites few bytes of each page).
    Xbzrle,
    /// zlib over multifd (libvirt ≥ 9.4, needs --parallel).
    Zlib,
    /// zstd over multifd (libvirt ≥ 9.4, needs --parallel).
    Zstd,
}

impl Compress {
    /// libvirt's name for the method (`VIR_MIGRATE_PARAM_COMPRESSION`).
    pub fn as_str(self) -> &'static str {
        match self {
            Compress::None => "none",
            Compress::Xbzrle => "xbzrle",
            Compress::Zlib => "zlib",
            Compress::Zstd => "zstd",
        }
    }

    /// The inventory's spelling.
    pub fn parse(s: &str) -> Option<Compress> {
        [
            Compress::None,
            Compress::Xbzrle,
            Compress::Zlib,
            Compress::Zstd,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// Compression over multifd's connections.
    pub fn multifd(self) -> bool {
        matches!(self, Compress::Zlib | Compress::Zstd)
    }
}

/// The transport of one migration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Transport {
    /// `--transport auto`: connections and compression chosen from the
    /// measurements (`choice`) where not set.
    pub auto: bool,
    /// Native TLS for the memory and disk streams (`VIR_MIGRATE_TLS`).
    pub tls: bool,
    /// The name the destination's certificate is checked against, when it
    /// is not the migration address.
    pub tls_destination: Option<String>,
    /// Multifd connections (`VIR_MIGRATE_PARALLEL`); `None`: one stream.
    pub parallel: Option<u32>,
    pub compress: Compress,
    /// XBZRLE's cache, MiB (QEMU's default, 64 MiB, when unset).
    pub xbzrle_cache_mib: Option<u64>,
    /// The cap once in post-copy, MiB/s (unset: `--bandwidth`'s).
    pub postcopy_bandwidth_mib: Option<u64>,
    /// Auto-converge's first throttle, % of vCPU time (QEMU: 20).
    pub auto_converge_initial: Option<u32>,
    /// Auto-converge's step, % (QEMU: 10).
    pub auto_converge_increment: Option<u32>,
    /// The local disks block migration copies (guest names: vda, …);
    /// `None`: every local disk.
    pub disks: Option<Vec<String>>,
}

/// The run's flags, over the inventory's transport.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub auto: Option<bool>,
    pub tls: Option<bool>,
    pub tls_destination: Option<String>,
    /// `Some(0)` (`--parallel 0`): one stream, whatever the inventory says.
    pub parallel: Option<u32>,
    pub compress: Option<Compress>,
    pub xbzrle_cache_mib: Option<u64>,
    pub postcopy_bandwidth_mib: Option<u64>,
    pub auto_converge_initial: Option<u32>,
    pub auto_converge_increment: Option<u32>,
    pub disks: Option<Vec<String>>,
}

/// Largest multifd connection count accepted (QEMU allows 255).
pub const MAX_PARALLEL: u32 = 255;

impl Transport {
    /// `self` with the run's flags; checked ([`Transport::validate`]).
    pub fn with(&self, o: &Overrides) -> Result<Transport, String> {
        let mut t = self.clone();
        if let Some(v) = o.auto {
            t.auto = v;
        }
        if let Some(v) = o.tls {
            t.tls = v;
        }
        if let Some(v) = &o.tls_destination {
            t.tls_destination = Some(v.clone());
        }
        if let Some(n) = o.parallel {
            t.parallel = (n > 0).then_some(n);
        }
        if let Some(c) = o.compress {
            t.compress = c;
        }
        macro_rules! take {
            ($($f:ident),*) => { $(if let Some(v) = o.$f { t.$f = Some(v); })* };
        }
        take!(
            xbzrle_cache_mib,
            postcopy_bandwidth_mib,
            auto_converge_initial,
            auto_converge_increment
        );
        if let Some(d) = &o.disks {
            t.disks = Some(d.clone());
        }
        t.validate()?;
        Ok(t)
    }

    /// Combinations that cannot work, whatever the hosts: said with what
    /// to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.compress == Compress::Xbzrle && self.parallel.is_some() {
            return Err("XBZRLE compression does not work over parallel connections (QEMU refuses it with multifd): drop --parallel, or use --compress zstd or zlib with it".into());
        }
        if self.compress.multifd() && self.parallel.is_none() {
            return Err(format!(
                "--compress {} compresses over parallel connections only: add --parallel N (e.g. 4)",
                self.compress.as_str()
            ));
        }
        if self.xbzrle_cache_mib.is_some() && self.compress != Compress::Xbzrle {
            return Err(
                "--xbzrle-cache sizes the XBZRLE cache: add --compress xbzrle, or drop it".into(),
            );
        }
        if self.tls_destination.is_some() && !self.tls {
            return Err("--tls-destination names the certificate TLS checks: add --tls".into());
        }
        for (what, v) in [
            ("--auto-converge-initial", self.auto_converge_initial),
            ("--auto-converge-increment", self.auto_converge_increment),
        ] {
            if v.is_some_and(|v| !(1..=100).contains(&v)) {
                return Err(format!("{what} is a percentage of vCPU time: 1 to 100"));
            }
        }
        if let Some(d) = &self.disks {
            if d.is_empty() {
                return Err("--disks names the local disks to copy (vda,vdb): give at least one, or use --block-migration no".into());
            }
            if let Some(bad) = d.iter().find(|n| !valid_target(n)) {
                return Err(format!(
                    "--disks: {bad:?} is not a guest disk name (vda, sdb, hdc, …)"
                ));
            }
        }
        Ok(())
    }

    /// libvirt's flag bits for this transport.
    pub fn flag_bits(&self) -> u32 {
        let mut f = 0;
        if self.tls {
            f |= sys::VIR_MIGRATE_TLS;
        }
        if self.parallel.is_some() {
            f |= sys::VIR_MIGRATE_PARALLEL;
        }
        if self.compress != Compress::None {
            f |= sys::VIR_MIGRATE_COMPRESSED;
        }
        f
    }

    /// Sets this transport's parameters on `p`; `postcopy` and
    /// `auto_converge` say whether those modes are on (their settings are
    /// sent only then).
    pub fn apply(&self, p: &mut MigrateParameters, postcopy: bool, auto_converge: bool) {
        p.tls_destination = self.tls.then(|| self.tls_destination.clone()).flatten();
        p.parallel_connections = self.parallel.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        if self.compress != Compress::None {
            p.compression = Some(self.compress.as_str().to_string());
        }
        p.compression_xbzrle_cache = self.xbzrle_cache_mib.map(|m| m << 20);
        if postcopy {
            p.bandwidth_postcopy = self.postcopy_bandwidth_mib;
        }
        if auto_converge {
            let pct = |v: Option<u32>| v.map(|v| i32::try_from(v).unwrap_or(100));
            p.auto_converge_initial = pct(self.auto_converge_initial);
            p.auto_converge_increment = pct(self.auto_converge_increment);
        }
    }

    /// One line for notes and tables: "tls, 4 connections, xbzrle 64 MiB".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.tls {
            parts.push("tls".to_string());
        }
        if let Some(n) = self.parallel {
            parts.push(format!("{n} connections"));
        }
        match (self.compress, self.xbzrle_cache_mib) {
            (Compress::None, _) => {}
            (Compress::Xbzrle, Some(m)) => parts.push(format!("xbzrle {m} MiB cache")),
            (c, _) => parts.push(c.as_str().to_string()),
        }
        if parts.is_empty() {
            "plain tcp, one stream".into()
        } else {
            parts.join(", ")
        }
    }
}

/// A guest disk name as libvirt's `<target dev>`: letters then
/// letters/digits (vda, sdb, hdc, nvme0n1).
fn valid_target(s: &str) -> bool {
    s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests;
