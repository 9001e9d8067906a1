//! Layered settings: built-in defaults, then `[defaults]`, then each host's overrides.
//!
//! Each layer is validated where it is written, so a bad value in
//! `[defaults]` is reported once, at its own line, rather than once per host.

use std::path::PathBuf;
use std::time::Duration;

use serde_spanned::Spanned;

use super::convergence;
use super::error::{InventoryError, SourceText};
use super::name::check_user;
use super::raw::RawSettings;
use super::ssh_config::{Explicit, SshConfigSource};
use super::template::Template;
use super::tilde::expand_tilde;
use crate::policy::Policy;

pub(crate) const DEFAULT_LIBVIRT_URI: &str = "qemu+ssh://{user}@{address}:{port}/system";
pub(crate) const DEFAULT_PEER_URI: &str = "qemu+ssh://{address}/system";
pub(crate) const DEFAULT_MIGRATION_URI: &str = "tcp://{migration_address}";
const MAX_CONNECT_TIMEOUT_SECS: i64 = 600;

/// The parts of the process environment the inventory depends on, passed in
/// explicitly so parsing stays testable without touching real env vars.
#[derive(Debug, Clone, Default)]
pub(crate) struct Environment {
    /// `$USER`: the default SSH user.
    pub user: Option<String>,
    /// `$HOME`: what `~` expands to.
    pub home: Option<PathBuf>,
}

impl Environment {
    pub fn from_process() -> Self {
        Environment {
            user: std::env::var("USER").ok(),
            home: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
        }
    }
}

/// Fully validated settings for one layer.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub user: String,
    pub port: u16,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: PathBuf,
    pub reserved_host_memory_mb: u64,
    pub reserved_host_disk_mb: u64,
    pub ram_allocation_ratio: f64,
    pub cpu_allocation_ratio: f64,
    pub libvirt_uri: Template,
    pub peer_uri: Template,
    pub migration_uri: Template,
    pub instances_path: String,
    pub connect_timeout: Duration,
    /// The OpenSSH client configuration applied to hosts (`ssh_config.rs`).
    pub ssh_config: SshConfigSource,
    /// The SSH keys set in the inventory so far (they win over `ssh_config`).
    pub explicit: Explicit,
    /// Checked key by key only; the caller checks the cross-key rules,
    /// because only it knows where to point (see `convergence::check_whole`).
    pub policy: Policy,
}

impl Settings {
    /// What applies when the file says nothing; memory, CPU ratio and disk
    /// defaults mirror Nova's so capacity numbers match an `OpenStack` cloud's.
    pub fn builtin(env: &Environment) -> Self {
        // A $USER that would not pass our own check falls back to root rather
        // than smuggling odd characters into ssh command lines.
        let user = env
            .user
            .as_deref()
            .and_then(|u| check_user(u).ok())
            .unwrap_or_else(|| "root".to_owned());
        Settings {
            user,
            port: 22,
            identity_file: None,
            known_hosts: expand_tilde("~/.ssh/known_hosts", env.home.as_deref()),
            reserved_host_memory_mb: 512,
            reserved_host_disk_mb: 0,
            ram_allocation_ratio: 1.0,
            cpu_allocation_ratio: 4.0,
            libvirt_uri: builtin_template(DEFAULT_LIBVIRT_URI),
            peer_uri: builtin_template(DEFAULT_PEER_URI),
            migration_uri: builtin_template(DEFAULT_MIGRATION_URI),
            instances_path: "/var/lib/libvirt/images".to_owned(),
            connect_timeout: Duration::from_secs(10),
            ssh_config: SshConfigSource::Default(expand_tilde(
                "~/.ssh/config",
                env.home.as_deref(),
            )),
            explicit: Explicit::default(),
            policy: Policy::default(),
        }
    }

    /// `self` with every value that `raw` sets replaced, after validating it.
    pub fn overlay(
        &self,
        raw: &RawSettings,
        doc: &SourceText<'_>,
        env: &Environment,
    ) -> Result<Settings, InventoryError> {
        let home = env.home.as_deref();
        Ok(Settings {
            user: layer(doc, raw.user.as_ref(), &self.user, |s| check_user(s))?,
            port: layer(doc, raw.port.as_ref(), &self.port, |p| check_port(*p))?,
            // An empty identity_file lets one host go back to ssh-agent when
            // [defaults] names a key file.
            identity_file: layer(doc, raw.identity_file.as_ref(), &self.identity_file, |s| {
                Ok((!s.is_empty()).then(|| expand_tilde(s, home)))
            })?,
            known_hosts: layer(doc, raw.known_hosts.as_ref(), &self.known_hosts, |s| {
                if s.is_empty() {
                    return Err("known_hosts must not be empty; remove the key to use \
                                ~/.ssh/known_hosts"
                        .to_owned());
                }
                Ok(expand_tilde(s, home))
            })?,
            reserved_host_memory_mb: layer(
                doc,
                raw.reserved_host_memory_mb.as_ref(),
                &self.reserved_host_memory_mb,
                |&n| Ok(n),
            )?,
            reserved_host_disk_mb: layer(
                doc,
                raw.reserved_host_disk_mb.as_ref(),
                &self.reserved_host_disk_mb,
                |&n| Ok(n),
            )?,
            ram_allocation_ratio: layer(
                doc,
                raw.ram_allocation_ratio.as_ref(),
                &self.ram_allocation_ratio,
                |&r| check_ratio("ram_allocation_ratio", r),
            )?,
            cpu_allocation_ratio: layer(
                doc,
                raw.cpu_allocation_ratio.as_ref(),
                &self.cpu_allocation_ratio,
                |&r| check_ratio("cpu_allocation_ratio", r),
            )?,
            libvirt_uri: layer(doc, raw.libvirt_uri.as_ref(), &self.libvirt_uri, |s| {
                template("libvirt_uri", s)
            })?,
            peer_uri: layer(doc, raw.peer_uri.as_ref(), &self.peer_uri, |s| {
                template("peer_uri", s)
            })?,
            migration_uri: layer(doc, raw.migration_uri.as_ref(), &self.migration_uri, |s| {
                template("migration_uri", s)
            })?,
            instances_path: layer(
                doc,
                raw.instances_path.as_ref(),
                &self.instances_path,
                |s| check_instances_path(s),
            )?,
            connect_timeout: layer(
                doc,
                raw.connect_timeout_secs.as_ref(),
                &self.connect_timeout,
                |s| check_timeout(*s),
            )?,
            ssh_config: layer(doc, raw.ssh_config.as_ref(), &self.ssh_config, |s| {
                Ok(if s.is_empty() {
                    SshConfigSource::Off
                } else {
                    SshConfigSource::File(expand_tilde(s, home))
                })
            })?,
            explicit: Explicit {
                user: self.explicit.user || raw.user.is_some(),
                port: self.explicit.port || raw.port.is_some(),
                identity_file: self.explicit.identity_file || raw.identity_file.is_some(),
                known_hosts: self.explicit.known_hosts || raw.known_hosts.is_some(),
                connect_timeout: self.explicit.connect_timeout
                    || raw.connect_timeout_secs.is_some(),
            },
            policy: convergence::overlay(&self.policy, raw, doc)?,
        })
    }
}

/// The value set in this layer (checked), or else the inherited one.
pub(super) fn layer<T, U: Clone>(
    doc: &SourceText<'_>,
    value: Option<&Spanned<T>>,
    inherited: &U,
    check: impl FnOnce(&T) -> Result<U, String>,
) -> Result<U, InventoryError> {
    match value {
        Some(value) => doc.check(value, check),
        None => Ok(inherited.clone()),
    }
}

fn builtin_template(source: &str) -> Template {
    Template::parse(source).expect("built-in templates are valid")
}

fn template(key: &str, source: &str) -> Result<Template, String> {
    if has_password(source) {
        // Not quoted back: the value holds a password.
        return Err(format!(
            "{key} must not carry a password (user:password@): vmigrate shows URIs in \
             reports and records them in its journal; authenticate with SSH keys instead"
        ));
    }
    Template::parse(source).map_err(|e| format!("invalid {key} template {source:?}: {e}"))
}

/// A URI whose user part has a `:` (`scheme://user:password@host`).
fn has_password(uri: &str) -> bool {
    let Some((_, rest)) = uri.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

fn check_port(port: i64) -> Result<u16, String> {
    u16::try_from(port)
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| format!("port must be between 1 and 65535, got {port}"))
}

/// A ratio of 0 would make every host look full; NaN/inf would poison the
/// capacity arithmetic, so only finite positive values pass.
fn check_ratio(key: &str, ratio: f64) -> Result<f64, String> {
    if ratio.is_finite() && ratio > 0.0 {
        Ok(ratio)
    } else {
        Err(format!(
            "{key} must be a number greater than 0, got {ratio}; 1.0 means no overcommit"
        ))
    }
}

/// The path lives on the remote host, so there is no cwd it could be
/// relative to and no local `~` to expand.
fn check_instances_path(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!(
            "instances_path must be an absolute path on the host (starting with '/'), got {path:?}"
        ));
    }
    if path.chars().any(char::is_control) {
        return Err(format!(
            "instances_path {path:?} contains control characters; remove them"
        ));
    }
    Ok(path.to_owned())
}

fn check_timeout(secs: i64) -> Result<Duration, String> {
    match u64::try_from(secs) {
        Ok(s) if (1..=MAX_CONNECT_TIMEOUT_SECS as u64).contains(&s) => Ok(Duration::from_secs(s)),
        _ => Err(format!(
            "connect_timeout_secs must be between 1 and {MAX_CONNECT_TIMEOUT_SECS}, got {secs}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_user_comes_from_env_else_root() {
        let env = Environment {
            user: Some("alice".into()),
            home: None,
        };
        assert_eq!(Settings::builtin(&env).user, "alice");
        assert_eq!(Settings::builtin(&Environment::default()).user, "root");
        let odd = Environment {
            user: Some("a b".into()),
            home: None,
        };
        assert_eq!(Settings::builtin(&odd).user, "root");
    }

    #[test]
    fn a_uri_with_a_password_is_refused_without_quoting_it() {
        let e = template("peer_uri", "qemu+ssh://root:hunter2@{address}/system").unwrap_err();
        assert!(e.contains("must not carry a password"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        for fine in [
            DEFAULT_LIBVIRT_URI,
            "qemu+ssh://{user}@{address}:{port}/system",
            "qemu+tls://{address}/system?pkipath=/a:b",
            "tcp://[fd00::1]:49152",
            "tcp://{migration_address}",
        ] {
            assert!(template("libvirt_uri", fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn range_checks() {
        assert_eq!(check_port(22), Ok(22));
        assert!(check_port(0).is_err());
        assert!(check_port(70000).is_err());
        assert!(check_ratio("r", 0.0).is_err());
        assert!(check_ratio("r", f64::NAN).is_err());
        assert!(check_ratio("r", f64::INFINITY).is_err());
        assert_eq!(check_ratio("r", 1.5), Ok(1.5));
        assert!(check_timeout(0).is_err());
        assert!(check_timeout(601).is_err());
        assert_eq!(check_timeout(600), Ok(Duration::from_secs(600)));
    }
}
