//! The host inventory: which libvirt hosts exist and how to reach them.
//!
//! The inventory is a TOML file with an optional `[defaults]` table and one
//! `[[hosts]]` table per host; every `[defaults]` key may be overridden per
//! host. `inventory.example.toml` at the crate root documents the connection
//! and capacity keys; the convergence-policy keys (`convergence.rs`, resolved
//! into [`Host::policy`]) are documented in the README's inventory section.
//! [`locate()`] finds the file, [`load`] reads it and [`parse`] turns its text
//! into [`Host`]s with defaults applied and URI templates rendered.
//!
//! All content errors are reported as one `PATH:LINE:COL: message` line
//! pointing at the offending key or value (see [`InventoryError`]).

mod address;
mod convergence;
mod error;
mod groups;
mod host;
mod locate;
mod name;
mod raw;
mod settings;
mod ssh_config;
mod template;
mod tilde;
mod transport;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

pub use error::InventoryError;
pub use groups::Group;
pub use host::Host;
pub use locate::locate;
pub use name::valid_name;
pub use ssh_config::Jump;

use error::SourceText;
use raw::{RawInventory, RawSettings};
use settings::{Environment, Settings};

/// A parsed, validated inventory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Inventory {
    /// The file it was read from, as given (used to prefix error messages).
    pub path: PathBuf,
    /// Hosts in file order.
    pub hosts: Vec<Host>,
    /// Anti-affinity groups, in file order.
    pub groups: Vec<Group>,
}

impl Inventory {
    /// The host called `name`, if any (names are unique, case-sensitive).
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }
}

/// Reads and parses the inventory at `path`.
pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
    let text = read_text(path).map_err(|source| InventoryError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// An inventory is a small regular file. Anything else named by mistake —
/// `/dev/zero` (endless), a FIFO (opening it would wait for a writer
/// forever), a directory, a huge file — is refused at once.
fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    const MAX_BYTES: u64 = 4 * 1024 * 1024;
    // O_NONBLOCK: open(2) of a FIFO returns at once instead of blocking.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file; name the inventory's TOML file",
        ));
    }
    let mut text = String::new();
    file.take(MAX_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::other(
            "larger than 4 MiB, which no inventory is; is this the right file?",
        ));
    }
    Ok(text)
}

/// Parses inventory text; `path` is only used in error messages and
/// [`Inventory::path`]. Reads `$USER` and `$HOME` for defaults and `~`.
pub fn parse(text: &str, path: &Path) -> Result<Inventory, InventoryError> {
    parse_with(text, path, &Environment::from_process())
}

fn parse_with(text: &str, path: &Path, env: &Environment) -> Result<Inventory, InventoryError> {
    let doc = SourceText { path, text };
    // Parsing and deserializing separately tells TOML syntax errors apart
    // from schema errors, which get different wording.
    let de = toml::de::Deserializer::parse(text).map_err(|e| doc.toml_error(&e, true))?;
    let raw = RawInventory::deserialize(de).map_err(|e| doc.toml_error(&e, false))?;

    let no_defaults = RawSettings::default();
    let raw_defaults = raw.defaults.as_ref().map_or(&no_defaults, Spanned::get_ref);
    let defaults = Settings::builtin(env).overlay(raw_defaults, &doc, env)?;
    // Checked here as well as per host so a conflict written only in
    // [defaults] is reported once, at [defaults], not at every host.
    if let Some(d) = &raw.defaults {
        convergence::check_whole(&defaults.policy, &doc, d.span(), "[defaults]")?;
    }

    let raw_hosts = match &raw.hosts {
        Some(hosts) if !hosts.get_ref().is_empty() => hosts.get_ref(),
        other => {
            // Point at `hosts = []` if present; otherwise there is no better spot than the top.
            let span = other.as_ref().map_or(0..0, serde_spanned::Spanned::span);
            return Err(doc.error_at(
                span,
                "no hosts defined; add at least one [[hosts]] table with a name and an address",
            ));
        }
    };

    let mut configs = ssh_config::SshConfigs::default();
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut hosts = Vec::with_capacity(raw_hosts.len());
    for raw_host in raw_hosts {
        let raw_host = raw_host.get_ref();
        let host = Host::from_raw(raw_host, &defaults, &doc, env, &mut configs)?;
        let name_span = raw_host.name.span();
        if let Some(first_line) = first_seen.get(raw_host.name.get_ref().as_str()) {
            return Err(doc.error_at(
                name_span,
                format!(
                    "duplicate host name {:?} (first defined on line {first_line}); \
                     give each host a unique name",
                    host.name
                ),
            ));
        }
        first_seen.insert(raw_host.name.get_ref(), doc.line_col(name_span.start).0);
        hosts.push(host);
    }

    let groups = groups::resolve(raw.groups.as_deref().unwrap_or_default(), &doc)?;
    Ok(Inventory {
        path: path.to_path_buf(),
        hosts,
        groups,
    })
}
