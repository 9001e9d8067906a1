//! After a failed or aborted migration: find where the VM is and put
//! things back so that it runs on the source only — resume it if it was
//! left paused, remove an incoming copy the destination still holds (it
//! was not there before: `dest.no_clash` saw to that) and the disks this
//! run created. If the VM is not on the source any more, say where it is.

use std::sync::Arc;

use serde_json::json;
use virt::sys;

use super::disks;
use super::Outcome;
use crate::hypervisor::Libvirt;
use crate::ssh::SshSession;
use crate::state::Journal;

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
    let mut notes = Vec::new();
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
    // After the switch to post-copy the guest's newest memory is on the
    // destination: resuming the source would run stale memory, and
    // removing the destination's copy would lose the guest.
    if postcopy {
        return match (&on_src, &on_dst) {
            (Ok(None), Ok(Some(d))) if d.active && d.persistent && d.state == "running" => Settled {
                outcome: Outcome::Migrated,
                notes: vec![format!("{vm} runs on {} (post-copy completed)", dst.0)],
                running_on: Some(dst.0.to_string()),
            },
            _ => Settled {
                outcome: Outcome::Unknown,
                notes: vec![format!(
                    "post-copy had started, so neither copy is whole on its own; nothing was resumed or removed (on {}: {}; on {}: {}); run `vmigrate recover {vm}`",
                    src.0,
                    describe(&on_src),
                    dst.0,
                    describe(&on_dst)
                )],
                running_on: None,
            },
        };
    }
    match (&on_src, &on_dst) {
        (Ok(Some(s)), _) if s.active => {
            if s.state == "paused" {
                let _ = journal.record("resume_source", json!({"host": src.0}));
                let slv = src.1.clone();
                let n = name.clone();
                let r = blocking(move || {
                    let d = slv.conn().lookup_domain_by_name(&n)?;
                    d.resume()
                })
                .await;
                match r {
                    Some(Ok(())) => notes.push(format!("resumed {vm} on {}", src.0)),
                    _ => notes.push(format!(
                        "could not resume {vm} on {} (it stays paused)",
                        src.0
                    )),
                }
            }
            if let Ok(Some(d)) = &on_dst {
                let _ = journal.record(
                    "remove_dest_leftover",
                    json!({"host": dst.0, "state": d.state}),
                );
                let dlv = dst.1.clone();
                let n = name.clone();
                let active = d.active;
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
                    Some(Ok(())) => {
                        notes.push(format!("removed the incoming copy left on {}", dst.0))
                    }
                    Some(Err(e)) => notes.push(format!(
                        "could not remove the copy on {}: {}",
                        dst.0,
                        e.message()
                    )),
                    None => notes.push(format!("could not remove the copy on {}", dst.0)),
                }
            }
            let errors = disks::remove(dst.2, created, journal).await;
            if !created.is_empty() {
                if errors.is_empty() {
                    notes.push(format!(
                        "removed {} pre-created disk(s) on {}",
                        created.len(),
                        dst.0
                    ));
                } else {
                    notes.push(format!(
                        "could not remove on {}: {}",
                        dst.0,
                        errors.join("; ")
                    ));
                }
            }
            Settled {
                outcome: Outcome::RolledBack,
                notes,
                running_on: Some(src.0.to_string()),
            }
        }
        (_, Ok(Some(d))) if d.active && !matches!(on_src, Ok(Some(ref s)) if s.active) => {
            notes.push(format!(
                "{vm} runs on {} ({}persistent) although the migration call failed",
                dst.0,
                if d.persistent { "" } else { "not " }
            ));
            let migrated = d.persistent && matches!(on_src, Ok(None));
            Settled {
                outcome: if migrated {
                    Outcome::Migrated
                } else {
                    Outcome::Unknown
                },
                notes,
                running_on: Some(dst.0.to_string()),
            }
        }
        _ => {
            notes.push(format!(
                "on {}: {}; on {}: {}",
                src.0,
                describe(&on_src),
                dst.0,
                describe(&on_dst)
            ));
            Settled {
                outcome: Outcome::Unknown,
                notes,
                running_on: None,
            }
        }
    }
}

fn describe(r: &Result<Option<Found>, String>) -> String {
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
