//! After a failed or aborted migration: find where the VM is and put
//! things back so that it runs on the source only — resume it if it was
//! left paused, remove an incoming copy the destination still holds (it
//! was not there before: `dest.no_clash` saw to that) and the disks this
//! run created. If the VM is not on the source any more, say where it is.

use std::sync::Arc;

use virt::sys;

use super::disks;
use super::Outcome;
use crate::hypervisor::Libvirt;
use crate::ssh::SshSession;
use crate::state::{Journal, Record};

/// A domain as found on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub state: String,
    pub active: bool,
    pub persistent: bool,
}

/// Looks `name` up on `lv` (blocking). `Ok(None)`: no such domain.
pub fn inspect(lv: &Libvirt, name: &str) -> Result<Option<Found>, String> {
    match lv.conn().lookup_domain_by_name(name) {
        Ok(d) => {
            let info = d.info().map_err(|e| e.message().to_string())?;
            Ok(Some(Found {
                state: crate::facts::libvirt::state_name(info.state.to_raw()).to_string(),
                active: d.is_active().map_err(|e| e.message().to_string())?,
                persistent: d.is_persistent().map_err(|e| e.message().to_string())?,
            }))
        }
        Err(e) if e.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => Ok(None),
        Err(e) => Err(e.message().to_string()),
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// What rollback established.
pub struct Settled {
    pub outcome: Outcome,
    /// What was found and done, for the message.
    pub notes: Vec<String>,
    /// Where the VM runs, when known.
    pub running_on: Option<String>,
    /// The source's libvirtd could not be asked afterwards (its error): the
    /// failure was the source's, whatever libvirt's message says.
    pub source_unreachable: Option<String>,
}

/// Brings the hosts back to "VM runs on the source only" if it can.
pub async fn settle(
    src: (&str, &Arc<Libvirt>),
    dst: (&str, &Arc<Libvirt>, &Arc<SshSession>),
    vm: &str,
    created: &[String],
    postcopy: bool,
    journal: &mut Journal,
) -> Settled {
    let name = vm.to_string();
    let (slv, dlv) = (src.1.clone(), dst.1.clone());
    let n1 = name.clone();
    let on_src = blocking(move || inspect(&slv, &n1))
        .await
        .unwrap_or(Err("lost".into()));
    let n2 = name.clone();
    let on_dst = blocking(move || inspect(&dlv, &n2))
        .await
        .unwrap_or(Err("lost".into()));
    let source_unreachable = on_src.as_ref().err().cloned();
    let mut settled = if postcopy {
        after_postcopy(src.0, dst.0, vm, &on_src, &on_dst)
    } else if let Err(e) = &on_src {
        source_lost((src.0, e), dst.0, vm, &on_dst)
    } else {
        restore(src, dst, vm, created, (&on_src, &on_dst), journal).await
    };
    settled.source_unreachable = source_unreachable;
    settled
}

/// After the switch to post-copy the guest's newest memory is on the
/// destination: resuming the source would run stale memory, and removing
/// the destination's copy would lose the guest.
fn after_postcopy(src: &str, dst: &str, vm: &str, on_src: &Lookup, on_dst: &Lookup) -> Settled {
    match (on_src, on_dst) {
        (Ok(None), Ok(Some(d))) if d.active && d.persistent && d.state == "running" => Settled {
            outcome: Outcome::Migrated,
            notes: vec![format!("{vm} runs on {dst} (post-copy completed)")],
            running_on: Some(dst.to_string()),
            source_unreachable: None,
        },
        _ => Settled {
            outcome: Outcome::Unknown,
            notes: vec![format!(
                "post-copy had started, so neither copy is whole on its own; nothing was resumed or removed (on {src}: {}; on {dst}: {}); run `vmigrate recover {vm}`",
                describe(on_src),
                describe(on_dst)
            )],
            running_on: None,
            source_unreachable: None,
        },
    }
}

/// The source's libvirtd stopped answering (it died, or the link to it
/// broke). QEMU does not stop with libvirtd, so in pre-copy the guest went
/// on running on the source; an incoming copy on the destination is paused
/// and is not the VM running. Nothing is touched: only the source's
/// libvirtd, once back, can settle its side of the job.
fn source_lost(src: (&str, &str), dst: &str, vm: &str, on_dst: &Lookup) -> Settled {
    let (src, err) = src;
    let there = match on_dst {
        Ok(Some(d)) if d.state == "running" => format!(
            "yet {vm} runs on {dst} ({}): the migration may have completed as it stopped",
            if d.persistent { "defined" } else { "transient" }
        ),
        Ok(Some(d)) => format!(
            "{vm} was running on {src} when it did (QEMU keeps running without libvirtd); the copy on {dst} is the incoming one, {} ({}), not running",
            d.state,
            if d.persistent { "defined" } else { "transient" }
        ),
        Ok(None) => format!(
            "{vm} was running on {src} when it did (QEMU keeps running without libvirtd); {dst} holds no copy"
        ),
        Err(e) => format!(
            "{vm} was running on {src} when it did (QEMU keeps running without libvirtd); {dst} could not be asked either ({e})"
        ),
    };
    Settled {
        outcome: Outcome::Unknown,
        notes: vec![format!(
            "{src}'s libvirtd stopped answering during the migration ({err}); {there}. Nothing was resumed or removed: restart libvirtd on {src}, then run `vmigrate recover {vm}`"
        )],
        running_on: None,
        source_unreachable: None,
    }
}

/// Whatever the lookup on one host found.
type Lookup = Result<Option<Found>, String>;

/// The source answered: put the VM back on it (resume, remove the
/// destination's copy and disks), or say where it is if it is not there.
async fn restore(
    src: (&str, &Arc<Libvirt>),
    dst: (&str, &Arc<Libvirt>, &Arc<SshSession>),
    vm: &str,
    created: &[String],
    (on_src, on_dst): (&Lookup, &Lookup),
    journal: &mut Journal,
) -> Settled {
    match (on_src, on_dst) {
        (Ok(Some(s)), _) if s.active => {
            let mut notes = Vec::new();
            if s.state == "paused" {
                notes.push(resume_source(src, vm, journal).await);
            }
            if let Ok(Some(d)) = on_dst {
                notes.push(remove_incoming((dst.0, dst.1), vm, d, journal).await);
            }
            let errors = disks::remove(dst.2, created, journal).await;
            if !created.is_empty() {
                notes.push(if errors.is_empty() {
                    format!("removed {} pre-created disk(s) on {}", created.len(), dst.0)
                } else {
                    format!("could not remove on {}: {}", dst.0, errors.join("; "))
                });
            }
            Settled {
                outcome: Outcome::RolledBack,
                notes,
                running_on: Some(src.0.to_string()),
                source_unreachable: None,
            }
        }
        // A paused copy on the destination is an incoming one, not the VM
        // running: only a running one counts.
        (_, Ok(Some(d))) if d.state == "running" && !matches!(on_src, Ok(Some(s)) if s.active) => {
            let migrated = d.persistent && matches!(on_src, Ok(None));
            Settled {
                outcome: if migrated {
                    Outcome::Migrated
                } else {
                    Outcome::Unknown
                },
                notes: vec![format!(
                    "{vm} runs on {} ({}persistent) although the migration call failed",
                    dst.0,
                    if d.persistent { "" } else { "not " }
                )],
                running_on: Some(dst.0.to_string()),
                source_unreachable: None,
            }
        }
        _ => Settled {
            outcome: Outcome::Unknown,
            notes: vec![format!(
                "on {}: {}; on {}: {}",
                src.0,
                describe(on_src),
                dst.0,
                describe(on_dst)
            )],
            running_on: None,
            source_unreachable: None,
        },
    }
}

/// Resumes the VM libvirt left paused on the source; returns the note.
async fn resume_source(src: (&str, &Arc<Libvirt>), vm: &str, journal: &mut Journal) -> String {
    let record = Record::ResumeSource {
        host: src.0.to_string(),
    };
    if let Err(e) = journal.commit(record).await {
        return format!("did not resume {vm} on {} ({e})", src.0);
    }
    let (slv, n) = (src.1.clone(), vm.to_string());
    let r = blocking(move || {
        let d = slv.conn().lookup_domain_by_name(&n)?;
        d.resume()
    })
    .await;
    match r {
        Some(Ok(())) => format!("resumed {vm} on {}", src.0),
        _ => format!("could not resume {vm} on {} (it stays paused)", src.0),
    }
}

/// Removes the copy the destination still holds (it was not there before
/// the run: `dest.no_clash` saw to that); returns the note.
async fn remove_incoming(
    dst: (&str, &Arc<Libvirt>),
    vm: &str,
    d: &Found,
    journal: &mut Journal,
) -> String {
    let record = Record::RemoveDestLeftover {
        host: dst.0.to_string(),
        state: d.state.clone(),
    };
    if let Err(e) = journal.commit(record).await {
        return format!("kept the copy of {vm} on {} ({e})", dst.0);
    }
    let (dlv, n, active) = (dst.1.clone(), vm.to_string(), d.active);
    let r = blocking(move || {
        let dom = dlv.conn().lookup_domain_by_name(&n)?;
        if active {
            dom.destroy()?;
        }
        // A transient incoming domain disappears on destroy.
        match dom.undefine_flags(sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM) {
            Err(e)
                if e.code().to_raw() != sys::VIR_ERR_NO_DOMAIN
                    && e.code().to_raw() != sys::VIR_ERR_OPERATION_INVALID =>
            {
                Err(e)
            }
            _ => Ok(()),
        }
    })
    .await;
    match r {
        Some(Ok(())) => format!("removed the incoming copy left on {}", dst.0),
        Some(Err(e)) => format!("could not remove the copy on {}: {}", dst.0, e.message()),
        None => format!("could not remove the copy on {}", dst.0),
    }
}

fn describe(r: &Lookup) -> String {
    match r {
        Ok(Some(f)) => format!(
            "{} ({})",
            f.state,
            if f.persistent { "defined" } else { "transient" }
        ),
        Ok(None) => "no such domain".into(),
        Err(e) => format!("could not be asked ({e})"),
    }
}
