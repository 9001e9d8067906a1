//! The one executor. Each action is journalled before it touches a host
//! (the record is what a later `recover` reads); once a record cannot be
//! written no further action is taken; each is applied through the typed
//! libvirt and SSH doors; and afterwards the hosts are read again, so the
//! caller reports what is, not what was meant.

use super::disks::{users_of, UsersError};
use super::resume::{resume, Resume};
use super::seen::{read_all, Seen};
use super::Action;
use crate::fleet::HostLink;
use crate::hypervisor::{Domain, LibvirtError};
use crate::ssh::SshError;
use crate::state::{Journal, JournalError, Record};

/// Who acts: it decides the records written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum By<'a> {
    /// A `live` run settling its migration; `source` is its source host.
    Live { source: &'a str },
    /// `vmigrate recover`.
    Recover,
}

/// Why an action did not happen.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ActionError {
    /// Its record (or an earlier one) could not be written.
    #[error("not taken: the journal could not be written")]
    NotJournalled,
    #[error(transparent)]
    Libvirt(#[from] LibvirtError),
    #[error(transparent)]
    Ssh(#[from] SshError),
    /// The host's link is down (its error).
    #[error("{0}")]
    Unreachable(String),
    /// The VM is no longer on the host.
    #[error("{vm} is no longer on {host}")]
    Gone { vm: String, host: String },
    /// A domain uses the file now (the plan is seconds old).
    #[error("domain {0} uses it now; kept")]
    InUse(String),
    #[error(transparent)]
    Users(#[from] UsersError),
    /// Resuming a post-copy migration failed: each attempt's error.
    #[error("{0}")]
    Resume(String),
}

/// One action and what became of it.
#[derive(Debug)]
pub(crate) struct Done {
    pub action: Action,
    pub result: Result<(), ActionError>,
    /// How many times it was tried (a post-copy resume is retried; 0: it
    /// was not taken).
    pub tries: u32,
}

/// What the executor did, and the hosts afterwards.
#[derive(Debug)]
pub(crate) struct Executed {
    /// One per action, in order.
    pub done: Vec<Done>,
    /// The journal failure that stopped it, if one did.
    pub stopped: Option<JournalError>,
    /// The VM on each host of the links, read again after the actions
    /// (empty when there were none).
    pub after: Vec<(String, Seen)>,
}

/// Carries out `actions` on `vm`, on the hosts of `links`.
pub(crate) async fn execute(
    actions: &[Action],
    vm: &str,
    by: By<'_>,
    links: &[&HostLink],
    journal: &mut Journal,
) -> Executed {
    let mut done = Vec::with_capacity(actions.len());
    let mut stopped = None;
    for a in actions {
        let (result, tries) = if stopped.is_some() {
            (Err(ActionError::NotJournalled), 0)
        } else {
            one(a, vm, by, links, journal, &mut stopped).await
        };
        done.push(Done {
            action: a.clone(),
            result,
            tries,
        });
    }
    let after = if actions.is_empty() {
        Vec::new()
    } else {
        read_all(links, vm).await
    };
    Executed {
        done,
        stopped,
        after,
    }
}

/// Carries out `a` on its host(s): the result and how many times it was
/// tried.
async fn one(
    a: &Action,
    vm: &str,
    by: By<'_>,
    links: &[&HostLink],
    journal: &mut Journal,
    stopped: &mut Option<JournalError>,
) -> (Result<(), ActionError>, u32) {
    let link = |host: &str| links.iter().copied().find(|l| l.host.name == host);
    let missing = |host: &str| ActionError::Unreachable(format!("{host} is not in the inventory"));
    if let Action::ResumePostcopy {
        source,
        destination,
        request,
    } = a
    {
        return match (link(source), link(destination)) {
            (Some(src), Some(dst)) => {
                let r = Resume {
                    vm,
                    src,
                    dst,
                    request,
                };
                resume(&r, journal, stopped).await
            }
            (None, _) => (Err(missing(source)), 0),
            (_, None) => (Err(missing(destination)), 0),
        };
    }
    match link(a.host()) {
        Some(l) => (journalled(a, vm, by, l, journal, stopped).await, 1),
        None => (Err(missing(a.host())), 0),
    }
}

/// Journals `a`, then applies it; a journal failure goes to `stopped`.
async fn journalled(
    a: &Action,
    vm: &str,
    by: By<'_>,
    link: &HostLink,
    journal: &mut Journal,
    stopped: &mut Option<JournalError>,
) -> Result<(), ActionError> {
    if let Action::RemoveStaleCopy { path, .. } = a {
        unused(link, path).await?;
    }
    if let Err(e) = journal.commit(record(a, vm, by)).await {
        *stopped = Some(e);
        return Err(ActionError::NotJournalled);
    }
    apply(a, vm, link).await
}

/// The record written before `a`. `live` names its steps; `recover`
/// writes its action in words.
fn record(a: &Action, vm: &str, by: By<'_>) -> Record {
    match (a, by) {
        (Action::RemoveDisk { host, path }, _) => Record::RemoveDisk {
            host: host.clone(),
            path: path.clone(),
            stale_copy: false,
        },
        (Action::RemoveStaleCopy { host, path }, _) => Record::RemoveDisk {
            host: host.clone(),
            path: path.clone(),
            stale_copy: true,
        },
        (Action::Resume { host }, By::Live { source }) if host == source => {
            Record::ResumeSource { host: host.clone() }
        }
        (Action::Resume { host }, By::Live { .. }) => {
            Record::ResumeDestination { host: host.clone() }
        }
        (Action::DestroyIncoming { host, state }, By::Live { .. }) => Record::RemoveDestLeftover {
            host: host.clone(),
            state: state.name().to_string(),
        },
        // `live` never undefines; `recover` describes everything else.
        (_, By::Live { .. } | By::Recover) => Record::Recover {
            action: a.describe(vm),
        },
    }
}

/// Applies one action through the typed doors.
async fn apply(a: &Action, vm: &str, link: &HostLink) -> Result<(), ActionError> {
    match a {
        Action::RemoveDisk { path, .. } | Action::RemoveStaleCopy { path, .. } => {
            let ssh = link
                .ssh
                .as_ref()
                .map_err(|e| ActionError::Unreachable(e.to_string()))?;
            ssh.check(&["rm", "-f", "--", path]).await?;
            Ok(())
        }
        Action::Resume { .. } => domain(vm, link).await?.resume().await.map_err(Into::into),
        Action::Undefine { .. } => domain(vm, link).await?.undefine().await.map_err(Into::into),
        // `one` hands it to `resume`, which journals each attempt itself:
        // it never comes here.
        Action::ResumePostcopy { .. } => Err(ActionError::Resume(
            "a post-copy resume is not a single step".into(),
        )),
        Action::DestroyIncoming { .. } => {
            let d = domain(vm, link).await?;
            let info = d.inspect().await?;
            if info.active {
                d.destroy().await?;
            }
            // A transient incoming copy is gone once destroyed.
            if info.persistent {
                d.undefine().await?;
            }
            Ok(())
        }
    }
}

/// `vm` on `link`'s host.
pub(super) async fn domain(vm: &str, link: &HostLink) -> Result<Domain, ActionError> {
    let lv = link.libvirt.as_ref().map_err(Clone::clone)?;
    Domain::lookup(lv, vm)
        .await?
        .ok_or_else(|| ActionError::Gone {
            vm: vm.to_string(),
            host: link.host.name.clone(),
        })
}

/// No domain on `link`'s host uses `path` now.
async fn unused(link: &HostLink, path: &str) -> Result<(), ActionError> {
    let lv = link.libvirt.as_ref().map_err(Clone::clone)?;
    match users_of(lv, &[path.to_string()]).await?.first() {
        Some((_, d)) => Err(ActionError::InUse(d.clone())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hypervisor::DomainState;

    #[test]
    fn live_names_its_steps_and_recover_describes_them() {
        let live = By::Live { source: "kvm1" };
        let resume = |h: &str| Action::Resume { host: h.into() };
        assert_eq!(
            record(&resume("kvm1"), "web1", live),
            Record::ResumeSource {
                host: "kvm1".into()
            }
        );
        assert_eq!(
            record(&resume("kvm2"), "web1", live),
            Record::ResumeDestination {
                host: "kvm2".into()
            }
        );
        let incoming = Action::DestroyIncoming {
            host: "kvm2".into(),
            state: DomainState::Paused,
        };
        assert_eq!(
            record(&incoming, "web1", live),
            Record::RemoveDestLeftover {
                host: "kvm2".into(),
                state: "paused".into()
            }
        );
        assert_eq!(
            record(&incoming, "web1", By::Recover),
            Record::Recover {
                action: "remove the leftover incoming copy of web1 on kvm2".into()
            }
        );
        // A disk's record is the same whoever removes it: the journal
        // must know it is gone.
        let stale = Action::RemoveStaleCopy {
            host: "kvm1".into(),
            path: "/i/a.qcow2".into(),
        };
        for by in [live, By::Recover] {
            assert_eq!(
                record(&stale, "web1", by),
                Record::RemoveDisk {
                    host: "kvm1".into(),
                    path: "/i/a.qcow2".into(),
                    stale_copy: true
                }
            );
        }
    }
}
