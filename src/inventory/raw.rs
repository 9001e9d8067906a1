//! The inventory file's shape exactly as written on disk.
//!
//! Every value that is checked after deserialization is wrapped in
//! [`Spanned`] so the check can blame the right line and column. All structs
//! deny unknown keys so typos fail loudly. `#[serde(flatten)]` would silently
//! turn `deny_unknown_fields` off, so instead of flattening [`RawSettings`]
//! into [`RawHost`], `settings_structs!` writes the settings' fields into both.

use serde::Deserialize;
use serde_spanned::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a TOML document")]
pub(crate) struct RawInventory {
    /// Spanned so a combination of settings that is wrong as a whole (the
    /// convergence policy's cross-key rules) can be pointed at `[defaults]`.
    pub defaults: Option<Spanned<RawSettings>>,
    /// Spanned so an empty `hosts = []` can be pointed at.
    pub hosts: Option<Spanned<Vec<Spanned<RawHost>>>>,
    /// `[[groups]]`: anti-affinity groups (`groups.rs`).
    pub groups: Option<Vec<Spanned<super::groups::RawGroup>>>,
}

/// Declares [`RawSettings`] (the `[defaults]` table) and [`RawHost`] (one
/// `[[hosts]]` entry, which may override any setting) from one field list,
/// so the two can never drift apart.
macro_rules! settings_structs {
    ($($field:ident: $ty:ty,)*) => {
        /// Settings given in `[defaults]`, or overridden per host.
        #[derive(Debug, Default, Clone, Deserialize)]
        #[serde(deny_unknown_fields, expecting = "a table of settings")]
        pub(crate) struct RawSettings {
            $(pub $field: Option<Spanned<$ty>>,)*
        }

        /// One `[[hosts]]` entry.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields, expecting = "a [[hosts]] table")]
        pub(crate) struct RawHost {
            pub name: Spanned<String>,
            pub address: Spanned<String>,
            pub migration_address: Option<Spanned<String>>,
            pub zone: Option<Spanned<String>>,
            pub tags: Option<Vec<Spanned<String>>>,
            pub disabled: Option<bool>,
            pub disabled_reason: Option<Spanned<String>>,
            $(pub $field: Option<Spanned<$ty>>,)*
        }

        impl RawHost {
            /// This host's overrides, shaped like `[defaults]` so both resolve
            /// through the same code.
            pub fn overrides(&self) -> RawSettings {
                RawSettings { $($field: self.$field.clone(),)* }
            }
        }
    };
}

// Integers that have a range are read as i64 and range-checked afterwards, so
// an out-of-range value gets the same helpful message as a zero.
// `migration_bandwidth_mib` … `on_timeout` are the convergence policy
// (see `convergence.rs`).
settings_structs! {
    user: String,
    port: i64,
    identity_file: String,
    known_hosts: String,
    reserved_host_memory_mb: u64,
    reserved_host_disk_mb: u64,
    ram_allocation_ratio: f64,
    cpu_allocation_ratio: f64,
    libvirt_uri: String,
    peer_uri: String,
    migration_uri: String,
    instances_path: String,
    connect_timeout_secs: i64,
    ssh_config: String,
    migration_bandwidth_mib: i64,
    downtime_start_ms: i64,
    max_downtime_ms: i64,
    downtime_steps: i64,
    downtime_delay_secs_per_gib: i64,
    stall_iterations: i64,
    stall_secs: i64,
    auto_converge: bool,
    postcopy: bool,
    completion_timeout_secs_per_gib: i64,
    on_timeout: String,
    transport: String,
    tls: bool,
    tls_destination: String,
    parallel: i64,
    compress: String,
    xbzrle_cache_mib: i64,
    postcopy_bandwidth_mib: i64,
    auto_converge_initial: i64,
    auto_converge_increment: i64,
}
