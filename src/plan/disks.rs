//! Which files the domains on a host use, asked before a disk is deleted:
//! a file goes only when every definition there (live and inactive) was
//! read and none names it.

use std::sync::Arc;

use crate::hypervisor::{Domain, Libvirt, LibvirtError};
use crate::vm::spec::SpecError;

/// Why the users of a file could not be established.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UsersError {
    #[error(transparent)]
    Libvirt(#[from] LibvirtError),
    #[error("cannot read domain {domain}'s disks: {why}")]
    Definition { domain: String, why: SpecError },
}

/// (path, domain) for each of `paths` a domain on `lv`'s host uses.
pub(crate) async fn users_of(
    lv: &Arc<Libvirt>,
    paths: &[String],
) -> Result<Vec<(String, String)>, UsersError> {
    let mut users = Vec::new();
    for d in Domain::all_definitions(lv).await? {
        for xml in &d.xmls {
            let spec = crate::vm::spec::parse(xml).map_err(|why| UsersError::Definition {
                domain: d.name.clone(),
                why,
            })?;
            for p in spec.disks.iter().filter_map(|k| k.source.as_ref()) {
                if paths.contains(p) {
                    users.push((p.clone(), d.name.clone()));
                }
            }
        }
    }
    Ok(users)
}
