//! One resolved host: its identity plus every setting, defaults applied and
//! URI templates rendered, ready for the SSH and libvirt layers to use as-is.

use std::path::PathBuf;
use std::time::Duration;

use super::address::check_address;
use super::convergence;
use super::error::{InventoryError, SourceText};
use super::name::check_name;
use super::raw::RawHost;
use super::settings::{Environment, Settings};
use super::ssh_config::{self, SshConfigs, SshRoute};
use super::template::Values;

/// A libvirt host from the inventory, with all defaults applied.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Host {
    pub name: String,
    pub address: String,
    /// Address for the migration data stream; equals `address` when not set.
    pub migration_address: String,
    pub zone: Option<String>,
    pub tags: Vec<String>,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    pub user: String,
    pub port: u16,
    /// `~` expanded; `None` means authenticate through ssh-agent.
    pub identity_file: Option<PathBuf>,
    /// `~` expanded.
    pub known_hosts: PathBuf,
    pub reserved_host_memory_mb: u64,
    pub reserved_host_disk_mb: u64,
    pub ram_allocation_ratio: f64,
    pub cpu_allocation_ratio: f64,
    /// URI vmigrate itself uses to manage this host's libvirtd.
    pub libvirt_uri: String,
    /// URI a source host's libvirtd uses to reach this host as the destination.
    pub peer_uri: String,
    /// URI the migration data stream is sent to when this host is the destination.
    pub migration_uri: String,
    /// Absolute path on the host where instance disks live.
    pub instances_path: String,
    pub connect_timeout: Duration,
    /// Identity files, jump hosts and keepalive, from the inventory and
    /// the OpenSSH client configuration (`ssh_config.rs`).
    #[serde(skip)]
    pub ssh: SshRoute,
    /// Convergence policy: `Policy::default()`, then `[defaults]`, then this
    /// entry. It governs migrations where this host is the SOURCE (its
    /// libvirtd drives them); command-line flags override it per run.
    pub policy: crate::policy::Policy,
}

impl Host {
    /// Validates one `[[hosts]]` entry on top of the `[defaults]` layer.
    pub(crate) fn from_raw(
        raw: &RawHost,
        defaults: &Settings,
        doc: &SourceText<'_>,
        env: &Environment,
        configs: &mut SshConfigs,
    ) -> Result<Host, InventoryError> {
        let name = doc.check(&raw.name, |s| check_name("host name", s))?;
        let address = doc.check(&raw.address, |s| check_address("address", s))?;
        let migration_address = match &raw.migration_address {
            Some(m) => doc.check(m, |s| check_address("migration_address", s))?,
            None => address.clone(),
        };
        let zone = raw
            .zone
            .as_ref()
            .map(|z| doc.check(z, |s| check_name("zone", s)))
            .transpose()?;
        let tags = raw
            .tags
            .iter()
            .flatten()
            .map(|t| doc.check(t, |s| check_name("tag", s)))
            .collect::<Result<Vec<_>, _>>()?;
        let disabled_reason = raw
            .disabled_reason
            .as_ref()
            .map(|r| doc.check(r, |s| check_reason(s)))
            .transpose()?;
        let s = defaults.overlay(&raw.overrides(), doc, env)?;
        // `defaults` passed these rules already, so a failure here involves
        // this entry's own keys; its name is the one spot that always exists.
        convergence::check_whole(
            &s.policy,
            doc,
            raw.name.span(),
            &format!("host {name:?} (its entry over [defaults])"),
        )?;

        // The OpenSSH configuration, looked up under the address as written.
        let home = env.home.as_deref();
        let r = doc.check(&raw.address, |_| {
            let config = configs.get(&s.ssh_config, home)?;
            let local_user = env.user.as_deref().unwrap_or("root");
            ssh_config::resolve(config.as_deref(), &address, &s, local_user, home)
        })?;
        // An alias resolves to its HostName for the migration stream too.
        let migration_address = if raw.migration_address.is_none() {
            r.address.clone()
        } else {
            migration_address
        };
        let address = r.address;
        let values = Values {
            name: &name,
            user: &r.user,
            address: &address,
            port: r.port,
            migration_address: &migration_address,
        };
        Ok(Host {
            libvirt_uri: s.libvirt_uri.render(&values),
            peer_uri: s.peer_uri.render(&values),
            migration_uri: s.migration_uri.render(&values),
            name,
            address,
            migration_address,
            zone,
            tags,
            disabled: raw.disabled.unwrap_or(false),
            disabled_reason,
            user: r.user,
            port: r.port,
            identity_file: r.route.identity_files.first().cloned(),
            known_hosts: r.known_hosts,
            reserved_host_memory_mb: s.reserved_host_memory_mb,
            reserved_host_disk_mb: s.reserved_host_disk_mb,
            ram_allocation_ratio: s.ram_allocation_ratio,
            cpu_allocation_ratio: s.cpu_allocation_ratio,
            instances_path: s.instances_path,
            connect_timeout: r.connect_timeout,
            ssh: r.route,
            policy: s.policy,
        })
    }
}

/// Free text, but shown in one-line tables and logs, so no newlines or escapes.
fn check_reason(reason: &str) -> Result<String, String> {
    if reason.chars().any(char::is_control) {
        return Err(format!(
            "disabled_reason {reason:?} contains control characters (newline, tab, escape); \
             keep it to a single line of plain text"
        ));
    }
    Ok(reason.to_owned())
}
