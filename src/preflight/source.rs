//! Finding the VM across the fleet and reading it on its host: the source
//! half of the snapshot, read once per run.

use super::gather::Source;
use super::{Fleet, Options};
use crate::error::Error;
use crate::facts::HostFacts;
use crate::hypervisor::{Domain, LibvirtError};
use crate::vm::locate::{locate, Location};
use crate::vm::read::{self, ReadError};

/// The source as read, and the handles the rest of the run needs.
pub(super) struct Found<'a> {
    /// The source's position in the fleet.
    pub index: usize,
    pub snapshot: Source<'a>,
    /// The VM's domain on the source (for the dirty-rate sample).
    pub domain: Domain,
}

/// Finds and reads the VM. `Err` for a VM that cannot be found (exit 3)
/// or runs twice (exit 5), for a bad `--from` or policy (exit 2), for a
/// source whose libvirt fails (exit 1) and for a definition vmigrate cannot
/// read (exit 3).
pub(super) async fn find<'a>(fleet: &Fleet<'a>, opts: &Options) -> Result<Found<'a>, Error> {
    let name = source_host(fleet, opts)?;
    let index = fleet.index(&name).expect("source comes from the fleet");
    let (link, facts) = (&fleet.links[index], &fleet.facts[index]);
    // Located by its facts, so libvirt answered a moment ago: losing it
    // now is the environment's failure, not "not found".
    let lv = link
        .libvirt
        .as_ref()
        .map_err(|e| Error::Libvirt(e.clone()))?;
    let policy = link
        .host
        .policy
        .with(&opts.policy)
        .map_err(|e| Error::Usage(format!("{e} (policy of source host {name})")))?;
    let domain = Domain::lookup(lv, &opts.vm).await?.ok_or_else(|| {
        Error::Libvirt(LibvirtError::NoDomain {
            host: name.clone(),
            what: "look up the VM".into(),
        })
    })?;
    let vm = read::read(&domain).await.map_err(by_cause)?;
    Ok(Found {
        index,
        snapshot: Source {
            name: &facts.name,
            facts,
            vm,
            policy,
        },
        domain,
    })
}

/// libvirt's failures keep their cause (`Error::Libvirt`: a VM that left
/// its host since the facts is "not found", exit 3; a host that failed to
/// answer is exit 1); a definition vmigrate cannot read makes the VM not
/// migratable.
fn by_cause(e: ReadError) -> Error {
    match e {
        ReadError::Libvirt(e) => Error::Libvirt(e),
        e @ ReadError::Xml { .. } => Error::NotMigratable(e.to_string()),
    }
}

/// The host the VM is on, among the searched ones (`--from`, or all).
fn source_host(fleet: &Fleet<'_>, opts: &Options) -> Result<String, Error> {
    let searched: &[HostFacts] = match &opts.from {
        Some(from) => {
            let i = fleet.index(from).ok_or_else(|| {
                Error::Usage(format!(
                    "--from {from}: no such host in {}",
                    fleet.inventory.path.display()
                ))
            })?;
            std::slice::from_ref(&fleet.facts[i])
        }
        None => fleet.facts,
    };
    located(&opts.vm, locate(&opts.vm, searched))
}

/// The one host of a location, or the error that says why there is none.
fn located(vm: &str, location: Location) -> Result<String, Error> {
    match location {
        Location::On(h) => Ok(h),
        Location::NotFound {
            searched,
            unreachable,
        } => Err(Error::NotFound(format!(
            "VM {vm} not found on {}{}",
            if searched.is_empty() {
                "any host".into()
            } else {
                searched.join(", ")
            },
            if unreachable.is_empty() {
                String::new()
            } else {
                format!(" (not searched, unreachable: {})", unreachable.join(", "))
            }
        ))),
        Location::Multiple(hosts) => Err(Error::SplitBrain(format!(
            "VM {vm} is running on {} at the same time; stop the copy that should not run (after checking which one is current), then retry",
            hosts.join(" and ")
        ))),
        Location::DefinedOnSeveral(hosts) => Err(Error::SplitBrain(format!(
            "VM {vm} is defined on {} and running nowhere; undefine the stale copy, then retry",
            hosts.join(" and ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit_codes::ExitCode;

    #[test]
    fn errors_by_cause() {
        let gone = by_cause(ReadError::Libvirt(LibvirtError::NoDomain {
            host: "lab1".into(),
            what: "look up the VM".into(),
        }));
        assert_eq!(gone.exit_code(), ExitCode::NotMigratable);
        assert_eq!(
            gone.to_string(),
            "libvirt on lab1: look up the VM: no such domain"
        );
        let down = by_cause(ReadError::Libvirt(LibvirtError::Call {
            host: "lab1".into(),
            what: "read the VM's XML".into(),
            message: "End of file while reading data".into(),
        }));
        assert!(matches!(down, Error::Libvirt(_)), "not 'not found'");
        assert_eq!(down.exit_code(), ExitCode::Internal);
        let garbled = by_cause(ReadError::Xml {
            host: "lab1".into(),
            source: crate::vm::spec::SpecError::NotDomain,
        });
        assert_eq!(
            garbled.to_string(),
            "libvirt on lab1: parse the VM's XML: not a <domain> document"
        );
        assert_eq!(garbled.exit_code(), ExitCode::NotMigratable);
        let twice = located("v", Location::Multiple(vec!["a".into(), "b".into()])).unwrap_err();
        assert_eq!(twice.exit_code(), ExitCode::NeedsAttention);
        let none = located(
            "v",
            Location::NotFound {
                searched: vec![],
                unreachable: vec!["c".into()],
            },
        )
        .unwrap_err();
        assert_eq!(
            none.to_string(),
            "VM v not found on any host (not searched, unreachable: c)"
        );
    }
}
