//! The transport keys (`transport`, `tls`, `tls_destination`, `parallel`, `compress`,
//! `xbzrle_cache_mib`, `postcopy_bandwidth_mib`, `auto_converge_initial`,
//! `auto_converge_increment`): the inventory's layer of
//! [`crate::transport::Transport`], in `[defaults]` or a host's entry; the
//! source host's values apply to a migration, as for the policy keys.
//! Each value is checked at its own line:col; combinations
//! (`Transport::validate`) are checked with the whole policy layer.

use super::convergence::in_range;
use super::error::{InventoryError, SourceText};
use super::raw::RawSettings;
use super::settings::layer;
use crate::transport::{Compress, Transport, MAX_PARALLEL};

/// `base` with every transport key `raw` sets replaced.
pub(super) fn overlay(
    base: &Transport,
    raw: &RawSettings,
    doc: &SourceText<'_>,
) -> Result<Transport, InventoryError> {
    let pct = |key: &'static str| {
        move |&n: &i64| in_range::<u32>(key, n, 1..=100, " % of vCPU time").map(Some)
    };
    Ok(Transport {
        auto: layer(
            doc,
            raw.transport.as_ref(),
            &base.auto,
            |s: &String| match s.as_str() {
                "auto" => Ok(true),
                "manual" => Ok(false),
                _ => Err(format!(
                    "transport must be \"auto\" or \"manual\", got {s:?}"
                )),
            },
        )?,
        tls: layer(doc, raw.tls.as_ref(), &base.tls, |&b| Ok(b))?,
        tls_destination: layer(
            doc,
            raw.tls_destination.as_ref(),
            &base.tls_destination,
            |s: &String| {
                if s.is_empty() || s.chars().any(char::is_control) {
                    Err("tls_destination must be a host name".to_string())
                } else {
                    Ok(Some(s.clone()))
                }
            },
        )?,
        parallel: layer(doc, raw.parallel.as_ref(), &base.parallel, |&n| {
            let n: u32 = in_range(
                "parallel",
                n,
                0..=i64::from(MAX_PARALLEL),
                " connections (0: one stream)",
            )?;
            Ok((n > 0).then_some(n))
        })?,
        compress: layer(doc, raw.compress.as_ref(), &base.compress, |s: &String| {
            Compress::parse(s).ok_or_else(|| {
                format!(
                    "compress must be one of \"none\", \"xbzrle\", \"zlib\", \"zstd\", got {s:?}"
                )
            })
        })?,
        xbzrle_cache_mib: layer(
            doc,
            raw.xbzrle_cache_mib.as_ref(),
            &base.xbzrle_cache_mib,
            |&n| in_range::<u64>("xbzrle_cache_mib", n, 1..=1_048_576, " MiB").map(Some),
        )?,
        postcopy_bandwidth_mib: layer(
            doc,
            raw.postcopy_bandwidth_mib.as_ref(),
            &base.postcopy_bandwidth_mib,
            |&n| {
                let mib: u64 = in_range(
                    "postcopy_bandwidth_mib",
                    n,
                    0..=1_000_000,
                    " MiB/s (0: as --bandwidth)",
                )?;
                Ok((mib > 0).then_some(mib))
            },
        )?,
        auto_converge_initial: layer(
            doc,
            raw.auto_converge_initial.as_ref(),
            &base.auto_converge_initial,
            pct("auto_converge_initial"),
        )?,
        auto_converge_increment: layer(
            doc,
            raw.auto_converge_increment.as_ref(),
            &base.auto_converge_increment,
            pct("auto_converge_increment"),
        )?,
        // Disk names belong to a VM, not a host: a run's flag only.
        disks: base.disks.clone(),
    })
}
