//! `[[groups]]`: VMs the scheduler must keep apart. The one policy is
//! Nova's `anti-affinity`: no two members on one host — a drain never puts
//! two replicas of a service on the host that takes the rest of the load.
//!
//! ```toml
//! [[groups]]
//! name = "web"
//! policy = "anti-affinity"
//! vms = ["web1", "web2", "web3"]
//! ```

use std::collections::HashMap;

use serde::Deserialize;
use serde_spanned::Spanned;

use super::error::{InventoryError, SourceText};
use super::name::valid_name;

/// One `[[groups]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[groups]] table")]
pub(crate) struct RawGroup {
    pub name: Spanned<String>,
    pub policy: Spanned<String>,
    pub vms: Spanned<Vec<Spanned<String>>>,
}

/// A validated anti-affinity group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    /// Members (libvirt domain names), no two on one host.
    pub vms: Vec<String>,
}

/// The file's groups, checked: valid unique names, a known policy, at
/// least two distinct members each (one member keeps nothing apart).
pub(crate) fn resolve(
    raw: &[Spanned<RawGroup>],
    doc: &SourceText,
) -> Result<Vec<Group>, InventoryError> {
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for g in raw {
        let g = g.get_ref();
        let name = g.name.get_ref();
        if !valid_name(name) {
            return Err(doc.error_at(
                g.name.span(),
                format!("group name {name:?} is not valid; use letters, digits, '.', '_' and '-'"),
            ));
        }
        if let Some(line) = first_line.get(name.as_str()) {
            return Err(doc.error_at(
                g.name.span(),
                format!("duplicate group name {name:?} (first defined on line {line}); give each group a unique name"),
            ));
        }
        first_line.insert(name, doc.line_col(g.name.span().start).0);
        if g.policy.get_ref() != "anti-affinity" {
            return Err(doc.error_at(
                g.policy.span(),
                format!(
                    "unknown group policy {:?}; the supported policy is \"anti-affinity\"",
                    g.policy.get_ref()
                ),
            ));
        }
        out.push(Group {
            name: name.clone(),
            vms: members(g, doc)?,
        });
    }
    Ok(out)
}

/// A group's members: non-empty names, each once, at least two.
fn members(g: &RawGroup, doc: &SourceText) -> Result<Vec<String>, InventoryError> {
    let mut vms: Vec<String> = Vec::with_capacity(g.vms.get_ref().len());
    for vm in g.vms.get_ref() {
        let v = vm.get_ref();
        if v.is_empty() || v.chars().any(char::is_control) {
            return Err(doc.error_at(
                vm.span(),
                format!("{v:?} is not a VM name; list libvirt domain names"),
            ));
        }
        if vms.contains(v) {
            return Err(doc.error_at(
                vm.span(),
                format!(
                    "{v:?} is listed twice in group {:?}; list each VM once",
                    g.name.get_ref()
                ),
            ));
        }
        vms.push(v.clone());
    }
    if vms.len() < 2 {
        return Err(doc.error_at(
            g.vms.span(),
            format!(
                "group {:?} has {} member(s); anti-affinity needs at least two VMs to keep apart",
                g.name.get_ref(),
                vms.len()
            ),
        ));
    }
    Ok(vms)
}
