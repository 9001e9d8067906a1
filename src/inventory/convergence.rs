//! The convergence-policy keys (`migration_bandwidth_mib`, `downtime_*`,
//! `stall_*`, `auto_converge`, `postcopy`, `completion_timeout_secs_per_gib`,
//! `on_timeout`): the inventory's layer of [`crate::policy::Policy`].
//!
//! They layer like every other setting (built-in `Policy::default()`, then
//! `[defaults]`, then a host's entry) and each value is checked at its own
//! line:col. The rules that span several keys (`Policy::validate`) can only
//! be checked once a layer is complete, so [`check_whole`] blames the layer
//! instead: the `[defaults]` header, or the host's `name`.

use std::ops::{Range, RangeInclusive};

use clap::ValueEnum;

use super::error::{InventoryError, SourceText};
use super::raw::RawSettings;
use super::settings::layer;
use crate::policy::{OnTimeout, Policy};

// The upper bounds are far beyond any sensible value; they exist to catch a
// unit slip (seconds written as ms, KiB as MiB) before it silently turns the
// policy off, and keep every value comfortably inside u32/u64 arithmetic.
const MAX_BANDWIDTH_MIB: i64 = 1_000_000;
const MAX_DOWNTIME_MS: i64 = 600_000;
const MAX_DOWNTIME_STEPS: i64 = 100;
const MAX_SECS_PER_GIB: i64 = 86_400;
const MAX_STALL_ITERATIONS: i64 = 1_000;
const MAX_STALL_SECS: i64 = 86_400;

fn check_bandwidth(n: i64) -> Result<Option<u64>, String> {
    let mib: u64 = in_range(
        "migration_bandwidth_mib",
        n,
        0..=MAX_BANDWIDTH_MIB,
        " MiB/s (0 means unlimited)",
    )?;
    Ok((mib > 0).then_some(mib))
}

fn secs_per_gib(key: &str, n: i64, note: &str) -> Result<u64, String> {
    in_range(
        key,
        n,
        0..=MAX_SECS_PER_GIB,
        &format!(" seconds per GiB{note}"),
    )
}

/// `base` with every convergence key that `raw` sets replaced, each checked
/// on its own. The result may still break a cross-key rule; see [`check_whole`].
pub(super) fn overlay(
    base: &Policy,
    raw: &RawSettings,
    doc: &SourceText<'_>,
) -> Result<Policy, InventoryError> {
    // A struct literal rather than `..base.clone()`, so a new `Policy` field
    // fails to compile here until someone decides whether it is an inventory key.
    let mut p = Policy {
        // `--policy off` is a per-run choice, not a host property.
        ladder: base.ladder,
        bandwidth_mib: layer(
            doc,
            raw.migration_bandwidth_mib.as_ref(),
            &base.bandwidth_mib,
            |&n| check_bandwidth(n),
        )?,
        downtime_start_ms: layer(
            doc,
            raw.downtime_start_ms.as_ref(),
            &base.downtime_start_ms,
            |&n| in_range("downtime_start_ms", n, 1..=MAX_DOWNTIME_MS, " ms"),
        )?,
        max_downtime_ms: layer(
            doc,
            raw.max_downtime_ms.as_ref(),
            &base.max_downtime_ms,
            |&n| in_range("max_downtime_ms", n, 1..=MAX_DOWNTIME_MS, " ms"),
        )?,
        downtime_steps: layer(
            doc,
            raw.downtime_steps.as_ref(),
            &base.downtime_steps,
            |&n| in_range("downtime_steps", n, 1..=MAX_DOWNTIME_STEPS, ""),
        )?,
        downtime_delay_secs_per_gib: layer(
            doc,
            raw.downtime_delay_secs_per_gib.as_ref(),
            &base.downtime_delay_secs_per_gib,
            |&n| secs_per_gib("downtime_delay_secs_per_gib", n, ""),
        )?,
        stall_iterations: layer(
            doc,
            raw.stall_iterations.as_ref(),
            &base.stall_iterations,
            |&n| in_range("stall_iterations", n, 1..=MAX_STALL_ITERATIONS, " passes"),
        )?,
        stall_secs: layer(doc, raw.stall_secs.as_ref(), &base.stall_secs, |&n| {
            in_range("stall_secs", n, 1..=MAX_STALL_SECS, " seconds")
        })?,
        auto_converge: layer(doc, raw.auto_converge.as_ref(), &base.auto_converge, |&b| {
            Ok(b)
        })?,
        postcopy: layer(doc, raw.postcopy.as_ref(), &base.postcopy, |&b| Ok(b))?,
        completion_timeout_secs_per_gib: layer(
            doc,
            raw.completion_timeout_secs_per_gib.as_ref(),
            &base.completion_timeout_secs_per_gib,
            |&n| {
                secs_per_gib(
                    "completion_timeout_secs_per_gib",
                    n,
                    " (0 means no timeout)",
                )
            },
        )?,
        on_timeout: layer(doc, raw.on_timeout.as_ref(), &base.on_timeout, |s| {
            check_on_timeout(s)
        })?,
        transport: super::transport::overlay(&base.transport, raw, doc)?,
    };
    // A lone max below the inherited start means "never more than this",
    // as `--max-downtime` alone does on the command line.
    if raw.max_downtime_ms.is_some() && raw.downtime_start_ms.is_none() {
        p.downtime_start_ms = p.downtime_start_ms.min(p.max_downtime_ms);
    }
    Ok(p)
}

/// Applies `Policy::validate` to a finished layer and blames `span`;
/// `whose` names the layer in the message (`"[defaults]"`, `"host \"kvm1\""`).
pub(super) fn check_whole(
    policy: &Policy,
    doc: &SourceText<'_>,
    span: Range<usize>,
    whose: &str,
) -> Result<(), InventoryError> {
    policy.validate().map_err(|message| {
        doc.error_at(
            span,
            format!("the convergence settings of {whose} conflict: {message}"),
        )
    })
}

/// `value` as `T` when inside `range`; `unit` follows the bounds in the
/// message ("between 1 and 600000 ms, got 0").
pub(super) fn in_range<T: TryFrom<i64>>(
    key: &str,
    value: i64,
    range: RangeInclusive<i64>,
    unit: &str,
) -> Result<T, String> {
    range
        .contains(&value)
        .then(|| T::try_from(value).ok())
        .flatten()
        .ok_or_else(|| {
            format!(
                "{key} must be between {} and {}{unit}, got {value}",
                range.start(),
                range.end()
            )
        })
}

fn check_on_timeout(s: &str) -> Result<OnTimeout, String> {
    OnTimeout::parse(s).ok_or_else(|| {
        // Listed from the enum itself so the message follows new actions.
        let allowed: Vec<String> = OnTimeout::value_variants()
            .iter()
            .map(|v| format!("{:?}", v.as_str()))
            .collect();
        format!(
            "on_timeout must be one of {}, got {s:?}",
            allowed.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_inclusive_and_fit_the_target_type() {
        assert_eq!(in_range::<u32>("k", 1, 1..=100, ""), Ok(1));
        assert_eq!(in_range::<u32>("k", 100, 1..=100, ""), Ok(100));
        assert_eq!(
            in_range::<u32>("k", 0, 1..=100, " ms"),
            Err("k must be between 1 and 100 ms, got 0".to_owned())
        );
        assert!(in_range::<u64>("k", -1, 0..=5, "").is_err());
        assert!(in_range::<u64>("k", i64::MAX, 0..=5, "").is_err());
    }

    #[test]
    fn on_timeout_names_every_action() {
        assert_eq!(check_on_timeout("pause"), Ok(OnTimeout::Pause));
        assert_eq!(
            check_on_timeout("wait"),
            Err(r#"on_timeout must be one of "abort", "postcopy", "pause", got "wait""#.to_owned())
        );
        // Case matters, as everywhere else in the file.
        assert!(check_on_timeout("Abort").is_err());
    }
}
